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
    /* A record's timestamps stay within 2^62 ns of 1970, so that any two
     * of them have a difference in gint64. */
    assert_true(fs_record_parse_timestamp("4611686018.427387904", 20, &ns));
    assert_int_equal(ns, G_GINT64_CONSTANT(4611686018427387904));
    assert_true(fs_record_parse_timestamp("-4611686018.427387904", 21, &ns));
    assert_int_equal(ns, -G_GINT64_CONSTANT(4611686018427387904));
    assert_false(fs_record_parse_timestamp("4611686018.427387905", 20, &ns));
    assert_false(fs_record_parse_timestamp("-4611686018.427387905", 21, &ns));
    assert_false(fs_record_parse_timestamp("9223372036", 10, &ns));
    assert_true(fs_record_parse_timestamp("1592993489.999999999", 20, &ns));
    assert_int_equal(ns, G_GINT64_CONSTANT(1592993489999999999));
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

/* An output of rows as JSON Lines in memory. */
struct memory_out {
    char *buffer;
    size_t size;
    FILE *file;
    fs_writer *writer;
    fs_sink *sink;
};

static void memory_open(struct memory_out *m)
{
    m->buffer = NULL;
    m->size = 0;
    m->file = open_memstream(&m->buffer, &m->size);
    m->writer = fs_writer_over(m->file);
    m->sink = fs_sink_new(fs_sink_format_find("jsonl"), m->writer);
}

/* What was written so far (flushed), borrowed. */
static const char *memory_text(struct memory_out *m)
{
    char *ignored = NULL;
    assert_int_equal(fs_writer_flush(m->writer, &ignored), FS_OK);
    fflush(m->file);
    return m->buffer;
}

/* Closes m; its text, which the caller g_free()s. */
static char *memory_close(struct memory_out *m)
{
    fs_sink_free(m->sink);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(m->writer, TRUE, &ignored), FS_OK);
    fclose(m->file);
    char *text = g_strdup(m->buffer);
    free(m->buffer);
    return text;
}

/* The rows of set as JSON Lines (fs_window_set_finish: the set is spent).
 * Caller g_free()s. */
static char *rows(fs_window_set *set, gboolean empty_windows)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *s = fs_sink_new(fs_sink_format_find("jsonl"), w);
    fs_window_set_finish(set, s, empty_windows, FALSE);
    fs_sink_free(s);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(w, TRUE, &ignored), FS_OK);
    fclose(out);
    char *text = g_strdup(buffer);
    free(buffer);
    return text;
}

/* Five entries in windows 1 and 3 of 10 s, window 3 first (the input is
 * not in time order). */
static fs_window_set *five_entries(void)
{
    fs_window_set *set = fs_window_set_new(10 * SEC, FALSE);
    const struct fs_window_flow a = { "tcp", "10.0.0.1", 40000, "10.0.0.2", 80 };
    const struct fs_window_flow b = { "tcp", "10.0.0.1", 40001, "10.0.0.2", 443 };
    const struct fs_window_flow c = { "udp", "10.0.0.3", 5353, "10.0.0.2", 80 };
    assert_true(fs_window_set_add(set, &a, 35 * SEC, 60, -1));
    assert_true(fs_window_set_add(set, &a, 12 * SEC, 60, -1));
    assert_true(fs_window_set_add(set, &a, 13 * SEC, -1500, -1));
    assert_true(fs_window_set_add(set, &b, 19 * SEC + 999999999, 52, -1));
    assert_true(fs_window_set_add(set, &c, 10 * SEC, 0, -1));
    assert_int_equal(fs_window_set_size(set), 2);
    return set;
}

static void set_of_entries(void **state)
{
    (void)state;
    fs_window_set *set = five_entries();

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
    fs_window_set_free(set);

    set = five_entries();
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

/* Windows closed before the end: their rows are written at once, later
 * entries for them are refused as late, the empty windows of
 * --empty-windows continue across the writes, and the rows are those of a
 * set written at the end. */
static void close_before_writes_early(void **state)
{
    (void)state;
    fs_window_set *set = five_entries();
    struct memory_out m;
    memory_open(&m);
    fs_window_set_close_before(set, 2); /* window 1; window 3 stays open */
    assert_int_equal(fs_window_set_size(set), 1);
    fs_window_set_write_closed(set, m.sink, TRUE);
    const char *so_far = memory_text(&m);
    assert_true(g_str_has_prefix(so_far, "{\"window_start\":10,\"num_entries\":4,"));
    assert_null(strstr(so_far, "\"window_start\":20"));

    const struct fs_window_flow late = { "tcp", "10.0.0.9", 1, "10.0.0.2", 80 };
    assert_false(fs_window_set_add(set, &late, 15 * SEC, 10, -1));
    assert_false(fs_window_set_add(set, &late, 5 * SEC, 10, -1));
    assert_int_equal(fs_window_set_late(set), 2);
    assert_true(fs_window_set_add(set, &late, 20 * SEC, 10, -1)); /* window 2: open */

    assert_int_equal(fs_window_set_finish(set, m.sink, TRUE, FALSE), 3);
    char *text = memory_close(&m);
    gchar **lines = g_strsplit(text, "\n", -1);
    assert_int_equal(g_strv_length(lines), 4);
    assert_true(g_str_has_prefix(lines[0], "{\"window_start\":10,\"num_entries\":4,"));
    assert_true(g_str_has_prefix(lines[1], "{\"window_start\":20,\"num_entries\":1,"));
    assert_true(g_str_has_prefix(lines[2], "{\"window_start\":30,\"num_entries\":1,"));
    g_strfreev(lines);

    /* The same set closed only at the end gives the same first row. */
    fs_window_set *whole = five_entries();
    char *at_end = rows(whole, TRUE);
    gchar **end_lines = g_strsplit(at_end, "\n", -1);
    assert_true(g_str_has_prefix(text, end_lines[0]));
    g_strfreev(end_lines);
    g_free(at_end);
    fs_window_set_free(whole);
    g_free(text);
    fs_window_set_free(set);
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
        cmocka_unit_test(close_before_writes_early),
        cmocka_unit_test(fractional_window_start),
    };
    return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
