/* interrupt.h: SIGINT and SIGTERM as a request to stop reading. The
 * dissection loops poll the flag between packets; the records of every flow
 * seen so far are then written and the run ends with FS_ERR_INTERRUPTED. */
#ifndef FS_INTERRUPT_H
#define FS_INTERRUPT_H

#include <glib.h>
#include <sys/types.h>

/* Installs the handlers (without SA_RESTART, so a blocking wait returns
 * with EINTR). Idempotent. */
void fs_interrupt_install(void);

/* TRUE once SIGINT or SIGTERM has arrived. */
gboolean fs_interrupt_requested(void);

/* The signal that arrived first, 0 if none. */
int fs_interrupt_signal(void);

/* Live capture (live.h): from now on SIGINT and SIGTERM are not a request
 * to stop reading but passed on to process pid (dumpcap), which ends its
 * output; fs_interrupt_requested() stays FALSE, so the reading goes on to
 * the end of that output. The handlers are installed again with
 * SA_RESTART, so that a blocking read is not cut short. A signal that
 * arrived before is passed on at once. pid 0: no process to pass signals
 * on to any more (it has ended); later signals are taken as the stop
 * already under way. Idempotent. */
void fs_interrupt_forward(pid_t pid);

/* TRUE once a signal was passed on (or taken) by fs_interrupt_forward(). */
gboolean fs_interrupt_forwarded(void);

/* A signal's name as kill -l spells it with the SIG prefix ("SIGINT",
 * "SIGTERM", "SIGKILL"...), or "signal N" for one without a name here.
 * Static storage (the fallback: a buffer reused by later calls). */
const char *fs_interrupt_signal_name(int sig);

#endif
