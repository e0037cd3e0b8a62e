/* packet_io.c: see packet_io.h. A frame is a guint32 kind, then:
 * - packet or layer: struct frame_head, then head.texts texts (each a
 *   guint32 length and its bytes): src, dst, the Protocol column, src_mac,
 *   dst_mac, the IP bytes, then the field values;
 * - end: a guint32 status and one text, the message (length NO_TEXT when
 *   there is none). */
#include <string.h>

#include "packet_io.h"

struct frame_head {
    guint32 transport, stream, sport, dport, ip_len, transport_len, decimals, texts;
    guint32 frame_len, ip_version, tcp_flags, tcp_hdr_len, vlan_id, ip_bytes_len;
    gint32 nsecs;
    guint32 flags; /* the IP protocol (bits 0-7), FRAME_FLOW_FILTER_MATCH; keeps secs aligned */
    gint64 secs;
};

/* Bits of frame_head.flags. */
#define FRAME_FLOW_FILTER_MATCH 0x100u

/* Texts before the field values. */
#define BASE_TEXTS 6
/* A message that is absent, not empty. */
#define NO_TEXT G_MAXUINT32
/* Bounds a reader accepts: more field values than -e can give, a text
 * longer than a packet can hold, are damage. */
#define MAX_TEXTS      (BASE_TEXTS + 65536)
#define MAX_TEXT_BYTES (16u * 1024 * 1024)

static void write_text(FILE *out, const void *text, guint32 len)
{
    fwrite(&len, sizeof(len), 1, out);
    if (len && len != NO_TEXT)
        fwrite(text, 1, len, out);
}

static void write_string(FILE *out, const char *text)
{
    write_text(out, text, text ? (guint32)strlen(text) : 0);
}

void fs_frame_write_packet(FILE *out, enum fs_frame_kind kind, const struct fs_packet *p)
{
    guint32 k = kind;
    guint values = p->values ? p->value_count : 0;
    const struct frame_head h = {
        .transport = p->transport,
        .stream = p->stream,
        .sport = p->sport,
        .dport = p->dport,
        .ip_len = p->ip_len,
        .transport_len = p->transport_len,
        .decimals = (guint32)p->ts_decimals,
        .texts = BASE_TEXTS + values,
        .frame_len = p->frame_len,
        .ip_version = p->ip_version,
        .tcp_flags = p->tcp_flags,
        .tcp_hdr_len = p->tcp_hdr_len,
        .vlan_id = p->vlan_id,
        .ip_bytes_len = p->ip_bytes ? p->ip_bytes_len : 0,
        .nsecs = p->ts_nsecs,
        .flags = p->ip_proto | (p->flow_filter_match ? FRAME_FLOW_FILTER_MATCH : 0),
        .secs = p->ts_secs,
    };
    fwrite(&k, sizeof(k), 1, out);
    fwrite(&h, sizeof(h), 1, out);
    write_string(out, p->src);
    write_string(out, p->dst);
    write_string(out, p->protocol_column);
    write_string(out, p->src_mac);
    write_string(out, p->dst_mac);
    write_text(out, p->ip_bytes, h.ip_bytes_len);
    for (guint i = 0; i < values; i++)
        write_text(out, p->values[i]->str, (guint32)p->values[i]->len);
}

void fs_frame_write_end(FILE *out, enum fs_status status, const char *message)
{
    guint32 k = FS_FRAME_END;
    guint32 s = (guint32)status;
    fwrite(&k, sizeof(k), 1, out);
    fwrite(&s, sizeof(s), 1, out);
    write_text(out, message, message ? (guint32)strlen(message) : NO_TEXT);
}

/* ---- reading ---- */

struct fs_frame_reader {
    FILE *in;
    GPtrArray *texts;  /* GString *, reused from frame to frame */
    GPtrArray *values; /* GString *: borrowed from texts, for packet->values */
};

static void free_text(gpointer text)
{
    g_string_free(text, TRUE);
}

fs_frame_reader *fs_frame_reader_new(FILE *in)
{
    fs_frame_reader *r = g_new0(fs_frame_reader, 1);
    r->in = in;
    r->texts = g_ptr_array_new_with_free_func(free_text);
    r->values = g_ptr_array_new();
    return r;
}

void fs_frame_reader_free(fs_frame_reader *r)
{
    if (!r)
        return;
    g_ptr_array_free(r->texts, TRUE);
    g_ptr_array_free(r->values, TRUE);
    g_free(r);
}

/* Reads text i; FALSE on a cut or oversized text. *absent: NO_TEXT. */
static gboolean read_text(fs_frame_reader *r, guint i, gboolean *absent)
{
    while (r->texts->len <= i)
        g_ptr_array_add(r->texts, g_string_new(NULL));
    GString *text = g_ptr_array_index(r->texts, i);
    guint32 n;
    if (fread(&n, sizeof(n), 1, r->in) != 1)
        return FALSE;
    if (absent)
        *absent = n == NO_TEXT;
    if (n == NO_TEXT && absent)
        n = 0;
    if (n > MAX_TEXT_BYTES)
        return FALSE;
    g_string_set_size(text, n);
    return n == 0 || fread(text->str, 1, n, r->in) == n;
}

