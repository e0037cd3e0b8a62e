/* capture.c: wiretap wrapper. */
#include <wireshark.h>
#include <epan/addr_resolv.h>
#include <epan/secrets.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#include <unistd.h>

#include "capture.h"
#include "packet.h"

struct progress {
    fs_capture_watch_fn fn; /* NULL: nobody watches */
    void *data;
    guint64 records; /* read so far (counted with or without a watcher) */
};

struct fs_capture {
    struct progress progress;
    wtap *wth;
    wtap_rec rec;
    Buffer buf;
    wtapng_iface_descriptions_t *idb_info; /* wiretap's live array; we free the struct only */
};

/* wiretap hands pcapng name-resolution blocks to this callback type. */
static void add_ipv6_name_cb(const void *addr, const gchar *name)
{
    add_ipv6_name((const ws_in6_addr *)addr, name);
}

static char *describe_error(int err, char *err_info)
{
    char *text = err_info ? g_strdup_printf("%s (%s)", wtap_strerror(err), err_info)
                          : g_strdup(wtap_strerror(err));
    g_free(err_info);
    return text;
}

enum fs_status fs_capture_open(
        const char *path, gboolean random_access, fs_capture **out, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *out = NULL;
    *errmsg = NULL;
    wtap *wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, random_access);
    if (!wth) {
        char *why = describe_error(err, err_info);
        if (err == WTAP_ERR_SHORT_READ)
            *errmsg = g_strdup_printf(
                    "%s: the capture is cut short inside its header: %s", path, why);
        else
            *errmsg = g_strdup_printf("%s: %s", path, why);
        g_free(why);
        return FS_ERR_OPEN;
    }
    fs_capture *cap = g_new0(fs_capture, 1);
    cap->wth = wth;
    wtap_rec_init(&cap->rec);
    ws_buffer_init(&cap->buf, 1514);
    /* As tshark: pcapng name-resolution and decryption-secrets blocks reach epan. */
    wtap_set_cb_new_ipv4(wth, add_ipv4_name);
    wtap_set_cb_new_ipv6(wth, add_ipv6_name_cb);
    wtap_set_cb_new_secrets(wth, secrets_wtap_callback);
    cap->idb_info = wtap_file_get_idb_info(wth);
    *out = cap;
    return FS_OK;
}

void fs_capture_watch(fs_capture *cap, fs_capture_watch_fn fn, void *data)
{
    cap->progress.fn = fn;
    cap->progress.data = data;
}

static void tell_watcher(fs_capture *cap)
{
    struct progress *p = &cap->progress;
    if (p->fn)
        p->fn(p->data, p->records, wtap_read_so_far(cap->wth));
}

gboolean fs_capture_probe(const char *path)
{
    int err = 0;
    char *err_info = NULL;
    wtap *wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    g_free(err_info);
    if (!wth)
        return FALSE;
    wtap_close(wth);
    return TRUE;
}

gboolean fs_capture_first_time(const char *path, gint64 *secs, gint32 *nsecs)
{
    int err = 0;
    char *err_info = NULL;
    wtap *wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    g_free(err_info);
    if (!wth)
        return FALSE;
    wtap_rec rec;
    Buffer buf;
    gint64 offset = 0;
    wtap_rec_init(&rec);
    ws_buffer_init(&buf, 1514);
    gboolean found = FALSE;
    err_info = NULL;
    /* Records without a time (a pcapng block of statistics) are skipped. */
    for (int i = 0; i < 64 && !found; i++) {
        wtap_rec_reset(&rec);
        if (!wtap_read(wth, &rec, &buf, &err, &err_info, &offset))
            break;
        if (rec.presence_flags & WTAP_HAS_TS) {
            *secs = (gint64)rec.ts.secs;
            *nsecs = rec.ts.nsecs;
            fs_packet_normalise_time(secs, nsecs);
            found = TRUE;
        }
    }
    g_free(err_info);
    wtap_rec_cleanup(&rec);
    ws_buffer_free(&buf);
    wtap_close(wth);
    return found;
}

gboolean fs_capture_next(fs_capture *cap, gint64 *offset, enum fs_status *status, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *status = FS_OK;
    *errmsg = NULL;
    wtap_rec_reset(&cap->rec);
    if (wtap_read(cap->wth, &cap->rec, &cap->buf, &err, &err_info, offset)) {
        if ((++cap->progress.records & 1023) == 0)
            tell_watcher(cap);
        return TRUE;
    }
    tell_watcher(cap);
    if (err != 0) {
        *status = FS_ERR_TRUNCATED;
        if (err == WTAP_ERR_SHORT_READ) {
            g_free(err_info);
            *errmsg = g_strdup("the capture appears to have been cut short in the middle of a "
                               "packet");
        } else {
            *errmsg = describe_error(err, err_info);
        }
    }
    return FALSE;
}

