/* prefault.h: a thread that clears the heap's new pages ahead of the
 * dissection, on the other core (see prefault.c). */
#ifndef FS_PREFAULT_H
#define FS_PREFAULT_H

#include <glib.h>

/* Populating starts once the heap has grown this much past where it was
 * when the thread started: small runs never pay for it. */
#define FS_PREFAULT_AFTER ((guintptr)32 << 20)

/* What to populate next, as the thread decides it: base is the program
 * break when the thread started, *done the end of what it populated
 * (base at first), end the program break now. Returns TRUE with the
 * page-aligned range [*from, *from + *len) to populate and moves *done to
 * its end; FALSE when there is nothing to do (the heap has not grown past
 * base + FS_PREFAULT_AFTER, or not since the last time). A heap that
 * shrank moves *done back, so that what it grows into again is populated. */
gboolean fs_prefault_next(
        guintptr base, guintptr *done, guintptr end, guintptr page, guintptr *from, gsize *len);

/* Starts the thread, unless FS_PREFAULT is "0" or the kernel does not know
 * MADV_POPULATE_WRITE (before Linux 5.14); once only. */
void fs_prefault_start(void);

/* Stops the thread and waits for it; nothing when none was started. */
void fs_prefault_stop(void);

#endif
