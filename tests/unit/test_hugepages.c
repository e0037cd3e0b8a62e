/* test_hugepages.c: unit tests of extractor/hugepages.h: when the launcher
 * starts the engine with glibc.malloc.hugetlb=1, and the GLIBC_TUNABLES
 * value it sets. The exec itself is tested in tests/cli/test_cli.py (class
 * HugePages). */
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

static void decision(void **state)
{
    (void)state;
    /* Unset: in mode madvise only (in mode always the kernel already gives
     * huge pages; in mode never nothing does). */
    assert_true(fs_hugepages_wanted(NULL, NULL, MADVISE));
    assert_false(fs_hugepages_wanted(NULL, NULL, ALWAYS));
    assert_false(fs_hugepages_wanted(NULL, NULL, NEVER));
    assert_false(fs_hugepages_wanted(NULL, NULL, NULL));
    assert_false(fs_hugepages_wanted(NULL, NULL, "madvise\n")); /* not the mode chosen */
    /* FS_HUGEPAGES=0: never; any other value changes nothing. */
    assert_false(fs_hugepages_wanted("0", NULL, MADVISE));
    assert_true(fs_hugepages_wanted("1", NULL, MADVISE));
    assert_false(fs_hugepages_wanted("1", NULL, NEVER));
    /* Other tunables do not matter; this one, set by anyone, stops it. */
    assert_true(fs_hugepages_wanted(NULL, "glibc.malloc.tcache_count=7", MADVISE));
    assert_false(fs_hugepages_wanted(NULL, "glibc.malloc.hugetlb=1", MADVISE));
    assert_false(fs_hugepages_wanted(
            NULL, "glibc.malloc.tcache_count=7:glibc.malloc.hugetlb=0", MADVISE));
}

static void tunables_value(void **state)
{
    (void)state;
    const char *olds[] = { NULL, "", "glibc.malloc.tcache_count=7",
        "glibc.malloc.tcache_count=7:glibc.malloc.arena_max=2" };
    const char *wanted[] = { "glibc.malloc.hugetlb=1", "glibc.malloc.hugetlb=1",
        "glibc.malloc.tcache_count=7:glibc.malloc.hugetlb=1",
        "glibc.malloc.tcache_count=7:glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1" };
    for (size_t i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
        char *value = fs_hugepages_tunables(olds[i]);
        assert_string_equal(value, wanted[i]);
        free(value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision),
        cmocka_unit_test(tunables_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
