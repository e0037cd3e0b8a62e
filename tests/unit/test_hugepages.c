/* test_hugepages.c: unit tests of extractor/hugepages.h: the GLIBC_TUNABLES
 * value with which the launcher starts the engine. The exec itself is
 * tested in tests/cli/test_cli.py (classes HugePages and Launcher). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "hugepages.h"

#define MADVISE "always [madvise] never\n"
#define ALWAYS  "[always] madvise never\n"
#define NEVER   "always madvise [never]\n"

#define HUGE "glibc.malloc.hugetlb=1"
#define CHUNKS                                                                                     \
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864:"                   \
    "glibc.malloc.top_pad=16777216"

/* fs_hugepages_tunables() is wanted (NULL: nothing to set). */
static void check(const char *setting, const char *old, const char *thp, const char *wanted)
{
    char *value = fs_hugepages_tunables(setting, old, thp);
    if (wanted)
        assert_string_equal(value, wanted);
    else
        assert_null(value);
    free(value);
}

static void huge_pages_only_in_madvise_mode(void **state)
{
    (void)state;
    check(NULL, NULL, MADVISE, HUGE ":" CHUNKS);
    check(NULL, "", MADVISE, HUGE ":" CHUNKS);
    /* In mode always the kernel already gives huge pages; in mode never
     * nothing does; "madvise" alone is not the mode chosen. */
    check(NULL, NULL, ALWAYS, CHUNKS);
    check(NULL, NULL, NEVER, CHUNKS);
    check(NULL, NULL, NULL, CHUNKS);
    check(NULL, NULL, "madvise\n", CHUNKS);
}

static void fs_hugepages_zero_changes_nothing(void **state)
{
    (void)state;
    check("0", NULL, MADVISE, NULL);
    check("0", "glibc.malloc.tcache_count=7", MADVISE, NULL);
    check("1", NULL, MADVISE, HUGE ":" CHUNKS); /* any other value: as unset */
    check("", NULL, NEVER, CHUNKS);
}

static void the_users_tunables_kept_and_standing(void **state)
{
    (void)state;
    check(NULL, "glibc.malloc.tcache_count=7", MADVISE,
            "glibc.malloc.tcache_count=7:" HUGE ":" CHUNKS);
    check(NULL, "glibc.malloc.tcache_count=7:glibc.malloc.arena_max=2", NEVER,
            "glibc.malloc.tcache_count=7:glibc.malloc.arena_max=2:" CHUNKS);
    /* A tunable of ours that the user set is left as the user set it. */
    check(NULL, "glibc.malloc.hugetlb=0", MADVISE, "glibc.malloc.hugetlb=0:" CHUNKS);
    check(NULL, "glibc.malloc.trim_threshold=0", MADVISE,
            "glibc.malloc.trim_threshold=0:" HUGE
            ":glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=16777216");
    /* All four set: nothing to change. */
    check(NULL, "glibc.malloc.hugetlb=1:" CHUNKS, MADVISE, NULL);
    check(NULL, CHUNKS, NEVER, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(huge_pages_only_in_madvise_mode),
        cmocka_unit_test(fs_hugepages_zero_changes_nothing),
        cmocka_unit_test(the_users_tunables_kept_and_standing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
