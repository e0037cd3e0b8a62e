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

enum fs_status fs_worker_wait(pid_t pid, const char *what)
{
    gboolean forwarded = FALSE;
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "flowshark: %s: lost the worker process reading it: %s\n", what,
                    g_strerror(errno));
            return FS_ERR_WORKER;
        }
        if (fs_interrupt_requested() && !forwarded) {
            fs_worker_stop(pid);
            forwarded = TRUE;
        }
    }
    if (WIFEXITED(wstatus))
        return fs_status_from_exit_code(WEXITSTATUS(wstatus));
    int sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    fprintf(stderr,
            "flowshark: %s: the worker process reading it was killed by %s (%s); "
            "no records were written for it\n",
            what, fs_interrupt_signal_name(sig), g_strsignal(sig));
    return FS_ERR_WORKER;
}
