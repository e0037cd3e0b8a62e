/* test_format.c: unit tests of fields/format.h: tshark's -T fields escaping,
 * timestamps printed from integer seconds and nanoseconds, the decimals of a
 * wiretap precision and the bounded edit distance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "format.h"

/* ---- fixture: a fresh output string for each test ---- */

static int setup_string(void **state)
{
    *state = g_string_new(NULL);
    return 0;
}

static int teardown_string(void **state)
{
    g_string_free(*state, TRUE);
    return 0;
}

#define STRING_TEST(f) cmocka_unit_test_setup_teardown(f, setup_string, teardown_string)

/* ---- fs_format_escape_tshark ---- */

static void escape_backspace(void **state)
{
    GString *out = *state;
    fs_format_escape_tshark("a\bb", out); /* 61 08 62 */
    assert_string_equal(out->str, "a\\bb");
}

static void escape_form_feed(void **state)
{
    GString *out = *state;
    fs_format_escape_tshark("a\fb", out); /* 61 0c 62 */
    assert_string_equal(out->str, "a\\fb");
}

static void escape_newline(void **state)
{
    GString *out = *state;
    fs_format_escape_tshark("a\nb", out); /* 61 0a 62 */
    assert_string_equal(out->str, "a\\nb");
}

static void escape_carriage_return(void **state)
{
    GString *out = *state;
    fs_format_escape_tshark("a\rb", out); /* 61 0d 62 */
    assert_string_equal(out->str, "a\\rb");
}

static void escape_tab(void **state)
{
    GString *out = *state;
    fs_format_escape_tshark("a\tb", out); /* 61 09 62 */
    assert_string_equal(out->str, "a\\tb");
}

static void escape_http_header_line(void **state)
{
    GString *out = *state;
    /* An HTTP header as http.request.line gives it: text, CR, LF. */
    fs_format_escape_tshark("Host: example.com\r\n", out);
    assert_string_equal(out->str, "Host: example.com\\r\\n");
}

static void escape_keeps_backslash(void **state)
{
    GString *out = *state;
    /* C:\dir\n as typed: backslash, then the letter n (not a newline). */
    fs_format_escape_tshark("C:\\dir\\n", out);
    assert_string_equal(out->str, "C:\\dir\\n");
    assert_int_equal(out->len, 8);
}

static void escape_keeps_other_control_bytes(void **state)
{
    GString *out = *state;
    /* 01 (SOH), 0b (VT), 1b (ESC), 1f (US), 7f (DEL): copied raw. */
    const char raw[] = "\x01\x0b\x1b\x1f\x7f";
    fs_format_escape_tshark(raw, out);
    assert_int_equal(out->len, 5);
    assert_memory_equal(out->str, raw, 5);
}

static void escape_keeps_utf8(void **state)
{
    GString *out = *state;
    /* "café €": c3 a9 is U+00E9, e2 82 ac is U+20AC. */
    const char text[] = "caf\xc3\xa9 \xe2\x82\xac";
    fs_format_escape_tshark(text, out);
    assert_string_equal(out->str, text);
}

static void escape_keeps_invalid_utf8(void **state)
{
    GString *out = *state;
    /* ff and a lone continuation byte 80: not UTF-8, still copied raw
     * (the JSON writer repairs them later, not the formatter). */
    const char text[] = "x\xff\x80y";
    fs_format_escape_tshark(text, out);
    assert_string_equal(out->str, text);
}

static void escape_appends(void **state)
{
    GString *out = *state;
    g_string_append(out, "0x1301,");
    fs_format_escape_tshark("a\tb", out);
    fs_format_escape_tshark("", out);
    assert_string_equal(out->str, "0x1301,a\\tb");
}

/* ---- fs_format_timestamp ---- */

static void timestamp_six_decimals(void **state)
{
    GString *out = *state;
    fs_format_timestamp(946739298, 533748000, 6, out);
    assert_string_equal(out->str, "946739298.533748");
}

static void timestamp_nine_decimals(void **state)
{
    GString *out = *state;
    fs_format_timestamp(1497468236, 435350001, 9, out);
    assert_string_equal(out->str, "1497468236.435350001");
}

