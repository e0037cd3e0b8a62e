/* test_graph.c: unit tests of flowshark graph's pieces (botnet/graph.c,
 * botnet/filters.c): F2, the least-squares line, the out-line score, the
 * robust z-score, and a hand graph (a triangle with a pendant) through
 * the whole analysis, its egonets counted by igraph. Expected values by
 * hand, and for the fits by numpy.polyfit (noted where used). No epan
 * needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <glib.h>

#include "filters.h"
#include "graph.h"
#include "hosts.h"
#include "record_reader.h"

#define TIGHT 1e-12

static const gint64 times[3] = { 0, 1, 2 };

/* A record of src to dst with the given signed ip_lengths. */
static struct fs_read_record record(
        const char *src, const char *dst, gint64 dport, const gint64 *lengths, guint packets)
{
    return (struct fs_read_record){ .protocol = "tcp",
        .src = src,
        .sport = 40000,
        .dst = dst,
        .dport = dport,
        .packets = packets,
        .lengths = lengths,
        .times_ns = times };
}

static void f2_counts_packets_and_directions(void **state)
{
    (void)state;
    static const gint64 one[] = { 60 }, up[] = { 60, 60 }, both[] = { 60, -1500 },
                        down[] = { -60, -60 };
    struct fs_read_record r = record("10.0.0.1", "10.0.0.2", 80, one, 1);
    assert_false(fs_botnet_f2(&r, FALSE));
    r = record("10.0.0.1", "10.0.0.2", 80, up, 2);
    assert_true(fs_botnet_f2(&r, FALSE));
    assert_false(fs_botnet_f2(&r, TRUE));
    r = record("10.0.0.1", "10.0.0.2", 80, both, 2);
    assert_true(fs_botnet_f2(&r, TRUE));
    r = record("10.0.0.1", "10.0.0.2", 80, down, 2);
    assert_false(fs_botnet_f2(&r, TRUE));
}

static void fit_line_is_least_squares(void **state)
{
    (void)state;
    double slope, intercept;
    /* Exact: y = 2x + 1. */
    const double x[] = { 0, 1, 2 }, y[] = { 1, 3, 5 };
    assert_true(fs_graph_fit_line(x, y, 3, &slope, &intercept));
    assert_float_equal(slope, 2.0, TIGHT);
    assert_float_equal(intercept, 1.0, TIGHT);
    /* Not exact: (0,0), (1,1), (2,1), (3,3): slope 0.9, intercept 0
     * (Sxy = 4.5, Sxx = 5, means 1.5 and 1.25 → 1.25 − 1.35 = −0.1). */
    const double x2[] = { 0, 1, 2, 3 }, y2[] = { 0, 1, 1, 3 };
    assert_true(fs_graph_fit_line(x2, y2, 4, &slope, &intercept));
    assert_float_equal(slope, 0.9, TIGHT);
    assert_float_equal(intercept, -0.1, TIGHT);
    /* x all equal, or one point: skipped, 0 and 0. */
    const double same[] = { 2, 2, 2 };
    assert_false(fs_graph_fit_line(same, y, 3, &slope, &intercept));
    assert_float_equal(slope, 0.0, 0.0);
    assert_float_equal(intercept, 0.0, 0.0);
    assert_false(fs_graph_fit_line(x, y, 1, &slope, &intercept));
}

static void outline_score(void **state)
{
    (void)state;
    /* max/min · ln(|y − ŷ| + 1), symmetric in y and ŷ. */
    assert_float_equal(fs_graph_outline(4, 2), 2 * log(3), TIGHT);
    assert_float_equal(fs_graph_outline(2, 4), 2 * log(3), TIGHT);
    assert_float_equal(fs_graph_outline(3, 3), 0.0, 0.0);
    /* The spec's C2 (§6): W = 12 against Ŵ = 5.0505 gives g = 4.9258. */
    assert_float_equal(fs_graph_outline(12, 5.050457332056578), 4.925766356582641, 1e-12);
}

