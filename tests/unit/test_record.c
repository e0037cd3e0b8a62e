/* test_record.c: unit tests of extractor/record.h (the record line of
 * shared/spec/flow-record.md) and extractor/writer.h (-w files written
 * whole then renamed, sticky write errors), on hand-built flows. The field
 * registry needs libwireshark, initialised once for the whole file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "epan_session.h"
#include "support.h"
#include "flow.h"
#include "record.h"
#include "registry.h"
#include "sink.h"
#include "writer.h"

#define SNI       "tls.handshake.extensions_server_name"
#define QRY       "dns.qry.name"
#define MAX_FLOWS 3

/* ---- each test: a temporary directory, a registry, flows ---- */

struct record_state {
    char *dir;              /* empty temporary directory */
    char *path;             /* dir/out.jsonl, the -w target */
    fs_field_registry *reg; /* SNI, then QRY */
    GPtrArray *names;       /* the registry's field names */
    GString *values[2];     /* the field values of the packet being added */
    struct fs_flow *flows[MAX_FLOWS];
    fs_writer *writer;
    char *errmsg;
    char *contents; /* the -w file read back */
    char *expected; /* an expected message built at run time */
    char *listing;  /* names in dir */
};

static int setup_record(void **state)
{
    struct record_state *s = g_new0(struct record_state, 1);
    s->dir = g_dir_make_tmp("fs-test-record-XXXXXX", NULL);
    s->path = g_build_filename(s->dir, "out.jsonl", NULL);
    s->reg = fs_field_registry_new();
    char *errmsg = NULL;
    gboolean ok = fs_field_registry_add(s->reg, SNI, &errmsg) &&
                  fs_field_registry_add(s->reg, QRY, &errmsg);
    g_free(errmsg);
    s->names = g_ptr_array_new();
    for (guint i = 0; i < fs_field_registry_count(s->reg); i++)
        g_ptr_array_add(s->names, (gpointer)fs_field_registry_name(s->reg, i));
    for (guint i = 0; i < 2; i++)
        s->values[i] = g_string_new(NULL);
    *state = s;
    return s->dir && ok ? 0 : -1;
}

