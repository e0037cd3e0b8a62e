/* test_activity.c: unit tests of the A-plane detectors (botnet/activity.c)
 * on a small hand-made set of records: the scan rule of det_scan.py
 * (distinct destinations, or distinct ports towards one destination, per
 * second of the source's active time, above 6), its 99999 s rule, its
 * strict threshold, the source ranges and the windows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "activity.h"
#include "hosts.h"

#define SEC G_GINT64_CONSTANT(1000000000)
#define MS  G_GINT64_CONSTANT(1000000)

/* A record of src to dst:dport whose packets are at times_ns (lengths
 * alternate 40, -40: probe and answer). */
static void add(fs_activity *a, const char *protocol, const char *src, const char *dst,
        gint64 dport, const gint64 *times_ns, guint n)
{
    gint64 lengths[8];
    assert_true(n <= 8);
    for (guint i = 0; i < n; i++)
        lengths[i] = i % 2 ? -40 : 40;
    const struct fs_read_record rec = { protocol, src, 40000, dst, dport, n, lengths, times_ns, 0,
        NULL };
    fs_activity_add(a, &rec);
}

/* One packet at t_ns. */
static void add1(fs_activity *a, const char *src, const char *dst, gint64 dport, gint64 t_ns)
{
    add(a, "tcp", src, dst, dport, &t_ns, 1);
}

/* The hand set, at 1000 s:
 * - 10.0.0.5 sends one SYN to each of 203.0.113.1-10, port 23, 0.1 s
 *   apart (0.9 s: 11.1 destinations/s): flagged, 10 pairs;
 * - 10.0.0.6 probes ports 1-8 of 198.51.100.1 (SYN, RST), 0.1 s apart,
 *   and once 198.51.100.2:80 (0.75 s in all: 10.7 ports/s towards .1, 2.7
 *   destinations/s): flagged, 1 pair;
 * - 10.0.0.7 browses three servers over 10 minutes: not flagged;
 * - 10.0.0.8 sends a single packet (99999 s): not flagged;
 * - 10.0.0.9 sends two packets at one instant (99999 s): not flagged;
 * - 10.0.0.10 makes one DNS exchange of 20 ms (50 destinations/s):
 *   flagged, the rule's false positive for short activity;
 * - 10.0.0.11 reaches 6 destinations over exactly 1 s (6/s, not above):
 *   not flagged;
 * - 203.0.113.99 (external) sends SYNs to 10 addresses in 0.9 s. */
static void hand_set(fs_activity *a)
{
    const gint64 t0 = 1000 * SEC;
    for (int i = 0; i < 10; i++) {
        char dst[32];
        g_snprintf(dst, sizeof(dst), "203.0.113.%d", i + 1);
        add1(a, "10.0.0.5", dst, 23, t0 + i * 100 * MS);
        g_snprintf(dst, sizeof(dst), "192.0.2.%d", i + 1);
        add1(a, "203.0.113.99", dst, 22, t0 + i * 100 * MS);
    }
    for (int p = 1; p <= 8; p++) {
        const gint64 t[] = { t0 + (p - 1) * 100 * MS, t0 + (p - 1) * 100 * MS + 5 * MS };
        add(a, "tcp", "10.0.0.6", "198.51.100.1", p, t, 2);
    }
    add1(a, "10.0.0.6", "198.51.100.2", 80, t0 + 750 * MS);
    for (int i = 0; i < 3; i++) {
        const gint64 t[] = { t0 + i * 300 * SEC, t0 + i * 300 * SEC + 20 * MS,
            t0 + i * 300 * SEC + 40 * MS, t0 + i * 300 * SEC + 2 * SEC };
        add(a, "tcp", "10.0.0.7", i == 2 ? "198.51.100.30" : "198.51.100.20", 443, t, 4);
    }
    add1(a, "10.0.0.8", "198.51.100.20", 443, t0);
    const gint64 same[] = { t0, t0 };
    add(a, "tcp", "10.0.0.9", "198.51.100.20", 443, same, 2);
    const gint64 dns[] = { t0, t0 + 20 * MS };
    add(a, "udp", "10.0.0.10", "198.51.100.53", 53, dns, 2);
    for (int i = 0; i < 6; i++) {
        char dst[32];
        g_snprintf(dst, sizeof(dst), "198.51.100.%d", 100 + i);
        add1(a, "10.0.0.11", dst, 80, t0 + i * 200 * MS);
    }
}

static const struct fs_activity_scan *scan_at(const fs_activity *a, guint i)
{
    return g_ptr_array_index(fs_activity_scans(a), i);
}

