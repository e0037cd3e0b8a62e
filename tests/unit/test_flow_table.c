/* test_flow_table.c: unit tests of extractor/flow.h (direction rule, signed
 * sequences, payload lengths, extension values, time range) and
 * extractor/flow_table.h (grouping by transport and stream, visiting order),
 * on hand-built packets: no epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "flow.h"
#include "flow_table.h"
#include "support.h"

#define EXT_COUNT 2 /* two -e fields in every fixture */

/* ---- fixture ---- */

struct flow_state {
    fs_flow_table *table;
    struct fs_flow *flow; /* for the tests of one flow without a table */
    GString *values[EXT_COUNT];
    GPtrArray *visited; /* const struct fs_flow *, in fs_flow_table_foreach() order */
};

static int setup_with(void **state, gboolean udp_data_length)
{
    struct flow_state *s = g_new0(struct flow_state, 1);
    struct fs_flow_options options = { .udp_data_length = udp_data_length };
    s->table = fs_flow_table_new(EXT_COUNT, &options);
    for (guint i = 0; i < EXT_COUNT; i++)
        s->values[i] = g_string_new(NULL);
    s->visited = g_ptr_array_new();
    *state = s;
    return 0;
}

static int setup_default(void **state)
{
    return setup_with(state, FALSE);
}

static int setup_udp_data_length(void **state)
{
    return setup_with(state, TRUE);
}

static int teardown(void **state)
{
    struct flow_state *s = *state;
    fs_flow_table_free(s->table);
    fs_flow_free(s->flow, NULL);
    for (guint i = 0; i < EXT_COUNT; i++)
        g_string_free(s->values[i], TRUE);
    g_ptr_array_free(s->visited, TRUE);
    g_free(s);
    return 0;
}

#define FLOW_TEST(f)     cmocka_unit_test_setup_teardown(f, setup_default, teardown)
#define UDP_DATA_TEST(f) cmocka_unit_test_setup_teardown(f, setup_udp_data_length, teardown)

/* ---- packets ---- */

/* A packet of stream `stream` from src:sport to dst:dport, with IP length
 * ip_len, transport (tcp.len or udp.length) length transport_len, at
 * secs + nsecs / 1e9 with 6 decimals, Protocol column "TCP" (whatever the
 * transport) and the fixture's field values. */
static struct fs_packet make_packet(const struct flow_state *s, enum fs_transport transport,
        guint32 stream, const char *src, guint32 sport, const char *dst, guint32 dport,
        guint32 ip_len, guint32 transport_len, gint64 secs, gint32 nsecs)
{
    return fs_test_packet(transport, stream, src, sport, dst, dport, ip_len, transport_len, secs,
            nsecs, 6, "TCP", s->values);
}

/* Client 10.0.0.1:50000, server 10.0.0.2:443. */
static struct fs_packet client_to_server(
        const struct flow_state *s, guint32 ip_len, guint32 tcp_len, gint64 secs, gint32 nsecs)
{
    return make_packet(s, FS_TRANSPORT_TCP, 0, "10.0.0.1", 50000, "10.0.0.2", 443, ip_len, tcp_len,
            secs, nsecs);
}

static struct fs_packet server_to_client(
        const struct flow_state *s, guint32 ip_len, guint32 tcp_len, gint64 secs, gint32 nsecs)
{
    return make_packet(s, FS_TRANSPORT_TCP, 0, "10.0.0.2", 443, "10.0.0.1", 50000, ip_len, tcp_len,
            secs, nsecs);
}

static struct fs_packet udp_packet(const struct flow_state *s, guint32 stream, guint32 udp_length)
{
    return make_packet(s, FS_TRANSPORT_UDP, stream, "192.168.1.10", 5353, "192.168.1.1", 53,
            28 + udp_length - 8, udp_length, 100, 0);
}

static gint32 length_at(const GArray *lengths, guint i)
{
    return g_array_index(lengths, gint32, i);
}

static struct fs_timestamp ip_time(const struct fs_flow *flow, guint i)
{
    return fs_flow_ip_time(flow, i);
}

static struct fs_timestamp payload_time(const struct fs_flow *flow, guint i)
{
    return fs_flow_payload_time(flow, i);
}

static const struct fs_ext_value *ext_at(const struct fs_flow *flow, guint field, guint i)
{
    return &g_array_index(flow->ext[field], struct fs_ext_value, i);
}

