/* test_prefault.c: unit tests of extractor/prefault.h: the range the
 * thread populates next, and the thread itself, which must fault in what
 * the program break grows into without this test touching it (mincore). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "prefault.h"

#define PAGE ((guintptr)4096)
#define BASE ((guintptr)0x10000000)
#define MIB  ((guintptr)1 << 20)

static void nothing_until_the_heap_has_grown_enough(void **state)
{
    (void)state;
    guintptr done = BASE, from = 0;
    gsize len = 0;
    assert_false(fs_prefault_next(BASE, &done, BASE, PAGE, &from, &len));
    assert_false(fs_prefault_next(BASE, &done, BASE + FS_PREFAULT_AFTER - PAGE, PAGE, &from, &len));
    assert_int_equal(done, BASE);
    /* Past the threshold: everything since base at once. */
    assert_true(fs_prefault_next(BASE, &done, BASE + 40 * MIB, PAGE, &from, &len));
    assert_int_equal(from, BASE);
    assert_int_equal(len, 40 * MIB);
    assert_int_equal(done, BASE + 40 * MIB);
    /* Then only what is new, nothing when nothing is. */
    assert_false(fs_prefault_next(BASE, &done, BASE + 40 * MIB, PAGE, &from, &len));
    assert_true(fs_prefault_next(BASE, &done, BASE + 56 * MIB, PAGE, &from, &len));
    assert_int_equal(from, BASE + 40 * MIB);
    assert_int_equal(len, 16 * MIB);
}

static void whole_pages_and_a_shrinking_heap(void **state)
{
    (void)state;
    guintptr done = BASE, from = 0;
    gsize len = 0;
    /* A break within a page: up to that page's start only (the rest of
     * the page is not the heap's). */
    assert_true(fs_prefault_next(BASE, &done, BASE + 40 * MIB + 100, PAGE, &from, &len));
    assert_int_equal(from + len, BASE + 40 * MIB);
    assert_false(fs_prefault_next(BASE, &done, BASE + 40 * MIB + 200, PAGE, &from, &len));
    /* Trimmed to 36 MiB, then grown to 48: from 36 on again. */
    assert_false(fs_prefault_next(BASE, &done, BASE + 36 * MIB, PAGE, &from, &len));
    assert_int_equal(done, BASE + 36 * MIB);
    assert_true(fs_prefault_next(BASE, &done, BASE + 48 * MIB, PAGE, &from, &len));
    assert_int_equal(from, BASE + 36 * MIB);
    assert_int_equal(len, 12 * MIB);
    /* Trimmed below the threshold: nothing, and later growth counts from
     * where it was trimmed to. */
    assert_false(fs_prefault_next(BASE, &done, BASE + 8 * MIB, PAGE, &from, &len));
    assert_true(fs_prefault_next(BASE, &done, BASE + 33 * MIB, PAGE, &from, &len));
    assert_int_equal(from, BASE + 8 * MIB);
    assert_int_equal(len, 25 * MIB);
}

/* Pages of [p, p + len) resident now. */
static gsize resident_pages(void *p, gsize len)
{
    gsize page = (gsize)sysconf(_SC_PAGESIZE), n = len / page, count = 0;
    unsigned char *vec = g_malloc(n);
    assert_int_equal(mincore(p, len, vec), 0);
    for (gsize i = 0; i < n; i++)
        count += vec[i] & 1;
    g_free(vec);
    return count;
}

/* The break grown by 40 MiB (not through malloc: this test writes none of
 * it); waits up to 10 s for its pages to be resident; the count seen. */
static gsize grow_and_watch(gboolean running, guintptr *grown)
{
    gsize page = (gsize)sysconf(_SC_PAGESIZE);
    /* From a page boundary, so the count is of whole pages. */
    char *start = sbrk(0);
    gsize pad = (page - (guintptr)start % page) % page;
    gsize len = 40 * MIB;
    char *p = sbrk((intptr_t)(pad + len));
    assert_true(p != (void *)-1);
    p += pad;
    gsize seen = 0;
    for (int i = 0; i < 1000; i++) {
        seen = resident_pages(p, len);
        if (seen == len / page || !running)
            break;
        g_usleep(10000);
    }
    *grown = pad + len;
    return seen;
}

static void the_thread_faults_in_what_the_heap_grows_into(void **state)
{
    (void)state;
    gsize page = (gsize)sysconf(_SC_PAGESIZE);
    g_unsetenv("FS_PREFAULT");
    fs_prefault_start();
    guintptr grown;
    gsize seen = grow_and_watch(TRUE, &grown);
    fs_prefault_stop();
    assert_int_equal(seen, 40 * MIB / page);
    assert_true(sbrk(-(intptr_t)grown) != (void *)-1);
}

static void fs_prefault_zero_starts_none(void **state)
{
    (void)state;
    g_setenv("FS_PREFAULT", "0", TRUE);
    fs_prefault_start();
    guintptr grown;
    gsize seen = grow_and_watch(FALSE, &grown);
    /* No thread: after 50 ms still nothing of the new break resident. */
    g_usleep(50000);
    fs_prefault_stop();
    assert_int_equal(seen, 0);
    assert_true(sbrk(-(intptr_t)grown) != (void *)-1);
    g_unsetenv("FS_PREFAULT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_until_the_heap_has_grown_enough),
        cmocka_unit_test(whole_pages_and_a_shrinking_heap),
        cmocka_unit_test(the_thread_faults_in_what_the_heap_grows_into),
        cmocka_unit_test(fs_prefault_zero_starts_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
