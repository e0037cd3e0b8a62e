/* prefault.c: see prefault.h.
 *
 * Why: libwireshark keeps state for every packet and conversation of a
 * capture (wmem file scope), so a long run's heap grows all the time, and
 * each new page costs a fault and the kernel clearing it: 8-10 % of the
 * exact mode's time under perf on the benchmark's mixed capture, even with
 * huge pages. Dissection runs on one thread; this one, on the other core,
 * watches the program break and asks the kernel to populate what the heap
 * has grown into (madvise MADV_POPULATE_WRITE: the pages are faulted in as
 * if written, their content, zeros, untouched) before malloc hands it out.
 * The launcher sets glibc.malloc.top_pad (hugepages.c) so that the heap
 * grows 16 MiB ahead of what malloc needs, which leaves the thread room to
 * work ahead. It only faults pages in: what the main thread reads and
 * writes is the same with or without it, and it calls neither malloc nor
 * libwireshark.
 *
 * sbrk(0) only reads the break glibc keeps (no system call). The thread
 * polls: every millisecond while the heap grows, backing off to 16 ms
 * while it does not; fs_prefault_stop() wakes it at once. */
#include "prefault.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POLL_MIN_US 1000
#define POLL_MAX_US 16000

static GThread *thread;
static GMutex lock;
static GCond wake;
static gboolean stopping;    /* under lock */
static guintptr start_break; /* the break when fs_prefault_start() was called */

gboolean fs_prefault_next(
        guintptr base, guintptr *done, guintptr end, guintptr page, guintptr *from, gsize *len)
{
    end &= ~(page - 1);
    if (end < *done)
        *done = end;
    if (end <= *done || end - base < FS_PREFAULT_AFTER)
        return FALSE;
    *from = *done & ~(page - 1);
    *len = end - *from;
    *done = end;
    return TRUE;
}

static gpointer prefault_main(gpointer data)
{
    (void)data;
    guintptr page = (guintptr)sysconf(_SC_PAGESIZE);
    guintptr done = start_break;
    gint64 wait_us = POLL_MIN_US;
    g_mutex_lock(&lock);
    while (!stopping) {
        g_mutex_unlock(&lock);
        guintptr from;
        gsize len;
        if (fs_prefault_next(start_break, &done, (guintptr)sbrk(0), page, &from, &len)) {
            /* A failure (the heap trimmed meanwhile) only means less
             * populated; the main thread faults the pages in itself. */
            (void)madvise((void *)from, len, MADV_POPULATE_WRITE);
            wait_us = POLL_MIN_US;
        } else if (wait_us < POLL_MAX_US) {
            wait_us *= 2;
        }
        gint64 until = g_get_monotonic_time() + wait_us;
        g_mutex_lock(&lock);
        while (!stopping && g_cond_wait_until(&wake, &lock, until))
            ;
    }
    g_mutex_unlock(&lock);
    return NULL;
}

/* Whether this kernel knows MADV_POPULATE_WRITE: asked on a page of our own. */
static gboolean kernel_can_populate(void)
{
    gsize page = (gsize)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return FALSE;
    gboolean ok = madvise(p, page, MADV_POPULATE_WRITE) == 0;
    munmap(p, page);
    return ok;
}

void fs_prefault_start(void)
{
    const char *setting = g_getenv("FS_PREFAULT");
    if (thread || (setting && strcmp(setting, "0") == 0) || !kernel_can_populate())
        return;
    stopping = FALSE;
    start_break = (guintptr)sbrk(0);
    /* Signals stay the main thread's (interrupt.c's handler, the EINTR
     * that wakes a wait for workers): the thread starts with all blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* g_thread_try_new: without a thread the run is only slower. */
    thread = g_thread_try_new("fs-prefault", prefault_main, NULL, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void fs_prefault_stop(void)
{
    if (!thread)
        return;
    g_mutex_lock(&lock);
    stopping = TRUE;
    g_cond_signal(&wake);
    g_mutex_unlock(&lock);
    g_thread_join(thread);
    thread = NULL;
}
