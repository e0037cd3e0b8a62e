/* test_vote.c: unit tests of the vote of flowshark botnet (botnet/vote.c):
 * the unit case of ../shared/spec/botcapturer.md §5.3, the vote of the §6
 * toy example with its addresses (tests/botnet/toy_capture.py's HOSTS) and
 * its tables as JSON Lines, and the rules around them (types, weights,
 * external hosts, groups of one and their order). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hosts.h"
#include "sink.h"
#include "vote.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double a, double b)
{
    assert_true(a - b < 1e-12 && b - a < 1e-12);
}

/* The row of host (it must exist). */
static const struct fs_vote_host *row(const struct fs_vote_result *r, const char *host)
{
    const struct fs_vote_host *h = fs_vote_result_host(r, host);
    assert_non_null(h);
    return h;
}

/* The tables of r as JSON Lines (hosts, or groups). Caller g_free()s. */
static char *table(const struct fs_vote_result *r, gboolean hosts)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *s = fs_sink_new(fs_sink_format_find("jsonl"), w);
    if (hosts)
        fs_vote_write_hosts(r, s);
    else
        fs_vote_write_groups(r, s);
    fs_sink_free(s);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(w, TRUE, &ignored), FS_OK);
    fclose(out);
    char *text = g_strdup(buffer);
    free(buffer);
    return text;
}

/* §5.3: A1 (mirai) = {h1, h2}, A2 (graph) = {h1, h2, h3}, C1 = {h1, h2,
 * h3}, C2 = {h4, h5}, weights 1. */
static void spec_unit_case(void **state)
{
    (void)state;
    const char *a1[] = { "h1", "h2" };
    const char *a2[] = { "h1", "h2", "h3" };
    const char *c1[] = { "h1", "h2", "h3" };
    const char *c2[] = { "h4", "h5" };
    fs_vote *v = fs_vote_new();
    assert_true(fs_vote_add_aset(v, "mirai", 1.0, a1, N_OF(a1)));
    assert_true(fs_vote_add_aset(v, "graph", 1.0, a2, N_OF(a2)));
    assert_true(fs_vote_add_cset(v, 1, c1, N_OF(c1)));
    assert_true(fs_vote_add_cset(v, 2, c2, N_OF(c2)));
    struct fs_vote_result *r = fs_vote_run(v, NULL, 0.5);

    assert_int_equal(r->hosts->len, 5);
    /* 2/3 [A1-A2] + 2/3 [A1-C1] + 1 [A2-C1] */
    assert_close(row(r, "h1")->score, 7.0 / 3.0);
    assert_close(row(r, "h2")->score, 7.0 / 3.0);
    assert_close(row(r, "h3")->score, 1.0);
    assert_true(row(r, "h4")->score == 0.0);
    assert_true(row(r, "h5")->score == 0.0);
    assert_true(row(r, "h3")->suspicious);
    assert_false(row(r, "h4")->suspicious);
    assert_true(row(r, "h1")->in_aset[0] && row(r, "h1")->in_aset[1]);
    assert_true(!row(r, "h3")->in_aset[0] && row(r, "h3")->in_aset[1]);
    assert_int_equal(row(r, "h4")->csets->len, 1);
    assert_int_equal(g_array_index(row(r, "h4")->csets, gint64, 0), 2);
    assert_string_equal(r->aset_keys[0], "a_mirai");
    assert_string_equal(r->aset_keys[1], "a_graph");

    /* Rows by descending score, ties by name (not addresses: by text). */
    const char *order[] = { "h1", "h2", "h3", "h4", "h5" };
    for (guint i = 0; i < N_OF(order); i++)
        assert_string_equal(
                ((struct fs_vote_host *)g_ptr_array_index(r->hosts, i))->host, order[i]);

    /* One group: h1, h2, h3 share C1. */
    assert_int_equal(r->groups->len, 1);
    const struct fs_vote_group *g = g_ptr_array_index(r->groups, 0);
    assert_int_equal(g->id, 1);
    assert_int_equal(g->members->len, 3);
    assert_close(g->mean, (7.0 / 3.0 + 7.0 / 3.0 + 1.0) / 3.0);
    assert_int_equal(row(r, "h3")->group, 1);
    assert_int_equal(row(r, "h4")->group, 0);
    fs_vote_result_free(r);
    fs_vote_free(v);
}

/* The toy example of §6: graph = {B1, B2, B3, N2, N4} (tau_g 1.5), C0 =
 * {B1, B2, B3}, C1 = {N1, N2}; every host of the capture added with the g
 * of the spec's table, the external ones left out by the default internal
 * ranges. */
