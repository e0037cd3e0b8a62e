/* feature_stats.c: NFStream's core and statistical features (--stats):
 * MACs, VLAN and IP version of the first packet, then per direction
 * (bidirectional, src2dst, dst2src) first/last seen, duration, packets,
 * bytes, packet size and inter-arrival time min/mean/stddev/max, and TCP
 * flag counts. Names and definitions are NFStream's; sizes follow the
 * accounting mode. */
#include <math.h>
#include <string.h>

#include "feature.h"
#include "feature_stats.h"

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

struct stats {
    char src_mac[FS_MAC_TEXT_SIZE], dst_mac[FS_MAC_TEXT_SIZE];
    guint32 vlan_id;
    guint8 ip_version;
    struct direction dir[DIRECTIONS];
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

guint32 fs_feature_packet_size(const struct fs_packet *packet, enum fs_accounting accounting)
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

/* ---- the module ---- */

static const struct fs_feature_option stats_options[] = {
    { .name = "stats", .help = "NFStream's core and statistical features" },
    { .name = NULL },
};

static gboolean stats_enabled(const struct fs_options *opts)
{
    return fs_options_module_value(opts, "stats") != 0;
}

/* The state is the accounting mode. */
static enum fs_status stats_setup(const struct fs_options *opts, void **state, char **errmsg)
{
    (void)errmsg;
    *state = GINT_TO_POINTER((int)opts->accounting);
    return FS_OK;
}

static void *stats_flow_new(void *state)
{
    (void)state;
    return g_new0(struct stats, 1);
}

/* Counts a packet in one direction's counters. */
static void count(struct direction *d, gint64 time_ms, guint32 size, guint16 flags)
{
    if (d->packets == 0)
        d->first_ms = time_ms;
    else
        fs_running_add(&d->piat, time_ms - d->last_ms);
    d->last_ms = time_ms;
    d->packets++;
    d->bytes += size;
    fs_running_add(&d->ps, size);
    for (guint i = 0; i < FLAG_COUNT; i++) {
        if (flags & tcp_flags[i].bit)
            d->flags[i]++;
    }
}

static void stats_packet(void *state, void *data, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward)
{
    (void)flow;
    struct stats *f = data;
    gint64 time_ms = fs_packet_time_ms(packet);
    guint32 size = fs_feature_packet_size(packet, (enum fs_accounting)GPOINTER_TO_INT(state));
    if (f->dir[BIDIRECTIONAL].packets == 0) {
        /* The flow's src is the first packet's source or destination. */
        g_strlcpy(f->src_mac, forward ? packet->src_mac : packet->dst_mac, sizeof(f->src_mac));
        g_strlcpy(f->dst_mac, forward ? packet->dst_mac : packet->src_mac, sizeof(f->dst_mac));
        f->vlan_id = packet->vlan_id;
        f->ip_version = packet->ip_version;
    }
    count(&f->dir[BIDIRECTIONAL], time_ms, size, packet->tcp_flags);
    count(&f->dir[forward ? SRC2DST : DST2SRC], time_ms, size, packet->tcp_flags);
}

static void emit_int(
        fs_sink *sink, const char *prefix, const char *name, const char *suffix, gint64 value)
{
    char key[64];
    g_snprintf(key, sizeof(key), "%s_%s%s", prefix, name, suffix);
    fs_sink_key_int(sink, key, value);
}

static void emit_double(
        fs_sink *sink, const char *prefix, const char *name, const char *suffix, double value)
{
    char key[64];
    g_snprintf(key, sizeof(key), "%s_%s%s", prefix, name, suffix);
    fs_sink_key(sink, key);
    fs_sink_double(sink, value);
}

static void emit_series(
        fs_sink *sink, const char *prefix, const char *suffix, const struct fs_running *r)
{
    emit_int(sink, prefix, "min", suffix, r->n ? r->min : 0);
    emit_double(sink, prefix, "mean", suffix, r->mean);
    emit_double(sink, prefix, "stddev", suffix, fs_running_stddev(r));
    emit_int(sink, prefix, "max", suffix, r->n ? r->max : 0);
}

static void stats_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)state;
    (void)flow;
    const struct stats *f = data;
    fs_sink_key_string(sink, "src_mac", f->src_mac);
    fs_sink_key_string(sink, "dst_mac", f->dst_mac);
    fs_sink_key_int(sink, "ip_version", f->ip_version);
    fs_sink_key_int(sink, "vlan_id", f->vlan_id);
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

const struct fs_feature_ops fs_feature_stats = {
    .name = "stats",
    .options = stats_options,
    .enabled = stats_enabled,
    .extras = FS_EXTRA_LINK,
    .setup = stats_setup,
    .flow_new = stats_flow_new,
    .packet = stats_packet,
    .emit = stats_emit,
    .flow_free = g_free,
};
