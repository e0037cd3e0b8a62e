/* hugepages.c: the malloc tunables with which the launcher starts the
 * engine (GLIBC_TUNABLES).
 *
 * Why: libwireshark keeps per-packet and per-conversation state for the
 * whole capture in wmem blocks and GLib tables, and a good share of a run's
 * time (12-17 % under perf on the benchmark's mixed capture) is the first
 * write to each new 4 kB page: a page fault, the kernel clearing the page.
 * - glibc.malloc.hugetlb=1: glibc madvises its heap and its mmap'd chunks
 *   for transparent huge pages, so one fault maps 2 MB. In the kernel's THP
 *   mode "madvise" (Debian's default) only madvised memory gets them.
 * - glibc.malloc.mmap_threshold=32 MiB (the largest glibc takes) and
 *   glibc.malloc.trim_threshold=64 MiB: wmem's 8 MB blocks then come from
 *   the heap and go back to it, instead of being mapped afresh (cleared
 *   again) each time, and the heap's top is not given back to the kernel
 *   only to be faulted in again. On the benchmark's mixed capture this
 *   takes the faults of the exact mode from 47k to 12k and its time by
 *   about 10 % (on top of huge pages), for 0.6 % more peak memory.
 * - glibc.malloc.top_pad=16 MiB: the heap grows 16 MiB ahead of what
 *   malloc needs (not written: no memory is used for it until then), so
 *   that the engine's prefault thread (prefault.c) can fault it in on the
 *   other core before the dissection gets there.
 * glibc reads tunables only when a process starts: no library call changes
 * them for a running process, and mallopt() does not reach hugetlb. Hence
 * the launcher, which links only libc, so setting them costs an exec of a
 * small program (about 1 ms) rather than libwireshark's start-up twice. */
#include "hugepages.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *value;
    bool huge_pages; /* only in THP mode madvise */
} tunables[] = {
    { "glibc.malloc.hugetlb", "1", true },
    { "glibc.malloc.mmap_threshold", "33554432", false },
    { "glibc.malloc.trim_threshold", "67108864", false },
    { "glibc.malloc.top_pad", "16777216", false },
};

#define N_TUNABLES (sizeof(tunables) / sizeof(tunables[0]))

char *fs_hugepages_tunables(const char *setting, const char *old, const char *thp_enabled)
{
    if (setting && strcmp(setting, "0") == 0)
        return NULL;
    bool madvise = thp_enabled && strstr(thp_enabled, "[madvise]");
    size_t old_len = old ? strlen(old) : 0;
    size_t size = old_len + 1;
    for (size_t i = 0; i < N_TUNABLES; i++)
        size += strlen(tunables[i].name) + strlen(tunables[i].value) + 2;
    char *value = malloc(size);
    if (!value)
        return NULL;
    char *end = value;
    if (old_len > 0) {
        memcpy(end, old, old_len);
        end += old_len;
    }
    bool added = false;
    for (size_t i = 0; i < N_TUNABLES; i++) {
        if ((tunables[i].huge_pages && !madvise) || (old && strstr(old, tunables[i].name)))
            continue;
        if (end > value)
            *end++ = ':';
        size_t n = strlen(tunables[i].name);
        memcpy(end, tunables[i].name, n);
        end += n;
        *end++ = '=';
        n = strlen(tunables[i].value);
        memcpy(end, tunables[i].value, n);
        end += n;
        added = true;
    }
    *end = '\0';
    if (!added) {
        free(value);
        return NULL;
    }
    return value;
}