/* ---- direction rule ---- */

static void direction_source_port_greater(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet first = client_to_server(s, 60, 0, 1, 0);
    s->flow = fs_flow_new(&first, EXT_COUNT);
    assert_string_equal(s->flow->src, "10.0.0.1");
    assert_int_equal(s->flow->sport, 50000);
    assert_string_equal(s->flow->dst, "10.0.0.2");
    assert_int_equal(s->flow->dport, 443);
    assert_true(fs_flow_is_forward(s->flow, &first));
    /* fs_flow_new() does not add the packet. */
    assert_int_equal(s->flow->ip_lengths->len, 0);
}

static void direction_source_port_smaller(void **state)
{
    struct flow_state *s = *state;
    /* The capture starts with the server's answer: the client is still src. */
    struct fs_packet first = server_to_client(s, 1500, 1448, 1, 0);
    s->flow = fs_flow_new(&first, EXT_COUNT);
    assert_string_equal(s->flow->src, "10.0.0.1");
    assert_int_equal(s->flow->sport, 50000);
    assert_string_equal(s->flow->dst, "10.0.0.2");
    assert_int_equal(s->flow->dport, 443);
    assert_false(fs_flow_is_forward(s->flow, &first));
}

static void direction_equal_ports(void **state)
{
    struct flow_state *s = *state;
    /* 10.0.0.1:53 -> 10.0.0.2:53: equal ports, the destination is src. */
    struct fs_packet first =
            make_packet(s, FS_TRANSPORT_UDP, 0, "10.0.0.1", 53, "10.0.0.2", 53, 60, 40, 1, 0);
    struct fs_packet reply =
            make_packet(s, FS_TRANSPORT_UDP, 0, "10.0.0.2", 53, "10.0.0.1", 53, 80, 60, 2, 0);
    s->flow = fs_flow_new(&first, EXT_COUNT);
    assert_string_equal(s->flow->src, "10.0.0.2");
    assert_int_equal(s->flow->sport, 53);
    assert_string_equal(s->flow->dst, "10.0.0.1");
    assert_int_equal(s->flow->dport, 53);
    assert_false(fs_flow_is_forward(s->flow, &first));
    assert_true(fs_flow_is_forward(s->flow, &reply));
}

static void direction_ipv6(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet first = make_packet(
            s, FS_TRANSPORT_TCP, 7, "2001:db8::1", 443, "2001:db8::2", 40000, 40, 0, 1, 0);
    s->flow = fs_flow_new(&first, EXT_COUNT);
    assert_int_equal(s->flow->transport, FS_TRANSPORT_TCP);
    assert_int_equal(s->flow->stream, 7);
    assert_string_equal(s->flow->src, "2001:db8::2");
    assert_int_equal(s->flow->sport, 40000);
    assert_string_equal(s->flow->dst, "2001:db8::1");
    assert_int_equal(s->flow->dport, 443);
}

static void forward_needs_address_and_port(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet first = client_to_server(s, 60, 0, 1, 0);
    s->flow = fs_flow_new(&first, EXT_COUNT);
    /* Same port, other address; same address, other port. */
    struct fs_packet other_host =
            make_packet(s, FS_TRANSPORT_TCP, 0, "10.0.0.9", 50000, "10.0.0.2", 443, 60, 0, 1, 0);
    struct fs_packet other_port =
            make_packet(s, FS_TRANSPORT_TCP, 0, "10.0.0.1", 50001, "10.0.0.2", 443, 60, 0, 1, 0);
    assert_false(fs_flow_is_forward(s->flow, &other_host));
    assert_false(fs_flow_is_forward(s->flow, &other_port));
}

/* ---- sequences ---- */

