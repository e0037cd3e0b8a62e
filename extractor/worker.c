/* worker.c: see worker.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "interrupt.h"
#include "worker.h"

pid_t fs_worker_spawn(fs_worker_fn fn, void *arg, char **errmsg)
{
    *errmsg = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        *errmsg = g_strdup_printf("cannot start a worker process: %s", g_strerror(errno));
        return -1;
    }
    if (pid == 0)
        _exit(fs_status_exit_code(fn(arg)));
    return pid;
}

void fs_worker_stop(pid_t pid)
{
    int sig = fs_interrupt_signal();
    kill(pid, sig ? sig : SIGTERM);
}

/* The status of a worker that ended with wstatus. */
static enum fs_status ended(int wstatus, const char *what)
{
    if (WIFEXITED(wstatus))
        return fs_status_from_exit_code(WEXITSTATUS(wstatus));
    int sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    fprintf(stderr,
            "%sflowshark: %s: the worker process reading it was killed by %s (%s); "
            "no records were written for it\n",
            fs_report_start(), what, fs_interrupt_signal_name(sig), g_strsignal(sig));
    return FS_ERR_WORKER;
}

static enum fs_status lost(const char *what)
{
    fprintf(stderr, "%sflowshark: %s: lost the worker process reading it: %s\n", fs_report_start(),
            what, g_strerror(errno));
    return FS_ERR_WORKER;
}

enum fs_status fs_worker_wait(pid_t pid, const char *what)
{
    gboolean forwarded = FALSE;
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR)
            return lost(what);
        if (fs_interrupt_requested() && !forwarded) {
            fs_worker_stop(pid);
            forwarded = TRUE;
        }
    }
    return ended(wstatus, what);
}

enum fs_status fs_worker_wait_ticking(
        pid_t pid, const char *what, void (*tick)(void *data), void *data)
{
    if (!tick)
        return fs_worker_wait(pid, what);
    /* SIGCHLD stays pending while blocked, so a worker that ends between
     * the check and the wait still wakes the wait at once. */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    gboolean forwarded = FALSE;
    int wstatus = 0;
    enum fs_status status = FS_OK;
    while (TRUE) {
        pid_t got = waitpid(pid, &wstatus, WNOHANG);
        if (got == pid) {
            status = ended(wstatus, what);
            break;
        }
        if (got < 0 && errno != EINTR) {
            status = lost(what);
            break;
        }
        if (fs_interrupt_requested() && !forwarded) {
            fs_worker_stop(pid);
            forwarded = TRUE;
        }
        tick(data);
        const struct timespec pause = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };
        sigtimedwait(&chld, NULL, &pause);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return status;
}
