/* test_payload.c: unit tests of the payload rules (botnet/payload.c): the
 * byte tests of BotCapturer's loader, det_bin.py and det_mirai.py on
 * hand-made payloads (as bytes and as tshark's hex), the capture pass's
 * value filter, and the detectors over hand-made records: who is flagged
 * (sender or receiver), the telnet rule's "two places earlier" counted
 * over every packet to port 23 of a (sender, receiver) pair across
 * records, in time order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "payload.h"

#define SEC G_GINT64_CONSTANT(1000000000)

static guint classify(const char *bytes, gsize n)
{
    return fs_payload_classify((const guint8 *)bytes, n);
}

static void byte_rules(void **state)
{
    (void)state;
    assert_int_equal(classify("\0\0", 2), FS_PAYLOAD_KEEPALIVE);
    assert_int_equal(classify("\0\0\0", 3), 0); /* exactly two bytes */
    assert_int_equal(classify("\0", 1), 0);
    assert_int_equal(classify("enable\r\n", 8), FS_PAYLOAD_ENABLE);
    assert_int_equal(classify("system\r\n", 8), FS_PAYLOAD_SYSTEM);
    assert_int_equal(classify(" system", 7), 0); /* a prefix, not anywhere */
    assert_int_equal(classify("syste", 5), 0);
    assert_int_equal(classify("GET /api/pop?x HTTP/1.1", 23), FS_PAYLOAD_POLL);
    assert_int_equal(classify("api/po", 6), 0);
    /* det_bin.py: a line starting with MZ, or ELF at offset 1 of a line. */
    assert_int_equal(classify("MZ\x90", 3), FS_PAYLOAD_BINARY);
    assert_int_equal(classify("HTTP/1.1 200\r\n\r\nMZ\x90\0", 20), FS_PAYLOAD_BINARY);
    assert_int_equal(classify("\x7f"
                              "ELF\x02",
                             5),
            FS_PAYLOAD_BINARY);
    assert_int_equal(classify("a\nSELF-TEST", 11), FS_PAYLOAD_BINARY); /* the rule's own */
    assert_int_equal(classify("a MZ b", 6), 0);                        /* not at a line start */
    assert_int_equal(classify("x\n\nELF", 6), 0); /* lines "x", "", "ELF": ELF at 0 */
    assert_int_equal(classify("ELF", 3), 0);
    assert_int_equal(classify("M", 1), 0);
    assert_int_equal(classify("", 0), 0);
    /* Several at once. */
    assert_int_equal(classify("enable api/pop\nMZ", 17),
            FS_PAYLOAD_ENABLE | FS_PAYLOAD_POLL | FS_PAYLOAD_BINARY);
}

static void hex_and_filter(void **state)
{
    (void)state;
    assert_int_equal(fs_payload_classify_hex("0000", 4), FS_PAYLOAD_KEEPALIVE);
    assert_int_equal(fs_payload_classify_hex("73797374656d0d0a", 16), FS_PAYLOAD_SYSTEM);
    assert_int_equal(fs_payload_classify_hex("4D5A90", 6), FS_PAYLOAD_BINARY);
    assert_int_equal(fs_payload_classify_hex("000", 3), 0);  /* odd */
    assert_int_equal(fs_payload_classify_hex("00zz", 4), 0); /* not hex */
    /* A payload longer than the decoder's stack buffer. */
    GString *hex = g_string_new(NULL);
    for (int i = 0; i < 3000; i++)
        g_string_append(hex, "41");
    g_string_append(hex, "0a4d5a");
    assert_int_equal(fs_payload_classify_hex(hex->str, hex->len), FS_PAYLOAD_BINARY);
    assert_false(fs_payload_keep(0, hex->str, hex->len - 6, NULL));
    assert_true(fs_payload_keep(0, hex->str, hex->len, NULL));
    g_string_free(hex, TRUE);
    assert_true(fs_payload_keep(1, "0000", 4, NULL));
    assert_false(fs_payload_keep(0, "6f6b", 4, NULL));
    assert_string_equal(fs_payload_capture_options[1], "tcp.payload");
    assert_string_equal(fs_payload_capture_options[3], "udp.payload");
    assert_null(fs_payload_capture_options[4]);
}

/* A TCP record src:sport -> dst:dport whose packets have these signed
 * lengths and times (seconds), with tcp.payload values (hex) on some. */
static void add(fs_payload *p, const char *src, gint64 sport, const char *dst, gint64 dport,
        const gint64 *lengths, const gint64 *secs, guint n, const struct fs_read_value *values,
        guint n_values)
{
    gint64 times[16];
    assert_true(n <= 16);
    for (guint i = 0; i < n; i++)
        times[i] = secs[i] * SEC;
    const struct fs_read_record rec = { "tcp", src, sport, dst, dport, n, lengths, times, n_values,
        values };
    fs_payload_add(p, &rec);
}

static const char *host(const GPtrArray *hosts, guint i)
{
    return g_ptr_array_index(hosts, i);
}