static void signs_and_payload_sequence(void **state)
{
    struct flow_state *s = *state;
    /* Handshake (no payload), request, response, ACK, response. */
    struct fs_packet packets[] = {
        client_to_server(s, 60, 0, 10, 100000),
        server_to_client(s, 60, 0, 10, 200000),
        client_to_server(s, 52, 0, 10, 300000),
        client_to_server(s, 323, 283, 10, 400000),
        server_to_client(s, 1450, 1410, 10, 500000),
        client_to_server(s, 52, 0, 10, 600000),
        server_to_client(s, 1394, 1354, 10, 700000),
    };
    struct fs_flow *flow = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(packets); i++)
        flow = fs_flow_table_add_packet(s->table, &packets[i]);

    const gint32 ip_lengths[] = { 60, -60, 52, 323, -1450, 52, -1394 };
    assert_int_equal(flow->ip_lengths->len, G_N_ELEMENTS(ip_lengths));
    assert_memory_equal(flow->ip_lengths->data, ip_lengths, sizeof(ip_lengths));
    assert_int_equal(flow->ip_times->len, 7);
    assert_int_equal(ip_time(flow, 1).nsecs, 200000);
    assert_int_equal(ip_time(flow, 6).nsecs, 700000);

    /* Zero-length packets are not in the payload sequence. */
    const gint32 payload_lengths[] = { 283, -1410, -1354 };
    assert_int_equal(flow->payload_lengths->len, G_N_ELEMENTS(payload_lengths));
    assert_memory_equal(flow->payload_lengths->data, payload_lengths, sizeof(payload_lengths));
    assert_int_equal(flow->payload_index->len, 3);
    assert_int_equal(payload_time(flow, 0).secs, 10);
    assert_int_equal(payload_time(flow, 0).nsecs, 400000);
    assert_int_equal(payload_time(flow, 1).nsecs, 500000);
    assert_int_equal(payload_time(flow, 2).nsecs, 700000);
}

static void signs_when_server_speaks_first(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet first = server_to_client(s, 1500, 1448, 1, 0);
    struct fs_packet second = client_to_server(s, 52, 0, 2, 0);
    struct fs_packet third = client_to_server(s, 100, 48, 3, 0);
    fs_flow_table_add_packet(s->table, &first);
    fs_flow_table_add_packet(s->table, &second);
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &third);
    assert_int_equal(length_at(flow->ip_lengths, 0), -1500);
    assert_int_equal(length_at(flow->ip_lengths, 1), 52);
    assert_int_equal(length_at(flow->ip_lengths, 2), 100);
    assert_int_equal(flow->payload_lengths->len, 2);
    assert_int_equal(length_at(flow->payload_lengths, 0), -1448);
    assert_int_equal(length_at(flow->payload_lengths, 1), 48);
}

static void timestamps_keep_decimals(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet p = client_to_server(s, 100, 48, 1497468236, 435350001);
    p.ts_decimals = 9;
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &p);
    struct fs_timestamp ip_value = ip_time(flow, 0), payload_value = payload_time(flow, 0);
    const struct fs_timestamp *ip = &ip_value, *payload = &payload_value;
    assert_int_equal(ip->secs, 1497468236);
    assert_int_equal(ip->nsecs, 435350001);
    assert_int_equal(ip->decimals, 9);
    assert_int_equal(payload->secs, 1497468236);
    assert_int_equal(payload->nsecs, 435350001);
    assert_int_equal(payload->decimals, 9);
}

/* ---- payload length ---- */

static void udp_payload_is_udp_length(void **state)
{
    struct flow_state *s = *state;
    /* udp.length 8 is an empty datagram; by default it still counts 8. */
    struct fs_packet empty = udp_packet(s, 0, 8);
    struct fs_packet query = udp_packet(s, 0, 40);
    fs_flow_table_add_packet(s->table, &empty);
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &query);
    assert_int_equal(flow->payload_lengths->len, 2);
    assert_int_equal(length_at(flow->payload_lengths, 0), 8);
    assert_int_equal(length_at(flow->payload_lengths, 1), 40);
    assert_int_equal(length_at(flow->ip_lengths, 0), 28);
    assert_int_equal(length_at(flow->ip_lengths, 1), 60);
}

static void udp_data_length_drops_empty_datagram(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet empty = udp_packet(s, 0, 8);
    struct fs_packet query = udp_packet(s, 0, 40);
    fs_flow_table_add_packet(s->table, &empty);
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &query);
    assert_int_equal(flow->ip_lengths->len, 2);
    assert_int_equal(flow->payload_lengths->len, 1);
    assert_int_equal(length_at(flow->payload_lengths, 0), 32);
    assert_int_equal(flow->payload_index->len, 1);
}