static void toy_vote(void **state)
{
    (void)state;
    static const struct {
        const char *host;
        double g;
    } nodes[] = {
        { "203.0.113.7", 4.9258 },   /* C2 */
        { "192.168.5.11", 2.0107 },  /* B1 */
        { "192.168.5.12", 2.0107 },  /* B2 */
        { "192.168.5.13", 2.0107 },  /* B3 */
        { "192.168.5.22", 1.7904 },  /* N2 */
        { "192.168.5.24", 1.5768 },  /* N4 */
        { "198.51.100.30", 1.5768 }, /* S */
        { "198.51.100.10", 0.9066 }, /* W1 */
        { "192.168.5.23", 0.6184 },  /* N3 */
        { "198.51.100.20", 0.6184 }, /* W2 */
        { "192.168.5.21", 0.1108 },  /* N1 */
    };
    const char *graph[] = { "192.168.5.11", "192.168.5.12", "192.168.5.13", "192.168.5.22",
        "192.168.5.24" };
    const char *c0[] = { "192.168.5.12", "192.168.5.11", "192.168.5.13", "192.168.5.11" };
    const char *c1[] = { "192.168.5.21", "192.168.5.22" };
    char *errmsg = NULL;
    fs_host_ranges *internal = fs_host_ranges_parse(FS_HOST_INTERNAL_DEFAULT, &errmsg);
    assert_non_null(internal);

    fs_vote *v = fs_vote_new();
    for (guint i = 0; i < N_OF(nodes); i++)
        fs_vote_add_host(v, nodes[i].host, &nodes[i].g);
    fs_vote_add_host(v, "192.168.5.21", NULL); /* g kept */
    assert_true(fs_vote_add_aset(v, "graph", 1.0, graph, N_OF(graph)));
    assert_false(fs_vote_add_aset(v, "scan", 1.0, NULL, 0)); /* empty: left out */
    assert_true(fs_vote_add_cset(v, 0, c0, N_OF(c0)));
    assert_true(fs_vote_add_cset(v, 1, c1, N_OF(c1)));
    assert_false(fs_vote_add_cset(v, 1, c0, N_OF(c0))); /* id taken */
    struct fs_vote_result *r = fs_vote_run(v, internal, 0.5);

    assert_int_equal(r->asets, 1);
    assert_int_equal(r->hosts->len, 7); /* B1-B3, N1-N4 */
    assert_null(fs_vote_result_host(r, "203.0.113.7"));
    assert_true(row(r, "192.168.5.11")->score == 0.6);
    assert_true(row(r, "192.168.5.13")->score == 0.6);
    assert_close(row(r, "192.168.5.22")->score, 1.0 / 6.0);
    assert_true(row(r, "192.168.5.24")->score == 0.0);
    assert_true(row(r, "192.168.5.21")->score == 0.0);
    assert_false(row(r, "192.168.5.22")->suspicious);
    assert_true(row(r, "192.168.5.21")->has_g);
    assert_true(row(r, "192.168.5.21")->g == 0.1108);

    char *hosts = table(r, TRUE);
    gchar **lines = g_strsplit(hosts, "\n", -1);
    assert_int_equal(g_strv_length(lines), 8);
    assert_string_equal(lines[0],
            "{\"host\":\"192.168.5.11\",\"g\":2.0107,\"a_graph\":true,\"csets\":[0],\"s\":0.6,"
            "\"suspicious\":true,\"group\":1}");
    assert_string_equal(lines[2],
            "{\"host\":\"192.168.5.13\",\"g\":2.0107,\"a_graph\":true,\"csets\":[0],\"s\":0.6,"
            "\"suspicious\":true,\"group\":1}");
    assert_string_equal(lines[3],
            "{\"host\":\"192.168.5.22\",\"g\":1.7904,\"a_graph\":true,\"csets\":[1],"
            "\"s\":0.16666666666666666,\"suspicious\":false,\"group\":null}");
    /* Score 0: by address. */
    assert_string_equal(lines[4],
            "{\"host\":\"192.168.5.21\",\"g\":0.1108,\"a_graph\":false,\"csets\":[1],\"s\":0.0,"
            "\"suspicious\":false,\"group\":null}");
    assert_true(g_str_has_prefix(lines[5], "{\"host\":\"192.168.5.23\","));
    assert_string_equal(lines[6],
            "{\"host\":\"192.168.5.24\",\"g\":1.5768,\"a_graph\":true,\"csets\":[],\"s\":0.0,"
            "\"suspicious\":false,\"group\":null}");
    g_strfreev(lines);
    g_free(hosts);

    char *groups = table(r, FALSE);
    assert_string_equal(groups,
            "{\"group\":1,\"size\":3,\"members\":[\"192.168.5.11\",\"192.168.5.12\","
            "\"192.168.5.13\"],\"mean_s\":0.6}\n");
    g_free(groups);
    fs_vote_result_free(r);

    /* theta 0.1: N2 is suspicious too, a group of one (N1, its partner in
     * C1, is not suspicious), second by its mean. */
    r = fs_vote_run(v, internal, 0.1);
    assert_int_equal(r->groups->len, 2);
    const struct fs_vote_group *g2 = g_ptr_array_index(r->groups, 1);
    assert_int_equal(g2->id, 2);
    assert_int_equal(g2->members->len, 1);
    assert_string_equal(g_ptr_array_index(g2->members, 0), "192.168.5.22");
    assert_int_equal(row(r, "192.168.5.22")->group, 2);
    assert_int_equal(row(r, "192.168.5.21")->group, 0);
    fs_vote_result_free(r);
    fs_vote_free(v);
    fs_host_ranges_free(internal);
}

