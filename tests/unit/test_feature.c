/* test_feature.c: unit tests of the feature modules (extractor/feature.h)
 * and their helpers (feature_stats.h: running mean and sample standard
 * deviation, milliseconds, packet sizes per accounting mode; the stats and
 * SPLT modules through a feature set: inter-arrival times, SPLT padding
 * and direction, key names), on hand-built packets: no epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <glib.h>

#include "feature.h"
#include "feature_stats.h"
#include "flow.h"
#include "sink.h"
#include "support.h"

/* A TCP packet of the flow 10.0.0.1:40000 -> 10.0.0.2:443 (forward) or
 * back, at secs.nsecs, with the given lengths and flags. */
static struct fs_packet packet(gboolean forward, gint64 secs, gint32 nsecs, guint32 frame_len,
        guint32 ip_len, guint32 hdr_len, guint32 tcp_len, guint16 flags)
{
    struct fs_packet p = fs_test_packet(FS_TRANSPORT_TCP, 0, forward ? "10.0.0.1" : "10.0.0.2",
            forward ? 40000 : 443, forward ? "10.0.0.2" : "10.0.0.1", forward ? 443 : 40000, ip_len,
            tcp_len, secs, nsecs, 6, "TCP", NULL);
    p.frame_len = frame_len;
    p.tcp_hdr_len = hdr_len;
    p.tcp_flags = flags;
    p.ip_version = 4;
    g_strlcpy(p.src_mac, forward ? "00:00:00:00:00:01" : "00:00:00:00:00:02", sizeof(p.src_mac));
    g_strlcpy(p.dst_mac, forward ? "00:00:00:00:00:02" : "00:00:00:00:00:01", sizeof(p.dst_mac));
    return p;
}

