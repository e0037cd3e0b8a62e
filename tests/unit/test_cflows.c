/* test_cflows.c: unit tests of flowshark cflows' pieces (botnet/): the
 * exact quantile index and the split points and bins of the spec's toy
 * example, DBSCAN on a small point set whose border point two clusters
 * reach (the visit order decides), and a batch of hand-made records
 * through the filters, the 999 s rule and the clusters' host sets. No epan
 * needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "cflows.h"
#include "dbscan.h"
#include "hosts.h"

#define SEC G_GINT64_CONSTANT(1000000000)

static void quantile_index_is_exact(void **state)
{
    (void)state;
    /* BotCapturer's int(90 * 0.7) is 62: 90 * 0.7 is 62.999... in doubles. */
    assert_int_equal(fs_cflows_quantile_index(90, 70), 63);
    assert_int_equal(fs_cflows_quantile_index(170, 70), 119);
    assert_int_equal(fs_cflows_quantile_index(20, 5), 1);
    assert_int_equal(fs_cflows_quantile_index(45, 90), 40);
    assert_int_equal(fs_cflows_quantile_index(12, 5), 0);
    /* No overflow: floor((2^64 - 1) * 90 / 100). */
    assert_true(
            fs_cflows_quantile_index(G_MAXUINT64, 90) == G_GUINT64_CONSTANT(16602069666338596453));
}

static void split_points_and_bins_of_the_toy(void **state)
{
    (void)state;
    /* The toy example's 20 ppf samples (spec §6), sorted: N3->W1's 2, the
     * twelve bot flows' 4, N2->W2's and N3->W2's 5, N1's and N2->W1's 6,
     * N3->W2's 7, N4->S's 12. */
    static const double ppf[20] = { 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 6, 6, 7, 12 };
    static const double spec[FS_CFLOWS_SPLITS] = { -1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 12 };
    double splits[FS_CFLOWS_SPLITS];
    fs_cflows_split_points(ppf, 20, splits);
    for (guint i = 0; i < FS_CFLOWS_SPLITS; i++)
        assert_true(splits[i] == spec[i]);
    /* Bins (p_i, p_i+1]: 2 and 4 in bin 0, 5 in 9, 6 in 10, 7 in 11, 12 in
     * 12 (the spec's {0}, {9}, {10}, {11}, {12}). */
    assert_int_equal(fs_cflows_bin(splits, 2), 0);
    assert_int_equal(fs_cflows_bin(splits, 4), 0);
    assert_int_equal(fs_cflows_bin(splits, 5), 9);
    assert_int_equal(fs_cflows_bin(splits, 6), 10);
    assert_int_equal(fs_cflows_bin(splits, 7), 11);
    assert_int_equal(fs_cflows_bin(splits, 12), 12);
    /* fph: 45 slot counts, 25 zeros and 20 ones: [-1, 0 x 8, 1 x 5]; a 0
     * in bin 0, a 1 in bin 8. */
    double fph[45] = { 0 };
    for (guint i = 25; i < 45; i++)
        fph[i] = 1;
    fs_cflows_split_points(fph, 45, splits);
    assert_true(splits[0] == -1 && splits[1] == 0 && splits[8] == 0);
    assert_true(splits[9] == 1 && splits[13] == 1);
    assert_int_equal(fs_cflows_bin(splits, 0), 0);
    assert_int_equal(fs_cflows_bin(splits, 1), 8);
}

/* Two groups on a line and a border point b between them, within eps of a
 * core point of each but itself not a core point; and a noise point. With
 * eps 1 and min_pts 4: A = 0, 0.5, 1 (1 is core: 0, 0.5, 1, b), b = 2
 * (neighbours 1, b, 3: three), C = 3, 3.5, 4 (3 is core: b, 3, 3.5, 4). */
#define LINE_POINTS 8

