/* hugepages.h: the malloc tunables with which the launcher (launcher.c)
 * starts the engine: glibc's malloc on transparent huge pages, and its
 * large chunks kept in the heap (see hugepages.c for why). libc only: the
 * launcher links nothing else. */
#ifndef FS_HUGEPAGES_H
#define FS_HUGEPAGES_H

/* The file that tells the kernel's THP mode. */
#define FS_HUGEPAGES_THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* GLIBC_TUNABLES's value for the engine, from FS_HUGEPAGES's value (or
 * NULL), GLIBC_TUNABLES's (or NULL) and the text of
 * FS_HUGEPAGES_THP_ENABLED (or NULL): the old value with each of
 * flowshark's tunables that it does not name added at the end (a tunable
 * the user set stands), glibc.malloc.hugetlb=1 only in THP mode "madvise"
 * (the only mode in which it changes anything). NULL when there is nothing
 * to change (FS_HUGEPAGES=0 changes nothing) or no memory; else malloc'd. */
char *fs_hugepages_tunables(const char *setting, const char *old, const char *thp_enabled);

#endif
