/* worker.c: see worker.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <glib.h>

#include "interrupt.h"
#include "worker.h"

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
            kill(pid, SIGTERM);
            forwarded = TRUE;
        }
    }
    if (WIFEXITED(wstatus))
        return fs_status_from_exit_code(WEXITSTATUS(wstatus));
    int sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    fprintf(stderr,
            "flowshark: %s: the worker process reading it was killed by signal %d (%s); "
            "no records were written for it\n",
            what, sig, g_strsignal(sig));
    return FS_ERR_WORKER;
}
