/* daemon.c - see daemon.h. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tengine.h"
#include "wms/nngclose.h"

extern char **environ;

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *tprog(const char *name, char *buf, size_t size)
{
	const char *bin = getenv("WMS_BIN");
	snprintf(buf, size, "%s/%s", bin ? bin : "build/default/bin", name);
	return buf;
}

void tdaemon_init(struct tdaemon *d)
{
	memset(d, 0, sizeof(*d));
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(d->dir, sizeof(d->dir), "%s/wmsd-test-XXXXXX", base);
	if (mkdtemp(d->dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(d->req_url, sizeof(d->req_url), "ipc://%s/req.ipc", d->dir);
	snprintf(d->ev_url, sizeof(d->ev_url), "ipc://%s/ev.ipc", d->dir);
}

char *tdaemon_call_raw(const char *url, const void *data, size_t len, int timeout_ms)
{
	nng_socket s;
	nng_msg *m = NULL;
	char *out = NULL;
	if (nng_req0_open(&s) != 0)
		return NULL;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0);
	if (nng_dial(s, url, NULL, 0) != 0)
		goto out;
	if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, data, len) != 0)
		goto out;
	if (nng_sendmsg(s, m, 0) != 0)
		goto out;
	m = NULL;
	if (nng_recvmsg(s, &m, 0) != 0) {
		m = NULL;
		goto out;
	}
	out = strndup(nng_msg_body(m), nng_msg_len(m));
out:
	nng_msg_free(m);
	wms_nng_close(s, WMS_NNG_CLOSE_WAIT_MS);
	return out;
}

void tsub_close(nng_socket sub)
{
	long long deadline = ms_now() + 5000;
	nng_socket_set_ms(sub, NNG_OPT_RECVTIMEO, 300);
	nng_msg *m;
	while (ms_now() < deadline && nng_recvmsg(sub, &m, 0) == 0)
		nng_msg_free(m);
	wms_nng_close(sub, WMS_NNG_CLOSE_WAIT_MS);
}

json_t *tdaemon_call(struct tdaemon *d, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *reply = tdaemon_call_raw(d->req_url, text, (size_t)n, 10000);
	free(text);
	if (reply == NULL)
		return NULL;
	json_t *r = json_loads(reply, 0, NULL);
	free(reply);
	return r;
}

int tdaemon_start(struct tdaemon *d)
{
	char wmsd[512];
	char data[300];
	tprog("wmsd", wmsd, sizeof(wmsd));
	snprintf(data, sizeof(data), "%s/data", d->dir);
	char *argv[16];
	int a = 0;
	argv[a++] = wmsd;
	argv[a++] = "--data";
	argv[a++] = data;
	argv[a++] = "--listen";
	argv[a++] = d->req_url;
	argv[a++] = "--events";
	argv[a++] = d->ev_url;
	argv[a++] = "--quiet";
	if (d->sim_clock) {
		argv[a++] = "--sim-start";
		argv[a++] = "2026-11-24T08:00:00Z";
	}
	if (d->seed) {
		argv[a++] = "--seed";
		argv[a++] = (char *)d->seed;
	}
	argv[a] = NULL;
	if (posix_spawn(&d->pid, wmsd, NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "tdaemon: cannot start %s: %s\n", wmsd, strerror(errno));
		d->pid = 0;
		return -1;
	}
	long long deadline = ms_now() + 10000;
	while (ms_now() < deadline) {
		int st;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			fprintf(stderr, "tdaemon: wmsd exited at start (status %d)\n", st);
			d->pid = 0;
			return -1;
		}
		char *r = tdaemon_call_raw(d->req_url, "{\"op\":\"ping\"}", 13, 200);
		if (r) {
			free(r);
			return 0;
		}
		usleep(20000);
	}
	fprintf(stderr, "tdaemon: wmsd did not answer ping within 10 s\n");
	return -1;
}

int tdaemon_signal(struct tdaemon *d, int sig)
{
	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	long long deadline = ms_now() + 10000;
	int st;
	while (ms_now() < deadline) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return st;
		}
		usleep(5000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return -1;
}

void tdaemon_cleanup(struct tdaemon *d)
{
	if (d->pid > 0)
		tdaemon_signal(d, SIGKILL);
	if (d->dir[0])
		trm_rf(d->dir);
	d->dir[0] = '\0';
}

int trun(char *const argv[], char **out, int timeout_ms)
{
	int pipefd[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	if (pipe(pipefd) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return -1;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	long long deadline = ms_now() + timeout_ms;
	bool killed = false;
	for (;;) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		int left = (int)(deadline - ms_now());
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		if (n + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t got = read(pipefd[0], buf + n, cap - n - 1);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(pipefd[0]);
	buf[n] = '\0';
	int st = 0;
	waitpid(pid, &st, 0);
	if (out)
		*out = buf;
	else
		free(buf);
	if (killed || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