static void payload_length_function(void **state)
{
    struct flow_state *s = *state;
    const struct fs_flow_options plain = { .udp_data_length = FALSE };
    const struct fs_flow_options data = { .udp_data_length = TRUE };
    struct fs_packet udp = udp_packet(s, 0, 108);
    struct fs_packet udp_short = udp_packet(s, 0, 5); /* bad udp.length below the header */
    struct fs_packet tcp = client_to_server(s, 100, 60, 1, 0);
    struct fs_packet tcp_empty = client_to_server(s, 40, 0, 1, 0);
    assert_int_equal(fs_flow_payload_length(&udp, &plain), 108);
    assert_int_equal(fs_flow_payload_length(&udp, &data), 100);
    assert_int_equal(fs_flow_payload_length(&udp_short, &plain), 5);
    assert_int_equal(fs_flow_payload_length(&udp_short, &data), 0);
    /* --udp-data-length leaves TCP alone: tcp.len has no header in it. */
    assert_int_equal(fs_flow_payload_length(&tcp, &plain), 60);
    assert_int_equal(fs_flow_payload_length(&tcp, &data), 60);
    assert_int_equal(fs_flow_payload_length(&tcp_empty, &data), 0);
}

/* ---- Protocol column and extension values ---- */

static void protocols_distinct_in_first_seen_order(void **state)
{
    struct flow_state *s = *state;
    const char *const columns[] = { "TCP", "TLSv1.2", "TCP", "TLSv1.3", "TLSv1.2", "TCP" };
    struct fs_flow *flow = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(columns); i++) {
        struct fs_packet p = client_to_server(s, 100, 48, 1, 0);
        p.protocol_column = columns[i];
        flow = fs_flow_table_add_packet(s->table, &p);
    }
    assert_int_equal(flow->protocols->len, 3);
    assert_string_equal(g_ptr_array_index(flow->protocols, 0), "TCP");
    assert_string_equal(g_ptr_array_index(flow->protocols, 1), "TLSv1.2");
    assert_string_equal(g_ptr_array_index(flow->protocols, 2), "TLSv1.3");
}

static void ext_values_with_packet_index(void **state)
{
    struct flow_state *s = *state;
    /* Field 0: only packet 1. Field 1: packets 0 and 2. */
    const char *const field0[] = { "", "doh-2.seby.io", "" };
    const char *const field1[] = { "0xc02f,0xc030", "", "0x1301" };
    struct fs_flow *flow = NULL;
    for (guint i = 0; i < 3; i++) {
        g_string_assign(s->values[0], field0[i]);
        g_string_assign(s->values[1], field1[i]);
        struct fs_packet p = client_to_server(s, 100, 48, 1, 0);
        flow = fs_flow_table_add_packet(s->table, &p);
    }
    assert_int_equal(flow->ext_count, EXT_COUNT);
    assert_int_equal(flow->ext[0]->len, 1);
    assert_string_equal(ext_at(flow, 0, 0)->text, "doh-2.seby.io");
    assert_int_equal(ext_at(flow, 0, 0)->index, 1);
    assert_int_equal(flow->ext[1]->len, 2);
    assert_string_equal(ext_at(flow, 1, 0)->text, "0xc02f,0xc030");
    assert_int_equal(ext_at(flow, 1, 0)->index, 0);
    assert_string_equal(ext_at(flow, 1, 1)->text, "0x1301");
    assert_int_equal(ext_at(flow, 1, 1)->index, 2);
}

static void ext_index_counts_packets_without_payload(void **state)
{
    struct flow_state *s = *state;
    /* The index is the position in ip_lengths, not in payload_lengths. */
    struct fs_packet syn = client_to_server(s, 60, 0, 1, 0);
    struct fs_packet hello = client_to_server(s, 323, 283, 2, 0);
    fs_flow_table_add_packet(s->table, &syn);
    g_string_assign(s->values[0], "example.com");
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &hello);
    assert_int_equal(flow->ext[0]->len, 1);
    assert_int_equal(ext_at(flow, 0, 0)->index, 1);
    assert_int_equal(flow->ext[1]->len, 0);
}

static void ext_values_are_copied(void **state)
{
    struct flow_state *s = *state;
    g_string_assign(s->values[0], "first");
    struct fs_packet p = client_to_server(s, 100, 48, 1, 0);
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &p);
    g_string_assign(s->values[0], "overwritten by the next packet");
    assert_string_equal(ext_at(flow, 0, 0)->text, "first");
}

