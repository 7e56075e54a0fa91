/*
 * proc.h - test helpers for real processes: temporary directories, spawning programs with
 * bounded waits, and a real wmsd on ipc:// sockets in its own temporary store.
 *
 * Why posix_spawn and never fork: nng 1.5.2 cannot be used across fork(), and a test often
 * holds nng sockets when it starts the next program. Every wait here has a deadline; nothing
 * sleeps to synchronise, it polls a condition (process exited, file grew, ping answered).
 *
 * Programs are found in $WMS_BIN (set by `make test`; see proc_bin). Data files of the tree are
 * found under $WMS_ROOT (proc_root_path).
 *
 * Errors: functions return 0 or a negative WMS_E* code (WMS_ETIMEDOUT when a deadline passed,
 * WMS_EIO for a failed system call). Ownership: each struct's strings are embedded; a
 * proc_output's buffers are malloc'd and released by proc_output_release. Not thread-safe
 * between themselves only where noted.
 */
#ifndef WMS_TEST_PROC_H
#define WMS_TEST_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- files and directories ---- */

/* Creates a fresh directory "$TMPDIR/wms-test-XXXXXX" (or /tmp) and writes its path to DIR. */
int proc_tmpdir(char dir[PATH_MAX]);

/* Removes DIR and everything under it (files and directories; no symlinks are followed). */
void proc_rmtree(const char *dir);

/* Writes LEN bytes of DATA to PATH (created or truncated). */
int proc_write_file(const char *path, const void *data, size_t len);

/* Reads PATH into a malloc'd NUL-terminated buffer (*OUT, caller frees), length in *LEN. */
int proc_read_file(const char *path, char **out, size_t *len);

/* The size of PATH, or -1 when it does not exist. */
long long proc_file_size(const char *path);

/* $WMS_BIN/NAME into OUT (falls back to build/default/bin when WMS_BIN is unset). */
const char *proc_bin(const char *name, char out[PATH_MAX]);

/* $WMS_ROOT/REL into OUT (falls back to the current directory). */
const char *proc_root_path(const char *rel, char out[PATH_MAX]);

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t proc_now_ms(void);

/* ---- processes ---- */

/*
 * Starts ARGV (argv[0] is a path) with its standard streams redirected: STDIN_PATH (NULL:
 * /dev/null), STDOUT_PATH and STDERR_PATH (NULL: /dev/null; created, truncated unless APPEND,
 * in which case O_APPEND as with `>>`). *PID receives the child.
 */
int proc_spawn(const char *const argv[], const char *stdin_path, const char *stdout_path,
               bool append, const char *stderr_path, pid_t *pid);

/*
 * Waits up to TIMEOUT_MS for PID to exit; *STATUS (may be NULL) gets its exit code, or
 * 128 + signal when killed. WMS_ETIMEDOUT when it is still running (it is left running).
 */
int proc_wait(pid_t pid, int timeout_ms, int *status);

/* Sends SIG, then waits as proc_wait; after TIMEOUT_MS sends SIGKILL and reaps it. */
int proc_kill(pid_t pid, int sig, int timeout_ms, int *status);

/* What a finished program printed. */
struct proc_output {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout, NUL-terminated, malloc'd */
	size_t out_len;
	char *err; /* stderr, NUL-terminated, malloc'd */
	size_t err_len;
};
#define PROC_OUTPUT_INIT                                                                           \
	{                                                                                          \
		-1, NULL, 0, NULL, 0                                                               \
	}

/*
 * Runs ARGV to completion, feeding INPUT (NULL: nothing) on stdin, capturing stdout and
 * stderr through files in SCRATCH_DIR. Killed with SIGKILL after TIMEOUT_MS (WMS_ETIMEDOUT,
 * with what it printed so far in OUT). Release OUT with proc_output_release either way.
 */
int proc_run(const char *const argv[], const char *input, const char *scratch_dir, int timeout_ms,
             struct proc_output *out);

void proc_output_release(struct proc_output *out);

/* ---- a real engine ---- */

/* One wmsd on ipc:// sockets inside its own temporary directory. */
struct wmsd_proc {
	char dir[PATH_MAX]; /* the temporary directory: data/, the sockets, scratch files */
	char url[PATH_MAX + 16];
	char events_url[PATH_MAX + 16];
	pid_t pid;
};

/* Creates W's temporary directory and names its sockets; starts nothing. */
int wmsd_init(struct wmsd_proc *w);

/*
 * Spawns $WMS_BIN/wmsd --data DIR/data --listen ipc://DIR/req.ipc --events ipc://DIR/ev.ipc
 * --quiet plus EXTRA (NULL-terminated, may be NULL: e.g. "--sim-clock"), output in
 * DIR/wmsd.log, and waits up to TIMEOUT_MS until it answers ping. Calling it again after
 * wmsd_kill restarts the engine on the same store. On failure the process is gone.
 */
int wmsd_spawn(struct wmsd_proc *w, const char *const extra[], int timeout_ms);

/* wmsd_init + wmsd_spawn; on failure nothing is left running or on disk. */
int wmsd_start(struct wmsd_proc *w, const char *const extra[], int timeout_ms);

/* Sends SIG (SIGTERM: graceful; SIGKILL: a crash) and reaps the engine; keeps the directory.
 * *STATUS (may be NULL) as proc_wait. */
int wmsd_kill(struct wmsd_proc *w, int sig, int *status);

/* Stops the engine (SIGTERM, SIGKILL after 10 s) and removes the directory. Idempotent. */
void wmsd_stop(struct wmsd_proc *w);

/*
 * Runs $WMS_BIN/wmsctl --url/--events of W, then ARGS (NULL-terminated), with INPUT on stdin,
 * capturing its output (scratch files in W's directory). Bounded by TIMEOUT_MS.
 */
int wmsctl_run(const struct wmsd_proc *w, const char *const args[], const char *input,
               int timeout_ms, struct proc_output *out);

#endif
