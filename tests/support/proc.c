/* proc.c - temporary directories, spawned processes, a real wmsd (see proc.h). */
#include "proc.h"

#include "wms/client.h"
#include "wms/errors.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How often bounded waits look at their condition: short, so tests stay fast. */
#define POLL_MS 5

int64_t proc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int proc_tmpdir(char dir[PATH_MAX])
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (snprintf(dir, PATH_MAX, "%s/wms-test-XXXXXX", base) >= PATH_MAX)
		return WMS_ETOOLONG;
	return mkdtemp(dir) ? 0 : WMS_EIO;
}

void proc_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char p[PATH_MAX];
			struct stat sb;
			if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
				continue;
			if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
				proc_rmtree(p);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

int proc_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return WMS_EIO;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : WMS_EIO;
}

int proc_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return WMS_ENOTFOUND;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	while (b) {
		if (n + 1 >= cap) {
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	if (b == NULL)
		return WMS_ENOMEM;
	b[n] = '\0';
	*out = b;
	if (len)
		*len = n;
	return 0;
}

long long proc_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

const char *proc_bin(const char *name, char out[PATH_MAX])
{
	const char *bin = getenv("WMS_BIN");
	snprintf(out, PATH_MAX, "%s/%s", bin && bin[0] ? bin : "build/default/bin", name);
	return out;
}

const char *proc_root_path(const char *rel, char out[PATH_MAX])
{
	const char *root = getenv("WMS_ROOT");
	snprintf(out, PATH_MAX, "%s/%s", root && root[0] ? root : ".", rel);
	return out;
}

int proc_spawn(const char *const argv[], const char *stdin_path, const char *stdout_path,
               bool append, const char *stderr_path, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int out_flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return WMS_ENOMEM;
	posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY,
	                                 0);
	posix_spawn_file_actions_addopen(&fa, 1, stdout_path ? stdout_path : "/dev/null", out_flags,
	                                 0644);
	posix_spawn_file_actions_addopen(&fa, 2, stderr_path ? stderr_path : "/dev/null", out_flags,
	                                 0644);
	int rv = posix_spawn(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rv == 0 ? 0 : WMS_EIO;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int proc_wait(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = proc_now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (status)
				*status = decode_status(st);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return WMS_EIO;
		if (proc_now_ms() >= deadline)
			return WMS_ETIMEDOUT;
		pause_ms(POLL_MS);
	}
}

int proc_kill(pid_t pid, int sig, int timeout_ms, int *status)
{
	if (kill(pid, sig) != 0 && errno != ESRCH)
		return WMS_EIO;
	int rc = proc_wait(pid, timeout_ms, status);
	if (rc == WMS_ETIMEDOUT) {
		kill(pid, SIGKILL);
		proc_wait(pid, 10000, status);
	}
	return rc;
}

int proc_run(const char *const argv[], const char *input, const char *scratch_dir, int timeout_ms,
             struct proc_output *out)
{
	static unsigned serial;
	char in_p[PATH_MAX], out_p[PATH_MAX], err_p[PATH_MAX];
	unsigned n = __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED);
	*out = (struct proc_output)PROC_OUTPUT_INIT;
	snprintf(in_p, sizeof(in_p), "%s/run-%ld-%u.in", scratch_dir, (long)getpid(), n);
	snprintf(out_p, sizeof(out_p), "%s/run-%ld-%u.out", scratch_dir, (long)getpid(), n);
	snprintf(err_p, sizeof(err_p), "%s/run-%ld-%u.err", scratch_dir, (long)getpid(), n);
	int rc = 0;
	if (input && (rc = proc_write_file(in_p, input, strlen(input))) != 0)
		return rc;
	pid_t pid;
	if ((rc = proc_spawn(argv, input ? in_p : NULL, out_p, false, err_p, &pid)) != 0)
		goto out;
	rc = proc_wait(pid, timeout_ms, &out->status);
	if (rc == WMS_ETIMEDOUT)
		proc_kill(pid, SIGKILL, 10000, &out->status);
	if (proc_read_file(out_p, &out->out, &out->out_len) != 0)
		out->out = strdup("");
	if (proc_read_file(err_p, &out->err, &out->err_len) != 0)
		out->err = strdup("");
out:
	unlink(in_p);
	unlink(out_p);
	unlink(err_p);
	return rc;
}