static void test_running_mean_and_sample_stddev(void **state)
{
    (void)state;
    /* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance
     * 32 / 7. */
    static const gint64 values[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    struct fs_running r;
    memset(&r, 0, sizeof(r));
    for (guint i = 0; i < G_N_ELEMENTS(values); i++)
        fs_running_add(&r, values[i]);
    assert_int_equal(r.n, 8);
    assert_int_equal(r.min, 2);
    assert_int_equal(r.max, 9);
    assert_true(fabs(r.mean - 5.0) < 1e-12);
    assert_true(fabs(fs_running_stddev(&r) - sqrt(32.0 / 7.0)) < 1e-12);
}

static void test_stddev_of_one_value_is_zero(void **state)
{
    (void)state;
    struct fs_running r;
    memset(&r, 0, sizeof(r));
    assert_true(fs_running_stddev(&r) == 0.0);
    fs_running_add(&r, 1500);
    assert_true(fs_running_stddev(&r) == 0.0);
    assert_true(r.mean == 1500.0);
}

static void test_time_in_truncated_milliseconds(void **state)
{
    (void)state;
    struct fs_packet p = packet(TRUE, 1497468236, 435999999, 60, 46, 20, 6, 0);
    assert_int_equal(fs_packet_time_ms(&p), 1497468236435);
}

static void test_time_of_impossible_fraction(void **state)
{
    (void)state;
    /* Fractions out of [0, 1 s) (crafted pcap records) count as the
     * normalised time: the floor of the instant in milliseconds. */
    struct fs_packet over = packet(TRUE, 1600000000, 1500000000, 60, 46, 20, 6, 0);
    struct fs_packet under = packet(TRUE, 1600000002, -1000, 60, 46, 20, 6, 0);
    struct fs_packet wrapped = packet(TRUE, 1600000003, -1794967296, 60, 46, 20, 6, 0);
    struct fs_packet before_epoch = packet(TRUE, 0, -1, 60, 46, 20, 6, 0);
    assert_int_equal(fs_packet_time_ms(&over), 1600000001500);
    assert_int_equal(fs_packet_time_ms(&under), 1600000001999);
    assert_int_equal(fs_packet_time_ms(&wrapped), 1600000001205);
    assert_int_equal(fs_packet_time_ms(&before_epoch), -1);
}

static void test_time_beyond_any_clock_saturates(void **state)
{
    (void)state;
    /* pcapng timestamps in whole seconds reach any gint64 (wiretap's
     * time_t wraps past 2^63): milliseconds stay within +-2^62, so the
     * difference of two (a duration, an inter-arrival time) never
     * overflows. */
    struct fs_packet last_exact = packet(TRUE, FS_PACKET_SECS_MAX, 999999999, 60, 46, 20, 6, 0);
    struct fs_packet beyond = packet(TRUE, FS_PACKET_SECS_MAX + 1, 0, 60, 46, 20, 6, 0);
    struct fs_packet top = packet(TRUE, G_MAXINT64, 999999999, 60, 46, 20, 6, 0);
    struct fs_packet bottom = packet(TRUE, G_MININT64, 0, 60, 46, 20, 6, 0);
    assert_true(fs_packet_time_ms(&last_exact) == G_GINT64_CONSTANT(4611686018427386999));
    assert_true(fs_packet_time_ms(&beyond) == G_GINT64_CONSTANT(4611686018427386000));
    assert_true(fs_packet_time_ms(&top) == G_GINT64_CONSTANT(4611686018427386999));
    assert_true(fs_packet_time_ms(&bottom) == -G_GINT64_CONSTANT(4611686018427386000));
    assert_true(fs_packet_time_ms(&top) - fs_packet_time_ms(&bottom) ==
                G_GINT64_CONSTANT(9223372036854772999));
}

static void test_normalise_time(void **state)
{
    (void)state;
    gint64 secs = 5;
    gint32 nsecs = G_MININT32; /* -2.147483648 s */
    fs_packet_normalise_time(&secs, &nsecs);
    assert_int_equal(secs, 2);
    assert_int_equal(nsecs, 852516352);
    secs = 7;
    nsecs = 999999999;
    fs_packet_normalise_time(&secs, &nsecs);
    assert_int_equal(secs, 7);
    assert_int_equal(nsecs, 999999999);
    secs = G_MAXINT64;
    nsecs = G_MAXINT32; /* 2.147483647 s: the seconds saturate */
    fs_packet_normalise_time(&secs, &nsecs);
    assert_true(secs == G_MAXINT64);
    assert_int_equal(nsecs, 147483647);
}

static void test_ends_same_both_ways(void **state)
{
    (void)state;
    struct fs_packet out = fs_test_packet(
            FS_TRANSPORT_UDP, 0, "10.0.0.2", 53, "10.0.0.1", 40000, 60, 40, 0, 0, 6, "DNS", NULL);
    struct fs_packet back = fs_test_packet(
            FS_TRANSPORT_UDP, 0, "10.0.0.1", 40000, "10.0.0.2", 53, 60, 40, 0, 0, 6, "DNS", NULL);
    GString *a = g_string_new("17|");
    GString *b = g_string_new("17|");
    fs_packet_append_ends(a, &out, TRUE);
    fs_packet_append_ends(b, &back, TRUE);
    assert_string_equal(a->str, "17|10.0.0.1|40000|10.0.0.2|53");
    assert_string_equal(b->str, a->str);
    g_string_truncate(a, 0);
    fs_packet_append_ends(a, &out, FALSE);
    assert_string_equal(a->str, "10.0.0.1|10.0.0.2");
    /* One address both ways (loopback): the lower port first. */
    struct fs_packet self = fs_test_packet(
            FS_TRANSPORT_TCP, 0, "::1", 8080, "::1", 5000, 60, 40, 0, 0, 6, "TCP", NULL);
    g_string_truncate(b, 0);
    fs_packet_append_ends(b, &self, TRUE);
    assert_string_equal(b->str, "::1|5000|::1|8080");
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
}

static void test_packet_size_per_accounting_mode(void **state)
{
    (void)state;
    /* 74-byte frame, IP length 60, TCP header 32 bytes (12 of options),
     * 8 bytes of payload. */
    struct fs_packet tcp = packet(TRUE, 0, 0, 74, 60, 32, 8, 0x18);
    assert_int_equal(fs_feature_packet_size(&tcp, FS_ACCOUNT_LINK), 74);
    assert_int_equal(fs_feature_packet_size(&tcp, FS_ACCOUNT_IP), 60);
    assert_int_equal(fs_feature_packet_size(&tcp, FS_ACCOUNT_TRANSPORT), 20);
    assert_int_equal(fs_feature_packet_size(&tcp, FS_ACCOUNT_PAYLOAD), 8);
    /* UDP with udp.length 36: 28 bytes of data in modes 2 and 3. */
    struct fs_packet udp = fs_test_packet(
            FS_TRANSPORT_UDP, 0, "10.0.0.1", 5353, "10.0.0.2", 53, 56, 36, 0, 0, 6, "DNS", NULL);
    assert_int_equal(fs_feature_packet_size(&udp, FS_ACCOUNT_TRANSPORT), 28);
    assert_int_equal(fs_feature_packet_size(&udp, FS_ACCOUNT_PAYLOAD), 28);
}

/* A feature set for --stats --splt splt --accounting-mode accounting. */
static fs_feature_set *stats_set(guint splt, enum fs_accounting accounting)
{
    /* The options as the command line gives them (the modules declare
     * --stats and --splt themselves). */
    char *line = g_strdup_printf(
            "flowshark -r x.pcap --stats --splt %u --accounting-mode %d", splt, (int)accounting);
    char **argv = g_strsplit(line, " ", -1);
    struct fs_options opts;
    char *errmsg = NULL;
    assert_int_equal(fs_options_parse((int)g_strv_length(argv), argv, &opts, &errmsg), FS_OK);
    fs_feature_set *set = NULL;
    assert_int_equal(fs_feature_set_new(&opts, &set, &errmsg), FS_OK);
    assert_null(errmsg);
    fs_options_free(&opts);
    g_strfreev(argv);
    g_free(line);
    return set;
}

/* Collects the CSV row of a flow's features into a string. */
static char *features_row(const fs_feature_set *set, gpointer *slots)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *sink = fs_sink_new(fs_sink_format_find("csv"), w);
    fs_sink_begin_record(sink);
    fs_feature_set_emit(set, slots, NULL, sink);
    fs_sink_end_record(sink);
    fs_sink_free(sink);
    char *ignored = NULL;
    fs_writer_close(w, TRUE, &ignored);
    g_free(ignored);
    fclose(out);
    char *row = g_strdup(buffer);
    free(buffer);
    return row;
}

