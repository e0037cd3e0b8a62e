/* flow.c: per-flow sequences. */
#include <string.h>

#include "flow.h"

/* A packet time as stored: 12 bytes, the precision in the top bit of the
 * fraction (nanoseconds fit in 30 bits). Packets dominate the memory a flow
 * holds, so its per-packet state is kept small: 16 bytes per packet, 8 more
 * per payload packet, instead of a timestamp struct per sequence entry. */
struct packed_time {
    gint64 secs;
    guint32 frac; /* nanoseconds | NANO_PRECISION */
} G_GNUC_PACKED;

#define NANO_PRECISION 0x80000000u

static struct packed_time pack_time(const struct fs_packet *packet)
{
    /* The same normalisation as fs_packet_time_ms(), so that the record's
     * times and the statistics' milliseconds come from one instant. */
    gint64 secs = packet->ts_secs;
    gint32 nsecs = packet->ts_nsecs;
    fs_packet_normalise_time(&secs, &nsecs);
    struct packed_time t;
    t.secs = secs;
    t.frac = (guint32)nsecs | (packet->ts_decimals > 6 ? NANO_PRECISION : 0);
    return t;
}

struct fs_timestamp fs_flow_ip_time(const struct fs_flow *flow, guint i)
{
    const struct packed_time *t = &g_array_index(flow->ip_times, struct packed_time, i);
    struct fs_timestamp ts = { t->secs, (gint32)(t->frac & ~NANO_PRECISION),
        (t->frac & NANO_PRECISION) ? 9 : 6 };
    return ts;
}

struct fs_timestamp fs_flow_payload_time(const struct fs_flow *flow, guint i)
{
    return fs_flow_ip_time(flow, g_array_index(flow->payload_index, guint32, i));
}

static void ext_value_clear(gpointer data)
{
    struct fs_ext_value *value = data;
    g_free(value->text);
}

struct fs_flow *fs_flow_new(const struct fs_packet *first, guint ext_count)
{
    const struct fs_flow_options defaults = { .direction = FS_DIRECTION_PORT };
    return fs_flow_new_with(first, ext_count, &defaults);
}

struct fs_flow *fs_flow_new_with(
        const struct fs_packet *first, guint ext_count, const struct fs_flow_options *options)
{
    struct fs_flow *flow = g_new0(struct fs_flow, 1);
    flow->transport = first->transport;
    flow->ip_proto = first->ip_proto;
    flow->stream = first->stream;
    flow->vlan_id = options->vlan_key ? first->vlan_id : 0;
    flow->first_ms = flow->last_ms = fs_packet_time_ms(first);
    /* Direction rule: the end with the greater port is the source; on equal
     * ports, the first packet's destination is. With --direction first, the
     * first packet's source is. */
    if (options->direction == FS_DIRECTION_FIRST || first->sport > first->dport) {
        flow->src = g_strdup(first->src);
        flow->sport = first->sport;
        flow->dst = g_strdup(first->dst);
        flow->dport = first->dport;
    } else {
        flow->src = g_strdup(first->dst);
        flow->sport = first->dport;
        flow->dst = g_strdup(first->src);
        flow->dport = first->sport;
    }
    flow->protocols = g_ptr_array_sized_new(2);
    flow->ip_lengths = g_array_new(FALSE, FALSE, sizeof(gint32));
    flow->ip_times = g_array_new(FALSE, FALSE, sizeof(struct packed_time));
    flow->payload_lengths = g_array_new(FALSE, FALSE, sizeof(gint32));
    flow->payload_index = g_array_new(FALSE, FALSE, sizeof(guint32));
    flow->ext_count = ext_count;
    flow->ext = g_new0(GArray *, ext_count + 1);
    for (guint i = 0; i < ext_count; i++) {
        flow->ext[i] = g_array_new(FALSE, FALSE, sizeof(struct fs_ext_value));
        g_array_set_clear_func(flow->ext[i], ext_value_clear);
    }
    flow->features = fs_feature_set_flow_new(options->features);
    return flow;
}

void fs_flow_finish(struct fs_flow *flow, const struct fs_flow_options *options)
{
    fs_feature_set_finish(options->features, flow->features);
}