static void timestamp_leading_zeros_of_fraction(void **state)
{
    GString *out = *state;
    fs_format_timestamp(1, 5000, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(1, 5, 9, out);
    assert_string_equal(out->str, "1.000005 1.000000005");
}

static void timestamp_zero(void **state)
{
    GString *out = *state;
    fs_format_timestamp(0, 0, 6, out);
    assert_string_equal(out->str, "0.000000");
}

static void timestamp_truncates(void **state)
{
    GString *out = *state;
    /* 0.999999999 s would round up to 1.000000; it must truncate. */
    fs_format_timestamp(0, 999999999, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(946739298, 533748999, 6, out);
    assert_string_equal(out->str, "0.999999 946739298.533748");
}

static void timestamp_clamps_decimals(void **state)
{
    GString *out = *state;
    /* Fewer than 6 decimals are raised to 6, more than 9 lowered to 9. */
    fs_format_timestamp(12, 345678912, 0, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(12, 345678912, 3, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(12, 345678912, -1, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(12, 345678912, 12, out);
    assert_string_equal(out->str, "12.345678 12.345678 12.345678 12.345678912");
}

/* ---- fs_format_int64 ---- */

static void int64_decimal(void **state)
{
    char buf[FS_FORMAT_INT_SIZE];
    (void)state;
    assert_int_equal(fs_format_int64(0, buf), 1);
    assert_string_equal(buf, "0");
    assert_int_equal(fs_format_int64(1234, buf), 4);
    assert_string_equal(buf, "1234");
    assert_int_equal(fs_format_int64(-60, buf), 3);
    assert_string_equal(buf, "-60");
    assert_int_equal(fs_format_int64(G_MAXINT64, buf), 19);
    assert_string_equal(buf, "9223372036854775807");
    assert_int_equal(fs_format_int64(G_MININT64, buf), 20);
    assert_string_equal(buf, "-9223372036854775808");
}

static void timestamp_negative_with_fraction(void **state)
{
    GString *out = *state;
    /* -1 s + 0.5 s = -0.5 s. */
    fs_format_timestamp(-1, 500000000, 6, out);
    assert_string_equal(out->str, "-0.500000");
}

static void timestamp_negative_whole(void **state)
{
    GString *out = *state;
    fs_format_timestamp(-2, 0, 6, out);
    assert_string_equal(out->str, "-2.000000");
}

static void timestamp_negative_truncates_toward_zero(void **state)
{
    GString *out = *state;
    /* -2 s + 0.000000001 s = -1.999999999 s: 6 decimals cut to -1.999999. */
    fs_format_timestamp(-2, 1, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(-2, 1, 9, out);
    g_string_append_c(out, ' ');
    /* -10 s + 0.25 s = -9.75 s. */
    fs_format_timestamp(-10, 250000000, 9, out);
    assert_string_equal(out->str, "-1.999999 -1.999999999 -9.750000000");
}

static void timestamp_extremes(void **state)
{
    GString *out = *state;
    fs_format_timestamp(G_MAXINT64, 999999999, 9, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(G_MININT64, 0, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(G_MININT64, 500000000, 6, out);
    assert_string_equal(out->str, "9223372036854775807.999999999 -9223372036854775808.000000 "
                                  "-9223372036854775807.500000");
}

static void timestamp_normalises_fraction(void **state)
{
    GString *out = *state;
    /* A crafted pcap record's fraction out of [0, 1 s) is carried into the
     * seconds: 1 s + 1.5 s, 5 s - 1 us, 3 s - 1.794967296 s (a wrapped
     * 32-bit nanosecond count) and 0 s - 1 ns. */
    fs_format_timestamp(1, 1500000000, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(5, -1000, 6, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(3, -1794967296, 9, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(0, -1, 9, out);
    assert_string_equal(out->str, "2.500000 4.999999 1.205032704 -0.000000001");
}

static void timestamp_normalises_at_the_extremes(void **state)
{
    GString *out = *state;
    /* The seconds saturate rather than overflow. */
    fs_format_timestamp(G_MAXINT64, 1999999999, 9, out);
    g_string_append_c(out, ' ');
    fs_format_timestamp(G_MININT64, -1, 9, out);
    assert_string_equal(out->str, "9223372036854775807.999999999 -9223372036854775807.000000001");
}

static void timestamp_appends(void **state)
{
    GString *out = *state;
    g_string_append(out, "[");
    fs_format_timestamp(3, 0, 6, out);
    assert_string_equal(out->str, "[3.000000");
}

/* ---- fs_format_decimals_for_tsprec ---- */

static void decimals_for_tsprec(void **state)
{
    (void)state;
    /* WTAP_TSPREC_SEC, _MSEC, _USEC and _NSEC. */
    assert_int_equal(fs_format_decimals_for_tsprec(0), 6);
    assert_int_equal(fs_format_decimals_for_tsprec(3), 6);
    assert_int_equal(fs_format_decimals_for_tsprec(6), 6);
    assert_int_equal(fs_format_decimals_for_tsprec(9), 9);
    /* WTAP_TSPREC_UNKNOWN and _PER_PACKET. */
    assert_int_equal(fs_format_decimals_for_tsprec(-1), 6);
    assert_int_equal(fs_format_decimals_for_tsprec(-2), 6);
}

/* ---- fs_format_edit_distance ---- */

static void edit_distance_known(void **state)
{
    (void)state;
    assert_int_equal(fs_format_edit_distance("kitten", "sitting", 10), 3);
    assert_int_equal(fs_format_edit_distance("flaw", "lawn", 10), 2);
    assert_int_equal(fs_format_edit_distance("dns.qry.nam", "dns.qry.name", 10), 1);
    assert_int_equal(fs_format_edit_distance("tls.handshake.extension_server_name",
                             "tls.handshake.extensions_server_name", 10),
            1);
    /* A transposition is two edits (Levenshtein, not Damerau). */
    assert_int_equal(fs_format_edit_distance("ab", "ba", 10), 2);
}

static void edit_distance_identical_and_empty(void **state)
{
    (void)state;
    assert_int_equal(fs_format_edit_distance("dns.qry.name", "dns.qry.name", 0), 0);
    assert_int_equal(fs_format_edit_distance("", "", 0), 0);
    assert_int_equal(fs_format_edit_distance("", "abc", 5), 3);
    assert_int_equal(fs_format_edit_distance("abcd", "", 5), 4);
}

static void edit_distance_symmetric(void **state)
{
    (void)state;
    assert_int_equal(fs_format_edit_distance("sitting", "kitten", 10), 3);
    assert_int_equal(fs_format_edit_distance("lawn", "flaw", 10), 2);
}

static void edit_distance_at_limit(void **state)
{
    (void)state;
    /* A distance equal to the limit is returned as is. */
    assert_int_equal(fs_format_edit_distance("kitten", "sitting", 3), 3);
    assert_int_equal(fs_format_edit_distance("abc", "abcdef", 3), 3);
}

static void edit_distance_over_limit(void **state)
{
    (void)state;
    /* Larger than the limit: limit + 1, whatever the true distance. */
    assert_int_equal(fs_format_edit_distance("kitten", "sitting", 2), 3);
    assert_int_equal(fs_format_edit_distance("kitten", "sitting", 0), 1);
    /* Lengths differ by more than the limit. */
    assert_int_equal(fs_format_edit_distance("abc", "abcdefghij", 2), 3);
    /* Same length, every character different (true distance 6). */
    assert_int_equal(fs_format_edit_distance("abcdef", "ghijkl", 3), 4);
    assert_int_equal(fs_format_edit_distance("abcdef", "ghijkl", 5), 6);
    assert_int_equal(fs_format_edit_distance("abcdef", "ghijkl", 6), 6);
}

int main(void)
{
    const struct CMUnitTest escape_tests[] = {
        STRING_TEST(escape_backspace),
        STRING_TEST(escape_form_feed),
        STRING_TEST(escape_newline),
        STRING_TEST(escape_carriage_return),
        STRING_TEST(escape_tab),
        STRING_TEST(escape_http_header_line),
        STRING_TEST(escape_keeps_backslash),
        STRING_TEST(escape_keeps_other_control_bytes),
        STRING_TEST(escape_keeps_utf8),
        STRING_TEST(escape_keeps_invalid_utf8),
        STRING_TEST(escape_appends),
    };
    const struct CMUnitTest timestamp_tests[] = {
        STRING_TEST(timestamp_six_decimals),
        STRING_TEST(timestamp_nine_decimals),
        STRING_TEST(timestamp_leading_zeros_of_fraction),
        STRING_TEST(timestamp_zero),
        STRING_TEST(timestamp_truncates),
        STRING_TEST(timestamp_clamps_decimals),
        STRING_TEST(timestamp_negative_with_fraction),
        STRING_TEST(timestamp_negative_whole),
        STRING_TEST(timestamp_negative_truncates_toward_zero),
        STRING_TEST(timestamp_extremes),
        STRING_TEST(timestamp_normalises_fraction),
        STRING_TEST(timestamp_normalises_at_the_extremes),
        STRING_TEST(timestamp_appends),
        cmocka_unit_test(int64_decimal),
    };
    const struct CMUnitTest number_tests[] = {
        cmocka_unit_test(decimals_for_tsprec),
        cmocka_unit_test(edit_distance_known),
        cmocka_unit_test(edit_distance_identical_and_empty),
        cmocka_unit_test(edit_distance_symmetric),
        cmocka_unit_test(edit_distance_at_limit),
        cmocka_unit_test(edit_distance_over_limit),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("escape", escape_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("timestamp", timestamp_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("numbers", number_tests, NULL, NULL);
    return failed;
}
