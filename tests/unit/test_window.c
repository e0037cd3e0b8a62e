/* test_window.c: unit tests of flowshark window's pieces (window/): the
 * window index (floor, also before the epoch), record timestamps read
 * exactly, numpy's linear quantile, and a small set of entries written as
 * rows (in time order, empty windows, distinct counts). No epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "record_reader.h"
#include "sink.h"
#include "window.h"

#define SEC G_GINT64_CONSTANT(1000000000)

static void window_index_is_floor(void **state)
{
    (void)state;
    assert_int_equal(fs_window_index(0, SEC), 0);
    assert_int_equal(fs_window_index(SEC - 1, SEC), 0);
    assert_int_equal(fs_window_index(SEC, SEC), 1);
    assert_int_equal(fs_window_index(19 * SEC + 999999999, 10 * SEC), 1);
    assert_int_equal(fs_window_index(-1, SEC), -1);
    assert_int_equal(fs_window_index(-SEC, SEC), -1);
    assert_int_equal(fs_window_index(-SEC - 1, SEC), -2);
}

static void timestamps_read_exactly(void **state)
{
    (void)state;
    gint64 ns = 0;
#define PARSE(text) fs_record_parse_time(text, strlen(text), &ns)
    assert_true(PARSE("946739298.533748"));
    assert_int_equal(ns, G_GINT64_CONSTANT(946739298533748000));
    /* 9 decimals: the last nanosecond of a second stays in it. */
    assert_true(PARSE("1592993489.999999999"));
    assert_int_equal(ns, G_GINT64_CONSTANT(1592993489999999999));
    assert_true(PARSE("-1.500000"));
    assert_int_equal(ns, -G_GINT64_CONSTANT(1500000000));
    assert_true(PARSE("12"));
    assert_int_equal(ns, 12 * SEC);
    assert_true(PARSE("0.25"));
    assert_int_equal(ns, SEC / 4);
    assert_false(PARSE(""));
    assert_false(PARSE("-"));
    assert_false(PARSE("1."));
    assert_false(PARSE(".5"));
    assert_false(PARSE("1e3"));
    assert_false(PARSE("--1"));
    assert_false(PARSE("1.1234567891")); /* 10 decimals */
    assert_false(PARSE("null"));
    assert_false(PARSE("9223372037")); /* beyond gint64 nanoseconds */
    assert_true(PARSE("9223372036"));
#undef PARSE
    /* The length bounds the text: "12" of "123". */
    assert_true(fs_record_parse_time("123", 2, &ns));
    assert_int_equal(ns, 12 * SEC);
}

static void quantile_as_numpy(void **state)
{
    (void)state;
    const double three[] = { 4, 4, 33 };
    assert_true(fs_window_quantile(three, 3, 0.25) == 4.0);
    assert_true(fs_window_quantile(three, 3, 0.5) == 4.0);
    assert_true(fs_window_quantile(three, 3, 0.75) == 18.5);
    /* numpy's _lerp from the upper value for a fraction >= 0.5: the very
     * double pandas prints. */
    assert_true(fs_window_quantile(three, 3, 0.9) == 27.200000000000003);
    assert_true(fs_window_quantile(three, 3, 1.0) == 33.0);
    const double one[] = { 7 };
    assert_true(fs_window_quantile(one, 1, 0.9) == 7.0);
    const double four[] = { 1, 2, 3, 10 };
    assert_true(fs_window_quantile(four, 4, 0.25) == 1.75);
    assert_true(fs_window_quantile(four, 4, 0.9) == 7.900000000000001);
}

/* The rows of set as JSON Lines. Caller g_free()s. */
static char *rows(const fs_window_set *set, gboolean empty_windows)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *s = fs_sink_new(fs_sink_format_find("jsonl"), w);
    fs_window_set_write(set, s, empty_windows, FALSE);
    fs_sink_free(s);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(w, TRUE, &ignored), FS_OK);
    fclose(out);
    char *text = g_strdup(buffer);
    free(buffer);
    return text;
}