gboolean fs_capture_seek(fs_capture *cap, gint64 offset, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *errmsg = NULL;
    wtap_rec_reset(&cap->rec);
    if (wtap_seek_read(cap->wth, offset, &cap->rec, &cap->buf, &err, &err_info))
        return TRUE;
    *errmsg = describe_error(err, err_info);
    return FALSE;
}

void fs_capture_end_sequential(fs_capture *cap)
{
    wtap_sequential_close(cap->wth);
}

wtap_rec *fs_capture_record(fs_capture *cap)
{
    return &cap->rec;
}

const guint8 *fs_capture_data(fs_capture *cap)
{
    return ws_buffer_start_ptr(&cap->buf);
}

int fs_capture_file_type(const fs_capture *cap)
{
    return wtap_file_type_subtype(cap->wth);
}

static const char *interface_option(const fs_capture *cap, guint32 id, guint option)
{
    if (!cap->idb_info || id >= cap->idb_info->interface_data->len)
        return NULL;
    wtap_block_t block = g_array_index(cap->idb_info->interface_data, wtap_block_t, id);
    char *value = NULL;
    if (wtap_block_get_string_option_value(block, option, &value) == WTAP_OPTTYPE_SUCCESS)
        return value;
    return NULL;
}

const char *fs_capture_interface_name(const fs_capture *cap, guint32 id)
{
    return interface_option(cap, id, OPT_IDB_NAME);
}

const char *fs_capture_interface_description(const fs_capture *cap, guint32 id)
{
    return interface_option(cap, id, OPT_IDB_DESCRIPTION);
}

void fs_capture_close(fs_capture *cap)
{
    if (!cap)
        return;
    wtap_rec_cleanup(&cap->rec);
    ws_buffer_free(&cap->buf);
    g_free(cap->idb_info);
    wtap_close(cap->wth);
    g_free(cap);
}

struct fs_capture_chunk {
    wtap_dumper *dumper;
    wtap_dump_params params;
};

enum fs_status fs_capture_chunk_open(
        fs_capture *cap, const char *path, fs_capture_chunk **out, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *out = NULL;
    *errmsg = NULL;
    fs_capture_chunk *chunk = g_new0(fs_capture_chunk, 1);
    wtap_dump_params_init(&chunk->params, cap->wth);
    chunk->dumper = wtap_dump_open(path, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED,
            &chunk->params, &err, &err_info);
    if (!chunk->dumper) {
        char *why = describe_error(err, err_info);
        *errmsg = g_strdup_printf("cannot write %s: %s", path, why);
        g_free(why);
        wtapng_iface_descriptions_t *idb_inf = chunk->params.idb_inf;
        wtap_dump_params_cleanup(&chunk->params);
        g_free(idb_inf);
        g_free(chunk);
        return FS_ERR_OUTPUT;
    }
    *out = chunk;
    return FS_OK;
}

gboolean fs_capture_chunk_add(fs_capture_chunk *chunk, fs_capture *cap, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *errmsg = NULL;
    /* wiretap passes a damaged record's time fraction through unchecked
     * (negative, or a second or more); the chunk's pcapng writer would
     * garble it, so it is normalised as dissect.c normalises packet times. */
    gint64 secs = (gint64)cap->rec.ts.secs;
    gint32 nsecs = cap->rec.ts.nsecs;
    fs_packet_normalise_time(&secs, &nsecs);
    cap->rec.ts.secs = (time_t)secs;
    cap->rec.ts.nsecs = nsecs;
    if (wtap_dump(chunk->dumper, &cap->rec, ws_buffer_start_ptr(&cap->buf), &err, &err_info))
        return TRUE;
    *errmsg = describe_error(err, err_info);
    return FALSE;
}

enum fs_status fs_capture_chunk_close(fs_capture_chunk *chunk, char **errmsg)
{
    int err = 0;
    char *err_info = NULL;
    *errmsg = NULL;
    gboolean ok = wtap_dump_close(chunk->dumper, NULL, &err, &err_info);
    /* wtap_dump_params_init() got idb_inf from wtap_file_get_idb_info(),
     * whose struct (not the interfaces it points to) is ours to free. */
    wtapng_iface_descriptions_t *idb_inf = chunk->params.idb_inf;
    wtap_dump_params_cleanup(&chunk->params);
    g_free(idb_inf);
    g_free(chunk);
    if (ok)
        return FS_OK;
    *errmsg = describe_error(err, err_info);
    return FS_ERR_OUTPUT;
}

guint64 fs_capture_records_read(const fs_capture *cap)
{
    return cap->progress.records;
}

const char *fs_capture_format(const fs_capture *cap)
{
    return wtap_file_type_subtype_description(wtap_file_type_subtype(cap->wth));
}
