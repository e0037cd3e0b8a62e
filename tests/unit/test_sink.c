/* test_sink.c: unit tests of the output formats (extractor/sink.h): the
 * same calls give a JSON Lines object and a CSV row, the CSV header comes
 * from begin_output, the key collector keeps the top-level keys in order,
 * formats are found by name. No epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sink.h"

/* One record with every kind of value: scalars, null, a nested array of
 * arrays, an object, a string that needs CSV quoting. */
static guint emit_sample(fs_sink *s)
{
    fs_sink_begin_record(s);
    fs_sink_key_string(s, "file", "a,b \"c\".pcap");
    fs_sink_key_int(s, "stream", -3);
    fs_sink_key(s, "time_start");
    fs_sink_number_text(s, "1497468236.460871");
    fs_sink_key(s, "time_end");
    fs_sink_null(s);
    fs_sink_key(s, "mean");
    fs_sink_double(s, 2.5);
    fs_sink_key(s, "extension");
    fs_sink_begin_object(s);
    fs_sink_key(s, "dns.qry.name");
    fs_sink_begin_array(s);
    fs_sink_begin_array(s);
    fs_sink_string(s, "example.com");
    fs_sink_int(s, 0);
    fs_sink_end_array(s);
    fs_sink_end_array(s);
    fs_sink_end_object(s);
    return fs_sink_end_record(s);
}

/* Writes a header and the sample record in a format; returns the text. */
static char *render(const struct fs_sink_ops *format)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *s = fs_sink_new(format, w);
    GPtrArray *keys = g_ptr_array_new();
    g_ptr_array_add(keys, (gpointer) "file");
    g_ptr_array_add(keys, (gpointer) "stream");
    fs_sink_begin_output(s, keys);
    g_ptr_array_free(keys, TRUE);
    assert_int_equal(emit_sample(s), 6);
    fs_sink_free(s);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(w, TRUE, &ignored), FS_OK);
    fclose(out);
    char *text = g_strdup(buffer);
    free(buffer);
    return text;
}

static void jsonl_record(void **state)
{
    (void)state;
    char *text = render(fs_sink_format_find("jsonl"));
    /* No header line; one object and a newline. */
    assert_string_equal(text, "{\"file\":\"a,b \\\"c\\\".pcap\",\"stream\":-3,"
                              "\"time_start\":1497468236.460871,\"time_end\":null,\"mean\":2.5,"
                              "\"extension\":{\"dns.qry.name\":[[\"example.com\",0]]}}\n");
    g_free(text);
}

static void csv_header_and_row(void **state)
{
    (void)state;
    char *text = render(fs_sink_format_find("csv"));
    /* RFC 4180: CRLF, quotes doubled; null is an empty cell; nested values
     * are one cell of compact JSON. */
    assert_string_equal(text, "file,stream\r\n"
                              "\"a,b \"\"c\"\".pcap\",-3,1497468236.460871,,2.5,"
                              "\"{\"\"dns.qry.name\"\":[[\"\"example.com\"\",0]]}\"\r\n");
    g_free(text);
}

static void key_collector_keeps_top_level_keys(void **state)
{
    (void)state;
    fs_sink *s = fs_sink_new_key_collector();
    emit_sample(s);
    emit_sample(s); /* a second record adds no duplicate */
    const GPtrArray *keys = fs_sink_collected_keys(s);
    static const char *const expected[] = { "file", "stream", "time_start", "time_end", "mean",
        "extension" };
    assert_int_equal(keys->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < keys->len; i++)
        assert_string_equal(g_ptr_array_index(keys, i), expected[i]);
    fs_sink_free(s);
}

static void formats_by_name(void **state)
{
    (void)state;
    assert_string_equal(fs_sink_format_find("jsonl")->name, "jsonl");
    assert_string_equal(fs_sink_format_find("csv")->name, "csv");
    assert_null(fs_sink_format_find("json"));
    assert_null(fs_sink_format_find("keys")); /* internal, not an output format */
    char *names = fs_sink_format_names();
    assert_string_equal(names, "jsonl, csv or sqlite");
    g_free(names);
}

static void csv_quoting(void **state)
{
    (void)state;
    GString *out = g_string_new(NULL);
    fs_sink_csv_field(out, "plain", 5);
    g_string_append_c(out, '|');
    fs_sink_csv_field(out, "a,b", 3);
    g_string_append_c(out, '|');
    fs_sink_csv_field(out, "say \"hi\"", 8);
    g_string_append_c(out, '|');
    fs_sink_csv_field(out, "line\r\nbreak", 11);
    assert_string_equal(out->str, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"line\r\nbreak\"");
    g_string_free(out, TRUE);
}

static void double_format(void **state)
{
    (void)state;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    assert_string_equal(fs_sink_format_double(buf, 60.0), "60.0");
    assert_string_equal(fs_sink_format_double(buf, 0.1), "0.1");
    assert_string_equal(fs_sink_format_double(buf, 1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(fs_sink_format_double(buf, 1e20), "1e+20");
    assert_string_equal(fs_sink_format_double(buf, -0.5), "-0.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsonl_record),
        cmocka_unit_test(csv_header_and_row),
        cmocka_unit_test(key_collector_keeps_top_level_keys),
        cmocka_unit_test(formats_by_name),
        cmocka_unit_test(csv_quoting),
        cmocka_unit_test(double_format),
    };
    return cmocka_run_group_tests_name("sink", tests, NULL, NULL);
}