static void set_of_entries(void **state)
{
    (void)state;
    fs_window_set *set = fs_window_set_new(10 * SEC, FALSE);
    const struct fs_window_flow a = { "tcp", "10.0.0.1", 40000, "10.0.0.2", 80 };
    const struct fs_window_flow b = { "tcp", "10.0.0.1", 40001, "10.0.0.2", 443 };
    const struct fs_window_flow c = { "udp", "10.0.0.3", 5353, "10.0.0.2", 80 };
    /* Window 3 first: the input is not in time order. */
    fs_window_set_add(set, &a, 35 * SEC, 60, -1);
    fs_window_set_add(set, &a, 12 * SEC, 60, -1);
    fs_window_set_add(set, &a, 13 * SEC, -1500, -1);
    fs_window_set_add(set, &b, 19 * SEC + 999999999, 52, -1);
    fs_window_set_add(set, &c, 10 * SEC, 0, -1);
    assert_int_equal(fs_window_set_size(set), 2);

    char *text = rows(set, FALSE);
    gchar **lines = g_strsplit(text, "\n", -1);
    assert_int_equal(g_strv_length(lines), 3); /* two rows and "" */
    assert_non_null(g_strstr_len(lines[0], -1,
            "{\"window_start\":10,\"num_entries\":4,\"bytes_up\":112,\"bytes_down\":1500,"
            "\"packets_up\":3,\"packets_down\":1,\"count_dst_port\":2,\"count_src_port\":3,"
            "\"count_dst_ip\":1,\"count_src_ip\":2,\"count_conns\":2,\"count_flows\":3,"
            "\"num_flows_per_conn_mean\":1.5,\"entries_per_conn_max\":3,"
            "\"entries_per_conn_mean\":2.0,"));
    /* 10.0.0.2 has 2 distinct dst ports (80 twice, 443) and 2 sources. */
    assert_non_null(g_strstr_len(lines[0], -1, "\"dst_port_per_dst_ip_max\":2,"));
    assert_non_null(g_strstr_len(lines[0], -1, "\"src_ip_per_dst_ip_max\":2,"));
    assert_non_null(g_strstr_len(lines[0], -1, "\"src_ip_per_dst_port_max\":2,"));
    assert_true(g_str_has_prefix(lines[1], "{\"window_start\":30,\"num_entries\":1,"));
    g_strfreev(lines);
    g_free(text);

    text = rows(set, TRUE);
    lines = g_strsplit(text, "\n", -1);
    assert_int_equal(g_strv_length(lines), 4);
    assert_true(g_str_has_prefix(lines[1], "{\"window_start\":20,\"num_entries\":0,"));
    assert_non_null(g_strstr_len(lines[1], -1,
            "\"count_flows\":0,\"num_flows_per_conn_mean\":null,\"entries_per_conn_max\":null,"));
    assert_true(g_str_has_prefix(lines[2], "{\"window_start\":30,"));
    g_strfreev(lines);
    g_free(text);
    fs_window_set_free(set);
    fs_window_set_free(NULL);
}

static void fractional_window_start(void **state)
{
    (void)state;
    fs_window_set *set = fs_window_set_new(SEC / 4, FALSE);
    const struct fs_window_flow a = { "tcp", "::1", 1, "::2", 2 };
    fs_window_set_add(set, &a, -SEC / 10, 1, -1); /* -0.1 s: window [-0.25, 0) */
    fs_window_set_add(set, &a, 946739298 * SEC + 600000000, 1, -1);
    char *text = rows(set, FALSE);
    assert_true(g_str_has_prefix(text, "{\"window_start\":-0.25,"));
    assert_non_null(g_strstr_len(text, -1, "\n{\"window_start\":946739298.5,"));
    g_free(text);
    fs_window_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_index_is_floor),
        cmocka_unit_test(timestamps_read_exactly),
        cmocka_unit_test(quantile_as_numpy),
        cmocka_unit_test(set_of_entries),
        cmocka_unit_test(fractional_window_start),
    };
    return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