static void test_flow_statistics_and_splt(void **state)
{
    (void)state;
    fs_feature_set *set = stats_set(4, FS_ACCOUNT_IP);
    assert_int_equal(fs_feature_set_size(set), 2);
    assert_int_equal(fs_feature_set_extras(set), FS_EXTRA_LINK);
    gpointer *slots = fs_feature_set_flow_new(set);
    /* SYN at 0 ms, SYN-ACK at 10 ms, ACK at 30 ms. */
    struct fs_packet syn = packet(TRUE, 100, 0, 74, 60, 40, 0, 0x02);
    struct fs_packet synack = packet(FALSE, 100, 10000000, 74, 60, 40, 0, 0x12);
    struct fs_packet ack = packet(TRUE, 100, 30000000, 66, 52, 32, 0, 0x10);
    fs_feature_set_packet(set, slots, NULL, &syn, TRUE);
    fs_feature_set_packet(set, slots, NULL, &synack, FALSE);
    fs_feature_set_packet(set, slots, NULL, &ack, TRUE);
    fs_feature_set_finish(set, slots);
    char *row = features_row(set, slots);
    /* Sizes 60, 60, 52: mean 57.333..., stddev sqrt(64/3 / 2) =
     * 4.6188...; piats 10, 20: mean 15, stddev 7.0710...; src2dst piat 30
     * (one value: stddev 0); dst2src: one packet. */
    assert_string_equal(row, "00:00:00:00:00:01,00:00:00:00:00:02,4,0,"
                             "100000,100030,30,3,172,"                     /* bidirectional */
                             "100000,100030,30,2,112,"                     /* src2dst */
                             "100010,100010,0,1,60,"                       /* dst2src */
                             "52,57.333333333333336,4.618802153517007,60," /* bidirectional ps */
                             "52,56.0,5.656854249492381,60,"
                             "60,60.0,0.0,60,"
                             "10,15.0,7.0710678118654755,20," /* piat */
                             "30,30.0,0.0,30,"
                             "0,0.0,0.0,0,"
                             "2,0,0,0,2,0,0,0," /* syn cwr ece urg ack psh rst fin */
                             "1,0,0,0,1,0,0,0,"
                             "1,0,0,0,1,0,0,0,"
                             "\"[0,1,0,-1]\",\"[60,60,52,-1]\",\"[0,10,20,-1]\"\r\n");
    g_free(row);
    fs_feature_set_flow_free(set, slots);
    fs_feature_set_free(set);
}

