/* bounded.c: see bounded.h. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bounded.h"
#include "capture.h"
#include "interrupt.h"
#include "packet.h"
#include "packet_io.h"
#include "worker.h"

/* ---- the worker: dissects one chunk file, sends frames, exits ---- */

struct chunk_worker {
    const char *chunk_path;
    FILE *out;
    fs_dissector *session;
};

static void on_layer(const struct fs_packet *packet, void *user_data)
{
    fs_frame_write_packet(user_data, FS_FRAME_LAYER, packet);
}

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    fs_frame_write_packet(user_data, FS_FRAME_PACKET, packet);
}

/* Runs in the worker: its status says whether the frames were written; the
 * chunk's own status travels in the end frame. */
static enum fs_status chunk_worker_main(void *arg)
{
    const struct chunk_worker *w = arg;
    char *errmsg = NULL;
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(w->chunk_path, FALSE, &cap, &errmsg);
    if (status == FS_OK) {
        fs_dissector_set_layers_cb(w->session, on_layer, w->out);
        status = fs_dissector_run(w->session, cap, on_packet, w->out, &errmsg);
    }
    fs_frame_write_end(w->out, status, errmsg);
    gboolean written = fflush(w->out) == 0 && !ferror(w->out);
    return written ? FS_OK : FS_ERR_OUTPUT;
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
    GString *key = g_string_new(NULL);
    g_string_printf(key, "%d|", (int)p->transport);
    fs_packet_append_ends(key, p, TRUE);
    return g_string_free(key, FALSE);
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

/* Adds the frames of one chunk's results to flows. Returns the chunk's
 * status from the end frame, *errmsg its message; FS_ERR_WORKER with a
 * message when the end frame is missing or a frame is damaged. */
static enum fs_status apply_results(
        FILE *in, struct stream_map *map, fs_flow_table *flows, guint chunk, char **errmsg)
{
    fs_frame_reader *reader = fs_frame_reader_new(in);
    enum fs_status status = FS_ERR_WORKER;
    gboolean ended = FALSE;
    enum fs_frame_result result;
    enum fs_frame_kind kind;
    struct fs_packet p;
    enum fs_status end_status = FS_OK;
    const char *message = NULL;
    g_hash_table_remove_all(map->local);
    while ((result = fs_frame_read(reader, &kind, &p, &end_status, &message)) == FS_FRAME_OK) {
        if (kind == FS_FRAME_END) {
            status = end_status;
            if (message && *message)
                *errmsg = g_strdup(message);
            ended = TRUE;
            break;
        }
        /* Other IP protocols are numbered by the flow table itself. */
        if (p.transport != FS_TRANSPORT_OTHER)
            p.stream = global_stream(map, &p);
        if (kind == FS_FRAME_PACKET)
            fs_flow_table_add_packet(flows, &p);
    }
    if (!ended)
        *errmsg = g_strdup_printf("the results of chunk %u (a worker's temporary file) %s; "
                                  "the packets after that point in the chunk are lost",
                chunk + 1, result == FS_FRAME_DAMAGED ? "are damaged" : "end early");
    fs_frame_reader_free(reader);
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
        fs_dissector *pristine, struct stream_map *map, fs_flow_table *flows, char **errmsg)
{
    FILE *results = tmpfile();
    if (!results) {
        *errmsg = g_strdup_printf("cannot create a temporary file: %s", g_strerror(errno));
        return FS_ERR_OUTPUT;
    }
    struct chunk_worker w = { .chunk_path = chunk_path, .out = results, .session = pristine };
    pid_t pid = fs_worker_spawn(chunk_worker_main, &w, errmsg);
    if (pid < 0) {
        fclose(results);
        return FS_ERR_WORKER;
    }
    enum fs_status status = fs_worker_wait(pid, path);
    if (status == FS_OK || status == FS_ERR_WORKER) {
        rewind(results);
        char *chunk_err = NULL;
        enum fs_status chunk_status = apply_results(results, map, flows, map->chunk, &chunk_err);
        if (status == FS_OK) {
            status = chunk_status;
            *errmsg = chunk_err;
        } else {
            g_free(chunk_err); /* the death is already reported */
        }
    } else if (status == FS_ERR_OUTPUT) {
        *errmsg = g_strdup("a worker could not write its results to a temporary file");
    }
    fclose(results);
    return status;
}

enum fs_status fs_bounded_read(const struct fs_run_ctx *ctx, const char *path,
        fs_dissector *pristine, fs_flow_table *flows, fs_capture_watch_fn watch, void *watch_data,
        guint64 *records, const char **format, char **errmsg)
{
    *errmsg = NULL;
    *records = 0;
    *format = NULL;
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(path, FALSE, &cap, errmsg);
    if (status != FS_OK)
        return status;
    fs_capture_watch(cap, watch, watch_data);
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
        .tuples = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .local = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
    };
    enum fs_status read_status = FS_OK;
    char *read_err = NULL;
    for (;; map.chunk++) {
        char *write_err = NULL;
        enum fs_status write_status = FS_OK;
        guint copied = copy_chunk(cap, chunk_path, ctx->opts->reset_every, &read_status, &read_err,
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
                dissect_chunk(path, chunk_path, pristine, &map, flows, &chunk_err);
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
    *records = fs_capture_records_read(cap);
    *format = fs_capture_format(cap);
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
