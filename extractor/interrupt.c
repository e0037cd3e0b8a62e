/* interrupt.c: see interrupt.h. */
#include <signal.h>
#include <string.h>

#include "interrupt.h"

static volatile sig_atomic_t received_signal;

static void on_signal(int sig)
{
    if (!received_signal)
        received_signal = sig;
}

void fs_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: waitpid() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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