static void test_keys_match_values(void **state)
{
    (void)state;
    fs_feature_set *set = stats_set(2, FS_ACCOUNT_LINK);
    gpointer *slots = fs_feature_set_flow_new(set);
    fs_sink *keys_sink = fs_sink_new_key_collector();
    fs_sink_begin_record(keys_sink);
    fs_feature_set_emit(set, slots, NULL, keys_sink);
    fs_sink_end_record(keys_sink);
    const GPtrArray *keys = fs_sink_collected_keys(keys_sink);
    /* 4 link keys, 15 counters, 24 size/piat statistics, 24 flag counts,
     * 3 sequences. */
    assert_int_equal(keys->len, 4 + 15 + 24 + 24 + 3);
    assert_string_equal(g_ptr_array_index(keys, 0), "src_mac");
    assert_string_equal(g_ptr_array_index(keys, 4), "bidirectional_first_seen_ms");
    assert_string_equal(g_ptr_array_index(keys, 19), "bidirectional_min_ps");
    assert_string_equal(g_ptr_array_index(keys, 31), "bidirectional_min_piat_ms");
    assert_string_equal(g_ptr_array_index(keys, 43), "bidirectional_syn_packets");
    assert_string_equal(g_ptr_array_index(keys, 66), "dst2src_fin_packets");
    assert_string_equal(g_ptr_array_index(keys, 67), "splt_direction");
    fs_sink_free(keys_sink);
    fs_feature_set_flow_free(set, slots);
    fs_feature_set_free(set);
}

/* --tls reads its Wireshark fields from the packet values after the -e
 * fields; a field also given with -e is read at its -e index. */