/* Types, weights, external members and ties: A-sets of one type are never
 * paired, weights multiply, an external member counts in the union but has
 * no row, equal means are ordered by the smallest address (numerically:
 * 10.0.0.10 after 10.0.0.9). */
static void types_weights_and_ties(void **state)
{
    (void)state;
    const char *scan[] = { "10.0.0.10", "10.0.0.9", "8.8.8.8" };
    const char *scan2[] = { "10.0.0.10", "10.0.0.9" };
    const char *c5[] = { "10.0.0.10" };
    const char *c7[] = { "10.0.0.9" };
    char *errmsg = NULL;
    fs_host_ranges *internal = fs_host_ranges_parse("10.0.0.0/8", &errmsg);
    fs_vote *v = fs_vote_new();
    assert_true(fs_vote_add_aset(v, "scan", 2.0, scan, N_OF(scan)));
    assert_true(fs_vote_add_aset(v, "scan", 1.0, scan2, N_OF(scan2)));
    assert_true(fs_vote_add_cset(v, 7, c7, N_OF(c7)));
    assert_true(fs_vote_add_cset(v, 5, c5, N_OF(c5)));
    struct fs_vote_result *r = fs_vote_run(v, internal, 1.0);

    assert_string_equal(r->aset_keys[0], "a_scan");
    assert_string_equal(r->aset_keys[1], "a_scan_2");
    assert_int_equal(r->hosts->len, 2);
    /* 2 * 1/3 + 1 * 1/2; no scan-scan term. */
    assert_close(row(r, "10.0.0.9")->score, 2.0 / 3.0 + 0.5);
    assert_close(row(r, "10.0.0.10")->score, 2.0 / 3.0 + 0.5);
    assert_int_equal(r->groups->len, 2);
    const struct fs_vote_group *g1 = g_ptr_array_index(r->groups, 0);
    assert_string_equal(g_ptr_array_index(g1->members, 0), "10.0.0.9");
    assert_int_equal(row(r, "10.0.0.9")->group, 1);
    assert_int_equal(row(r, "10.0.0.10")->group, 2);
    assert_string_equal(((struct fs_vote_host *)g_ptr_array_index(r->hosts, 0))->host, "10.0.0.9");
    fs_vote_result_free(r);

    /* A C-set joining them makes one group. */
    const char *c9[] = { "10.0.0.10", "10.0.0.9" };
    assert_true(fs_vote_add_cset(v, 9, c9, N_OF(c9)));
    r = fs_vote_run(v, internal, 1.0);
    assert_int_equal(r->groups->len, 1);
    assert_int_equal(((struct fs_vote_group *)g_ptr_array_index(r->groups, 0))->members->len, 2);
    assert_int_equal(row(r, "10.0.0.10")->csets->len, 2);
    assert_int_equal(g_array_index(row(r, "10.0.0.10")->csets, gint64, 0), 5);
    fs_vote_result_free(r);
    fs_vote_free(v);
    fs_vote_free(NULL);
    fs_vote_result_free(NULL);
    fs_host_ranges_free(internal);
}

/* The keys of both tables, for a CSV header, even with no rows. */
static void table_keys(void **state)
{
    (void)state;
    const char *a[] = { "10.0.0.1" };
    fs_vote *v = fs_vote_new();
    fs_vote_add_aset(v, "graph", 1.0, a, 1);
    fs_vote_add_aset(v, "scan", 1.0, a, 1);
    struct fs_vote_result *r = fs_vote_run(v, NULL, 0.5);
    fs_sink *collector = fs_sink_new_key_collector();
    fs_vote_emit_hosts_keys(r, collector);
    const GPtrArray *keys = fs_sink_collected_keys(collector);
    const char *expected[] = { "host", "g", "a_graph", "a_scan", "csets", "s", "suspicious",
        "group" };
    assert_int_equal(keys->len, N_OF(expected));
    for (guint i = 0; i < N_OF(expected); i++)
        assert_string_equal(g_ptr_array_index(keys, i), expected[i]);
    fs_sink_free(collector);

    collector = fs_sink_new_key_collector();
    fs_vote_emit_groups_keys(collector);
    keys = fs_sink_collected_keys(collector);
    const char *group_keys[] = { "group", "size", "members", "mean_s" };
    assert_int_equal(keys->len, N_OF(group_keys));
    for (guint i = 0; i < N_OF(group_keys); i++)
        assert_string_equal(g_ptr_array_index(keys, i), group_keys[i]);
    fs_sink_free(collector);
    /* Score 1 (the graph-scan pair) but no C-set: a group of one. */
    assert_true(row(r, "10.0.0.1")->score == 1.0);
    assert_int_equal(r->groups->len, 1);
    fs_vote_result_free(r);
    fs_vote_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_unit_case),
        cmocka_unit_test(toy_vote),
        cmocka_unit_test(types_weights_and_ties),
        cmocka_unit_test(table_keys),
    };
    return cmocka_run_group_tests_name("vote", tests, NULL, NULL);
}
