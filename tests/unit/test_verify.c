/* test_verify.c: unit tests of extractor/verify.h: records written to two
 * collectors through the sink calls, and what fs_verify_compare() makes of
 * them (identity, identical records, the documented keys whose fast-mode
 * values may be fewer, everything else). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sink.h"
#include "verify.h"

/* One record of a TCP flow: stream, ext_protocols (NULL-terminated), a
 * length sequence (n values) and an extension of one field with values
 * (NULL-terminated, indexes 0, 1, ...). */
static void write_record(fs_sink *s, gint64 stream, const char *const *protocols,
        const gint64 *lengths, int n, const char *field, const char *const *values)
{
    fs_sink_begin_record(s);
    fs_sink_key_string(s, "file", "a.pcap");
    fs_sink_key_string(s, "protocol", "tcp");
    fs_sink_key_int(s, "stream", stream);
    fs_sink_key_string(s, "src", "10.0.0.1");
    fs_sink_key_int(s, "sport", 40000);
    fs_sink_key_string(s, "dst", "10.0.0.2");
    fs_sink_key_int(s, "dport", 443);
    fs_sink_key(s, "time_start");
    fs_sink_number_text(s, "1.5");
    fs_sink_key(s, "ext_protocols");
    fs_sink_begin_array(s);
    for (int i = 0; protocols[i]; i++)
        fs_sink_string(s, protocols[i]);
    fs_sink_end_array(s);
    fs_sink_key(s, "ip_lengths");
    fs_sink_begin_array(s);
    for (int i = 0; i < n; i++)
        fs_sink_int(s, lengths[i]);
    fs_sink_end_array(s);
    fs_sink_key(s, "extension");
    fs_sink_begin_object(s);
    if (field) {
        fs_sink_key(s, field);
        fs_sink_begin_array(s);
        for (int i = 0; values[i]; i++) {
            fs_sink_begin_array(s);
            fs_sink_string(s, values[i]);
            fs_sink_int(s, i);
            fs_sink_end_array(s);
        }
        fs_sink_end_array(s);
    }
    fs_sink_end_object(s);
    fs_sink_end_record(s);
}

static const char *const tcp_tls[] = { "TCP", "TLSv1.2", NULL };
static const char *const tcp_only[] = { "TCP", NULL };
static const char *const tcp_http[] = { "TCP", "HTTP", NULL };
static const gint64 lengths[] = { 60, -60, 52 };
static const gint64 other_lengths[] = { 60, -60, 53 };
static const char *const two_hosts[] = { "a.example", "b.example", NULL };
static const char *const first_host[] = { "a.example", NULL };
static const char *const other_host[] = { "c.example", NULL };

struct pair {
    fs_verify_collector *exact, *fast;
    fs_sink *e, *f;
};

static struct pair pair_new(void)
{
    struct pair p = { fs_verify_collector_new(), fs_verify_collector_new(), NULL, NULL };
    p.e = fs_verify_collector_sink(p.exact);
    p.f = fs_verify_collector_sink(p.fast);
    return p;
}

static void pair_free(struct pair *p)
{
    fs_sink_free(p->e);
    fs_sink_free(p->f);
    fs_verify_collector_free(p->exact);
    fs_verify_collector_free(p->fast);
}

static void identical_records_are_accepted(void **state)
{
    (void)state;
    struct pair p = pair_new();
    /* Written in another order in fast mode: matched by identity. */
    write_record(p.e, 0, tcp_tls, lengths, 3, "http.host", two_hosts);
    write_record(p.e, 1, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 1, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 0, tcp_tls, lengths, 3, "http.host", two_hosts);
    struct fs_verify_result r;
    assert_true(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    assert_int_equal(r.exact_records, 2);
    assert_int_equal(r.fast_records, 2);
    assert_int_equal(r.matched, 2);
    assert_int_equal(r.identical, 2);
    assert_int_equal(r.documented, 0);
    pair_free(&p);
}

static void fewer_documented_values_are_accepted(void **state)
{
    (void)state;
    struct pair p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, "http.host", two_hosts);
    write_record(p.f, 0, tcp_only, lengths, 3, "http.host", first_host);
    write_record(p.e, 1, tcp_tls, lengths, 3, "http.host", two_hosts);
    write_record(p.f, 1, tcp_tls, lengths, 3, NULL, NULL);
    struct fs_verify_result r;
    assert_true(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    assert_int_equal(r.matched, 2);
    assert_int_equal(r.identical, 0);
    assert_int_equal(r.documented, 2);
    pair_free(&p);
}

static void values_not_among_the_exact_ones_are_not(void **state)
{
    (void)state;
    /* A protocol the exact mode does not show. */
    struct pair p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 0, tcp_http, lengths, 3, NULL, NULL);
    struct fs_verify_result r;
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    assert_int_equal(r.documented, 0);
    pair_free(&p);
    /* A field value the exact mode does not have. */
    p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, "http.host", two_hosts);
    write_record(p.f, 0, tcp_tls, lengths, 3, "http.host", other_host);
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    pair_free(&p);
    /* The same value under another field: not among the exact mode's. */
    p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, "http.host", first_host);
    write_record(p.f, 0, tcp_tls, lengths, 3, "dns.qry.name", first_host);
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    pair_free(&p);
}

static void other_keys_and_missing_records_are_not(void **state)
{
    (void)state;
    struct pair p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 0, tcp_tls, other_lengths, 3, NULL, NULL);
    struct fs_verify_result r;
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    assert_int_equal(r.matched, 1);
    assert_int_equal(r.identical, 0);
    assert_int_equal(r.documented, 0);
    pair_free(&p);
    /* One packet fewer. */
    p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 0, tcp_tls, lengths, 2, NULL, NULL);
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    pair_free(&p);
    /* A record only in the exact mode; then only in fast mode. */
    p = pair_new();
    write_record(p.e, 0, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.e, 1, tcp_tls, lengths, 3, NULL, NULL);
    write_record(p.f, 0, tcp_tls, lengths, 3, NULL, NULL);
    assert_false(fs_verify_compare(p.exact, p.fast, FALSE, &r));
    assert_int_equal(r.exact_records, 2);
    assert_int_equal(r.fast_records, 1);
    assert_int_equal(r.matched, 1);
    assert_int_equal(r.identical, 1);
    assert_false(fs_verify_compare(p.fast, p.exact, FALSE, &r));
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_records_are_accepted),
        cmocka_unit_test(fewer_documented_values_are_accepted),
        cmocka_unit_test(values_not_among_the_exact_ones_are_not),
        cmocka_unit_test(other_keys_and_missing_records_are_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