static void ext_without_fields(void **state)
{
    struct flow_state *s = *state;
    /* A run without -e: no value arrays at all. */
    struct fs_packet p = client_to_server(s, 100, 48, 1, 0);
    p.values = NULL;
    s->flow = fs_flow_new(&p, 0);
    const struct fs_flow_options options = { .udp_data_length = FALSE };
    fs_flow_add_packet(s->flow, &p, &options);
    assert_int_equal(s->flow->ext_count, 0);
    assert_int_equal(s->flow->ip_lengths->len, 1);
    assert_int_equal(length_at(s->flow->payload_lengths, 0), 48);
}

/* ---- fs_flow_time_range ---- */

static void time_range_out_of_order(void **state)
{
    struct flow_state *s = *state;
    /* 5.5, 3.9, 7.1, 3.000000001, 7.000000002 s: not in time order (a
     * capture merged from several interfaces). */
    const gint64 secs[] = { 5, 3, 7, 3, 7 };
    const gint32 nsecs[] = { 500000000, 900000000, 100000000, 1, 2 };
    struct fs_flow *flow = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(secs); i++) {
        struct fs_packet p = client_to_server(s, 100, 48, secs[i], nsecs[i]);
        flow = fs_flow_table_add_packet(s->table, &p);
    }
    struct fs_timestamp first = { 0 }, last = { 0 };
    assert_true(fs_flow_time_range(flow, FALSE, &first, &last));
    assert_int_equal(first.secs, 3);
    assert_int_equal(first.nsecs, 1);
    assert_int_equal(last.secs, 7);
    assert_int_equal(last.nsecs, 100000000);
}

static void time_range_single_and_negative(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet one = client_to_server(s, 100, 48, -1, 500000000);
    s->flow = fs_flow_new(&one, EXT_COUNT);
    fs_flow_add_packet(s->flow, &one, &(struct fs_flow_options){ 0 });
    struct fs_timestamp first = { 0 }, last = { 0 };
    gboolean single = fs_flow_time_range(s->flow, TRUE, &first, &last);
    gint64 single_first = first.secs, single_last = last.secs;
    /* -2.9 s is before -1.5 s, 0.0 s after; a packet without payload
     * counts for the IP sequence only. */
    struct fs_packet earlier = client_to_server(s, 100, 48, -2, 100000000);
    struct fs_packet zero = client_to_server(s, 100, 48, 0, 0);
    struct fs_packet latest_ack = client_to_server(s, 40, 0, 9, 0);
    fs_flow_add_packet(s->flow, &earlier, &(struct fs_flow_options){ 0 });
    fs_flow_add_packet(s->flow, &zero, &(struct fs_flow_options){ 0 });
    fs_flow_add_packet(s->flow, &latest_ack, &(struct fs_flow_options){ 0 });
    gboolean three = fs_flow_time_range(s->flow, TRUE, &first, &last);
    assert_true(single);
    assert_int_equal(single_first, -1);
    assert_int_equal(single_last, -1);
    assert_true(three);
    assert_int_equal(first.secs, -2);
    assert_int_equal(first.nsecs, 100000000);
    assert_int_equal(last.secs, 0);
    assert_int_equal(last.nsecs, 0);
    assert_true(fs_flow_time_range(s->flow, FALSE, &first, &last));
    assert_int_equal(last.secs, 9);
}

static void time_range_empty(void **state)
{
    struct flow_state *s = *state;
    struct fs_packet ack = client_to_server(s, 40, 0, 5, 0);
    s->flow = fs_flow_new(&ack, EXT_COUNT);
    struct fs_timestamp first = { 11, 12, 6 }, last = { 13, 14, 6 };
    assert_false(fs_flow_time_range(s->flow, FALSE, &first, &last));
    fs_flow_add_packet(s->flow, &ack, &(struct fs_flow_options){ 0 });
    assert_false(fs_flow_time_range(s->flow, TRUE, &first, &last));
}

/* ---- the table ---- */

static void collect_flow(const struct fs_flow *flow, void *user_data)
{
    g_ptr_array_add(user_data, (gpointer)flow);
}

static const struct fs_flow *visited_at(const struct flow_state *s, guint i)
{
    return g_ptr_array_index(s->visited, i);
}