static void dbscan_order_decides_the_border(void **state)
{
    (void)state;
    /* (x, 0) each. */
    static const double a_first[LINE_POINTS * 2] = { 0, 0, 0.5, 0, 1, 0, 2, 0, 3, 0, 3.5, 0, 4, 0,
        10, 0 };
    static const gint a_labels[LINE_POINTS] = { 0, 0, 0, 0, 1, 1, 1, FS_DBSCAN_NOISE };
    /* The same points, C first: b now goes to C, cluster 0. */
    static const double c_first[LINE_POINTS * 2] = { 4, 0, 3.5, 0, 3, 0, 2, 0, 1, 0, 0.5, 0, 0, 0,
        10, 0 };
    static const gint c_labels[LINE_POINTS] = { 0, 0, 0, 0, 1, 1, 1, FS_DBSCAN_NOISE };
    gint labels[LINE_POINTS];
    assert_int_equal(fs_dbscan(a_first, LINE_POINTS, 2, 1.0, 4, labels), 2);
    assert_memory_equal(labels, a_labels, sizeof(labels));
    assert_int_equal(fs_dbscan(c_first, LINE_POINTS, 2, 1.0, 4, labels), 2);
    assert_memory_equal(labels, c_labels, sizeof(labels));
    /* min_pts 1: every point is a core point; 10 alone is a cluster. */
    assert_int_equal(fs_dbscan(a_first, LINE_POINTS, 2, 1.0, 1, labels), 2);
    assert_int_equal(labels[3], 0);
    assert_int_equal(labels[4], 0);
    assert_int_equal(labels[7], 1);
    /* A small eps: only 0.5 apart are neighbours; min_pts 2 (the
     * default): 0-0.5-1 and 3-3.5-4 chains, b and 10 noise. */
    assert_int_equal(fs_dbscan(a_first, LINE_POINTS, 2, 0.5, 2, labels), 2);
    assert_int_equal(labels[3], FS_DBSCAN_NOISE);
    assert_int_equal(labels[2], 0);
    assert_int_equal(labels[6], 1);
    assert_true(fs_dbscan_distance(a_first + 2, a_first + 8, 2) == 2.5);
}

/* A record of n packets of length (signed) len at time t + i s. */
static struct fs_read_record record(const char *src, const char *dst, gint64 dport,
        const gint64 *lengths, const gint64 *times, guint n)
{
    const struct fs_read_record rec = { .protocol = "tcp",
        .src = src,
        .sport = 40000,
        .dst = dst,
        .dport = dport,
        .packets = n,
        .lengths = lengths,
        .times_ns = times };
    return rec;
}