void fs_flow_free(struct fs_flow *flow, const struct fs_flow_options *options)
{
    if (!flow)
        return;
    g_free(flow->src);
    g_free(flow->dst);
    g_ptr_array_free(flow->protocols, TRUE);
    g_array_free(flow->ip_lengths, TRUE);
    g_array_free(flow->ip_times, TRUE);
    g_array_free(flow->payload_lengths, TRUE);
    g_array_free(flow->payload_index, TRUE);
    for (guint i = 0; i < flow->ext_count; i++)
        g_array_free(flow->ext[i], TRUE);
    g_free(flow->ext);
    fs_feature_set_flow_free(options ? options->features : NULL, flow->features);
    g_free(flow);
}

gboolean fs_flow_is_forward(const struct fs_flow *flow, const struct fs_packet *packet)
{
    return packet->sport == flow->sport && strcmp(packet->src, flow->src) == 0;
}

guint32 fs_flow_payload_length(
        const struct fs_packet *packet, const struct fs_flow_options *options)
{
    if (packet->transport == FS_TRANSPORT_UDP && options->udp_data_length)
        return packet->transport_len > 8 ? packet->transport_len - 8 : 0;
    return packet->transport_len;
}

static void add_protocol(struct fs_flow *flow, const char *protocol)
{
    /* Interned: a capture has few distinct Protocol-column values, so each
     * flow keeps pointers, not copies, and compares them as pointers. */
    const char *interned = g_intern_string(protocol);
    for (guint i = 0; i < flow->protocols->len; i++) {
        if (g_ptr_array_index(flow->protocols, i) == interned)
            return;
    }
    g_ptr_array_add(flow->protocols, (gpointer)interned);
}

static gint32 signed_length(guint32 length, gboolean forward)
{
    gint32 value = length > G_MAXINT32 ? G_MAXINT32 : (gint32)length;
    return forward ? value : -value;
}

void fs_flow_add_packet(
        struct fs_flow *flow, const struct fs_packet *packet, const struct fs_flow_options *options)
{
    guint32 payload = fs_flow_payload_length(packet, options);
    gboolean forward = fs_flow_is_forward(flow, packet);
    flow->last_ms = fs_packet_time_ms(packet);
    flow->packets_total++;
    flow->bytes_total += packet->ip_len;
    if (packet->flow_filter_match)
        flow->flow_filter_matched = TRUE;
    if (payload != 0) {
        flow->payload_packets_total++;
        flow->payload_bytes_total += payload;
    }
    /* Feature modules see every packet, also beyond max_packets. */
    fs_feature_set_packet(options->features, flow->features, flow, packet, forward);
    if (options->max_packets && flow->ip_lengths->len >= options->max_packets)
        return;

    guint index = flow->ip_lengths->len;
    struct packed_time ts = pack_time(packet);

    gint32 ip_len = signed_length(packet->ip_len, forward);
    g_array_append_val(flow->ip_lengths, ip_len);
    g_array_append_val(flow->ip_times, ts);

    if (payload != 0) {
        gint32 value = signed_length(payload, forward);
        guint32 at = index;
        g_array_append_val(flow->payload_lengths, value);
        g_array_append_val(flow->payload_index, at);
    }

    if (packet->protocol_column)
        add_protocol(flow, packet->protocol_column);

    for (guint i = 0; i < flow->ext_count && packet->values; i++) {
        const GString *text = packet->values[i];
        if (text->len == 0 || (options->keep_value && !options->keep_value(i, text->str, text->len,
                                                              options->keep_value_data)))
            continue;
        struct fs_ext_value value = { g_strndup(text->str, text->len), index };
        g_array_append_val(flow->ext[i], value);
    }
}

static int compare_times(const struct fs_timestamp *a, const struct fs_timestamp *b)
{
    if (a->secs != b->secs)
        return a->secs < b->secs ? -1 : 1;
    if (a->nsecs != b->nsecs)
        return a->nsecs < b->nsecs ? -1 : 1;
    return 0;
}

gboolean fs_flow_time_range(const struct fs_flow *flow, gboolean payload_only,
        struct fs_timestamp *first, struct fs_timestamp *last)
{
    guint count = payload_only ? flow->payload_lengths->len : flow->ip_lengths->len;
    if (count == 0)
        return FALSE;
    for (guint i = 0; i < count; i++) {
        struct fs_timestamp t =
                payload_only ? fs_flow_payload_time(flow, i) : fs_flow_ip_time(flow, i);
        if (i == 0 || compare_times(&t, first) < 0)
            *first = t;
        if (i == 0 || compare_times(&t, last) > 0)
            *last = t;
    }
    return TRUE;
}
