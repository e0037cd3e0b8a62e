/* hugepages.c: the launcher's decision to start the engine with glibc's
 * malloc asked to back its heap and its large chunks with transparent huge
 * pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1).
 *
 * Why: libwireshark keeps per-packet and per-conversation state for the
 * whole capture in wmem blocks and GLib tables, and a good share of a run's
 * time (12-17 % under perf on the benchmark's mixed capture) is the first
 * write to each new 4 kB page: a page fault. With a huge page, one fault
 * maps 2 MB. Start-up gains too: registering libwireshark's dissectors
 * fills about 160 MB of memory (a
 * small capture's peak RSS). In the kernel's THP mode "madvise"
 * (Debian's default) only madvised memory gets huge pages; glibc madvises
 * its memory only when the tunable is set, and reads tunables only when a
 * process starts: no library call does this for a running process, and
 * malloc's other knobs (mallopt) do not reach it. Hence the launcher, which
 * links only libc, so setting the tunable costs an exec of a small program
 * (about 1 ms) rather than libwireshark's start-up a second time. */
#include "hugepages.h"

#include <stdlib.h>
#include <string.h>

bool fs_hugepages_wanted(const char *setting, const char *tunables, const char *thp_enabled)
{
    if (setting && strcmp(setting, "0") == 0)
        return false;
    if (tunables && strstr(tunables, FS_HUGEPAGES_TUNABLE))
        return false;
    return thp_enabled && strstr(thp_enabled, "[madvise]");
}

char *fs_hugepages_tunables(const char *old)
{
    static const char added[] = FS_HUGEPAGES_TUNABLE "=1";
    size_t old_len = old ? strlen(old) : 0;
    char *value = malloc(old_len + 1 + sizeof(added));
    if (!value)
        return NULL;
    char *end = value;
    if (old_len > 0) {
        memcpy(end, old, old_len);
        end += old_len;
        *end++ = ':';
    }
    memcpy(end, added, sizeof(added));
    return value;
}