static void table_groups_by_transport_and_stream(void **state)
{
    struct flow_state *s = *state;
    /* Packets in capture order: UDP 2, TCP 1, TCP 0, UDP 0, TCP 1, UDP 2,
     * TCP 3 (TCP 2 and UDP 1 never appear: gaps, e.g. filtered out). */
    const enum fs_transport transports[] = { FS_TRANSPORT_UDP, FS_TRANSPORT_TCP, FS_TRANSPORT_TCP,
        FS_TRANSPORT_UDP, FS_TRANSPORT_TCP, FS_TRANSPORT_UDP, FS_TRANSPORT_TCP };
    const guint32 streams[] = { 2, 1, 0, 0, 1, 2, 3 };
    struct fs_flow *returned[G_N_ELEMENTS(streams)];
    for (guint i = 0; i < G_N_ELEMENTS(streams); i++) {
        struct fs_packet p = make_packet(s, transports[i], streams[i], "10.0.0.1", 40000 + i,
                "10.0.0.2", 53, 100, 48, (gint64)i, 0);
        returned[i] = fs_flow_table_add_packet(s->table, &p);
    }
    assert_int_equal(fs_flow_table_size(s->table), 5);
    /* The same (transport, stream) is the same flow; TCP 0 is not UDP 0. */
    assert_ptr_equal(returned[1], returned[4]);
    assert_ptr_equal(returned[0], returned[5]);
    assert_ptr_not_equal(returned[2], returned[3]);

    fs_flow_table_foreach(s->table, collect_flow, s->visited);
    assert_int_equal(s->visited->len, 5);
    const enum fs_transport want_transport[] = { FS_TRANSPORT_TCP, FS_TRANSPORT_TCP,
        FS_TRANSPORT_TCP, FS_TRANSPORT_UDP, FS_TRANSPORT_UDP };
    const guint32 want_stream[] = { 0, 1, 3, 0, 2 };
    const guint want_packets[] = { 1, 2, 1, 1, 2 };
    for (guint i = 0; i < 5; i++) {
        assert_int_equal(visited_at(s, i)->transport, want_transport[i]);
        assert_int_equal(visited_at(s, i)->stream, want_stream[i]);
        assert_int_equal(visited_at(s, i)->ip_lengths->len, want_packets[i]);
    }
    /* The direction of TCP 1 comes from its first packet (sport 40001). */
    assert_int_equal(visited_at(s, 1)->sport, 40001);
    assert_int_equal(length_at(visited_at(s, 1)->ip_lengths, 1), -100);
}

static void table_finish_then_foreach(void **state)
{
    struct flow_state *s = *state;
    /* UDP 1, TCP 4, TCP 2, in that order of capture. */
    const enum fs_transport transports[] = { FS_TRANSPORT_UDP, FS_TRANSPORT_TCP, FS_TRANSPORT_TCP };
    const guint32 streams[] = { 1, 4, 2 };
    for (guint i = 0; i < G_N_ELEMENTS(streams); i++) {
        struct fs_packet p = make_packet(s, transports[i], streams[i], "10.0.0.1", 40000 + i,
                "10.0.0.2", 53, 100, 48, (gint64)i, 0);
        fs_flow_table_add_packet(s->table, &p);
    }
    fs_flow_table_finish(s->table);
    fs_flow_table_foreach(s->table, collect_flow, s->visited);
    assert_int_equal(s->visited->len, 3);
    assert_int_equal(visited_at(s, 0)->stream, 2);
    assert_int_equal(visited_at(s, 1)->stream, 4);
    assert_int_equal(visited_at(s, 2)->stream, 1);
    assert_int_equal(visited_at(s, 2)->transport, FS_TRANSPORT_UDP);
    assert_int_equal(visited_at(s, 0)->expiration, FS_EXPIRED_IDLE);

    /* A packet after the finish: its new flow is visited too, in order. */
    struct fs_packet late =
            make_packet(s, FS_TRANSPORT_TCP, 3, "10.0.0.1", 40010, "10.0.0.2", 53, 100, 48, 9, 0);
    fs_flow_table_add_packet(s->table, &late);
    g_ptr_array_set_size(s->visited, 0);
    fs_flow_table_foreach(s->table, collect_flow, s->visited);
    assert_int_equal(s->visited->len, 4);
    assert_int_equal(visited_at(s, 0)->stream, 2);
    assert_int_equal(visited_at(s, 1)->stream, 3);
    assert_int_equal(visited_at(s, 2)->stream, 4);
    assert_int_equal(visited_at(s, 3)->stream, 1);
}

static void table_empty(void **state)
{
    struct flow_state *s = *state;
    fs_flow_table_free(NULL); /* does nothing, like fs_flow_free(NULL) */
    fs_flow_free(NULL, NULL);
    assert_int_equal(fs_flow_table_size(s->table), 0);
    fs_flow_table_foreach(s->table, collect_flow, s->visited);
    assert_int_equal(s->visited->len, 0);
}

