/* bounded.c: see bounded.h. Hand-written here: the results file format
 * between a chunk worker and this process (no library in our dependencies
 * serialises a packet's header and field texts more simply). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bounded.h"
#include "capture.h"
#include "interrupt.h"
#include "worker.h"

/* ---- results file: one event per packet layer or packet, then an end ---- */

enum event_kind {
    EVENT_LAYER = 'L',  /* a TCP/UDP layer of any dissected packet: numbers streams */
    EVENT_PACKET = 'P', /* a packet that passed the filter */
    EVENT_END = 'E',    /* the worker's status and message */
};

/* Fixed part of an event; `strings` texts follow, each a guint32 length and
 * its bytes: src, dst, the Protocol column, src_mac, dst_mac, the IP packet
 * bytes (empty unless --ndpi), then the field values (or, for EVENT_END,
 * the message alone). Both ends are the same binary. */
struct event_head {
    guint32 kind, transport, stream, sport, dport, ip_len, transport_len, decimals, strings;
    guint32 frame_len, ip_version, tcp_flags, tcp_hdr_len, vlan_id;
    gint32 nsecs;
    gint64 secs;
};

/* The texts before the field values. */
#define EVENT_BASE_TEXTS 6

static void write_text(FILE *out, const char *text, size_t len)
{
    guint32 n = (guint32)len;
    fwrite(&n, sizeof(n), 1, out);
    if (len) /* text may be NULL then */
        fwrite(text, 1, len, out);
}

static void write_event(FILE *out, enum event_kind kind, const struct fs_packet *p, guint values)
{
    struct event_head h;
    memset(&h, 0, sizeof(h));
    h.kind = kind;
    h.transport = p->transport;
    h.stream = p->stream;
    h.sport = p->sport;
    h.dport = p->dport;
    h.ip_len = p->ip_len;
    h.transport_len = p->transport_len;
    h.decimals = (guint32)p->ts_decimals;
    h.frame_len = p->frame_len;
    h.ip_version = p->ip_version;
    h.tcp_flags = p->tcp_flags;
    h.tcp_hdr_len = p->tcp_hdr_len;
    h.vlan_id = p->vlan_id;
    h.nsecs = p->ts_nsecs;
    h.secs = p->ts_secs;
    h.strings = EVENT_BASE_TEXTS + values;
    fwrite(&h, sizeof(h), 1, out);
    write_text(out, p->src, strlen(p->src));
    write_text(out, p->dst, strlen(p->dst));
    const char *protocol = p->protocol_column ? p->protocol_column : "";
    write_text(out, protocol, strlen(protocol));
    write_text(out, p->src_mac, strlen(p->src_mac));
    write_text(out, p->dst_mac, strlen(p->dst_mac));
    write_text(out, (const char *)p->ip_bytes, p->ip_bytes ? p->ip_bytes_len : 0);
    for (guint i = 0; i < values; i++)
        write_text(out, p->values[i]->str, p->values[i]->len);
}

/* Reads one event into h and texts (GString *, grown as needed); FALSE at
 * the end of the file or on a cut event (a worker that died mid-write). */
static gboolean read_event(FILE *in, struct event_head *h, GPtrArray *texts)
{
    if (fread(h, sizeof(*h), 1, in) != 1 || h->strings > 1 + G_MAXUINT16)
        return FALSE;
    while (texts->len < h->strings)
        g_ptr_array_add(texts, g_string_new(NULL));
    for (guint i = 0; i < h->strings; i++) {
        guint32 n;
        if (fread(&n, sizeof(n), 1, in) != 1)
            return FALSE;
        GString *text = g_ptr_array_index(texts, i);
        g_string_set_size(text, n);
        if (n && fread(text->str, 1, n, in) != n)
            return FALSE;
    }
    return TRUE;
}

/* ---- the worker: dissects one chunk file, writes events, exits ---- */

struct worker_output {
    FILE *out;
    guint values;
};

static void on_layer(const struct fs_packet *packet, void *user_data)
{
    struct worker_output *w = user_data;
    write_event(w->out, EVENT_LAYER, packet, 0);
}

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    struct worker_output *w = user_data;
    write_event(w->out, EVENT_PACKET, packet, w->values);
}

static void G_GNUC_NORETURN worker_main(const char *chunk_path, FILE *out,
        const struct fs_options *opts, fs_dissector *session, guint values)
{
    char *errmsg = NULL;
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(chunk_path, opts->two_pass, &cap, &errmsg);
    if (status == FS_OK) {
        struct worker_output w = { out, values };
        fs_dissector_set_layers_cb(session, on_layer, &w);
        status = fs_dissector_run(session, cap, on_packet, &w, &errmsg);
    }
    const char *message = errmsg ? errmsg : "";
    fwrite(&(struct event_head){ .kind = EVENT_END, .stream = (guint32)status, .strings = 1 },
            sizeof(struct event_head), 1, out);
    write_text(out, message, strlen(message));
    gboolean written = fflush(out) == 0 && !ferror(out);
    _exit(fs_status_exit_code(written ? FS_OK : FS_ERR_OUTPUT));
}

