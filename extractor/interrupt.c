/* interrupt.c: see interrupt.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "interrupt.h"

static volatile sig_atomic_t received_signal;
/* fs_interrupt_forward(): the signal passed on first, and to whom (-1: to
 * nobody, a process that has ended; 0: not forwarding). */
static volatile sig_atomic_t forwarded_signal;
static volatile sig_atomic_t forward_pid;

static void on_signal(int sig)
{
    if (forward_pid != 0) {
        int saved = errno;
        if (!forwarded_signal)
            forwarded_signal = sig;
        if (forward_pid > 0)
            kill((pid_t)forward_pid, sig);
        errno = saved;
        return;
    }
    if (!received_signal)
        received_signal = sig;
}

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void fs_interrupt_install(void)
{
    install(0); /* no SA_RESTART: waitpid() returns EINTR */
}

void fs_interrupt_forward(pid_t pid)
{
    /* The switch is made with both signals blocked, so that none is lost
     * between the old state and the new. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    install(SA_RESTART);
    forward_pid = pid > 0 ? (sig_atomic_t)pid : -1;
    if (received_signal) {
        if (!forwarded_signal)
            forwarded_signal = received_signal;
        if (pid > 0)
            kill(pid, received_signal);
        received_signal = 0;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

gboolean fs_interrupt_forwarded(void)
{
    return forwarded_signal != 0;
}

gboolean fs_interrupt_requested(void)
{
    return received_signal != 0;
}

int fs_interrupt_signal(void)
{
    return received_signal;
}

const char *fs_interrupt_signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        { SIGINT, "SIGINT" },
        { SIGTERM, "SIGTERM" },
        { SIGKILL, "SIGKILL" },
        { SIGSEGV, "SIGSEGV" },
        { SIGABRT, "SIGABRT" },
        { SIGBUS, "SIGBUS" },
        { SIGFPE, "SIGFPE" },
        { SIGILL, "SIGILL" },
        { SIGHUP, "SIGHUP" },
        { SIGPIPE, "SIGPIPE" },
        { SIGQUIT, "SIGQUIT" },
        { SIGXFSZ, "SIGXFSZ" },
        { SIGXCPU, "SIGXCPU" },
    };
    static char other[24];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].sig == sig)
            return names[i].name;
    }
    g_snprintf(other, sizeof(other), "signal %d", sig);
    return other;
}