static void batch_filters_and_hosts(void **state)
{
    (void)state;
    char *why = NULL;
    fs_host_ranges *internal = fs_host_ranges_parse(FS_HOST_INTERNAL_DEFAULT, &why);
    fs_host_ranges *whitelist = fs_host_ranges_parse("198.51.100.0/24", &why);
    assert_non_null(internal);
    assert_non_null(whitelist);
    const struct fs_cflows_options opts = { .internal = internal,
        .whitelist = whitelist,
        .established = TRUE,
        .time_unit_ns = 10 * SEC,
        .eps = 0.5,
        .min_pts = 2 };
    fs_cflows *c = fs_cflows_new(&opts);
    static const gint64 both[2] = { 100, -200 }, one_way[2] = { 100, 100 }, single[1] = { 60 };
    static const gint64 t[2] = { 1000 * SEC, 1000 * SEC }; /* duration 0 */
    static const gint64 later[2] = { 1020 * SEC, 1021 * SEC };
    struct fs_read_record rec = record("192.168.0.9", "203.0.113.1", 80, single, t, 1);
    fs_cflows_add_record(c, &rec); /* F2: one packet */
    rec = record("192.168.0.9", "203.0.113.1", 80, one_way, t, 2);
    fs_cflows_add_record(c, &rec); /* F2 with --established: one way */
    rec = record("192.168.0.9", "192.168.0.1", 80, both, t, 2);
    fs_cflows_add_record(c, &rec); /* F1: internal dst */
    rec = record("203.0.113.1", "203.0.113.2", 80, both, t, 2);
    fs_cflows_add_record(c, &rec); /* F1: external src */
    rec = record("192.168.0.9", "198.51.100.7", 80, both, t, 2);
    fs_cflows_add_record(c, &rec); /* F3 */
    /* Kept: two sources with the same behaviour, and one different. */
    rec = record("192.168.0.10", "203.0.113.1", 80, both, t, 2);
    fs_cflows_add_record(c, &rec);
    rec = record("192.168.0.9", "203.0.113.1", 80, both, t, 2);
    fs_cflows_add_record(c, &rec);
    rec = record("192.168.0.9", "203.0.113.1", 443, both, later, 2);
    fs_cflows_add_record(c, &rec);
    fs_cflows_finish(c);

    const struct fs_cflows_counts *n = fs_cflows_get_counts(c);
    assert_int_equal(n->records, 8);
    assert_int_equal(n->dropped_f2, 2);
    assert_int_equal(n->dropped_f1, 2);
    assert_int_equal(n->dropped_f3, 1);
    assert_int_equal(n->kept, 3);
    gint64 t0, t1;
    guint64 slots;
    fs_cflows_get_span(c, &t0, &t1, &slots);
    assert_true(t0 == 1000 * SEC && t1 == 1021 * SEC);
    assert_int_equal(slots, 3);
    /* Key order: src numerically (.9 before .10), then dport. */
    assert_int_equal(fs_cflows_size(c), 3);
    const struct fs_cflow *a = fs_cflows_get(c, 0), *b = fs_cflows_get(c, 1),
                          *d = fs_cflows_get(c, 2);
    assert_string_equal(a->src, "192.168.0.9");
    assert_int_equal(a->dport, 80);
    assert_int_equal(b->dport, 443);
    assert_string_equal(d->src, "192.168.0.10");
    /* Duration 0: 300 bytes over BotCapturer's 999 s. */
    assert_true(a->vector8[2 * FS_CFLOWS_BPS] == 300.0 / 999);
    assert_true(b->vector8[2 * FS_CFLOWS_BPS] == 300.0);
    assert_true(a->vector8[2 * FS_CFLOWS_BPP] == 150.0);
    /* fph: one flow in slot 0 of 3 (a), in slot 2 (b). */
    assert_true(a->vector8[2 * FS_CFLOWS_FPH] == 1.0 / 3);
    assert_true(a->vector[FS_CFLOWS_FPH * FS_CFLOWS_BINS] == 2.0 / 3);
    /* a and d have equal vectors: cluster 0 of hosts .9 and .10 (in
     * numeric order); b is noise. */
    assert_int_equal(a->cluster, 0);
    assert_int_equal(d->cluster, 0);
    assert_int_equal(b->cluster, FS_DBSCAN_NOISE);
    assert_int_equal(fs_cflows_clusters(c), 1);
    const GPtrArray *hosts = fs_cflows_cluster_hosts(c, 0);
    assert_int_equal(hosts->len, 2);
    assert_string_equal(g_ptr_array_index(hosts, 0), "192.168.0.9");
    assert_string_equal(g_ptr_array_index(hosts, 1), "192.168.0.10");
    fs_cflows_free(c);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
}

static void empty_batch(void **state)
{
    (void)state;
    const struct fs_cflows_options opts = { .time_unit_ns = SEC, .eps = 0.5, .min_pts = 2 };
    fs_cflows *c = fs_cflows_new(&opts);
    fs_cflows_finish(c);
    guint64 n = 1;
    assert_int_equal(fs_cflows_size(c), 0);
    assert_int_equal(fs_cflows_clusters(c), 0);
    assert_null(fs_cflows_get_splits(c, FS_CFLOWS_PPF, &n));
    assert_int_equal(n, 0);
    fs_cflows_free(c);
    fs_cflows_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantile_index_is_exact),
        cmocka_unit_test(split_points_and_bins_of_the_toy),
        cmocka_unit_test(dbscan_order_decides_the_border),
        cmocka_unit_test(batch_filters_and_hosts),
        cmocka_unit_test(empty_batch),
    };
    return cmocka_run_group_tests_name("cflows", tests, NULL, NULL);
}