/* ---- this process: stream numbers across chunks ---- */

struct tuple_flow {
    guint stream;     /* global stream number */
    guint last_chunk; /* the latest chunk that used it */
};

struct stream_map {
    GHashTable *tuples; /* "transport|lower end|upper end" -> struct tuple_flow */
    GHashTable *local;  /* this chunk: transport << 32 | worker stream -> global + 1 */
    guint next[2];      /* next global stream number, per transport */
    guint chunk;
};

static char *tuple_key(const struct fs_packet *p)
{
    int order = strcmp(p->src, p->dst);
    gboolean src_first = order < 0 || (order == 0 && p->sport <= p->dport);
    return g_strdup_printf("%d|%s|%u|%s|%u", (int)p->transport, src_first ? p->src : p->dst,
            src_first ? p->sport : p->dport, src_first ? p->dst : p->src,
            src_first ? p->dport : p->sport);
}

/* The global stream of a worker's stream: the flow of the same protocol,
 * addresses and ports that an earlier chunk saw, or a new number. A second
 * worker stream of one tuple within a chunk (Wireshark split it) is new. */
static guint global_stream(struct stream_map *m, const struct fs_packet *p)
{
    gint64 local_key = ((gint64)p->transport << 32) | p->stream;
    gpointer found = g_hash_table_lookup(m->local, &local_key);
    if (found)
        return GPOINTER_TO_UINT(found) - 1;

    char *key = tuple_key(p);
    struct tuple_flow *flow = g_hash_table_lookup(m->tuples, key);
    guint stream;
    if (flow && flow->last_chunk < m->chunk) {
        stream = flow->stream;
        g_free(key);
    } else {
        stream = m->next[p->transport]++;
        if (!flow) {
            flow = g_new0(struct tuple_flow, 1);
            g_hash_table_insert(m->tuples, key, flow);
        } else {
            g_free(key);
        }
        flow->stream = stream;
    }
    flow->last_chunk = m->chunk;
    g_hash_table_insert(
            m->local, g_memdup2(&local_key, sizeof(local_key)), GUINT_TO_POINTER(stream + 1));
    return stream;
}

/* Fills p's header from an event (strings borrowed from texts). */
static void packet_from_event(
        const struct event_head *h, GPtrArray *texts, GString **values, struct fs_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->transport = h->transport == FS_TRANSPORT_UDP ? FS_TRANSPORT_UDP : FS_TRANSPORT_TCP;
    p->stream = h->stream;
    p->sport = h->sport;
    p->dport = h->dport;
    p->ip_len = h->ip_len;
    p->transport_len = h->transport_len;
    p->ts_decimals = (int)h->decimals;
    p->ts_nsecs = h->nsecs;
    p->ts_secs = h->secs;
    p->frame_len = h->frame_len;
    p->ip_version = (guint8)h->ip_version;
    p->tcp_flags = (guint16)h->tcp_flags;
    p->tcp_hdr_len = h->tcp_hdr_len;
    p->vlan_id = h->vlan_id;
    const GString *const *text = (const GString *const *)texts->pdata;
    g_strlcpy(p->src, text[0]->str, sizeof(p->src));
    g_strlcpy(p->dst, text[1]->str, sizeof(p->dst));
    p->protocol_column = text[2]->str;
    g_strlcpy(p->src_mac, text[3]->str, sizeof(p->src_mac));
    g_strlcpy(p->dst_mac, text[4]->str, sizeof(p->dst_mac));
    p->ip_bytes = text[5]->len ? (const guint8 *)text[5]->str : NULL;
    p->ip_bytes_len = (guint32)text[5]->len;
    for (guint i = EVENT_BASE_TEXTS; i < h->strings; i++)
        values[i - EVENT_BASE_TEXTS] = g_ptr_array_index(texts, i);
    p->values = values;
}

static void free_text(gpointer text)
{
    g_string_free(text, TRUE);
}

/* Adds the events of one chunk's results to flows. Returns the worker's
 * status (FS_ERR_WORKER when its end event is missing), *errmsg its text. */
static enum fs_status apply_results(
        FILE *in, struct stream_map *map, fs_flow_table *flows, guint values, char **errmsg)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(free_text);
    GString **value_texts = g_new0(GString *, values + 1);
    struct event_head h;
    enum fs_status status = FS_ERR_WORKER;
    g_hash_table_remove_all(map->local);
    while (read_event(in, &h, texts)) {
        if (h.kind == EVENT_END) {
            status = h.stream <= FS_ERR_WORKER ? (enum fs_status)h.stream : FS_ERR_WORKER;
            const GString *text = g_ptr_array_index(texts, 0);
            if (text->len)
                *errmsg = g_strndup(text->str, text->len);
            break;
        }
        if (h.strings != EVENT_BASE_TEXTS + (h.kind == EVENT_PACKET ? values : 0))
            break;
        struct fs_packet p;
        packet_from_event(&h, texts, value_texts, &p);
        p.stream = global_stream(map, &p);
        if (h.kind == EVENT_PACKET)
            fs_flow_table_add_packet(flows, &p);
    }
    g_free(value_texts);
    g_ptr_array_free(texts, TRUE);
    return status;
}