static void scan_rule_on_hand_set(void **state)
{
    (void)state;
    const struct fs_activity_options o = { FS_ACTIVITY_SCAN_RATE_DEFAULT, 0, NULL };
    fs_activity *a = fs_activity_new(&o);
    hand_set(a);
    fs_activity_finish(a);

    const GPtrArray *hosts = fs_activity_scan_hosts(a);
    assert_int_equal(hosts->len, 4);
    /* By address: 10.0.0.10 after 10.0.0.6. */
    assert_string_equal(g_ptr_array_index(hosts, 0), "10.0.0.5");
    assert_string_equal(g_ptr_array_index(hosts, 1), "10.0.0.6");
    assert_string_equal(g_ptr_array_index(hosts, 2), "10.0.0.10");
    assert_string_equal(g_ptr_array_index(hosts, 3), "203.0.113.99");

    assert_int_equal(fs_activity_scans(a)->len, 4);
    const struct fs_activity_scan *s = scan_at(a, 0);
    assert_int_equal(s->destinations, 10);
    assert_int_equal(s->max_ports, 1);
    assert_int_equal(s->pairs, 10);
    assert_true(s->active_seconds == 0.9);
    assert_int_equal(s->window_start_ns, 0);
    s = scan_at(a, 1);
    assert_int_equal(s->destinations, 2);
    assert_int_equal(s->max_ports, 8);
    assert_int_equal(s->pairs, 1);
    assert_true(s->active_seconds == 0.75);
    s = scan_at(a, 2);
    assert_int_equal(s->pairs, 1);
    assert_true(s->active_seconds == 0.02);
    fs_activity_free(a);
}

/* Only internal sources; a lower threshold; an exact 6/s above 5.9. */
static void sources_and_threshold(void **state)
{
    (void)state;
    char *errmsg = NULL;
    fs_host_ranges *internal = fs_host_ranges_parse(FS_HOST_INTERNAL_DEFAULT, &errmsg);
    const struct fs_activity_options o = { 5.9, 0, internal };
    fs_activity *a = fs_activity_new(&o);
    hand_set(a);
    fs_activity_finish(a);
    const GPtrArray *hosts = fs_activity_scan_hosts(a);
    assert_int_equal(hosts->len, 4);
    assert_string_equal(g_ptr_array_index(hosts, 2), "10.0.0.10");
    assert_string_equal(g_ptr_array_index(hosts, 3), "10.0.0.11");
    fs_activity_free(a);
    fs_activity_free(NULL);
    fs_host_ranges_free(internal);
}

/* A scan of 10 addresses in 0.9 s at 1001 s between two beacons of 2 s, 3000 s
 * apart, finished, with windows of window_ns. */
static fs_activity *beacons_and_scan(gint64 window_ns)
{
    const struct fs_activity_options o = { FS_ACTIVITY_SCAN_RATE_DEFAULT, window_ns, NULL };
    fs_activity *a = fs_activity_new(&o);
    const gint64 beacon[] = { 0, 2 * SEC };
    add(a, "tcp", "10.0.0.5", "203.0.113.7", 8080, beacon, 2);
    const gint64 beacon2[] = { 3000 * SEC, 3002 * SEC };
    add(a, "tcp", "10.0.0.5", "203.0.113.7", 8080, beacon2, 2);
    for (int i = 0; i < 10; i++) {
        char dst[32];
        g_snprintf(dst, sizeof(dst), "198.51.100.%d", i + 1);
        add1(a, "10.0.0.5", dst, 23, 1001 * SEC + i * 100 * MS);
    }
    fs_activity_finish(a);
    return a;
}

/* Over the whole input the scan is 11 destinations in 3000 s, not
 * flagged; with windows of 10 s the scan's window is. */
static void windows(void **state)
{
    (void)state;
    fs_activity *a = beacons_and_scan(0);
    assert_int_equal(fs_activity_scan_hosts(a)->len, 0);
    fs_activity_free(a);

    a = beacons_and_scan(10 * SEC);
    assert_int_equal(fs_activity_scan_hosts(a)->len, 1);
    assert_int_equal(fs_activity_scans(a)->len, 1);
    assert_int_equal(scan_at(a, 0)->window_start_ns, 1000 * SEC);
    assert_int_equal(scan_at(a, 0)->destinations, 10);
    assert_true(scan_at(a, 0)->active_seconds == 0.9);
    fs_activity_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scan_rule_on_hand_set),
        cmocka_unit_test(sources_and_threshold),
        cmocka_unit_test(windows),
    };
    return cmocka_run_group_tests_name("activity", tests, NULL, NULL);
}