static void detectors(void **state)
{
    (void)state;
    fs_payload *p = fs_payload_new();
    /* 10.0.0.1 sends 00 00 (+); the server answers 00 00 too (-): both
     * senders. */
    const gint64 ka_len[] = { 42, -42, 42 };
    const gint64 ka_t[] = { 1, 2, 3 };
    const struct fs_read_value ka[] = { { "tcp.payload", "0000", 0 }, { "tcp.payload", "0000", 1 },
        { "tcp.payload", "6f6b", 2 } };
    add(p, "10.0.0.1", 40000, "203.0.113.1", 23, ka_len, ka_t, 3, ka, 3);
    /* A download: the server (-) sends MZ to 10.0.0.2, the receiver. */
    const gint64 dl_len[] = { 100, -1500 };
    const struct fs_read_value dl[] = { { "tcp.payload", "474554202f", 0 },
        { "tcp.payload", "4d5a9000", 1 } };
    add(p, "10.0.0.2", 40001, "198.51.100.1", 80, dl_len, ka_t, 2, dl, 2);
    /* udp.payload counts, other fields do not. */
    const struct fs_read_value other[] = { { "data.data", "6170692f706f70", 0 },
        { "udp.payload", "6170692f706f70", 1 } };
    add(p, "10.0.0.3", 40002, "198.51.100.2", 9999, dl_len, ka_t, 2, other, 2);
    /* Telnet from 10.0.0.4 to 100.64.0.1 over two records: enable at 10 s,
     * the server's answer (-, not to port 23) at 11 s, an empty ACK at
     * 12 s, then, in the second record, system at 13 s: two places. */
    const gint64 t1_len[] = { 48, -44, 40 };
    const gint64 t1_t[] = { 10, 11, 12 };
    const struct fs_read_value t1[] = { { "tcp.payload", "656e61626c650d0a", 0 } };
    add(p, "10.0.0.4", 40003, "100.64.0.1", 23, t1_len, t1_t, 3, t1, 1);
    const gint64 t2_len[] = { 48 };
    const gint64 t2_t[] = { 13 };
    const struct fs_read_value t2[] = { { "tcp.payload", "73797374656d0d0a", 0 } };
    add(p, "10.0.0.4", 40004, "100.64.0.1", 23, t2_len, t2_t, 1, t2, 1);
    /* 10.0.0.5: enable, then system right after (one place): not flagged;
     * its records come in reverse time order, which the rule sorts. */
    const gint64 f_len[] = { 48 };
    const gint64 f2_t[] = { 21 };
    add(p, "10.0.0.5", 40006, "100.64.0.1", 23, f_len, f2_t, 1, t2, 1);
    const gint64 f1_t[] = { 20 };
    add(p, "10.0.0.5", 40005, "100.64.0.1", 23, f_len, f1_t, 1, t1, 1);
    /* 10.0.0.6: enable . system on port 22: not telnet. */
    const gint64 s_len[] = { 48, 40, 48 };
    const gint64 s_t[] = { 30, 31, 32 };
    const struct fs_read_value s[] = { { "tcp.payload", "656e61626c65", 0 },
        { "tcp.payload", "73797374656d", 2 } };
    add(p, "10.0.0.6", 40007, "100.64.0.1", 22, s_len, s_t, 3, s, 2);
    /* An index beyond the record is passed over. */
    const struct fs_read_value bad[] = { { "tcp.payload", "0000", 7 } };
    add(p, "10.0.0.7", 40008, "203.0.113.1", 23, f_len, f1_t, 1, bad, 1);
    fs_payload_finish(p);

    const GPtrArray *mirai = fs_payload_hosts(p, FS_PAYLOAD_MIRAI);
    assert_int_equal(mirai->len, 3);
    assert_string_equal(host(mirai, 0), "10.0.0.1");
    assert_string_equal(host(mirai, 1), "10.0.0.4");
    assert_string_equal(host(mirai, 2), "203.0.113.1");
    const GPtrArray *ares = fs_payload_hosts(p, FS_PAYLOAD_ARES);
    assert_int_equal(ares->len, 1);
    assert_string_equal(host(ares, 0), "198.51.100.2"); /* the - packet's sender */
    const GPtrArray *bindl = fs_payload_hosts(p, FS_PAYLOAD_BINDL);
    assert_int_equal(bindl->len, 1);
    assert_string_equal(host(bindl, 0), "10.0.0.2");
    /* Values read: 3 + 2 + 1 (udp) + 1 + 1 + 1 + 1 + 2 + 1. */
    assert_int_equal(fs_payload_values(p), 13);
    assert_string_equal(fs_payload_set_names[FS_PAYLOAD_BINDL], "bindl");
    fs_payload_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_rules),
        cmocka_unit_test(hex_and_filter),
        cmocka_unit_test(detectors),
    };
    return cmocka_run_group_tests_name("payload", tests, NULL, NULL);
}
