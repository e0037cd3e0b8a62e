/* test_packet_io.c: unit tests of extractor/packet_io.h, the serialiser of
 * worker results: a fully filled packet, a layer frame and the end frame
 * read back equal to what was written; cut and malformed streams are
 * reported as damaged, never read past. No epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "packet_io.h"

/* A packet with every member set to a value other than its zero. */
static struct fs_packet full_packet(GString **values, guint8 *ip)
{
    struct fs_packet p;
    memset(&p, 0, sizeof(p));
    p.transport = FS_TRANSPORT_UDP;
    p.ip_proto = 17;
    p.stream = 7;
    g_strlcpy(p.src, "2001:db8::1", sizeof(p.src));
    g_strlcpy(p.dst, "2001:db8::ffff:1", sizeof(p.dst));
    p.sport = 53000;
    p.dport = 443;
    p.ip_len = 1228;
    p.transport_len = 1208;
    p.ts_secs = -12; /* before 1970: a crafted capture */
    p.ts_nsecs = 999999999;
    p.ts_decimals = 9;
    p.protocol_column = "QUIC";
    values[0] = g_string_new("server4");
    values[1] = g_string_new(""); /* absent field */
    values[2] = g_string_new_len("a\0b", 3);
    p.values = values;
    p.value_count = 3;
    p.frame_len = 1242;
    p.ip_version = 6;
    p.tcp_flags = 0x1ff;
    p.tcp_hdr_len = 60;
    p.vlan_id = 4095;
    g_strlcpy(p.src_mac, "00:11:22:33:44:55", sizeof(p.src_mac));
    g_strlcpy(p.dst_mac, "66:77:88:99:aa:bb", sizeof(p.dst_mac));
    for (guint i = 0; i < 48; i++)
        ip[i] = (guint8)(0x60 + i);
    p.ip_bytes = ip;
    p.ip_bytes_len = 48;
    p.flow_filter_match = TRUE;
    return p;
}

static void assert_same_packet(const struct fs_packet *a, const struct fs_packet *b)
{
    assert_int_equal(a->transport, b->transport);
    assert_int_equal(a->stream, b->stream);
    assert_string_equal(a->src, b->src);
    assert_string_equal(a->dst, b->dst);
    assert_int_equal(a->sport, b->sport);
    assert_int_equal(a->dport, b->dport);
    assert_int_equal(a->ip_len, b->ip_len);
    assert_int_equal(a->transport_len, b->transport_len);
    assert_int_equal(a->ts_secs, b->ts_secs);
    assert_int_equal(a->ts_nsecs, b->ts_nsecs);
    assert_int_equal(a->ts_decimals, b->ts_decimals);
    assert_string_equal(a->protocol_column, b->protocol_column);
    assert_int_equal(a->value_count, b->value_count);
    for (guint i = 0; i < a->value_count; i++) {
        assert_int_equal(a->values[i]->len, b->values[i]->len);
        assert_memory_equal(a->values[i]->str, b->values[i]->str, a->values[i]->len);
    }
    assert_int_equal(a->frame_len, b->frame_len);
    assert_int_equal(a->ip_version, b->ip_version);
    assert_int_equal(a->tcp_flags, b->tcp_flags);
    assert_int_equal(a->tcp_hdr_len, b->tcp_hdr_len);
    assert_int_equal(a->vlan_id, b->vlan_id);
    assert_int_equal(a->ip_proto, b->ip_proto);
    assert_string_equal(a->src_mac, b->src_mac);
    assert_string_equal(a->dst_mac, b->dst_mac);
    assert_int_equal(a->ip_bytes_len, b->ip_bytes_len);
    assert_memory_equal(a->ip_bytes, b->ip_bytes, a->ip_bytes_len);
    assert_int_equal(a->flow_filter_match, b->flow_filter_match);
}

static void free_values(GString **values, guint n)
{
    for (guint i = 0; i < n; i++)
        g_string_free(values[i], TRUE);
}

static void round_trip_of_every_frame(void **state)
{
    (void)state;
    GString *values[3];
    guint8 ip[48];
    struct fs_packet full = full_packet(values, ip);
    struct fs_packet layer;
    memset(&layer, 0, sizeof(layer)); /* header members only, as dissect.c sends them */
    layer.transport = FS_TRANSPORT_TCP;
    layer.stream = 3;
    g_strlcpy(layer.src, "10.0.0.1", sizeof(layer.src));
    g_strlcpy(layer.dst, "10.0.0.2", sizeof(layer.dst));
    layer.sport = 1;
    layer.dport = 2;

    FILE *f = tmpfile();
    assert_non_null(f);
    fs_frame_write_packet(f, FS_FRAME_PACKET, &full);
    fs_frame_write_packet(f, FS_FRAME_LAYER, &layer);
    fs_frame_write_end(f, FS_ERR_TRUNCATED, "cut short");
    fs_frame_write_end(f, FS_OK, NULL);
    assert_int_equal(fflush(f), 0);
    rewind(f);

    fs_frame_reader *r = fs_frame_reader_new(f);
    enum fs_frame_kind kind;
    struct fs_packet got;
    enum fs_status status = FS_OK;
    const char *message = NULL;
    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_OK);
    assert_int_equal(kind, FS_FRAME_PACKET);
    assert_same_packet(&full, &got);

    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_OK);
    assert_int_equal(kind, FS_FRAME_LAYER);
    assert_string_equal(got.src, "10.0.0.1");
    assert_int_equal(got.stream, 3);
    assert_int_equal(got.value_count, 0);
    assert_null(got.values);
    assert_null(got.ip_bytes);
    assert_string_equal(got.protocol_column, "");
    assert_false(got.flow_filter_match);

    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_OK);
    assert_int_equal(kind, FS_FRAME_END);
    assert_int_equal(status, FS_ERR_TRUNCATED);
    assert_string_equal(message, "cut short");
    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_OK);
    assert_int_equal(status, FS_OK);
    assert_null(message);
    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_EOF);
    fs_frame_reader_free(r);
    fclose(f);
    free_values(values, 3);
}