/* Removes dir and what a test left in it: files, or one empty directory. */
static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name = g_dir_read_name(d); name; name = g_dir_read_name(d)) {
        char *path = g_build_filename(dir, name, NULL);
        g_remove(path);
        g_free(path);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static int teardown_record(void **state)
{
    struct record_state *s = *state;
    char *ignored = NULL;
    fs_writer_close(s->writer, FALSE, &ignored); /* NULL when the test closed it */
    g_free(ignored);
    remove_tree(s->dir);
    for (guint i = 0; i < MAX_FLOWS; i++)
        fs_flow_free(s->flows[i], NULL);
    for (guint i = 0; i < 2; i++)
        g_string_free(s->values[i], TRUE);
    fs_field_registry_free(s->reg);
    g_ptr_array_free(s->names, TRUE);
    g_free(s->errmsg);
    g_free(s->contents);
    g_free(s->expected);
    g_free(s->listing);
    g_free(s->path);
    g_free(s->dir);
    g_free(s);
    return 0;
}

#define RECORD_TEST(f) cmocka_unit_test_setup_teardown(f, setup_record, teardown_record)

/* ---- building flows ---- */

/* A packet with the fixture's current field values (set them first). */
static struct fs_packet make_packet(const struct record_state *s, enum fs_transport transport,
        guint32 stream, const char *src, guint32 sport, const char *dst, guint32 dport,
        guint32 ip_len, guint32 transport_len, gint64 secs, gint32 nsecs, int decimals,
        const char *protocol)
{
    return fs_test_packet(transport, stream, src, sport, dst, dport, ip_len, transport_len, secs,
            nsecs, decimals, protocol, s->values);
}

/* Adds p to flow `slot`, then clears the field values for the next packet. */
static void add(struct record_state *s, guint slot, const struct fs_packet *p)
{
    const struct fs_flow_options options = { .udp_data_length = FALSE };
    fs_flow_add_packet(s->flows[slot], p, &options);
    g_string_truncate(s->values[0], 0);
    g_string_truncate(s->values[1], 0);
}

/* Creates flow `slot` from its first packet p (direction rule), adds p. */
static void start(struct record_state *s, guint slot, const struct fs_packet *p)
{
    s->flows[slot] = fs_flow_new(p, fs_field_registry_count(s->reg));
    add(s, slot, p);
}

/* TCP stream 3, 10.0.0.1:53674 <-> 139.99.222.72:443 (as in the spec's
 * example): handshake, Client Hello with SNI, one server segment, an ACK. */
static void build_tls_flow(struct record_state *s, guint slot)
{
    const char *c = "10.0.0.1", *srv = "139.99.222.72";
    struct fs_packet syn = make_packet(
            s, FS_TRANSPORT_TCP, 3, c, 53674, srv, 443, 60, 0, 946739298, 533000000, 6, "TCP");
    start(s, slot, &syn);
    struct fs_packet syn_ack = make_packet(
            s, FS_TRANSPORT_TCP, 3, srv, 443, c, 53674, 60, 0, 946739298, 533500000, 6, "TCP");
    add(s, slot, &syn_ack);
    g_string_assign(s->values[0], "doh-2.seby.io");
    struct fs_packet hello = make_packet(
            s, FS_TRANSPORT_TCP, 3, c, 53674, srv, 443, 323, 283, 946739298, 533748000, 6, "TLSv1");
    add(s, slot, &hello);
    struct fs_packet data = make_packet(s, FS_TRANSPORT_TCP, 3, srv, 443, c, 53674, 1450, 1410,
            946739298, 797787000, 6, "TLSv1.3");
    add(s, slot, &data);
    struct fs_packet ack = make_packet(
            s, FS_TRANSPORT_TCP, 3, c, 53674, srv, 443, 52, 0, 946739298, 798962000, 6, "TCP");
    add(s, slot, &ack);
}

#define TLS_FLOW_LINE                                                                              \
    "{\"file\":\"dnscrypt-v2-doh.pcap\",\"protocol\":\"tcp\",\"stream\":3,"                        \
    "\"src\":\"10.0.0.1\",\"sport\":53674,\"dst\":\"139.99.222.72\",\"dport\":443,"                \
    "\"ext_protocols\":[\"TCP\",\"TLSv1\",\"TLSv1.3\"],"                                           \
    "\"time_start\":946739298.533748,\"time_end\":946739298.797787,"                               \
    "\"ip_lengths\":[60,-60,323,-1450,52],"                                                        \
    "\"ip_timestamps\":[946739298.533000,946739298.533500,946739298.533748,"                       \
    "946739298.797787,946739298.798962],"                                                          \
    "\"payload_lengths\":[283,-1410],"                                                             \
    "\"payload_timestamps\":[946739298.533748,946739298.797787],"                                  \
    "\"extension\":{\"tls.handshake.extensions_server_name\":[[\"doh-2.seby.io\",2]]}}\n"

/* UDP stream 0 over IPv6 with nanosecond timestamps. The first packet goes
 * from port 53 to 40000, so the client (40000) is src and it counts -.
 * dns.qry.name occurs in both packets, the SNI field in the second only. */
static void build_dns_flow(struct record_state *s, guint slot)
{
    const char *c = "2001:db8::10", *srv = "2001:db8::1";
    g_string_assign(s->values[1], "example.com");
    struct fs_packet answer = make_packet(
            s, FS_TRANSPORT_UDP, 0, srv, 53, c, 40000, 120, 120, 1700000000, 900000001, 9, "DNS");
    start(s, slot, &answer);
    g_string_assign(s->values[1], "example.org");
    g_string_assign(s->values[0], "odd");
    struct fs_packet query =
            make_packet(s, FS_TRANSPORT_UDP, 0, c, 40000, srv, 53, 40, 40, 1700000000, 5, 9, "DNS");
    add(s, slot, &query);
}

#define DNS_FLOW_LINE                                                                              \
    "{\"file\":\"-\",\"protocol\":\"udp\",\"stream\":0,"                                           \
    "\"src\":\"2001:db8::10\",\"sport\":40000,\"dst\":\"2001:db8::1\",\"dport\":53,"               \
    "\"ext_protocols\":[\"DNS\"],"                                                                 \
    "\"time_start\":1700000000.000000005,\"time_end\":1700000000.900000001,"                       \
    "\"ip_lengths\":[-120,40],"                                                                    \
    "\"ip_timestamps\":[1700000000.900000001,1700000000.000000005],"                               \
    "\"payload_lengths\":[-120,40],"                                                               \
    "\"payload_timestamps\":[1700000000.900000001,1700000000.000000005],"                          \
    "\"extension\":{\"tls.handshake.extensions_server_name\":[[\"odd\",1]],"                       \
    "\"dns.qry.name\":[[\"example.com\",0],[\"example.org\",1]]}}\n"

/* TCP stream 0: SYN, RST. No payload at all. */
static void build_empty_flow(struct record_state *s, guint slot)
{
    struct fs_packet syn = make_packet(s, FS_TRANSPORT_TCP, 0, "192.0.2.1", 40001, "192.0.2.2", 23,
            60, 0, 5, 250000000, 6, "TCP");
    start(s, slot, &syn);
    struct fs_packet rst = make_packet(s, FS_TRANSPORT_TCP, 0, "192.0.2.2", 23, "192.0.2.1", 40001,
            40, 0, 5, 251000000, 6, "TCP");
    add(s, slot, &rst);
}

/* ---- writing and reading back ---- */

/* One JSON Lines record of flow on writer, as a job writes it. */
static gboolean write_record(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_writer *writer)
{
    fs_sink *sink = fs_sink_new(fs_sink_format_find("jsonl"), writer);
    gboolean written = fs_record_write(flow, ctx, sink);
    fs_sink_free(sink);
    return written;
}

/* Writes flows[0..count) with ctx to the -w path, closes with commit and
 * reads the file into s->contents. Returns how many records were written. */
static guint write_and_read(
        struct record_state *s, const struct fs_record_context *ctx, guint count)
{
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_OK);
    guint written = 0;
    for (guint i = 0; i < count; i++)
        written += (guint)write_record(s->flows[i], ctx, s->writer);
    assert_false(fs_writer_failed(s->writer));
    enum fs_status closed = fs_writer_close(s->writer, TRUE, &s->errmsg);
    s->writer = NULL;
    assert_int_equal(closed, FS_OK);
    assert_null(s->errmsg);
    assert_true(g_file_get_contents(s->path, &s->contents, NULL, NULL));
    return written;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in the test directory, sorted, joined by "/", into s->listing. */
static const char *list_dir(struct record_state *s)
{
    GPtrArray *names = g_ptr_array_new();
    GDir *d = g_dir_open(s->dir, 0, NULL);
    assert_non_null(d);
    for (const char *name = g_dir_read_name(d); name; name = g_dir_read_name(d))
        g_ptr_array_add(names, (gpointer)name);
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    g_free(s->listing);
    s->listing = g_strjoinv("/", (char **)names->pdata);
    g_ptr_array_free(names, TRUE);
    g_dir_close(d);
    return s->listing;
}

/* ---- the record ---- */

static void record_tls_flow(void **state)
{
    struct record_state *s = *state;
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    assert_string_equal(s->contents, TLS_FLOW_LINE);
}

static void record_udp_ipv6_nanoseconds(void **state)
{
    struct record_state *s = *state;
    build_dns_flow(s, 0);
    /* Extension keys in the order the fields were requested (SNI first),
     * not in the order they occurred. */
    struct fs_record_context ctx = {
        .file = "-", .field_names = s->names, .main_seq = FS_MAIN_PAYLOAD, .keep_empty = FALSE
    };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    assert_string_equal(s->contents, DNS_FLOW_LINE);
}

static void record_one_line_per_flow(void **state)
{
    struct record_state *s = *state;
    build_tls_flow(s, 0);
    build_empty_flow(s, 1);
    build_tls_flow(s, 2);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    /* The flow without payload in the middle is left out. */
    assert_int_equal(write_and_read(s, &ctx, 3), 2);
    assert_string_equal(s->contents, TLS_FLOW_LINE TLS_FLOW_LINE);
}

static void record_main_ip(void **state)
{
    struct record_state *s = *state;
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_IP,
        .keep_empty = FALSE };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    /* From the SYN to the last ACK instead of the payload's range. */
    assert_non_null(
            strstr(s->contents, ",\"time_start\":946739298.533000,\"time_end\":946739298.798962,"));
    assert_null(strstr(s->contents, "\"time_start\":946739298.533748"));
}

