/* feature_states.c: each packet's flow state, for flowshark window -r
 * (doc/windows.md, num_state_*). Not a command-line option: enabled by
 * opts->packet_states, which only the window subcommand sets. Writes
 * "window_states": one number per packet of the flow, in the order of
 * ip_lengths, the state of the flow after that packet (enum
 * fs_flow_state). TCP: reset once an RST was seen; else closed once FINs
 * were seen both ways; else closing once a FIN was seen; else established
 * once the flow has had a packet with ACK each way from a SYN/ACK on (the
 * SYN/ACK counts for its own direction, so a three-way handshake is
 * established at its third packet) or, before any SYN/ACK, packets both
 * ways; else connecting once a SYN/ACK was seen; else new. UDP: established
 * once packets went both ways, else new. Established stays established
 * until a FIN or an RST. */
#include "feature.h"
#include "flow.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct states {
    gboolean forward_seen, backward_seen;
    gboolean synack;                /* a SYN/ACK was seen */
    gboolean ack_forward, ack_back; /* a packet with ACK each way, from the SYN/ACK on */
    gboolean fin_forward, fin_back;
    gboolean rst;
    gboolean established;
    GByteArray *per_packet; /* enum fs_flow_state of each packet */
};

static gboolean states_enabled(const struct fs_options *opts)
{
    return opts->packet_states;
}

static void *states_flow_new(void *state)
{
    (void)state;
    struct states *s = g_new0(struct states, 1);
    s->per_packet = g_byte_array_new();
    return s;
}

static enum fs_flow_state tcp_state(struct states *s, guint16 flags, gboolean forward)
{
    if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
        s->synack = TRUE;
    if (s->synack && (flags & TCP_ACK)) {
        if (forward)
            s->ack_forward = TRUE;
        else
            s->ack_back = TRUE;
    }
    if (flags & TCP_FIN) {
        if (forward)
            s->fin_forward = TRUE;
        else
            s->fin_back = TRUE;
    }
    if (flags & TCP_RST)
        s->rst = TRUE;
    if (s->synack ? s->ack_forward && s->ack_back : s->forward_seen && s->backward_seen)
        s->established = TRUE;
    if (s->rst)
        return FS_FLOW_STATE_RESET;
    if (s->fin_forward && s->fin_back)
        return FS_FLOW_STATE_CLOSED;
    if (s->fin_forward || s->fin_back)
        return FS_FLOW_STATE_CLOSING;
    if (s->established)
        return FS_FLOW_STATE_ESTABLISHED;
    return s->synack ? FS_FLOW_STATE_CONNECTING : FS_FLOW_STATE_NEW;
}

static void states_packet(void *state, void *data, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward)
{
    (void)state;
    struct states *s = data;
    if (forward)
        s->forward_seen = TRUE;
    else
        s->backward_seen = TRUE;
    enum fs_flow_state now;
    if (flow->transport == FS_TRANSPORT_TCP)
        now = tcp_state(s, packet->tcp_flags, forward);
    else
        now = s->forward_seen && s->backward_seen ? FS_FLOW_STATE_ESTABLISHED : FS_FLOW_STATE_NEW;
    guint8 code = (guint8)now;
    g_byte_array_append(s->per_packet, &code, 1);
}

static void states_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)state;
    (void)flow;
    const struct states *s = data;
    fs_sink_key(sink, "window_states");
    fs_sink_begin_array(sink);
    for (guint i = 0; i < s->per_packet->len; i++)
        fs_sink_int(sink, s->per_packet->data[i]);
    fs_sink_end_array(sink);
}

static void states_flow_free(void *data)
{
    struct states *s = data;
    if (!s)
        return;
    g_byte_array_free(s->per_packet, TRUE);
    g_free(s);
}

const struct fs_feature_ops fs_feature_states = {
    .name = "states",
    .enabled = states_enabled,
    .extras = FS_EXTRA_LINK,
    .flow_new = states_flow_new,
    .packet = states_packet,
    .emit = states_emit,
    .flow_free = states_flow_free,
};