/* Every cut of a stream holding one full packet frame reads as damaged
 * (or, at 0 bytes, as the end): a worker that died mid-write. */
static void every_cut_is_damaged(void **state)
{
    (void)state;
    GString *values[3];
    guint8 ip[48];
    struct fs_packet full = full_packet(values, ip);
    char *buffer = NULL;
    size_t size = 0;
    FILE *w = open_memstream(&buffer, &size);
    fs_frame_write_packet(w, FS_FRAME_PACKET, &full);
    fclose(w);
    assert_true(size > 100);
    for (size_t cut = 0; cut < size; cut++) {
        FILE *f = fmemopen(buffer, cut ? cut : 1, "r");
        if (cut == 0)
            fgetc(f); /* an empty stream: fmemopen needs a size > 0 */
        fs_frame_reader *r = fs_frame_reader_new(f);
        enum fs_frame_kind kind;
        struct fs_packet got;
        enum fs_status status;
        const char *message;
        enum fs_frame_result result = fs_frame_read(r, &kind, &got, &status, &message);
        assert_int_equal(result, cut == 0 ? FS_FRAME_EOF : FS_FRAME_DAMAGED);
        fs_frame_reader_free(r);
        fclose(f);
    }
    free(buffer);
    free_values(values, 3);
}

/* Bytes that are no frame: an unknown kind, an end frame with a status no
 * enum value has, a packet whose address does not fit. */
static void malformed_frames_are_damaged(void **state)
{
    (void)state;
    static const guint32 unknown_kind[] = { 'X', 0, 0 };
    static const guint32 bad_status[] = { FS_FRAME_END, 999, 0 };
    const guint32 *streams[] = { unknown_kind, bad_status };
    for (guint i = 0; i < G_N_ELEMENTS(streams); i++) {
        FILE *f = fmemopen((void *)streams[i], sizeof(unknown_kind), "r");
        fs_frame_reader *r = fs_frame_reader_new(f);
        enum fs_frame_kind kind;
        struct fs_packet got;
        enum fs_status status;
        const char *message;
        assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_DAMAGED);
        fs_frame_reader_free(r);
        fclose(f);
    }
    /* A packet frame whose src text is longer than any address. */
    GString *values[3];
    guint8 ip[48];
    struct fs_packet full = full_packet(values, ip);
    full.value_count = 0;
    char *buffer = NULL;
    size_t size = 0;
    FILE *w = open_memstream(&buffer, &size);
    fs_frame_write_packet(w, FS_FRAME_PACKET, &full);
    fclose(w);
    /* The src text follows the kind and the fixed head: make its length
     * 1000 (the bytes after it then no longer parse either). */
    size_t at = sizeof(guint32) + 72;
    guint32 len;
    memcpy(&len, buffer + at, sizeof(len));
    assert_int_equal(len, strlen("2001:db8::1"));
    len = 1000;
    memcpy(buffer + at, &len, sizeof(len));
    FILE *f = fmemopen(buffer, size, "r");
    fs_frame_reader *r = fs_frame_reader_new(f);
    enum fs_frame_kind kind;
    struct fs_packet got;
    enum fs_status status;
    const char *message;
    assert_int_equal(fs_frame_read(r, &kind, &got, &status, &message), FS_FRAME_DAMAGED);
    fs_frame_reader_free(r);
    fclose(f);
    free(buffer);
    free_values(values, 3);
}

/* The flags word of the head (the IP protocol in bits 0-7, the
 * --flow-filter bit 0x100): the bit round-trips both ways, and a bit no
 * writer sets is damage. */
static void flow_filter_flag(void **state)
{
    (void)state;
    GString *values[3];
    guint8 ip[48];
    struct fs_packet full = full_packet(values, ip);
    for (guint flags = 0; flags < 3; flags++) {
        full.flow_filter_match = flags == 1;
        char *buffer = NULL;
        size_t size = 0;
        FILE *w = open_memstream(&buffer, &size);
        fs_frame_write_packet(w, FS_FRAME_PACKET, &full);
        fclose(w);
        /* The kind, 14 words, nsecs, then the flags word. */
        size_t at = sizeof(guint32) + 15 * sizeof(guint32);
        guint32 word;
        memcpy(&word, buffer + at, sizeof(word));
        assert_int_equal(word, full.ip_proto | (flags == 1 ? 0x100u : 0));
        if (flags == 2) {
            word = 0x200;
            memcpy(buffer + at, &word, sizeof(word));
        }
        FILE *f = fmemopen(buffer, size, "r");
        fs_frame_reader *r = fs_frame_reader_new(f);
        enum fs_frame_kind kind;
        struct fs_packet got;
        enum fs_status status;
        const char *message;
        enum fs_frame_result result = fs_frame_read(r, &kind, &got, &status, &message);
        if (flags == 2) {
            assert_int_equal(result, FS_FRAME_DAMAGED);
        } else {
            assert_int_equal(result, FS_FRAME_OK);
            assert_same_packet(&full, &got);
        }
        fs_frame_reader_free(r);
        fclose(f);
        free(buffer);
    }
    free_values(values, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_of_every_frame),
        cmocka_unit_test(every_cut_is_damaged),
        cmocka_unit_test(malformed_frames_are_damaged),
        cmocka_unit_test(flow_filter_flag),
    };
    return cmocka_run_group_tests_name("packet_io", tests, NULL, NULL);
}