static void record_without_payload_dropped(void **state)
{
    struct record_state *s = *state;
    build_empty_flow(s, 0);
    struct fs_record_context ctx = { .file = "telnet.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(write_and_read(s, &ctx, 1), 0);
    assert_string_equal(s->contents, "");
}

static void record_without_payload_kept(void **state)
{
    struct record_state *s = *state;
    build_empty_flow(s, 0);
    struct fs_record_context ctx = { .file = "telnet.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = TRUE };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    assert_string_equal(s->contents,
            "{\"file\":\"telnet.pcap\",\"protocol\":\"tcp\",\"stream\":0,"
            "\"src\":\"192.0.2.1\",\"sport\":40001,\"dst\":\"192.0.2.2\",\"dport\":23,"
            "\"ext_protocols\":[\"TCP\"],\"time_start\":null,\"time_end\":null,"
            "\"ip_lengths\":[60,-40],\"ip_timestamps\":[5.250000,5.251000],"
            "\"payload_lengths\":[],\"payload_timestamps\":[],\"extension\":{}}\n");
}

static void record_without_payload_kept_main_ip(void **state)
{
    struct record_state *s = *state;
    build_empty_flow(s, 0);
    struct fs_record_context ctx = {
        .file = "telnet.pcap", .field_names = s->names, .main_seq = FS_MAIN_IP, .keep_empty = TRUE
    };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    assert_non_null(strstr(s->contents, ",\"time_start\":5.250000,\"time_end\":5.251000,"));
}

static void record_escapes_values(void **state)
{
    struct record_state *s = *state;
    /* The SNI value: 'a', 01 (SOH), '"', '\', ff (not UTF-8), 'z', and a tab
     * as tshark already escaped it (backslash, 't'). The file name is
     * Latin-1 "café.pcap" (e9 is not UTF-8). */
    g_string_assign(s->values[0], "a\x01\"\\\xffz\\t");
    struct fs_packet p = make_packet(
            s, FS_TRANSPORT_UDP, 1, "10.1.1.1", 5000, "10.1.1.2", 4000, 36, 16, 1, 0, 6, "UDP\x7f");
    start(s, 0, &p);
    struct fs_record_context ctx = { .file = "caf\xe9.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    /* 01 -> \u0001, '"' -> \", '\' -> \\, ff -> U+FFFD (ef bf bd), 7f raw. */
    assert_string_equal(s->contents,
            "{\"file\":\"caf\xef\xbf\xbd.pcap\",\"protocol\":\"udp\",\"stream\":1,"
            "\"src\":\"10.1.1.1\",\"sport\":5000,\"dst\":\"10.1.1.2\",\"dport\":4000,"
            "\"ext_protocols\":[\"UDP\x7f\"],\"time_start\":1.000000,\"time_end\":1.000000,"
            "\"ip_lengths\":[36],\"ip_timestamps\":[1.000000],"
            "\"payload_lengths\":[16],\"payload_timestamps\":[1.000000],"
            "\"extension\":{\"tls.handshake.extensions_server_name\":"
            "[[\"a\\u0001\\\"\\\\\xef\xbf\xbdz\\\\t\",0]]}}\n");
    assert_true(g_utf8_validate(s->contents, -1, NULL));
}

static void sink_string_repairs_utf8(void **state)
{
    struct record_state *s = *state;
    /* c3 a9 is a valid é; c3 alone (cut short) and 80 (lone continuation)
     * are not: each becomes U+FFFD, in every format (the sink's front does
     * it once). */
    const struct fs_sink_ops *formats[] = { fs_sink_format_find("jsonl"),
        fs_sink_format_find("csv") };
    const char *expected[] = {
        "{\"a\":[\"caf\xc3\xa9\",\"x\xef\xbf\xbd\",\"\xef\xbf\xbdy\\n\"],\"b\":\"\xef\xbf\xbd\"}\n",
        "\"[\"\"caf\xc3\xa9\"\",\"\"x\xef\xbf\xbd\"\",\"\"\xef\xbf\xbdy\\n\"\"]\",\xef\xbf\xbd\r\n",
    };
    for (guint f = 0; f < G_N_ELEMENTS(formats); f++) {
        FILE *file = tmpfile();
        assert_non_null(file);
        fs_writer *w = fs_writer_over(file);
        fs_sink *sink = fs_sink_new(formats[f], w);
        fs_sink_begin_record(sink);
        fs_sink_key(sink, "a");
        fs_sink_begin_array(sink);
        fs_sink_string(sink, "caf\xc3\xa9");
        fs_sink_string(sink, "x\xc3");
        fs_sink_string(sink, "\x80y\n");
        fs_sink_end_array(sink);
        fs_sink_key_string(sink, "b", "\xff");
        assert_int_equal(fs_sink_end_record(sink), 2);
        fs_sink_free(sink);
        assert_int_equal(fs_writer_close(w, TRUE, &s->errmsg), FS_OK);
        char text[256] = { 0 };
        rewind(file);
        size_t n = fread(text, 1, sizeof(text) - 1, file);
        fclose(file);
        assert_true(n > 0);
        assert_string_equal(text, expected[f]);
    }
}

/* ---- the writer ---- */

static void writer_commit_leaves_only_target(void **state)
{
    struct record_state *s = *state;
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_OK);
    write_record(s->flows[0], &ctx, s->writer);
    /* Until the close, only the temporary file exists, beside the target. */
    assert_false(g_file_test(s->path, G_FILE_TEST_EXISTS));
    assert_true(g_str_has_prefix(list_dir(s), "out.jsonl.tmp-"));
    assert_int_equal(fs_writer_close(s->writer, TRUE, &s->errmsg), FS_OK);
    s->writer = NULL;
    assert_string_equal(list_dir(s), "out.jsonl");
}

static void writer_abort_removes_temp(void **state)
{
    struct record_state *s = *state;
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_OK);
    assert_true(write_record(s->flows[0], &ctx, s->writer));
    assert_int_equal(fs_writer_close(s->writer, FALSE, &s->errmsg), FS_OK);
    s->writer = NULL;
    assert_null(s->errmsg);
    assert_string_equal(list_dir(s), "");
}

