/* flow_features.c: NFStream's core, statistical and SPLT features. */
#include <math.h>
#include <string.h>

#include "flow_features.h"

/* TCP flags in NFStream's key order, with their bits in tcp.flags. */
static const struct {
    const char *name;
    guint16 bit;
} tcp_flags[] = {
    { "syn", 0x02 },
    { "cwr", 0x80 },
    { "ece", 0x40 },
    { "urg", 0x20 },
    { "ack", 0x10 },
    { "psh", 0x08 },
    { "rst", 0x04 },
    { "fin", 0x01 },
};
#define FLAG_COUNT G_N_ELEMENTS(tcp_flags)

/* The counters of one direction (or both). */
struct direction {
    gint64 first_ms, last_ms;
    guint64 packets, bytes;
    struct fs_running ps, piat;
    guint64 flags[FLAG_COUNT];
};

enum {
    BIDIRECTIONAL = 0,
    SRC2DST,
    DST2SRC,
    DIRECTIONS
};
static const char *const direction_names[DIRECTIONS] = { "bidirectional", "src2dst", "dst2src" };

struct fs_features {
    const struct fs_features_config *config;
    char src_mac[18], dst_mac[18];
    guint32 vlan_id;
    guint8 ip_version;
    struct direction dir[DIRECTIONS];
    /* --splt: config->splt entries each, -1 where no packet. */
    gint64 *splt_direction, *splt_ps, *splt_piat_ms;
};

/* ---- pure helpers ---- */

void fs_running_add(struct fs_running *r, gint64 value)
{
    r->n++;
    if (r->n == 1 || value < r->min)
        r->min = value;
    if (r->n == 1 || value > r->max)
        r->max = value;
    double old_mean = r->mean;
    r->mean += ((double)value - old_mean) / (double)r->n;
    r->m2 += ((double)value - old_mean) * ((double)value - r->mean);
}

double fs_running_stddev(const struct fs_running *r)
{
    return r->n < 2 ? 0.0 : sqrt(r->m2 / (double)(r->n - 1));
}

gint64 fs_features_time_ms(const struct fs_packet *packet)
{
    return packet->ts_secs * 1000 + packet->ts_nsecs / 1000000;
}

guint32 fs_features_packet_size(const struct fs_packet *packet, enum fs_accounting accounting)
{
    gboolean tcp = packet->transport == FS_TRANSPORT_TCP;
    switch (accounting) {
        case FS_ACCOUNT_LINK:
            return packet->frame_len;
        case FS_ACCOUNT_IP:
            return packet->ip_len;
        case FS_ACCOUNT_TRANSPORT: {
            /* NFStream: the transport bytes after the fixed header (TCP
             * options count, the UDP header does not). */
            guint32 l4 = tcp ? packet->tcp_hdr_len + packet->transport_len : packet->transport_len;
            guint32 fixed = tcp ? 20 : 8;
            return l4 > fixed ? l4 - fixed : 0;
        }
        case FS_ACCOUNT_PAYLOAD:
        default:
            if (tcp)
                return packet->transport_len;
            return packet->transport_len > 8 ? packet->transport_len - 8 : 0;
    }
}

/* ---- per flow ---- */

fs_features *fs_features_new(const struct fs_features_config *config)
{
    fs_features *f = g_new0(fs_features, 1);
    f->config = config;
    if (config->splt) {
        f->splt_direction = g_new(gint64, config->splt);
        f->splt_ps = g_new(gint64, config->splt);
        f->splt_piat_ms = g_new(gint64, config->splt);
        for (guint i = 0; i < config->splt; i++)
            f->splt_direction[i] = f->splt_ps[i] = f->splt_piat_ms[i] = -1;
    }
    return f;
}

void fs_features_free(fs_features *f)
{
    if (!f)
        return;
    g_free(f->splt_direction);
    g_free(f->splt_ps);
    g_free(f->splt_piat_ms);
    g_free(f);
}

/* Counts a packet in one direction's counters; returns its inter-arrival
 * time from the direction's previous packet (0 for the first). */
static void count(struct direction *d, gint64 time_ms, guint32 size, guint16 flags)
{
    gint64 piat = d->packets ? time_ms - d->last_ms : 0;
    if (d->packets == 0)
        d->first_ms = time_ms;
    else
        fs_running_add(&d->piat, piat);
    d->last_ms = time_ms;
    d->packets++;
    d->bytes += size;
    fs_running_add(&d->ps, size);
    for (guint i = 0; i < FLAG_COUNT; i++) {
        if (flags & tcp_flags[i].bit)
            d->flags[i]++;
    }
}

void fs_features_add(fs_features *f, const struct fs_packet *packet, gboolean forward)
{
    struct direction *both = &f->dir[BIDIRECTIONAL];
    gint64 time_ms = fs_features_time_ms(packet);
    guint32 size = fs_features_packet_size(packet, f->config->accounting);
    guint64 index = both->packets;
    if (index == 0) {
        /* The flow's src is the first packet's source or destination. */
        g_strlcpy(f->src_mac, forward ? packet->src_mac : packet->dst_mac, sizeof(f->src_mac));
        g_strlcpy(f->dst_mac, forward ? packet->dst_mac : packet->src_mac, sizeof(f->dst_mac));
        f->vlan_id = packet->vlan_id;
        f->ip_version = packet->ip_version;
    }
    gint64 piat = index ? time_ms - both->last_ms : 0;
    if (index < f->config->splt) {
        f->splt_direction[index] = forward ? 0 : 1;
        f->splt_ps[index] = size;
        f->splt_piat_ms[index] = piat;
    }
    count(both, time_ms, size, packet->tcp_flags);
    count(&f->dir[forward ? SRC2DST : DST2SRC], time_ms, size, packet->tcp_flags);
}

