/* interrupt.h: SIGINT and SIGTERM as a request to stop reading. The
 * dissection loops poll the flag between packets; the records of every flow
 * seen so far are then written and the run ends with FS_ERR_INTERRUPTED. */
#ifndef FS_INTERRUPT_H
#define FS_INTERRUPT_H

#include <glib.h>

/* Installs the handlers (without SA_RESTART, so a blocking wait returns
 * with EINTR). Idempotent. */
void fs_interrupt_install(void);

/* TRUE once SIGINT or SIGTERM has arrived. */
gboolean fs_interrupt_requested(void);

/* The signal that arrived first, 0 if none. */
int fs_interrupt_signal(void);

/* A signal's name as kill -l spells it with the SIG prefix ("SIGINT",
 * "SIGTERM", "SIGKILL"...), or "signal N" for one without a name here.
 * Static storage (the fallback: a buffer reused by later calls). */
const char *fs_interrupt_signal_name(int sig);

#endif