static void robust_z_scores(void **state)
{
    (void)state;
    double z[4];
    /* Median 2, deviations 0 0 1 1, MAD 0.5: z = (v − 2)/0.7413. */
    const double v[] = { 2, 2, 3, 1 };
    fs_graph_robust_z(v, 4, z);
    assert_float_equal(z[0], 0.0, TIGHT);
    assert_float_equal(z[2], 1 / 0.7413, TIGHT);
    assert_float_equal(z[3], -1 / 0.7413, TIGHT);
    /* MAD 0: every z is 0. */
    const double flat[] = { 5, 5, 5, 9 };
    fs_graph_robust_z(flat, 4, z);
    assert_float_equal(z[3], 0.0, 0.0);
}

/* A triangle A, B, C with a pendant D on C; A–B carries two flows (dports
 * 80 and 443), the other edges one; a one-packet flow and a flow one way
 * only (with --established) are dropped. */
static fs_graph *hand_graph(gboolean established, const fs_host_ranges *internal)
{
    static const gint64 up[] = { 60, 60 }, both[] = { 60, -60 }, one[] = { 60 };
    const struct fs_graph_options opts = {
        .established = established, .internal = internal, .tau_g = 0.3
    };
    fs_graph *g = fs_graph_new(&opts);
    const struct fs_read_record records[] = {
        record("10.0.0.1", "10.0.0.2", 80, both, 2),
        record("10.0.0.2", "10.0.0.1", 443, both, 2), /* counted for B's ports */
        record("10.0.0.2", "10.0.0.3", 80, both, 2),
        record("10.0.0.1", "10.0.0.3", 80, both, 2),
        record("10.0.0.3", "192.0.2.4", 22, both, 2),
        record("10.0.0.1", "192.0.2.9", 25, one, 1),
        record("10.0.0.1", "192.0.2.8", 25, up, 2),
    };
    for (gsize i = 0; i < G_N_ELEMENTS(records); i++)
        fs_graph_add_record(g, &records[i]);
    assert_int_equal(fs_graph_finish(g, NULL), FS_OK);
    return g;
}

static void hand_graph_rows(void **state)
{
    (void)state;
    char *why = NULL;
    fs_host_ranges *internal = fs_host_ranges_parse("10.0.0.0/8", &why);
    fs_graph *g = hand_graph(TRUE, internal);
    assert_int_equal(fs_graph_hosts(g), 4);
    assert_int_equal(fs_graph_edges(g), 4);
    /* By numpy.polyfit over (N, E) = (2, 3) (2, 3) (3, 4) (1, 1) and
     * (E, W) = (3, 4) (3, 4) (4, 5) (1, 1) on natural logs. */
    struct fs_graph_law edpl, ewpl;
    fs_graph_laws(g, &edpl, &ewpl);
    assert_false(edpl.skipped);
    assert_float_equal(edpl.slope, 1.31347143, 1e-8);
    assert_float_equal(edpl.intercept, 0.07991626, 1e-8);
    assert_float_equal(ewpl.slope, 1.20090314, 1e-8);
    assert_float_equal(ewpl.intercept, 0.01964187, 1e-8);
    /* Rows by descending g: C (0.5284), then A and B (0.2991) by address,
     * then D (0.0866). */
    const struct fs_graph_host *c = fs_graph_host(g, 0), *a = fs_graph_host(g, 1),
                               *b = fs_graph_host(g, 2), *d = fs_graph_host(g, 3);
    assert_string_equal(c->host, "10.0.0.3");
    assert_string_equal(a->host, "10.0.0.1");
    assert_string_equal(b->host, "10.0.0.2");
    assert_string_equal(d->host, "192.0.2.4");
    assert_int_equal(c->n, 3);
    assert_int_equal(c->e, 4);
    assert_int_equal(c->w, 5);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->e, 3);
    assert_int_equal(a->w, 4); /* A–B twice, A–C, B–C */
    assert_int_equal(d->n, 1);
    assert_int_equal(d->e, 1);
    assert_int_equal(d->w, 1);
    assert_float_equal(c->e_pred, 4.585559446624386, 1e-9);
    assert_float_equal(c->w_pred, 5.3894703901045595, 1e-9);
    assert_float_equal(c->out_edpl, 0.5284138570051625, 1e-9);
    assert_float_equal(c->out_ewpl, 0.35454378758334476, 1e-9);
    assert_float_equal(c->g, 0.5284138570051625, 1e-9);
    assert_float_equal(a->g, 0.2990612548416824, 1e-9);
    assert_float_equal(d->out_ewpl, 0.020031491828892738, 1e-9);
    assert_float_equal(d->g, 0.08656500513627972, 1e-9);
    /* Peers 3 2 2 1; distinct dports as src: A 1 (80), B 2 (443, 80),
     * C 1 (22), D 0. */
    assert_int_equal(a->dst_ports, 1);
    assert_int_equal(b->dst_ports, 2);
    assert_int_equal(c->dst_ports, 1);
    assert_int_equal(d->dst_ports, 0);
    assert_float_equal(c->peers_z, 1 / 0.7413, TIGHT);
    assert_float_equal(d->peers_z, -1 / 0.7413, TIGHT);
    assert_float_equal(b->dst_ports_z, 1 / 0.7413, TIGHT);
    /* Internal 10/8 and g >= 0.3: C only (A's g is below). */
    assert_true(c->internal && c->anomalous);
    assert_true(a->internal && !a->anomalous);
    assert_true(!d->internal && !d->anomalous);
    fs_graph_free(g);
    fs_host_ranges_free(internal);
}