static void writer_commit_replaces_target(void **state)
{
    struct record_state *s = *state;
    assert_true(g_file_set_contents(s->path, "old\n", -1, NULL));
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(write_and_read(s, &ctx, 1), 1);
    assert_string_equal(s->contents, TLS_FLOW_LINE);
    assert_string_equal(list_dir(s), "out.jsonl");
}

static void writer_abort_keeps_old_target(void **state)
{
    struct record_state *s = *state;
    assert_true(g_file_set_contents(s->path, "old\n", -1, NULL));
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_OK);
    write_record(s->flows[0], &ctx, s->writer);
    assert_int_equal(fs_writer_close(s->writer, FALSE, &s->errmsg), FS_OK);
    s->writer = NULL;
    assert_true(g_file_get_contents(s->path, &s->contents, NULL, NULL));
    assert_string_equal(s->contents, "old\n");
    assert_string_equal(list_dir(s), "out.jsonl");
}

static void writer_file_mode_follows_umask(void **state)
{
    struct record_state *s = *state;
    /* Like tshark -w or a shell redirection: 0666 less the umask, not the
     * 0600 of a private temporary file. */
    build_tls_flow(s, 0);
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    mode_t saved_umask = umask(022);
    enum fs_status opened = fs_writer_open(s->path, &s->writer, &s->errmsg);
    umask(saved_umask);
    assert_int_equal(opened, FS_OK);
    write_record(s->flows[0], &ctx, s->writer);
    assert_int_equal(fs_writer_close(s->writer, TRUE, &s->errmsg), FS_OK);
    s->writer = NULL;
    GStatBuf st;
    assert_int_equal(g_stat(s->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void writer_open_in_missing_directory(void **state)
{
    struct record_state *s = *state;
    char *path = g_build_filename(s->dir, "missing", "out.jsonl", NULL);
    s->expected = g_strdup_printf("cannot write %s: No such file or directory", path);
    enum fs_status status = fs_writer_open(path, &s->writer, &s->errmsg);
    g_free(path);
    assert_int_equal(status, FS_ERR_OUTPUT);
    assert_null(s->writer);
    assert_string_equal(s->errmsg, s->expected);
    assert_string_equal(list_dir(s), "");
}

static void writer_directory_target_refused(void **state)
{
    struct record_state *s = *state;
    /* The target is a directory: refused when opened, before anything is
     * read, and nothing is created beside it. */
    assert_int_equal(g_mkdir(s->path, 0700), 0);
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_ERR_OUTPUT);
    assert_null(s->writer);
    s->expected = g_strdup_printf("cannot write %s: Is a directory", s->path);
    assert_string_equal(s->errmsg, s->expected);
    assert_string_equal(list_dir(s), "out.jsonl");
    assert_true(g_file_test(s->path, G_FILE_TEST_IS_DIR));
}

/* The size of the only file in the test directory (the -w temporary). */
static goffset only_file_size(struct record_state *s)
{
    char *temp = g_build_filename(s->dir, list_dir(s), NULL);
    GStatBuf st;
    int rc = g_stat(temp, &st);
    g_free(temp);
    assert_int_equal(rc, 0);
    return st.st_size;
}

static void writer_error_is_sticky(void **state)
{
    struct record_state *s = *state;
    /* A record far larger than stdio's buffer, so writing it reaches the
     * file; with a file size limit of 0 bytes that write fails (EFBIG). */
    build_tls_flow(s, 0);
    struct fs_ext_value *sni = &g_array_index(s->flows[0]->ext[0], struct fs_ext_value, 0);
    g_free(sni->text);
    sni->text = g_strnfill(100000, 'x');
    struct fs_record_context ctx = { .file = "dnscrypt-v2-doh.pcap",
        .field_names = s->names,
        .main_seq = FS_MAIN_PAYLOAD,
        .keep_empty = FALSE };
    assert_int_equal(fs_writer_open(s->path, &s->writer, &s->errmsg), FS_OK);
    assert_false(fs_writer_failed(s->writer));

    struct rlimit saved_limit, zero_limit;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    zero_limit = saved_limit;
    zero_limit.rlim_cur = 0;
    struct sigaction ignore = { 0 }, saved_action;
    ignore.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGXFSZ, &ignore, &saved_action), 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &zero_limit), 0);
    gboolean first = write_record(s->flows[0], &ctx, s->writer);
    /* Restore before any assertion can jump out of the test. */
    int restored = setrlimit(RLIMIT_FSIZE, &saved_limit);
    int restored_action = sigaction(SIGXFSZ, &saved_action, NULL);
    assert_int_equal(restored, 0);
    assert_int_equal(restored_action, 0);
    assert_true(first);
    assert_true(fs_writer_failed(s->writer));
    assert_int_equal(only_file_size(s), 0);

    /* The disk has room again, but the error sticks: the next record is
     * accepted and goes nowhere (it would reach the file otherwise). */
    assert_true(write_record(s->flows[0], &ctx, s->writer));
    assert_true(fs_writer_failed(s->writer));
    assert_int_equal(only_file_size(s), 0);

    enum fs_status status = fs_writer_close(s->writer, TRUE, &s->errmsg);
    s->writer = NULL;
    s->expected = g_strdup_printf("cannot write %s: File too large", s->path);
    assert_int_equal(status, FS_ERR_OUTPUT);
    assert_string_equal(s->errmsg, s->expected);
    /* No partial file: neither the target nor the temporary file. */
    assert_string_equal(list_dir(s), "");
}

