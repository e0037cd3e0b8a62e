/* hugepages.h: whether the launcher (launcher.c) starts the engine with
 * glibc's malloc on transparent huge pages (GLIBC_TUNABLES gaining
 * glibc.malloc.hugetlb=1; see hugepages.c for why). libc only: the
 * launcher links nothing else. */
#ifndef FS_HUGEPAGES_H
#define FS_HUGEPAGES_H

#include <stdbool.h>

/* The tunable, and the file that tells the kernel's THP mode. */
#define FS_HUGEPAGES_TUNABLE     "glibc.malloc.hugetlb"
#define FS_HUGEPAGES_THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* The decision, from its inputs: FS_HUGEPAGES's value (or NULL; "0" turns
 * it off), GLIBC_TUNABLES's (or NULL; when it already names the tunable,
 * the user's choice stands) and the text of FS_HUGEPAGES_THP_ENABLED (or
 * NULL; only in mode "madvise" does the tunable change anything). */
bool fs_hugepages_wanted(const char *setting, const char *tunables, const char *thp_enabled);

/* GLIBC_TUNABLES's new value: the old one (or NULL) with the tunable added
 * at the end. malloc'd; NULL when out of memory. */
char *fs_hugepages_tunables(const char *old);

#endif