static void test_module_fields_follow_the_e_fields(void **state)
{
    (void)state;
    char **argv = g_strsplit("flowshark -r x.pcap -e ip.src -e tls.handshake.ja3 --tls", " ", -1);
    struct fs_options opts;
    char *errmsg = NULL;
    assert_int_equal(fs_options_parse((int)g_strv_length(argv), argv, &opts, &errmsg), FS_OK);
    g_strfreev(argv);
    fs_feature_set *set = NULL;
    assert_int_equal(fs_feature_set_new(&opts, &set, &errmsg), FS_OK);
    /* Nine fields, ja3 among the -e ones: eight added, in the module's
     * order. */
    const GPtrArray *added = fs_feature_set_added_fields(set);
    assert_int_equal(added->len, 8);
    assert_string_equal(g_ptr_array_index(added, 0), "tls.handshake.type");
    assert_string_equal(g_ptr_array_index(added, 5), "tls.handshake.extensions_alpn_str");
    assert_string_equal(g_ptr_array_index(added, 6), "tls.handshake.ja3s");
    assert_string_equal(g_ptr_array_index(added, 7), "tls.handshake.certificate");

    /* Values: ip.src, ja3 (-e), then type, version, supported_version,
     * ciphersuite, server_name, alpn, ja3s, certificate. */
    const char *client_hello[] = { "10.0.0.1", "0123abcd", "1", "0x0303", "0x0304,0x0303", "",
        "example.org", "h2,http/1.1", "", "" };
    const char *server_hello[] = { "10.0.0.2", "", "2", "0x0303", "0x0304", "", "", "h2", "4567ef",
        "" };
    const char *const *texts[] = { client_hello, server_hello };
    GString *values[2][10];
    const struct fs_flow_options flow_options = { .features = set };
    struct fs_flow *flow = NULL;
    for (guint p = 0; p < 2; p++) {
        for (guint i = 0; i < 10; i++)
            values[p][i] = g_string_new(texts[p][i]);
        struct fs_packet packet;
        memset(&packet, 0, sizeof(packet));
        packet.transport = FS_TRANSPORT_TCP;
        g_strlcpy(packet.src, p == 0 ? "10.0.0.1" : "10.0.0.2", sizeof(packet.src));
        g_strlcpy(packet.dst, p == 0 ? "10.0.0.2" : "10.0.0.1", sizeof(packet.dst));
        packet.sport = p == 0 ? 50000 : 443;
        packet.dport = p == 0 ? 443 : 50000;
        packet.protocol_column = "TLSv1.3";
        packet.values = values[p];
        packet.value_count = 10;
        if (!flow)
            flow = fs_flow_new_with(&packet, 2, &flow_options);
        fs_flow_add_packet(flow, &packet, &flow_options);
    }
    fs_feature_set_finish(set, flow->features);
    char *row = features_row(set, flow->features);
    assert_string_equal(row, "TLS 1.3,,example.org,\"[\"\"h2\"\",\"\"http/1.1\"\"]\",h2,0123abcd,"
                             "4567ef,[],[]\r\n");
    g_free(row);
    fs_flow_free(flow, &flow_options);
    for (guint p = 0; p < 2; p++) {
        for (guint i = 0; i < 10; i++)
            g_string_free(values[p][i], TRUE);
    }
    fs_feature_set_free(set);
    fs_options_free(&opts);
}

static void test_empty_set_adds_nothing(void **state)
{
    (void)state;
    struct fs_options opts;
    memset(&opts, 0, sizeof(opts));
    fs_feature_set *set = NULL;
    char *errmsg = NULL;
    assert_int_equal(fs_feature_set_new(&opts, &set, &errmsg), FS_OK);
    assert_int_equal(fs_feature_set_size(set), 0);
    assert_int_equal(fs_feature_set_extras(set), 0);
    assert_null(fs_feature_set_flow_new(set));
    fs_feature_set_free(set);
}

int main(int argc, char **argv)
{
    (void)argc;
    fs_test_set_argv0(argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_mean_and_sample_stddev),
        cmocka_unit_test(test_stddev_of_one_value_is_zero),
        cmocka_unit_test(test_time_in_truncated_milliseconds),
        cmocka_unit_test(test_time_of_impossible_fraction),
        cmocka_unit_test(test_time_beyond_any_clock_saturates),
        cmocka_unit_test(test_normalise_time),
        cmocka_unit_test(test_ends_same_both_ways),
        cmocka_unit_test(test_packet_size_per_accounting_mode),
        cmocka_unit_test(test_flow_statistics_and_splt),
        cmocka_unit_test(test_keys_match_values),
        cmocka_unit_test(test_empty_set_adds_nothing),
        cmocka_unit_test(test_module_fields_follow_the_e_fields),
    };
    return cmocka_run_group_tests_name("feature", tests, NULL, NULL);
}