/* ---- the loop ---- */

/* Copies up to `count` records of cap into a new chunk file. Returns the
 * number copied; read_status and read_err keep why reading stopped early. */
static guint copy_chunk(fs_capture *cap, const char *chunk_path, guint count,
        enum fs_status *read_status, char **read_err, enum fs_status *write_status,
        char **write_err)
{
    fs_capture_chunk *chunk = NULL;
    *write_status = fs_capture_chunk_open(cap, chunk_path, &chunk, write_err);
    if (*write_status != FS_OK)
        return 0;
    guint copied = 0;
    gint64 offset = 0;
    while (copied < count && !fs_interrupt_requested() &&
            fs_capture_next(cap, &offset, read_status, read_err)) {
        if (!fs_capture_chunk_add(chunk, cap, write_err)) {
            *write_status = FS_ERR_OUTPUT;
            break;
        }
        copied++;
    }
    char *close_err = NULL;
    if (fs_capture_chunk_close(chunk, &close_err) != FS_OK && *write_status == FS_OK) {
        *write_status = FS_ERR_OUTPUT;
        *write_err = close_err;
    } else {
        g_free(close_err);
    }
    return copied;
}

/* Forks a worker for one chunk file and adds its results to flows. */
static enum fs_status dissect_chunk(const char *path, const char *chunk_path,
        const struct fs_options *opts, fs_dissector *pristine, struct stream_map *map,
        fs_flow_table *flows, guint values, char **errmsg)
{
    FILE *results = tmpfile();
    if (!results) {
        *errmsg = g_strdup_printf("cannot create a temporary file: %s", g_strerror(errno));
        return FS_ERR_OUTPUT;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        *errmsg = g_strdup_printf("cannot start a worker: %s", g_strerror(errno));
        fclose(results);
        return FS_ERR_WORKER;
    }
    if (pid == 0)
        worker_main(chunk_path, results, opts, pristine, values);

    enum fs_status status = fs_worker_wait(pid, path);
    if (status == FS_OK || status == FS_ERR_WORKER) {
        rewind(results);
        enum fs_status worker_status = apply_results(results, map, flows, values, errmsg);
        if (status == FS_OK)
            status = worker_status;
    } else if (status == FS_ERR_OUTPUT) {
        *errmsg = g_strdup("a worker could not write its results to a temporary file");
    }
    fclose(results);
    return status;
}

enum fs_status fs_bounded_read(const char *path, const struct fs_options *opts,
        fs_dissector *pristine, fs_flow_table *flows, gboolean progress, char **errmsg)
{
    *errmsg = NULL;
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(path, FALSE, &cap, errmsg);
    if (status != FS_OK)
        return status;
    if (progress)
        fs_capture_report_progress(cap, path, FS_PROGRESS_INTERVAL);
    char *chunk_path = NULL;
    GError *error = NULL;
    int fd = g_file_open_tmp("flowshark-chunk-XXXXXX.pcapng", &chunk_path, &error);
    if (fd < 0) {
        *errmsg = g_strdup_printf("cannot create a chunk file: %s", error->message);
        g_error_free(error);
        fs_capture_close(cap);
        return FS_ERR_OUTPUT;
    }
    close(fd);

    struct stream_map map = {
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
        { 0, 0 },
        0,
    };
    guint values = fs_flow_table_ext_count(flows);
    enum fs_status read_status = FS_OK;
    char *read_err = NULL;
    for (;; map.chunk++) {
        char *write_err = NULL;
        enum fs_status write_status = FS_OK;
        guint copied = copy_chunk(cap, chunk_path, opts->reset_every, &read_status, &read_err,
                &write_status, &write_err);
        if (write_status != FS_OK) {
            status = write_status;
            *errmsg = write_err;
            break;
        }
        if (copied == 0)
            break;
        char *chunk_err = NULL;
        enum fs_status chunk_status =
                dissect_chunk(path, chunk_path, opts, pristine, &map, flows, values, &chunk_err);
        if (chunk_status != FS_OK) {
            status = fs_status_worst(status, chunk_status);
            if (chunk_err && !*errmsg)
                *errmsg = chunk_err;
            else
                g_free(chunk_err);
            if (chunk_status != FS_ERR_WORKER && chunk_status != FS_ERR_TRUNCATED)
                break;
        }
        if (read_status != FS_OK || fs_interrupt_requested())
            break;
    }
    g_unlink(chunk_path);
    g_free(chunk_path);
    g_hash_table_destroy(map.tuples);
    g_hash_table_destroy(map.local);
    fs_capture_close(cap);

    if (fs_interrupt_requested() && status != FS_ERR_OUTPUT) {
        g_free(read_err);
        g_free(*errmsg);
        *errmsg = NULL;
        return FS_ERR_INTERRUPTED;
    }
    if (read_status != FS_OK) {
        status = fs_status_worst(status, read_status);
        if (!*errmsg) {
            *errmsg = read_err;
            read_err = NULL;
        }
    }
    g_free(read_err);
    return status;
}