void proc_output_release(struct proc_output *out)
{
	if (out == NULL)
		return;
	free(out->out);
	free(out->err);
	*out = (struct proc_output)PROC_OUTPUT_INIT;
}

/* ---- wmsd ---- */

/* Whether the engine at URL answers ping now. */
static bool engine_answers(const char *url)
{
	struct wms_client_opts o = WMS_CLIENT_OPTS_INIT;
	struct wms_client *c;
	json_t *reply = NULL, *req = json_pack("{s:s}", "op", "ping");
	bool ok = false;
	o.connect_timeout_ms = 100;
	o.call_timeout_ms = 1000;
	if (req && wms_client_open(url, &o, &c, NULL) == 0) {
		ok = wms_client_call(c, req, &reply, NULL) == 0 &&
		     json_is_true(json_object_get(reply, "ok"));
		json_decref(reply);
		wms_client_close(c);
	}
	json_decref(req);
	return ok;
}

int wmsd_init(struct wmsd_proc *w)
{
	memset(w, 0, sizeof(*w));
	w->pid = -1;
	int rc = proc_tmpdir(w->dir);
	if (rc)
		return rc;
	snprintf(w->url, sizeof(w->url), "ipc://%s/req.ipc", w->dir);
	snprintf(w->events_url, sizeof(w->events_url), "ipc://%s/ev.ipc", w->dir);
	return 0;
}

int wmsd_spawn(struct wmsd_proc *w, const char *const extra[], int timeout_ms)
{
	char bin[PATH_MAX], data[PATH_MAX + 8], log[PATH_MAX + 16];
	const char *argv[32];
	size_t n = 0;
	int rc;
	snprintf(data, sizeof(data), "%s/data", w->dir);
	snprintf(log, sizeof(log), "%s/wmsd.log", w->dir);
	argv[n++] = proc_bin("wmsd", bin);
	argv[n++] = "--data";
	argv[n++] = data;
	argv[n++] = "--listen";
	argv[n++] = w->url;
	argv[n++] = "--events";
	argv[n++] = w->events_url;
	argv[n++] = "--quiet";
	for (size_t i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	if ((rc = proc_spawn(argv, NULL, log, true, log, &w->pid)) != 0) {
		w->pid = -1;
		return rc;
	}
	int64_t deadline = proc_now_ms() + timeout_ms;
	while (!engine_answers(w->url)) {
		int st;
		if (proc_wait(w->pid, 0, &st) == 0) {
			w->pid = -1;
			fprintf(stderr, "wmsd exited with status %d at start; see %s\n", st, log);
			return WMS_EIO;
		}
		if (proc_now_ms() >= deadline) {
			wmsd_kill(w, SIGKILL, NULL);
			return WMS_ETIMEDOUT;
		}
	}
	return 0;
}

int wmsd_start(struct wmsd_proc *w, const char *const extra[], int timeout_ms)
{
	int rc = wmsd_init(w);
	if (rc == 0 && (rc = wmsd_spawn(w, extra, timeout_ms)) != 0)
		wmsd_stop(w);
	return rc;
}

int wmsd_kill(struct wmsd_proc *w, int sig, int *status)
{
	int rc = 0;
	if (w->pid > 0)
		rc = proc_kill(w->pid, sig, 10000, status);
	w->pid = -1;
	return rc;
}

void wmsd_stop(struct wmsd_proc *w)
{
	wmsd_kill(w, SIGTERM, NULL);
	if (w->dir[0])
		proc_rmtree(w->dir);
	w->dir[0] = '\0';
}

int wmsctl_run(const struct wmsd_proc *w, const char *const args[], const char *input,
               int timeout_ms, struct proc_output *out)
{
	char bin[PATH_MAX];
	const char *argv[64];
	size_t n = 0;
	argv[n++] = proc_bin("wmsctl", bin);
	argv[n++] = "--url";
	argv[n++] = w->url;
	argv[n++] = "--events";
	argv[n++] = w->events_url;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return proc_run(argv, input, w->dir, timeout_ms, out);
}
