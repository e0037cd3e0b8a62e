/* worker.h: waiting for a forked worker process and turning how it ended
 * into a status. Workers exit with fs_status_exit_code() of their status. */
#ifndef FS_WORKER_H
#define FS_WORKER_H

#include <sys/types.h>

#include "status.h"

/* Waits for worker pid, which is reading `what` (named in messages).
 * Forwards SIGINT/SIGTERM to it once if one reaches this process first (as
 * with kill(1) on flowshark alone). Returns the status the worker exited
 * with, or FS_ERR_WORKER (reported on standard error) when it died. */
enum fs_status fs_worker_wait(pid_t pid, const char *what);

#endif