static void without_established_one_way_flows_count(void **state)
{
    (void)state;
    fs_graph *g = hand_graph(FALSE, NULL);
    /* 192.0.2.8 joins as A's third neighbour. */
    assert_int_equal(fs_graph_hosts(g), 5);
    assert_int_equal(fs_graph_edges(g), 5);
    for (guint i = 0; i < fs_graph_hosts(g); i++)
        if (strcmp(fs_graph_host(g, i)->host, "10.0.0.1") == 0)
            assert_int_equal(fs_graph_host(g, i)->n, 3);
    fs_graph_free(g);
}

static void equal_x_skips_the_law(void **state)
{
    (void)state;
    /* Two disjoint pairs: every N is 1, so EDPL is skipped (and EWPL, as
     * every E is 1): predictions NAN, scores 0. */
    static const gint64 up[] = { 60, 60 };
    const struct fs_graph_options opts = { .tau_g = 1.5 };
    fs_graph *g = fs_graph_new(&opts);
    struct fs_read_record r = record("10.0.0.1", "10.0.0.2", 80, up, 2);
    fs_graph_add_record(g, &r);
    r = record("10.0.0.3", "10.0.0.4", 80, up, 2);
    fs_graph_add_record(g, &r);
    r = record("10.0.0.3", "10.0.0.4", 80, up, 2);
    fs_graph_add_record(g, &r);
    assert_int_equal(fs_graph_finish(g, NULL), FS_OK);
    struct fs_graph_law edpl, ewpl;
    fs_graph_laws(g, &edpl, &ewpl);
    assert_true(edpl.skipped && ewpl.skipped);
    for (guint i = 0; i < fs_graph_hosts(g); i++) {
        const struct fs_graph_host *h = fs_graph_host(g, i);
        assert_true(isnan(h->e_pred) && isnan(h->w_pred));
        assert_float_equal(h->g, 0.0, 0.0);
    }
    /* Ties on g: address order; W counts the two flows of 3–4. */
    assert_string_equal(fs_graph_host(g, 0)->host, "10.0.0.1");
    assert_int_equal(fs_graph_host(g, 2)->w, 2);
    fs_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f2_counts_packets_and_directions),
        cmocka_unit_test(fit_line_is_least_squares),
        cmocka_unit_test(outline_score),
        cmocka_unit_test(robust_z_scores),
        cmocka_unit_test(hand_graph_rows),
        cmocka_unit_test(without_established_one_way_flows_count),
        cmocka_unit_test(equal_x_skips_the_law),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
