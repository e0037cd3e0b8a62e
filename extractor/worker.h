/* worker.h: forked worker processes, for the per-capture workers and the
 * bounded mode's chunk workers alike. The status protocol: a worker runs a
 * function that returns an enum fs_status and exits with
 * fs_status_exit_code() of it; the parent turns the exit code back into the
 * status (fs_status_from_exit_code()), and a worker killed by a signal, or
 * one that exits with a code no status has, is FS_ERR_WORKER. */
#ifndef FS_WORKER_H
#define FS_WORKER_H

#include <sys/types.h>

#include "status.h"

/* What a worker runs; its status becomes the exit code. */
typedef enum fs_status (*fs_worker_fn)(void *arg);

/* Flushes standard output and error, forks, and runs fn(arg) in the child,
 * which then exits with the status's exit code without running atexit
 * handlers or flushing the parent's stdio state. Returns the child's pid,
 * or -1 with *errmsg (caller g_free()s). */
pid_t fs_worker_spawn(fs_worker_fn fn, void *arg, char **errmsg);

/* Waits for worker pid, which is reading `what` (named in messages).
 * Forwards the signal that interrupted this process (SIGINT/SIGTERM) to it
 * once if it arrives while waiting. Returns the status the worker exited
 * with, or FS_ERR_WORKER (reported on standard error, naming the signal)
 * when it died. */
enum fs_status fs_worker_wait(pid_t pid, const char *what);

/* fs_worker_wait(), calling tick(data) about five times a second while
 * the worker runs (the progress line); tick NULL is fs_worker_wait(). */
enum fs_status fs_worker_wait_ticking(
        pid_t pid, const char *what, void (*tick)(void *data), void *data);

/* Asks a running worker to stop as this process was asked (the signal that
 * interrupted it, SIGTERM when none): it writes what it has and exits. */
void fs_worker_stop(pid_t pid);

#endif