static void table_uses_its_options(void **state)
{
    struct flow_state *s = *state;
    /* This fixture's table was made with udp_data_length. */
    struct fs_packet p = udp_packet(s, 4, 20);
    struct fs_flow *flow = fs_flow_table_add_packet(s->table, &p);
    assert_int_equal(length_at(flow->payload_lengths, 0), 12);
    assert_int_equal(flow->stream, 4);
    assert_int_equal(flow->transport, FS_TRANSPORT_UDP);
    assert_int_equal(fs_flow_table_size(s->table), 1);
}

/* ---- --max-packets ---- */

static void max_packets_keeps_first_and_counts_all(void **state)
{
    struct flow_state *s = *state;
    const struct fs_flow_options options = { .max_packets = 2 };
    struct fs_packet syn = client_to_server(s, 60, 0, 1, 0);
    s->flow = fs_flow_new(&syn, EXT_COUNT);
    fs_flow_add_packet(s->flow, &syn, &options);
    g_string_assign(s->values[0], "hello");
    struct fs_packet hello = client_to_server(s, 300, 248, 2, 0);
    fs_flow_add_packet(s->flow, &hello, &options);
    g_string_assign(s->values[0], "beyond");
    struct fs_packet reply = server_to_client(s, 1500, 1448, 3, 0);
    fs_flow_add_packet(s->flow, &reply, &options);
    g_string_truncate(s->values[0], 0);
    struct fs_packet ack = client_to_server(s, 52, 0, 4, 0);
    fs_flow_add_packet(s->flow, &ack, &options);

    /* The sequences hold the first two packets only... */
    assert_int_equal(s->flow->ip_lengths->len, 2);
    assert_int_equal(length_at(s->flow->ip_lengths, 1), 300);
    assert_int_equal(s->flow->payload_lengths->len, 1);
    assert_int_equal(length_at(s->flow->payload_lengths, 0), 248);
    assert_int_equal(ip_time(s->flow, 1).secs, 2);
    assert_int_equal(s->flow->ext[0]->len, 1);
    assert_string_equal(ext_at(s->flow, 0, 0)->text, "hello");
    /* ...the totals count all four. */
    assert_int_equal(s->flow->packets_total, 4);
    assert_int_equal(s->flow->bytes_total, 60 + 300 + 1500 + 52);
    assert_int_equal(s->flow->payload_packets_total, 2);
    assert_int_equal(s->flow->payload_bytes_total, 248 + 1448);
}

int main(void)
{
    const struct CMUnitTest direction_tests[] = {
        FLOW_TEST(direction_source_port_greater),
        FLOW_TEST(direction_source_port_smaller),
        FLOW_TEST(direction_equal_ports),
        FLOW_TEST(direction_ipv6),
        FLOW_TEST(forward_needs_address_and_port),
    };
    const struct CMUnitTest sequence_tests[] = {
        FLOW_TEST(signs_and_payload_sequence),
        FLOW_TEST(signs_when_server_speaks_first),
        FLOW_TEST(timestamps_keep_decimals),
        FLOW_TEST(udp_payload_is_udp_length),
        UDP_DATA_TEST(udp_data_length_drops_empty_datagram),
        FLOW_TEST(payload_length_function),
        FLOW_TEST(protocols_distinct_in_first_seen_order),
        FLOW_TEST(ext_values_with_packet_index),
        FLOW_TEST(ext_index_counts_packets_without_payload),
        FLOW_TEST(ext_values_are_copied),
        FLOW_TEST(ext_without_fields),
    };
    const struct CMUnitTest time_tests[] = {
        FLOW_TEST(time_range_out_of_order),
        FLOW_TEST(time_range_single_and_negative),
        FLOW_TEST(time_range_empty),
    };
    const struct CMUnitTest table_tests[] = {
        FLOW_TEST(table_groups_by_transport_and_stream),
        FLOW_TEST(table_finish_then_foreach),
        FLOW_TEST(table_empty),
        FLOW_TEST(max_packets_keeps_first_and_counts_all),
        UDP_DATA_TEST(table_uses_its_options),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("direction", direction_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("sequences", sequence_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("time range", time_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("table", table_tests, NULL, NULL);
    return failed;
}