/* ---- keys and values ---- */

static const char *const core_keys[] = { "first_seen_ms", "last_seen_ms", "duration_ms", "packets",
    "bytes" };
static const char *const series_keys[] = { "min", "mean", "stddev", "max" };

static void add_key(GPtrArray *keys, const char *prefix, const char *name, const char *suffix)
{
    g_ptr_array_add(keys, g_strconcat(prefix, "_", name, suffix, NULL));
}

void fs_features_keys(const struct fs_features_config *config, GPtrArray *keys)
{
    if (config->stats) {
        g_ptr_array_add(keys, g_strdup("src_mac"));
        g_ptr_array_add(keys, g_strdup("dst_mac"));
        g_ptr_array_add(keys, g_strdup("ip_version"));
        g_ptr_array_add(keys, g_strdup("vlan_id"));
        for (int d = 0; d < DIRECTIONS; d++)
            for (guint k = 0; k < G_N_ELEMENTS(core_keys); k++)
                add_key(keys, direction_names[d], core_keys[k], "");
        for (int d = 0; d < DIRECTIONS; d++)
            for (guint k = 0; k < G_N_ELEMENTS(series_keys); k++)
                add_key(keys, direction_names[d], series_keys[k], "_ps");
        for (int d = 0; d < DIRECTIONS; d++)
            for (guint k = 0; k < G_N_ELEMENTS(series_keys); k++)
                add_key(keys, direction_names[d], series_keys[k], "_piat_ms");
        for (int d = 0; d < DIRECTIONS; d++)
            for (guint k = 0; k < FLAG_COUNT; k++)
                add_key(keys, direction_names[d], tcp_flags[k].name, "_packets");
    }
    if (config->splt) {
        g_ptr_array_add(keys, g_strdup("splt_direction"));
        g_ptr_array_add(keys, g_strdup("splt_ps"));
        g_ptr_array_add(keys, g_strdup("splt_piat_ms"));
    }
}

static void emit_int(
        fs_sink *sink, const char *prefix, const char *name, const char *suffix, gint64 value)
{
    char key[64];
    g_snprintf(key, sizeof(key), "%s_%s%s", prefix, name, suffix);
    fs_sink_key(sink, key);
    fs_sink_int(sink, value);
}

static void emit_series(
        fs_sink *sink, const char *prefix, const char *suffix, const struct fs_running *r)
{
    char key[64];
    emit_int(sink, prefix, "min", suffix, r->n ? r->min : 0);
    g_snprintf(key, sizeof(key), "%s_mean%s", prefix, suffix);
    fs_sink_key(sink, key);
    fs_sink_double(sink, r->mean);
    g_snprintf(key, sizeof(key), "%s_stddev%s", prefix, suffix);
    fs_sink_key(sink, key);
    fs_sink_double(sink, fs_running_stddev(r));
    emit_int(sink, prefix, "max", suffix, r->n ? r->max : 0);
}

static void emit_sequence(fs_sink *sink, const char *key, const gint64 *values, guint n)
{
    fs_sink_key(sink, key);
    fs_sink_begin_array(sink);
    for (guint i = 0; i < n; i++)
        fs_sink_int(sink, values[i]);
    fs_sink_end_array(sink);
}

void fs_features_emit(const fs_features *f, fs_sink *sink)
{
    if (f->config->stats) {
        fs_sink_key(sink, "src_mac");
        fs_sink_string(sink, f->src_mac);
        fs_sink_key(sink, "dst_mac");
        fs_sink_string(sink, f->dst_mac);
        fs_sink_key(sink, "ip_version");
        fs_sink_int(sink, f->ip_version);
        fs_sink_key(sink, "vlan_id");
        fs_sink_int(sink, f->vlan_id);
        for (int d = 0; d < DIRECTIONS; d++) {
            const struct direction *dir = &f->dir[d];
            const char *name = direction_names[d];
            emit_int(sink, name, "first_seen_ms", "", dir->first_ms);
            emit_int(sink, name, "last_seen_ms", "", dir->last_ms);
            emit_int(sink, name, "duration_ms", "", dir->last_ms - dir->first_ms);
            emit_int(sink, name, "packets", "", (gint64)dir->packets);
            emit_int(sink, name, "bytes", "", (gint64)dir->bytes);
        }
        for (int d = 0; d < DIRECTIONS; d++)
            emit_series(sink, direction_names[d], "_ps", &f->dir[d].ps);
        for (int d = 0; d < DIRECTIONS; d++)
            emit_series(sink, direction_names[d], "_piat_ms", &f->dir[d].piat);
        for (int d = 0; d < DIRECTIONS; d++)
            for (guint k = 0; k < FLAG_COUNT; k++)
                emit_int(sink, direction_names[d], tcp_flags[k].name, "_packets",
                        (gint64)f->dir[d].flags[k]);
    }
    if (f->config->splt) {
        emit_sequence(sink, "splt_direction", f->splt_direction, f->config->splt);
        emit_sequence(sink, "splt_ps", f->splt_ps, f->config->splt);
        emit_sequence(sink, "splt_piat_ms", f->splt_piat_ms, f->config->splt);
    }
}
