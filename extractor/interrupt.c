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