static const char *text_at(const fs_frame_reader *r, guint i)
{
    return ((const GString *)g_ptr_array_index(r->texts, i))->str;
}

/* Copies text i into a fixed buffer; FALSE when it does not fit. */
static gboolean copy_text(const fs_frame_reader *r, guint i, char *out, gsize size)
{
    const GString *text = g_ptr_array_index(r->texts, i);
    if (text->len >= size || memchr(text->str, '\0', text->len))
        return FALSE;
    memcpy(out, text->str, text->len + 1);
    return TRUE;
}

static enum fs_frame_result read_packet(fs_frame_reader *r, struct fs_packet *p)
{
    struct frame_head h;
    if (fread(&h, sizeof(h), 1, r->in) != 1)
        return FS_FRAME_DAMAGED;
    if (h.texts < BASE_TEXTS || h.texts > MAX_TEXTS || h.transport > FS_TRANSPORT_OTHER ||
            (h.decimals != 0 && h.decimals != 6 && h.decimals != 9) || h.nsecs < 0 ||
            h.nsecs >= 1000000000 || (h.flags & ~(FRAME_FLOW_FILTER_MATCH | 0xffu)) != 0)
        return FS_FRAME_DAMAGED;
    for (guint i = 0; i < h.texts; i++) {
        if (!read_text(r, i, NULL))
            return FS_FRAME_DAMAGED;
    }
    memset(p, 0, sizeof(*p));
    if (!copy_text(r, 0, p->src, sizeof(p->src)) || !copy_text(r, 1, p->dst, sizeof(p->dst)) ||
            !copy_text(r, 3, p->src_mac, sizeof(p->src_mac)) ||
            !copy_text(r, 4, p->dst_mac, sizeof(p->dst_mac)))
        return FS_FRAME_DAMAGED;
    const GString *ip = g_ptr_array_index(r->texts, 5);
    if (ip->len != h.ip_bytes_len)
        return FS_FRAME_DAMAGED;
    p->transport = (enum fs_transport)h.transport;
    p->ip_proto = (guint8)(h.flags & 0xffu);
    p->stream = h.stream;
    p->sport = h.sport;
    p->dport = h.dport;
    p->ip_len = h.ip_len;
    p->transport_len = h.transport_len;
    p->ts_secs = h.secs;
    p->ts_nsecs = h.nsecs;
    p->ts_decimals = (int)h.decimals;
    p->protocol_column = text_at(r, 2);
    p->frame_len = h.frame_len;
    p->ip_version = (guint8)h.ip_version;
    p->tcp_flags = (guint16)h.tcp_flags;
    p->tcp_hdr_len = h.tcp_hdr_len;
    p->vlan_id = h.vlan_id;
    p->flow_filter_match = (h.flags & FRAME_FLOW_FILTER_MATCH) != 0;
    p->ip_bytes = ip->len ? (const guint8 *)ip->str : NULL;
    p->ip_bytes_len = (guint32)ip->len;
    g_ptr_array_set_size(r->values, 0);
    for (guint i = BASE_TEXTS; i < h.texts; i++)
        g_ptr_array_add(r->values, g_ptr_array_index(r->texts, i));
    p->value_count = h.texts - BASE_TEXTS;
    p->values = p->value_count ? (GString *const *)r->values->pdata : NULL;
    return FS_FRAME_OK;
}

enum fs_frame_result fs_frame_read(fs_frame_reader *r, enum fs_frame_kind *kind,
        struct fs_packet *packet, enum fs_status *status, const char **message)
{
    guint32 k;
    size_t n = fread(&k, 1, sizeof(k), r->in);
    if (n != sizeof(k)) /* nothing at all is the end; part of a kind is a cut frame */
        return n == 0 && feof(r->in) && !ferror(r->in) ? FS_FRAME_EOF : FS_FRAME_DAMAGED;
    if (k == FS_FRAME_PACKET || k == FS_FRAME_LAYER) {
        *kind = (enum fs_frame_kind)k;
        return read_packet(r, packet);
    }
    if (k != FS_FRAME_END)
        return FS_FRAME_DAMAGED;
    *kind = FS_FRAME_END;
    guint32 s;
    gboolean absent = FALSE;
    if (fread(&s, sizeof(s), 1, r->in) != 1 || s > FS_STATUS_LAST || !read_text(r, 0, &absent))
        return FS_FRAME_DAMAGED;
    *status = (enum fs_status)s;
    *message = absent ? NULL : text_at(r, 0);
    return FS_FRAME_OK;
}
