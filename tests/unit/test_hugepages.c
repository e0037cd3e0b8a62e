/* test_hugepages.c: unit tests of extractor/hugepages.h: when flowshark
 * starts itself again with glibc.malloc.hugetlb=1, and the input bytes that
 * decision reads from the options (files of known sizes made here). The
 * exec itself is tested in tests/cli/test_cli.py (class HugePages). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "hugepages.h"
#include "options.h"

#define MADVISE "always [madvise] never\n"
#define ALWAYS  "[always] madvise never\n"
#define NEVER   "always madvise [never]\n"
#define BIG     ((guint64)FS_HUGEPAGES_MIN_BYTES)

static void decision(void **state)
{
    (void)state;
    /* Unset: by the inputs' size, in mode madvise only. */
    assert_true(fs_hugepages_wanted(NULL, NULL, MADVISE, BIG));
    assert_false(fs_hugepages_wanted(NULL, NULL, MADVISE, BIG - 1));
    assert_true(fs_hugepages_wanted(NULL, NULL, MADVISE, G_MAXUINT64));
    assert_false(fs_hugepages_wanted(NULL, NULL, ALWAYS, BIG));
    assert_false(fs_hugepages_wanted(NULL, NULL, NEVER, BIG));
    assert_false(fs_hugepages_wanted(NULL, NULL, NULL, BIG));
    /* FS_HUGEPAGES=0: never; =1: whatever the size, still madvise only. */
    assert_false(fs_hugepages_wanted("0", NULL, MADVISE, G_MAXUINT64));
    assert_true(fs_hugepages_wanted("1", NULL, MADVISE, 0));
    assert_false(fs_hugepages_wanted("1", NULL, NEVER, 0));
    /* Other tunables do not matter; this one, set by anyone, stops it. */
    assert_true(fs_hugepages_wanted(NULL, "glibc.malloc.tcache_count=7", MADVISE, BIG));
    assert_false(fs_hugepages_wanted(NULL, "glibc.malloc.hugetlb=1", MADVISE, BIG));
    assert_false(fs_hugepages_wanted(
            "1", "glibc.malloc.tcache_count=7:glibc.malloc.hugetlb=0", MADVISE, BIG));
}

struct files {
    char *dir;
    char *small;  /* 1,000 bytes */
    char *larger; /* 2,345 bytes */
};

static int make_files(void **state)
{
    struct files *f = g_new0(struct files, 1);
    f->dir = g_dir_make_tmp("fs-hugepages-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->small = g_build_filename(f->dir, "small.pcap", NULL);
    f->larger = g_build_filename(f->dir, "larger.pcap", NULL);
    gchar *bytes = g_malloc0(2345);
    assert_true(g_file_set_contents(f->small, bytes, 1000, NULL));
    assert_true(g_file_set_contents(f->larger, bytes, 2345, NULL));
    g_free(bytes);
    *state = f;
    return 0;
}

static int remove_files(void **state)
{
    struct files *f = *state;
    g_unlink(f->small);
    g_unlink(f->larger);
    g_rmdir(f->dir);
    g_free(f->small);
    g_free(f->larger);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* The input bytes of "flowshark args...". */
static guint64 input_bytes(const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup("flowshark"));
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);
    struct fs_options opts;
    char *errmsg = NULL;
    assert_int_equal(
            fs_options_parse((int)argv->len - 1, (char **)argv->pdata, &opts, &errmsg), FS_OK);
    guint64 bytes = fs_hugepages_input_bytes(&opts);
    fs_options_free(&opts);
    g_ptr_array_free(argv, TRUE);
    return bytes;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void input_sizes(void **state)
{
    struct files *f = *state;
    assert_int_equal(input_bytes(ARGS("-r", f->small)), 1000);
    assert_int_equal(input_bytes(ARGS("-r", f->small, "-r", f->larger)), 3345);
    assert_int_equal(input_bytes(ARGS(f->small, f->larger)), 3345);
    /* A name that cannot be looked at counts nothing (the run reports it). */
    gchar *missing = g_build_filename(f->dir, "missing.pcap", NULL);
    assert_int_equal(input_bytes(ARGS("-r", f->small, "-r", missing)), 1000);
    g_free(missing);
    /* Sizes not known before reading: as large as can be. */
    assert_true(input_bytes(ARGS("-r", f->dir)) == G_MAXUINT64);
    assert_true(input_bytes(ARGS("-r", f->small, "-r", "-")) == G_MAXUINT64);
    assert_true(input_bytes(ARGS("--files-from", f->small)) == G_MAXUINT64);
    assert_true(input_bytes(ARGS("-i", "lo")) == G_MAXUINT64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision),
        cmocka_unit_test_setup_teardown(input_sizes, make_files, remove_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
