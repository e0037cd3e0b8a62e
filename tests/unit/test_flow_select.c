/* test_flow_select.c: unit tests of extractor/flow_select.h, the decision
 * which flows get a record (--flow-filter, --min-packets, --min-bytes), on
 * flows built from the first packets of tcp.stream 0 of samples/tls.pcap
 * (frames 1-8: the TCP handshake, the Client Hello, the server's
 * certificate; the certificate is in frame 8, tls.handshake.type 11). No
 * epan needed: whether a packet matched the flow filter comes with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "flow.h"
#include "flow_select.h"
#include "support.h"

/* Frames 1-8 of tls.pcap's stream 0: direction, ip.len, tcp.len, time. */
struct frame {
    gboolean from_client;
    guint32 ip_len, tcp_len;
    gint32 usecs; /* after 1497468236 s */
};

static const struct frame frames[] = {
    { TRUE, 60, 0, 435350 }, { FALSE, 60, 0, 457771 }, { TRUE, 52, 0, 459698 },
    { TRUE, 278, 226, 460871 }, { FALSE, 52, 0, 483029 }, { FALSE, 1470, 1418, 484995 },
    { FALSE, 1470, 1418, 485257 }, { FALSE, 862, 810, 485260 }, /* the certificate */
};

/* The sum of the IP lengths of frames 1-8. */
#define ALL_BYTES (60 + 60 + 52 + 278 + 52 + 1470 + 1470 + 862)

/* A flow of the first n frames; frame `matching` (1-based; 0: none)
 * matches the flow filter. max_packets as --max-packets. Caller frees. */
static struct fs_flow *tls_flow(guint n, guint matching, guint max_packets)
{
    const struct fs_flow_options options = { .max_packets = max_packets };
    struct fs_flow *flow = NULL;
    for (guint i = 0; i < n; i++) {
        const struct frame *f = &frames[i];
        struct fs_packet p = f->from_client
                                     ? fs_test_packet(FS_TRANSPORT_TCP, 0, "10.42.0.211", 59097,
                                               "172.217.0.234", 443, f->ip_len, f->tcp_len,
                                               1497468236, f->usecs * 1000, 6, "TCP", NULL)
                                     : fs_test_packet(FS_TRANSPORT_TCP, 0, "172.217.0.234", 443,
                                               "10.42.0.211", 59097, f->ip_len, f->tcp_len,
                                               1497468236, f->usecs * 1000, 6, "TCP", NULL);
        p.flow_filter_match = i + 1 == matching;
        if (!flow)
            flow = fs_flow_new_with(&p, 0, &options);
        fs_flow_add_packet(flow, &p, &options);
    }
    return flow;
}

static void no_condition_selects_every_flow(void **state)
{
    (void)state;
    const struct fs_select none = { 0 };
    struct fs_flow *flow = tls_flow(1, 0, 0);
    assert_true(fs_flow_selected(flow, NULL));
    assert_true(fs_flow_selected(flow, &none));
    fs_flow_free(flow, NULL);
}

static void flow_filter_needs_one_matching_packet(void **state)
{
    (void)state;
    const struct fs_select select = { .flow_filter = TRUE };
    struct fs_flow *none = tls_flow(8, 0, 0);
    struct fs_flow *certificate = tls_flow(8, 8, 0);
    struct fs_flow *first = tls_flow(8, 1, 0);
    assert_false(none->flow_filter_matched);
    assert_false(fs_flow_selected(none, &select));
    assert_true(fs_flow_selected(certificate, &select));
    assert_true(fs_flow_selected(first, &select));
    /* Without --flow-filter the match does not matter. */
    const struct fs_select sizes_only = { .min_packets = 8 };
    assert_true(fs_flow_selected(none, &sizes_only));
    fs_flow_free(none, NULL);
    fs_flow_free(certificate, NULL);
    fs_flow_free(first, NULL);
}

/* --max-packets 4 keeps frames 1-4 in the sequences; the certificate in
 * frame 8 and the counts still select the flow. */
static void packets_beyond_max_packets_count(void **state)
{
    (void)state;
    struct fs_flow *flow = tls_flow(8, 8, 4);
    assert_int_equal(flow->ip_lengths->len, 4);
    assert_int_equal(flow->packets_total, 8);
    assert_int_equal(flow->bytes_total, ALL_BYTES);
    const struct fs_select filter = { .flow_filter = TRUE };
    const struct fs_select packets = { .min_packets = 8 };
    const struct fs_select bytes = { .min_bytes = ALL_BYTES };
    assert_true(fs_flow_selected(flow, &filter));
    assert_true(fs_flow_selected(flow, &packets));
    assert_true(fs_flow_selected(flow, &bytes));
    fs_flow_free(flow, NULL);
}

static void min_packets_is_at_least(void **state)
{
    (void)state;
    struct fs_flow *flow = tls_flow(5, 0, 0);
    const guint64 limits[] = { 0, 1, 5, 6, 100, G_MAXINT64 };
    const gboolean kept[] = { TRUE, TRUE, TRUE, FALSE, FALSE, FALSE };
    for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
        const struct fs_select select = { .min_packets = limits[i] };
        assert_int_equal(fs_flow_selected(flow, &select), kept[i]);
    }
    fs_flow_free(flow, NULL);
}

/* Bytes are IP lengths (ip.len), both directions: frames 1-5 make
 * 60 + 60 + 52 + 278 + 52 = 502. */
static void min_bytes_is_at_least_the_ip_bytes(void **state)
{
    (void)state;
    struct fs_flow *flow = tls_flow(5, 0, 0);
    assert_int_equal(flow->bytes_total, 502);
    const guint64 limits[] = { 0, 501, 502, 503, 226 + 1, G_MAXINT64 };
    const gboolean kept[] = { TRUE, TRUE, TRUE, FALSE, TRUE, FALSE };
    for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
        const struct fs_select select = { .min_bytes = limits[i] };
        assert_int_equal(fs_flow_selected(flow, &select), kept[i]);
    }
    fs_flow_free(flow, NULL);
}

/* Every condition given must hold. */
static void conditions_combine_with_and(void **state)
{
    (void)state;
    struct fs_flow *flow = tls_flow(8, 6, 0);
    const struct fs_select all = { .flow_filter = TRUE, .min_packets = 8, .min_bytes = ALL_BYTES };
    const struct fs_select too_many = { .flow_filter = TRUE, .min_packets = 9 };
    const struct fs_select too_big = { .flow_filter = TRUE, .min_bytes = ALL_BYTES + 1 };
    assert_true(fs_flow_selected(flow, &all));
    assert_false(fs_flow_selected(flow, &too_many));
    assert_false(fs_flow_selected(flow, &too_big));
    struct fs_flow *unmatched = tls_flow(8, 0, 0);
    assert_false(fs_flow_selected(unmatched, &all));
    fs_flow_free(flow, NULL);
    fs_flow_free(unmatched, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_condition_selects_every_flow),
        cmocka_unit_test(flow_filter_needs_one_matching_packet),
        cmocka_unit_test(packets_beyond_max_packets_count),
        cmocka_unit_test(min_packets_is_at_least),
        cmocka_unit_test(min_bytes_is_at_least_the_ip_bytes),
        cmocka_unit_test(conditions_combine_with_and),
    };
    return cmocka_run_group_tests_name("flow_select", tests, NULL, NULL);
}