static void writer_standard_output(void **state)
{
    struct record_state *s = *state;
    /* NULL and "-" are standard output: nothing to create, nothing to
     * rename (no record is written, to keep the test log clean). */
    assert_int_equal(fs_writer_open(NULL, &s->writer, &s->errmsg), FS_OK);
    assert_non_null(s->writer);
    assert_int_equal(fs_writer_close(s->writer, TRUE, &s->errmsg), FS_OK);
    assert_int_equal(fs_writer_open("-", &s->writer, &s->errmsg), FS_OK);
    assert_false(fs_writer_failed(s->writer));
    assert_int_equal(fs_writer_close(s->writer, FALSE, &s->errmsg), FS_OK);
    s->writer = NULL;
    assert_null(s->errmsg);
    assert_false(g_file_test("-", G_FILE_TEST_EXISTS));
}

static void writer_close_null(void **state)
{
    (void)state;
    char stale[] = "stale";
    char *errmsg = stale;
    assert_int_equal(fs_writer_close(NULL, TRUE, &errmsg), FS_OK);
    assert_null(errmsg);
}

int main(int argc, char **argv)
{
    (void)argc;
    fs_test_set_argv0(argv[0]);
    const struct CMUnitTest tests[] = {
        RECORD_TEST(record_tls_flow),
        RECORD_TEST(record_udp_ipv6_nanoseconds),
        RECORD_TEST(record_one_line_per_flow),
        RECORD_TEST(record_main_ip),
        RECORD_TEST(record_without_payload_dropped),
        RECORD_TEST(record_without_payload_kept),
        RECORD_TEST(record_without_payload_kept_main_ip),
        RECORD_TEST(record_escapes_values),
        RECORD_TEST(sink_string_repairs_utf8),
        RECORD_TEST(writer_commit_leaves_only_target),
        RECORD_TEST(writer_abort_removes_temp),
        RECORD_TEST(writer_commit_replaces_target),
        RECORD_TEST(writer_abort_keeps_old_target),
        RECORD_TEST(writer_file_mode_follows_umask),
        RECORD_TEST(writer_open_in_missing_directory),
        RECORD_TEST(writer_directory_target_refused),
        RECORD_TEST(writer_error_is_sticky),
        RECORD_TEST(writer_standard_output),
        RECORD_TEST(writer_close_null),
    };
    return cmocka_run_group_tests_name(
            "record and writer", tests, fs_test_setup_epan, fs_test_teardown_epan);
}
