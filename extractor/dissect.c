/* dissect.c: the dissection loop (after tshark's process_packet_single_pass
 * and its two-pass variant) and the extraction of a packet's flow header. */
#include <string.h>

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/column.h>
#include <epan/column-info.h>
#include <epan/frame_data.h>
#include <epan/frame_data_sequence.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/print.h>
#include <epan/proto.h>
#include <epan/dfilter/dfilter.h>
#include <epan/tap.h>
#include <epan/conversation.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/dissectors/packet-udp.h>
#include <epan/dissectors/packet-ip.h>

#include "dissect.h"
#include "capture.h"
#include "fastpath.h"
#include "registry.h"
#include "format.h"
#include "interrupt.h"

/* epan's packet provider: the frames epan may ask about. tshark keeps the
 * same set (cap_file_provider). */
struct packet_provider_data {
    fs_capture *cap;
    const frame_data *ref;
    frame_data *prev_dis;
    frame_data *prev_cap;
    frame_data_sequence *frames; /* two-pass only */
};

/* The hfids the flow header is read from, looked up once per run. */
struct header_ids {
    int proto_ip, proto_ipv6, proto_tcp, proto_udp, proto_icmp, proto_icmpv6;
    int ip_src, ip_dst, ip_len, ipv6_src, ipv6_dst, ipv6_plen;
    int tcp_stream, tcp_srcport, tcp_dstport, tcp_len;
    int udp_stream, udp_srcport, udp_dstport, udp_length;
    /* Looked up and primed only with FS_EXTRA_LINK; -1 otherwise. Only
     * the protocol nodes: their bytes are read, so that epan builds no
     * field items for them. */
    int proto_eth, proto_vlan;
    /* Looked up only with --all-protocols (-1 otherwise): the next-header
     * fields of IP headers and IPv6 extension headers. */
    int next_header[6];
};

/* The tapped header path (the default filter, no -Y): what the tcp and
 * udp taps told of one TCP or UDP header of the packet, in the order the
 * headers were dissected. The addresses point into the packet's memory
 * and are valid until epan_dissect_reset(). */
struct tap_header {
    guint32 stream, sport, dport, len;
    guint32 raw_seq, raw_ack; /* TCP only: the key of the analysis of this header */
    gboolean have_seq;
    address src, dst;
};

/* The ipv6 tap's data in libwireshark 4.0: packet-ipv6.h's ws_ip6, a
 * header that Debian does not install. Declared here with the same
 * members; tap_header_cb() checks the version and the address types
 * before trusting it, and the e2e tests compare ipv6.plen with tshark's. */
struct fs_ws_ip6 {
    guint8 ip6_ver; /* 6 */
    guint8 ip6_tc;
    guint32 ip6_flw;
    guint32 ip6_len; /* payload length: ipv6.plen */
    guint8 ip6_nxt;
    guint8 ip6_hop;
    address ip6_src;
    address ip6_dst;
};

/* One tap listener's data: which list it fills. */
enum tap_kind {
    TAP_TCP,
    TAP_UDP,
    TAP_IP,
    TAP_IPV6,
    TAP_KINDS
};

struct tap_slot {
    fs_dissector *d;
    /* struct tap_header (TAP_TCP, TAP_UDP) or guint32 IP lengths (TAP_IP:
     * ip.len; TAP_IPV6: ipv6.plen), emptied before each packet */
    GArray *headers;
    enum tap_kind kind;
};

/* The ids the tapped path decides with, looked up once per session. */
struct tapped_ids {
    int proto_ip, proto_ipv6, proto_tcp, proto_udp, proto_icmp, proto_icmpv6, proto_mdns,
            proto_ssdp;
    int ip_len, ipv6_plen, retransmission; /* primed before each packet */
};

struct fs_dissector {
    struct packet_provider_data prov;
    /* The tapped path: the flow header from the tcp/udp taps and the
     * packet's layers, the default filter decided from the layers and the
     * one primed tcp.analysis.retransmission field, instead of priming the
     * header fields and running the filter engine. Chosen at
     * fs_dissector_new() (tapped_ok: the default filter and nothing that
     * needs the header's tree nodes) and at fs_dissector_run() (not with a
     * layers callback). */
    gboolean tapped_ok, tapped, exclusions;
    struct tapped_ids tids;
    struct tap_slot taps[TAP_KINDS];
    GArray *tapped_prime;  /* int: the hfids primed in the tapped path */
    gboolean tap_mismatch; /* the ipv6 tap's data was not what we expect */
    gboolean no_tree;      /* edt builds no tree (tapped path, no fields) */
    gboolean two_pass;
    gboolean all_protocols; /* flows of other IP protocols too */
    guint extras;           /* enum fs_packet_extra bits */
    gboolean used;          /* a session serves one capture */
    epan_t *epan;
    epan_dissect_t *edt;
    dfilter_t *dfcode;
    dfilter_t *flow_dfcode; /* --flow-filter, or NULL */
    column_info cinfo;
    const fs_field_registry *fields;
    GArray *prime_ids; /* int: every hfid primed before each packet */
    struct header_ids ids;
    GString **values;
    guint value_count;
    frame_data ref_frame, prev_dis_frame, prev_cap_frame;
    nstime_t elapsed;
    guint32 cum_bytes;
    guint32 frames; /* records dissected by the session so far (one pass) */
    fs_packet_cb cb;
    void *user_data;
    fs_packet_cb layers_cb; /* NULL, or told of every packet's TCP/UDP layers */
    void *layers_data;
    GByteArray *ip_copy; /* FS_EXTRA_IP_BYTES: a reassembled packet's IP bytes */
    /* --fast (fastpath.h): the flows the parser follows; NULL in the exact
     * mode. While a packet is dissected, whether it was delivered and its
     * flow header (what fs_fast_learn() checks). */
    guint fast_limit;
    fs_fast_table *fast;
    gboolean fast_delivered;
    /* The fast path's own retransmission verdict on a dissected packet of a
     * flow it has skipped packets of (libwireshark's analysis lacks them):
     * it replaces libwireshark's. */
    gboolean fast_override, fast_override_retransmission;
    struct fs_packet fast_pkt;
    /* The time of the packet the parser read, normalised once (fast_skip())
     * for the analysis and a skipped packet's record. */
    gint64 fast_secs;
    gint32 fast_nsecs;
    GString **empty_values; /* value_count empty texts: a skipped packet's values */
    int fast_retransmission_hfid;
};

/* ---- packet provider callbacks ---- */

static const nstime_t *provider_frame_ts(struct packet_provider_data *prov, guint32 frame_num)
{
    if (prov->ref && prov->ref->num == frame_num)
        return &prov->ref->abs_ts;
    if (prov->prev_dis && prov->prev_dis->num == frame_num)
        return &prov->prev_dis->abs_ts;
    if (prov->prev_cap && prov->prev_cap->num == frame_num)
        return &prov->prev_cap->abs_ts;
    if (prov->frames) {
        frame_data *fd = frame_data_sequence_find(prov->frames, frame_num);
        return fd ? &fd->abs_ts : NULL;
    }
    return NULL;
}

static const char *provider_interface_name(struct packet_provider_data *prov, guint32 id)
{
    const char *name = fs_capture_interface_name(prov->cap, id);
    if (!name)
        name = fs_capture_interface_description(prov->cap, id);
    return name ? name : "unknown";
}

static const char *provider_interface_description(struct packet_provider_data *prov, guint32 id)
{
    return fs_capture_interface_description(prov->cap, id);
}

static const struct packet_provider_funcs provider_funcs = {
    provider_frame_ts,
    provider_interface_name,
    provider_interface_description,
    NULL,
};

/* ---- filter ---- */

static enum fs_status compile_filter(const char *text, dfilter_t **out, char **errmsg)
{
    dfilter_loc_t loc = { -1, 0 };
    char *df_err = NULL;
    *out = NULL;
    if (dfilter_compile2(text, out, &df_err, &loc))
        return FS_OK;
    GString *msg = g_string_new(NULL);
    g_string_append_printf(msg, "bad display filter: %s", df_err ? df_err : "syntax error");
    if (loc.col_start >= 0) {
        g_string_append_printf(msg, "\n    %s\n    ", text);
        for (long i = 0; i < loc.col_start; i++)
            g_string_append_c(msg, ' ');
        g_string_append_c(msg, '^');
        for (size_t i = 1; i < loc.col_len; i++)
            g_string_append_c(msg, '~');
    }
    g_free(df_err);
    *errmsg = g_string_free(msg, FALSE);
    return FS_ERR_FILTER;
}

enum fs_status fs_dissect_check_filter(const char *text, char **errmsg)
{
    dfilter_t *df = NULL;
    *errmsg = NULL;
    enum fs_status status = compile_filter(text, &df, errmsg);
    dfilter_free(df);
    return status;
}

/* ---- flow header extraction ---- */

/* Looks a protocol or field up by name and adds it to the hfids to prime;
 * -1 when epan has no such name. Protocols are primed too, so that their
 * nodes exist in the invisible tree and nest their fields (and an ICMP
 * error's quoted headers) below them. */
static int header_id(const char *name, GArray *prime_ids)
{
    header_field_info *hf = proto_registrar_get_byname(name);
    if (!hf)
        return -1;
    g_array_append_val(prime_ids, hf->id);
    return hf->id;
}

static void lookup_header_ids(
        struct header_ids *ids, guint extras, gboolean all_protocols, GArray *prime_ids)
{
    static const char *const next_header_names[G_N_ELEMENTS(ids->next_header)] = { "ip.proto",
        "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt",
        "ipv6.dstopts.nxt" };
    for (guint i = 0; i < G_N_ELEMENTS(ids->next_header); i++)
        ids->next_header[i] = all_protocols ? header_id(next_header_names[i], prime_ids) : -1;
    gboolean link = (extras & FS_EXTRA_LINK) != 0;
    ids->proto_eth = link ? header_id("eth", prime_ids) : -1;
    ids->proto_vlan = link ? header_id("vlan", prime_ids) : -1;
    ids->proto_ip = header_id("ip", prime_ids);
    ids->proto_ipv6 = header_id("ipv6", prime_ids);
    ids->proto_tcp = header_id("tcp", prime_ids);
    ids->proto_udp = header_id("udp", prime_ids);
    ids->proto_icmp = header_id("icmp", prime_ids);
    ids->proto_icmpv6 = header_id("icmpv6", prime_ids);
    ids->ip_src = header_id("ip.src", prime_ids);
    ids->ip_dst = header_id("ip.dst", prime_ids);
    ids->ip_len = header_id("ip.len", prime_ids);
    ids->ipv6_src = header_id("ipv6.src", prime_ids);
    ids->ipv6_dst = header_id("ipv6.dst", prime_ids);
    ids->ipv6_plen = header_id("ipv6.plen", prime_ids);
    ids->tcp_stream = header_id("tcp.stream", prime_ids);
    ids->tcp_srcport = header_id("tcp.srcport", prime_ids);
    ids->tcp_dstport = header_id("tcp.dstport", prime_ids);
    ids->tcp_len = header_id("tcp.len", prime_ids);
    ids->udp_stream = header_id("udp.stream", prime_ids);
    ids->udp_srcport = header_id("udp.srcport", prime_ids);
    ids->udp_dstport = header_id("udp.dstport", prime_ids);
    ids->udp_length = header_id("udp.length", prime_ids);
}

/* The protocol nodes that decide a packet's flow, found by walking the tree
 * in order (the order of frame.protocols). */
struct layer_scan {
    const struct header_ids *ids;
    proto_node *last_ip;   /* latest ip/ipv6 node so far */
    proto_node *transport; /* latest tcp/udp node */
    proto_node *carrier;   /* the ip/ipv6 node before it */
    proto_node *outer_ip;  /* the latest ip/ipv6 node before any icmp/icmpv6 node */
    guint next_proto;      /* the latest next-header value before any icmp node */
    gboolean has_next;     /* next_proto was seen after outer_ip */
    gboolean icmp_seen;    /* an icmp/icmpv6 node came before now */
    gboolean quoted;       /* the latest tcp/udp came after an icmp node */
    GArray *all;           /* NULL, or struct layer_pair: every tcp/udp, quoted too */
};

struct layer_pair {
    proto_node *transport, *carrier;
};

static void scan_layers(proto_node *node, gpointer data)
{
    struct layer_scan *scan = data;
    field_info *fi = PNODE_FINFO(node);
    if (fi && fi->hfinfo) {
        int id = fi->hfinfo->id;
        const struct header_ids *ids = scan->ids;
        if (id == ids->proto_tcp || id == ids->proto_udp) {
            scan->transport = node;
            scan->carrier = scan->last_ip;
            scan->quoted = scan->icmp_seen;
            if (scan->all && scan->carrier) {
                struct layer_pair pair = { .transport = node, .carrier = scan->carrier };
                g_array_append_val(scan->all, pair);
            }
        } else if (id == ids->proto_ip || id == ids->proto_ipv6) {
            scan->last_ip = node;
            if (!scan->icmp_seen) {
                scan->outer_ip = node;
                scan->has_next = FALSE;
            }
        } else if (id == ids->proto_icmp || id == ids->proto_icmpv6) {
            scan->icmp_seen = TRUE;
        } else if (!scan->icmp_seen && scan->outer_ip && ids->next_header[0] >= 0) {
            for (guint i = 0; i < G_N_ELEMENTS(ids->next_header); i++) {
                if (id == ids->next_header[i]) {
                    scan->next_proto = fvalue_get_uinteger(&fi->value);
                    scan->has_next = TRUE;
                }
            }
        }
    }
    if (node->first_child)
        proto_tree_children_foreach(node, scan_layers, data);
}

/* First item of field hfid below node, not looking into nested protocols. */
static field_info *find_in_layer(proto_node *node, int hfid)
{
    for (proto_node *child = node->first_child; child; child = child->next) {
        field_info *fi = PNODE_FINFO(child);
        if (!fi || !fi->hfinfo)
            continue;
        if (fi->hfinfo->id == hfid)
            return fi;
        if (fi->hfinfo->type == FT_PROTOCOL)
            continue;
        field_info *found = find_in_layer(child, hfid);
        if (found)
            return found;
    }
    return NULL;
}

static gboolean read_uint(proto_node *layer, int hfid, guint32 *out)
{
    field_info *fi = hfid >= 0 ? find_in_layer(layer, hfid) : NULL;
    if (!fi)
        return FALSE;
    *out = fvalue_get_uinteger(&fi->value);
    return TRUE;
}

static gboolean read_text(fs_dissector *d, proto_node *layer, int hfid, char *out, size_t size)
{
    field_info *fi = hfid >= 0 ? find_in_layer(layer, hfid) : NULL;
    if (!fi)
        return FALSE;
    gchar *text = get_node_field_value(fi, d->edt);
    if (!text)
        return FALSE;
    g_strlcpy(out, text, size);
    g_free(text);
    return TRUE;
}

static gboolean read_carrier(fs_dissector *d, proto_node *carrier, struct fs_packet *pkt);

/* Fills pkt's header from one transport layer and the IP layer carrying
 * it; FALSE without a stream number or ports. */
static gboolean read_layer(
        fs_dissector *d, proto_node *transport, proto_node *carrier, struct fs_packet *pkt)
{
    const struct header_ids *ids = &d->ids;
    gboolean tcp = PNODE_FINFO(transport)->hfinfo->id == ids->proto_tcp;
    pkt->transport = tcp ? FS_TRANSPORT_TCP : FS_TRANSPORT_UDP;
    pkt->ip_proto = tcp ? 6 : 17;
    if (!read_uint(transport, tcp ? ids->tcp_stream : ids->udp_stream, &pkt->stream))
        return FALSE;
    if (!read_uint(transport, tcp ? ids->tcp_srcport : ids->udp_srcport, &pkt->sport) ||
            !read_uint(transport, tcp ? ids->tcp_dstport : ids->udp_dstport, &pkt->dport))
        return FALSE;
    if (!read_uint(transport, tcp ? ids->tcp_len : ids->udp_length, &pkt->transport_len))
        pkt->transport_len = 0; /* header cut short: stays in its flow, no payload */

    return read_carrier(d, carrier, pkt);
}

/* Fills pkt's addresses and IP length from an ip/ipv6 node; FALSE without
 * addresses. */
static gboolean read_carrier(fs_dissector *d, proto_node *carrier, struct fs_packet *pkt)
{
    const struct header_ids *ids = &d->ids;
    gboolean v4 = PNODE_FINFO(carrier)->hfinfo->id == ids->proto_ip;
    if (!read_text(d, carrier, v4 ? ids->ip_src : ids->ipv6_src, pkt->src, sizeof(pkt->src)) ||
            !read_text(d, carrier, v4 ? ids->ip_dst : ids->ipv6_dst, pkt->dst, sizeof(pkt->dst)))
        return FALSE;
    if (!read_uint(carrier, v4 ? ids->ip_len : ids->ipv6_plen, &pkt->ip_len))
        pkt->ip_len = 0;
    return TRUE;
}

/* ---- optional per-packet values ---- */

/* The first (first) or last item of a primed field in the packet. */
static field_info *primed_item(fs_dissector *d, int hfid, gboolean first)
{
    GPtrArray *items = hfid >= 0 ? proto_get_finfo_ptr_array(d->edt->tree, hfid) : NULL;
    if (!items || items->len == 0)
        return NULL;
    return g_ptr_array_index(items, first ? 0 : items->len - 1);
}

/* The first n bytes of a protocol item's data, or NULL. */
static const guint8 *item_bytes(field_info *fi, gint n)
{
    if (!fi || !fi->ds_tvb || fi->start < 0 ||
            tvb_captured_length_remaining(fi->ds_tvb, fi->start) < n)
        return NULL;
    return tvb_get_ptr(fi->ds_tvb, fi->start, n);
}

static void format_mac(const guint8 *b, char out[FS_MAC_TEXT_SIZE])
{
    g_snprintf(out, FS_MAC_TEXT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
            b[5]);
}

/* MACs of the first Ethernet header, the VLAN id of the last 802.1Q tag
 * (as eth.src, eth.dst, vlan.id), and tcp.flags and tcp.hdr_len of the
 * flow's TCP header, read from the bytes of their protocol items. */
static void read_link_extras(fs_dissector *d, proto_node *transport, struct fs_packet *pkt)
{
    const struct header_ids *ids = &d->ids;
    const guint8 *eth = item_bytes(primed_item(d, ids->proto_eth, TRUE), 12);
    if (eth) {
        format_mac(eth, pkt->dst_mac);
        format_mac(eth + 6, pkt->src_mac);
    }
    const guint8 *vlan = item_bytes(primed_item(d, ids->proto_vlan, FALSE), 2);
    pkt->vlan_id = vlan ? ((guint32)(vlan[0] & 0x0f) << 8 | vlan[1]) : 0;
    const guint8 *tcp = pkt->transport == FS_TRANSPORT_TCP && transport
                                ? item_bytes(PNODE_FINFO(transport), 14)
                                : NULL;
    if (tcp) {
        pkt->tcp_hdr_len = (guint32)(tcp[12] >> 4) * 4;
        pkt->tcp_flags = (guint16)((tcp[12] & 0x0f) << 8 | tcp[13]);
    }
}

/* Points pkt->ip_bytes at the IP packet of the carrier header. When the
 * transport header lies in another buffer (Wireshark reassembled the IP
 * fragments), builds in d->ip_copy the header of an unfragmented packet
 * followed by the reassembled payload. Leaves ip_bytes NULL when the bytes
 * are not there. */
static void read_ip_bytes(
        fs_dissector *d, proto_node *transport, proto_node *carrier, struct fs_packet *pkt)
{
    field_info *ip = PNODE_FINFO(carrier);
    field_info *tp = PNODE_FINFO(transport);
    if (!ip->ds_tvb || !tp->ds_tvb || ip->start < 0 || tp->start < 0)
        return;
    gint ip_avail = tvb_captured_length_remaining(ip->ds_tvb, ip->start);
    if (ip_avail < (pkt->ip_version == 4 ? 20 : 40))
        return;
    const guint8 *hdr = tvb_get_ptr(ip->ds_tvb, ip->start, ip_avail);
    if (ip->ds_tvb == tp->ds_tvb) {
        /* The IP length bounds the packet (no Ethernet padding). */
        guint32 total = pkt->ip_version == 4 ? pkt->ip_len : pkt->ip_len + 40;
        guint32 len = MIN((guint32)ip_avail, MIN(total, G_MAXUINT16));
        pkt->ip_bytes = hdr;
        pkt->ip_bytes_len = len;
        return;
    }
    gint tp_avail = tvb_captured_length_remaining(tp->ds_tvb, tp->start);
    if (tp_avail <= 0)
        return;
    const guint8 *payload = tvb_get_ptr(tp->ds_tvb, tp->start, tp_avail);
    guint hdr_len = pkt->ip_version == 4 ? (guint)(hdr[0] & 0x0f) * 4 : 40;
    if (hdr_len < 20 || hdr_len > (guint)ip_avail)
        return;
    guint total = MIN(hdr_len + (guint)tp_avail, G_MAXUINT16);
    guint8 *out;
    g_byte_array_set_size(d->ip_copy, total);
    out = d->ip_copy->data;
    memcpy(out, hdr, hdr_len);
    memcpy(out + hdr_len, payload, total - hdr_len);
    guint8 next = pkt->ip_proto;
    if (pkt->ip_version == 4) {
        out[2] = (guint8)(total >> 8); /* total length */
        out[3] = (guint8)total;
        out[6] &= 0x40; /* keep DF; no MF, fragment offset 0 */
        out[7] = 0;
        out[9] = next;
    } else {
        guint plen = total - 40; /* extension headers dropped */
        out[4] = (guint8)(plen >> 8);
        out[5] = (guint8)plen;
        out[6] = next;
    }
    pkt->ip_bytes = out;
    pkt->ip_bytes_len = total;
}

/* Fills pkt from the dissected tree; FALSE when the packet belongs to no
 * flow (no TCP/UDP header, only a quoted one, or no stream number). */
static gboolean extract_flow_header(fs_dissector *d, struct fs_packet *pkt)
{
    struct layer_scan scan = { .ids = &d->ids };
    if (!d->edt->tree)
        return FALSE;
    proto_tree_children_foreach(d->edt->tree, scan_layers, &scan);
    proto_node *transport = scan.transport, *carrier = scan.carrier;
    if (transport && carrier && !scan.quoted) {
        if (!read_layer(d, transport, carrier, pkt))
            return FALSE;
    } else if (d->all_protocols && scan.outer_ip && scan.has_next && scan.next_proto != 6 &&
               scan.next_proto != 17) {
        /* Another IP protocol (an ICMP error quoting a TCP or UDP header
         * too); a TCP or UDP packet without its header (a later fragment)
         * has no flow. */
        carrier = transport = scan.outer_ip;
        pkt->transport = FS_TRANSPORT_OTHER;
        pkt->ip_proto = (guint8)scan.next_proto;
        if (!read_carrier(d, carrier, pkt))
            return FALSE;
    } else {
        return FALSE;
    }
    pkt->ip_version = PNODE_FINFO(carrier)->hfinfo->id == d->ids.proto_ip ? 4 : 6;
    if (d->extras & FS_EXTRA_LINK)
        read_link_extras(d, transport, pkt);
    if (d->extras & FS_EXTRA_IP_BYTES)
        read_ip_bytes(d, transport, carrier, pkt);
    return TRUE;
}

/* Reports every TCP/UDP layer of the packet (outer tunnel headers too) to
 * the layers callback, whether or not the packet passed the filter. */
static void report_layers(fs_dissector *d)
{
    if (!d->edt->tree)
        return;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(struct layer_pair));
    struct layer_scan scan = { .ids = &d->ids, .all = all };
    proto_tree_children_foreach(d->edt->tree, scan_layers, &scan);
    for (guint i = 0; i < all->len; i++) {
        const struct layer_pair *pair = &g_array_index(all, struct layer_pair, i);
        struct fs_packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        if (read_layer(d, pair->transport, pair->carrier, &pkt))
            d->layers_cb(&pkt, d->layers_data);
    }
    g_array_free(all, TRUE);
}

/* ---- the tapped path ---- */

static tap_packet_status tap_header_cb(
        void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data, tap_flags_t flags)
{
    struct tap_slot *slot = tapdata;
    struct tap_header h;
    (void)pinfo;
    (void)flags;
    /* Tap listeners are process-wide: take only the packets of this
     * session's own dissection. */
    if (edt != slot->d->edt || !slot->d->tapped)
        return TAP_PACKET_DONT_REDRAW;
    if (slot->kind == TAP_IP || slot->kind == TAP_IPV6) {
        guint32 len;
        if (slot->kind == TAP_IP) {
            len = ((const ws_ip4 *)data)->ip_len;
        } else {
            const struct fs_ws_ip6 *ip6 = data;
            if (ip6->ip6_ver != 6 || ip6->ip6_src.type != AT_IPv6 || ip6->ip6_src.len != 16 ||
                    ip6->ip6_dst.type != AT_IPv6 || ip6->ip6_dst.len != 16) {
                slot->d->tap_mismatch = TRUE;
                return TAP_PACKET_DONT_REDRAW;
            }
            len = ip6->ip6_len;
        }
        g_array_append_val(slot->headers, len);
        return TAP_PACKET_DONT_REDRAW;
    }
    memset(&h, 0, sizeof(h));
    if (slot->kind == TAP_TCP) {
        const tcp_info_t *tcph = data;
        h.stream = tcph->th_stream;
        h.sport = tcph->th_sport;
        h.dport = tcph->th_dport;
        h.len = tcph->th_have_seglen ? tcph->th_seglen : 0;
        h.raw_seq = tcph->th_rawseq;
        h.raw_ack = tcph->th_rawack;
        h.have_seq = TRUE;
        h.src = tcph->ip_src;
        h.dst = tcph->ip_dst;
    } else {
        const e_udphdr *udph = data;
        h.stream = udph->uh_stream;
        h.sport = udph->uh_sport;
        h.dport = udph->uh_dport;
        h.len = udph->uh_ulen;
        h.src = udph->ip_src;
        h.dst = udph->ip_dst;
    }
    g_array_append_val(slot->headers, h);
    return TAP_PACKET_DONT_REDRAW;
}

static int protocol_id(const char *name)
{
    return proto_get_id_by_filter_name(name);
}

#ifdef FS_TAPPED_CHECK
static int field_id(const char *name, GArray *prime_ids)
{
    header_field_info *hf = proto_registrar_get_byname(name);
    if (!hf)
        return -1;
    g_array_append_val(prime_ids, hf->id);
    return hf->id;
}
#endif

/* The layers' protocol ids that read_layers() compares with. */
static void fast_lookup_layers(fs_dissector *d)
{
    struct tapped_ids *t = &d->tids;
    t->proto_ip = protocol_id("ip");
    t->proto_ipv6 = protocol_id("ipv6");
    t->proto_tcp = protocol_id("tcp");
    t->proto_udp = protocol_id("udp");
    t->proto_icmp = protocol_id("icmp");
    t->proto_icmpv6 = protocol_id("icmpv6");
    t->proto_mdns = protocol_id("mdns");
    t->proto_ssdp = protocol_id("ssdp");
}

/* Registers the tap listeners and looks the ids up; FALSE (the tree path
 * stays) when something is missing. */
static gboolean tapped_setup(fs_dissector *d)
{
    struct tapped_ids *t = &d->tids;
    d->tapped_prime = g_array_new(FALSE, FALSE, sizeof(int));
    fast_lookup_layers(d);
#ifdef FS_TAPPED_CHECK
    t->ip_len = field_id("ip.len", d->tapped_prime);
    t->ipv6_plen = field_id("ipv6.plen", d->tapped_prime);
    t->retransmission = field_id("tcp.analysis.retransmission", d->tapped_prime);
#endif
    if (t->proto_ip < 0 || t->proto_ipv6 < 0 || t->proto_tcp < 0 || t->proto_udp < 0 ||
            t->proto_icmp < 0 || t->proto_icmpv6 < 0 || t->proto_mdns < 0 || t->proto_ssdp < 0)
        return FALSE;
    const GArray *field_ids = fs_field_registry_hfids(d->fields);
    g_array_append_vals(d->tapped_prime, field_ids->data, field_ids->len);

    static const char *const names[TAP_KINDS] = { "tcp", "udp", "ip", "ipv6" };
    for (guint i = 0; i < TAP_KINDS; i++) {
        struct tap_slot *slot = &d->taps[i];
        slot->d = d;
        slot->kind = (enum tap_kind)i;
        slot->headers = g_array_new(FALSE, FALSE,
                i == TAP_TCP || i == TAP_UDP ? sizeof(struct tap_header) : sizeof(guint32));
        GString *err = register_tap_listener(
                names[i], slot, NULL, TL_REQUIRES_NOTHING, NULL, tap_header_cb, NULL, NULL);
        if (err) {
            g_string_free(err, TRUE);
            g_array_free(slot->headers, TRUE);
            slot->headers = NULL;
            return FALSE; /* tapped_cleanup() removes the others */
        }
    }
    return TRUE;
}

static void tapped_cleanup(fs_dissector *d)
{
    for (guint i = 0; i < TAP_KINDS; i++) {
        if (d->taps[i].headers) {
            remove_tap_listener(&d->taps[i]);
            g_array_free(d->taps[i].headers, TRUE);
            d->taps[i].headers = NULL;
        }
    }
    if (d->tapped_prime)
        g_array_free(d->tapped_prime, TRUE);
}

/* A TCP header cut short (the packet's last layer, dissected up to its
 * stream number but not to the tap): its ports and addresses from pinfo,
 * which the TCP dissector had set, its stream from its conversation, no
 * length. FALSE without a TCP conversation. */
static gboolean cut_short_tcp(fs_dissector *d, struct tap_header *h)
{
    packet_info *pinfo = &d->edt->pi;
    if (pinfo->ptype != PT_TCP)
        return FALSE;
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    const struct tcp_analysis *tcpd =
            conv ? conversation_get_proto_data(conv, d->tids.proto_tcp) : NULL;
    if (!tcpd)
        return FALSE;
    memset(h, 0, sizeof(*h));
    h->stream = tcpd->stream;
    h->sport = pinfo->srcport;
    h->dport = pinfo->destport;
    h->src = pinfo->src;
    h->dst = pinfo->dst;
    return TRUE;
}

/* TCP_A_RETRANSMISSION of packet-tcp.c's analysis flags (struct
 * tcp_acked.flags), which the installed headers do not define. */
#define FS_TCP_A_RETRANSMISSION 0x4401

/* Whether the TCP analysis flagged one of the packet's TCP headers (those
 * the tap saw, and a cut-short one after them) as a retransmission: the
 * analysis of the packet just dissected is left in its conversation's
 * tcp_analysis (ta). */
static gboolean analysis_retransmission(fs_dissector *d, guint tcp_layers)
{
    packet_info *pinfo = &d->edt->pi;
    GArray *headers = d->taps[TAP_TCP].headers;
    for (guint i = 0; i <= headers->len && i < tcp_layers; i++) {
        struct tap_header cut;
        const struct tap_header *h;
        if (i < headers->len)
            h = &g_array_index(headers, struct tap_header, i);
        else if (cut_short_tcp(d, &cut))
            h = &cut;
        else
            break;
        conversation_t *conv = find_conversation(
                pinfo->num, &h->src, &h->dst, CONVERSATION_TCP, h->sport, h->dport, 0);
        const struct tcp_analysis *tcpd =
                conv ? conversation_get_proto_data(conv, d->tids.proto_tcp) : NULL;
        if (!tcpd)
            continue;
        const struct tcp_acked *ta = tcpd->ta;
        if (h->have_seq && tcpd->acked_table) {
            guint32 frame = pinfo->num, seq = h->raw_seq, ack = h->raw_ack;
            wmem_tree_key_t key[4] = { { 1, &frame }, { 1, &seq }, { 1, &ack }, { 0, NULL } };
            const struct tcp_acked *found = wmem_tree_lookup32_array(tcpd->acked_table, key);
            if (found)
                ta = found;
        }
        if (ta && (ta->flags & FS_TCP_A_RETRANSMISSION))
            return TRUE;
    }
    return FALSE;
}

/* What the layers of a dissected packet say (the order of frame.protocols). */
struct layer_verdict {
    gboolean ip, transport, excluded;
    /* The flow's header: the latest TCP or UDP layer, unless an ICMP layer
     * came before it (a quoted header); its index among the layers of its
     * protocol, and the IP layer carrying it. */
    gboolean have_flow, flow_tcp, carrier_v4;
    guint flow_index, carrier_index;
    guint n_tcp; /* TCP layers */
};

static void read_layers(fs_dissector *d, struct layer_verdict *v)
{
    const struct tapped_ids *t = &d->tids;
    guint n_ip = 0, n_ip6 = 0, n_tcp = 0, n_udp = 0;
    gboolean icmp = FALSE, carrier = FALSE, carrier_v4 = FALSE;
    guint carrier_index = 0;
    memset(v, 0, sizeof(*v));
    wmem_list_t *layers = d->edt->pi.layers;
    for (wmem_list_frame_t *f = layers ? wmem_list_head(layers) : NULL; f;
            f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (id == t->proto_ip || id == t->proto_ipv6) {
            v->ip = TRUE;
            carrier = TRUE;
            carrier_v4 = id == t->proto_ip;
            carrier_index = carrier_v4 ? n_ip++ : n_ip6++;
        } else if (id == t->proto_tcp || id == t->proto_udp) {
            gboolean tcp = id == t->proto_tcp;
            v->transport = TRUE;
            v->have_flow = carrier && !icmp;
            v->flow_tcp = tcp;
            v->flow_index = tcp ? n_tcp++ : n_udp++;
            v->carrier_v4 = carrier_v4;
            v->carrier_index = carrier_index;
        } else if (id == t->proto_icmp || id == t->proto_icmpv6) {
            icmp = TRUE;
        } else if (id == t->proto_mdns || id == t->proto_ssdp) {
            v->excluded = TRUE;
        }
    }
    if (icmp)
        v->excluded = TRUE;
    v->n_tcp = n_tcp;
}

/* The default filter's verdict: IPv4 or IPv6, TCP or UDP, and with the
 * exclusions no ICMP, mDNS or SSDP layer and no TCP header that the
 * analysis calls a retransmission. */
static gboolean tapped_passed(fs_dissector *d, const struct layer_verdict *v)
{
    if (!v->ip || !v->transport)
        return FALSE;
    if (!d->exclusions)
        return TRUE;
    /* --fast: the fast path's verdict replaces libwireshark's (fast_skip()). */
    gboolean retransmission =
            !v->excluded && (d->fast_override ? d->fast_override_retransmission
                                              : analysis_retransmission(d, v->n_tcp));
#ifdef FS_TAPPED_CHECK
    GPtrArray *items = proto_get_finfo_ptr_array(d->edt->tree, d->tids.retransmission);
    if ((items && items->len > 0) != retransmission && !v->excluded)
        g_printerr("tapped check: frame %u: tcp.analysis.retransmission %d, analysis %d\n",
                d->edt->pi.num, items && items->len > 0, retransmission);
#endif
    return !v->excluded && !retransmission;
}

/* Fills pkt's header from the taps and the primed IP length items; FALSE
 * when the packet has no flow. */
static gboolean extract_from_taps(
        fs_dissector *d, const struct layer_verdict *v, struct fs_packet *pkt)
{
    if (!v->have_flow)
        return FALSE;
    GArray *headers = d->taps[v->flow_tcp ? TAP_TCP : TAP_UDP].headers;
    struct tap_header cut;
    const struct tap_header *h;
    if (v->flow_index < headers->len)
        h = &g_array_index(headers, struct tap_header, v->flow_index);
    else if (v->flow_tcp && v->flow_index == headers->len && cut_short_tcp(d, &cut))
        h = &cut;
    else
        return FALSE;
    pkt->transport = v->flow_tcp ? FS_TRANSPORT_TCP : FS_TRANSPORT_UDP;
    pkt->ip_proto = v->flow_tcp ? 6 : 17;
    pkt->stream = h->stream;
    pkt->sport = h->sport;
    pkt->dport = h->dport;
    pkt->transport_len = h->len;
    if (h->src.type == AT_NONE || h->dst.type == AT_NONE)
        return FALSE;
    address_to_str_buf(&h->src, pkt->src, sizeof(pkt->src));
    address_to_str_buf(&h->dst, pkt->dst, sizeof(pkt->dst));
    GArray *lens = d->taps[v->carrier_v4 ? TAP_IP : TAP_IPV6].headers;
    if (d->tap_mismatch) {
        /* Another libwireshark build than the one struct fs_ws_ip6 follows:
         * the IPv6 lengths cannot be matched with their layers. */
        g_error("the ipv6 tap's data is not the ws_ip6 of libwireshark 4.0");
    }
    if (v->carrier_index < lens->len)
        pkt->ip_len = g_array_index(lens, guint32, v->carrier_index);
#ifdef FS_TAPPED_CHECK
    GPtrArray *items = proto_get_finfo_ptr_array(
            d->edt->tree, v->carrier_v4 ? d->tids.ip_len : d->tids.ipv6_plen);
    if ((items ? items->len : 0) != lens->len ||
            (v->carrier_index < lens->len &&
                    fvalue_get_uinteger(
                            &((field_info *)g_ptr_array_index(items, v->carrier_index))->value) !=
                            pkt->ip_len))
        g_printerr("tapped check: frame %u: IP length items and taps differ\n", d->edt->pi.num);
#endif
    pkt->ip_version = v->carrier_v4 ? 4 : 6;
    return TRUE;
}

/* --fast, the tree path: the default filter's verdict with the fast
 * path's retransmission verdict instead of libwireshark's (the filter
 * tried tcp.analysis.retransmission, which it primed). */
static gboolean fast_correct_filter(fs_dissector *d, gboolean passed)
{
    GPtrArray *items = proto_get_finfo_ptr_array(d->edt->tree, d->fast_retransmission_hfid);
    gboolean epan = items && items->len > 0;
    if (epan == d->fast_override_retransmission)
        return passed;
    if (d->fast_override_retransmission)
        return FALSE;
    /* libwireshark's retransmission excluded it: passes if the rest of
     * the default filter holds. */
    struct layer_verdict v;
    read_layers(d, &v);
    return v.ip && v.transport && !v.excluded;
}

/* ---- the loop ---- */

static void prime(fs_dissector *d)
{
    if (d->tapped) {
        epan_dissect_prime_with_hfid_array(d->edt, d->tapped_prime);
        return;
    }
    if (d->dfcode)
        epan_dissect_prime_with_dfilter(d->edt, d->dfcode);
    if (d->flow_dfcode)
        epan_dissect_prime_with_dfilter(d->edt, d->flow_dfcode);
    epan_dissect_prime_with_hfid_array(d->edt, d->prime_ids);
}

/* The frame's length on the wire as frame.len shows it: a crafted capture
 * may claim a length beyond what a tvb can hold (2^31 - 1), and tshark
 * shows such a frame as 2147483647 bytes. */
static guint32 reported_length(const frame_data *fd)
{
    return fd->pkt_len > G_MAXINT ? (guint32)G_MAXINT : fd->pkt_len;
}

static tvbuff_t *frame_tvb(fs_dissector *d, const frame_data *fd)
{
    return tvb_new_real_data(fs_capture_data(d->prov.cap), fd->cap_len, (gint)reported_length(fd));
}

/* v: the layers' verdict in the tapped path, NULL in the tree path. */
static void deliver(fs_dissector *d, const frame_data *fd, const wtap_rec *rec,
        gboolean flow_filter_match, const struct layer_verdict *v)
{
    struct fs_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    if (v ? !extract_from_taps(d, v, &pkt) : !extract_flow_header(d, &pkt))
        return;
    pkt.flow_filter_match = flow_filter_match;
    pkt.ts_secs = (gint64)fd->abs_ts.secs;
    pkt.ts_nsecs = fd->abs_ts.nsecs;
    fs_packet_normalise_time(&pkt.ts_secs, &pkt.ts_nsecs);
    pkt.ts_decimals = fs_format_decimals_for_tsprec(rec->tsprec);
    pkt.frame_len = reported_length(fd);
    pkt.protocol_column = d->cinfo.columns[0].col_data ? d->cinfo.columns[0].col_data : "";
    fs_field_registry_collect(d->fields, d->edt, d->values);
    pkt.values = d->values;
    pkt.value_count = d->value_count;
    if (d->fast) {
        d->fast_pkt = pkt;
        d->fast_delivered = TRUE;
    }
    d->cb(&pkt, d->user_data);
}

/* Dissects fd (the capture's current record) for output; as tshark's
 * process_packet_single_pass and process_packet_second_pass. */
static void dissect_for_output(fs_dissector *d, frame_data *fd)
{
    wtap_rec *rec = fs_capture_record(d->prov.cap);
    prime(d);
    frame_data_set_before_dissect(fd, &d->elapsed, &d->prov.ref, d->prov.prev_dis);
    if (d->prov.ref == fd) {
        d->ref_frame = *fd;
        d->prov.ref = &d->ref_frame;
    }
    struct layer_verdict verdict;
    gboolean passed;
    if (d->tapped) {
        for (guint i = 0; i < TAP_KINDS; i++)
            g_array_set_size(d->taps[i].headers, 0);
        epan_dissect_run_with_taps(
                d->edt, fs_capture_file_type(d->prov.cap), rec, frame_tvb(d, fd), fd, &d->cinfo);
        read_layers(d, &verdict);
        passed = tapped_passed(d, &verdict);
    } else {
        epan_dissect_run(
                d->edt, fs_capture_file_type(d->prov.cap), rec, frame_tvb(d, fd), fd, &d->cinfo);
        passed = d->dfcode ? dfilter_apply_edt(d->dfcode, d->edt) : TRUE;
        if (d->fast_override && d->exclusions)
            passed = fast_correct_filter(d, passed);
    }
    if (d->layers_cb)
        report_layers(d);
    if (passed) {
        frame_data_set_after_dissect(fd, &d->cum_bytes);
        epan_dissect_fill_in_columns(d->edt, FALSE, TRUE);
        /* --flow-filter: tried on the packets -Y kept, as the flows are
         * made of them. */
        deliver(d, fd, rec, d->flow_dfcode ? dfilter_apply_edt(d->flow_dfcode, d->edt) : TRUE,
                d->tapped ? &verdict : NULL);
    }
    /* The one-pass loop keeps copies; the two-pass one points into the
     * frame sequence, which outlives the loop. */
    if (d->prov.frames) {
        if (passed)
            d->prov.prev_dis = fd;
        d->prov.prev_cap = fd;
    } else {
        if (passed) {
            d->prev_dis_frame = *fd;
            d->prov.prev_dis = &d->prev_dis_frame;
        }
        d->prev_cap_frame = *fd;
        d->prov.prev_cap = &d->prev_cap_frame;
    }
    epan_dissect_reset(d->edt);
}

/* The parser's link type for a record's encapsulation. */
static enum fs_fast_link fast_link(const wtap_rec *rec)
{
    if (rec->rec_type != REC_TYPE_PACKET)
        return FS_FAST_LINK_OTHER;
    switch (rec->rec_header.packet_header.pkt_encap) {
        case WTAP_ENCAP_ETHERNET:
            return FS_FAST_LINK_ETHERNET;
        case WTAP_ENCAP_SLL:
            return FS_FAST_LINK_SLL;
        case WTAP_ENCAP_SLL2:
            return FS_FAST_LINK_SLL2;
        case WTAP_ENCAP_RAW_IP:
        case WTAP_ENCAP_RAW_IP4:
        case WTAP_ENCAP_RAW_IP6:
            return FS_FAST_LINK_RAW;
        case WTAP_ENCAP_NULL:
            return FS_FAST_LINK_NULL;
        case WTAP_ENCAP_LOOP:
            return FS_FAST_LINK_LOOP;
        case WTAP_ENCAP_PPP:
            return FS_FAST_LINK_PPP;
        default:
            return FS_FAST_LINK_OTHER;
    }
}

/* A packet the fast path accounts for without libwireshark: the TCP
 * analysis's verdict, then the flow header from the flow's table entry. */
static void deliver_skipped(
        fs_dissector *d, const wtap_rec *rec, fs_fast_flow *f, const struct fs_fast_parsed *p)
{
    fs_fast_note_skipped(f, p);
    gboolean retransmission = fs_fast_analyse(f, p, d->fast_secs, d->fast_nsecs);
    if (d->exclusions && retransmission)
        return;
    struct fs_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    fs_fast_fill(f, p, d->extras, &pkt);
    pkt.ts_secs = d->fast_secs;
    pkt.ts_nsecs = d->fast_nsecs;
    pkt.ts_decimals = fs_format_decimals_for_tsprec(rec->tsprec);
    guint32 len = rec->rec_header.packet_header.len;
    pkt.frame_len = len > G_MAXINT ? (guint32)G_MAXINT : len;
    pkt.values = d->empty_values;
    pkt.value_count = d->value_count;
    d->cb(&pkt, d->user_data);
}

/* --fast: one record. FALSE when libwireshark is to dissect it; *flow and
 * *parsed then say what to learn from the dissection (flow NULL: nothing). */
static gboolean fast_skip(fs_dissector *d, fs_fast_flow **flow, struct fs_fast_parsed *parsed)
{
    wtap_rec *rec = fs_capture_record(d->prov.cap);
    *flow = NULL;
    if (fs_fast_parse(fast_link(rec), fs_capture_data(d->prov.cap),
                rec->rec_header.packet_header.caplen, rec->rec_header.packet_header.len, parsed)) {
        *flow = fs_fast_table_lookup(d->fast, parsed);
        d->fast_secs = (gint64)rec->ts.secs;
        d->fast_nsecs = rec->ts.nsecs;
        fs_packet_normalise_time(&d->fast_secs, &d->fast_nsecs);
        if (fs_fast_may_skip(d->fast, *flow, parsed)) {
            deliver_skipped(d, rec, *flow, parsed);
            return TRUE;
        }
    }
    d->fast_delivered = FALSE;
    d->fast_override = FALSE;
    if (*flow && parsed->proto == 6 && fs_fast_has_skipped(*flow) &&
            !(parsed->tcp_flags & 0x0002)) {
        /* Not a SYN (which may begin a new stream: libwireshark decides). */
        d->fast_override = TRUE;
        d->fast_override_retransmission =
                fs_fast_analyse(*flow, parsed, d->fast_secs, d->fast_nsecs);
    }
    return FALSE;
}

/* After libwireshark dissected a packet of a parsed flow: learn its stream
 * and addresses, and run the sequence analysis. */
static void fast_learn(fs_dissector *d, fs_fast_flow *f, const struct fs_fast_parsed *p)
{
    fs_fast_learn(f, p, d->fast_delivered ? &d->fast_pkt : NULL);
    if (!d->fast_override) /* otherwise analysed before the dissection */
        fs_fast_analyse(f, p, d->fast_secs, d->fast_nsecs);
}

static enum fs_status run_one_pass(fs_dissector *d, char **errmsg)
{
    enum fs_status status = FS_OK;
    gint64 offset = 0;
    while (!fs_interrupt_requested() && fs_capture_next(d->prov.cap, &offset, &status, errmsg)) {
        fs_fast_flow *flow = NULL;
        struct fs_fast_parsed parsed;
        if (d->fast && fast_skip(d, &flow, &parsed)) {
            ++d->frames;
            continue;
        }
        frame_data fd;
        frame_data_init(&fd, ++d->frames, fs_capture_record(d->prov.cap), offset, d->cum_bytes);
        dissect_for_output(d, &fd);
        frame_data_destroy(&fd);
        if (flow)
            fast_learn(d, flow, &parsed);
    }
    return status;
}

/* tshark -2: pass 1 dissects every record (TCP analysis, reassembly state)
 * and keeps its frame_data; pass 2 re-reads and dissects each for output. */
static enum fs_status run_two_pass(fs_dissector *d, char **errmsg)
{
    enum fs_status status = FS_OK;
    gint64 offset = 0;
    guint32 count = 0;
    epan_dissect_t *first =
            epan_dissect_new(d->epan, d->dfcode != NULL || d->flow_dfcode != NULL, FALSE);
    d->prov.frames = new_frame_data_sequence();
    while (!fs_interrupt_requested() && fs_capture_next(d->prov.cap, &offset, &status, errmsg)) {
        wtap_rec *rec = fs_capture_record(d->prov.cap);
        frame_data fd;
        frame_data_init(&fd, count + 1, rec, offset, d->cum_bytes);
        if (d->dfcode)
            epan_dissect_prime_with_dfilter(first, d->dfcode);
        if (d->flow_dfcode)
            epan_dissect_prime_with_dfilter(first, d->flow_dfcode);
        frame_data_set_before_dissect(&fd, &d->elapsed, &d->prov.ref, d->prov.prev_dis);
        if (d->prov.ref == &fd) {
            d->ref_frame = fd;
            d->prov.ref = &d->ref_frame;
        }
        epan_dissect_run(
                first, fs_capture_file_type(d->prov.cap), rec, frame_tvb(d, &fd), &fd, NULL);
        frame_data_set_after_dissect(&fd, &d->cum_bytes);
        d->prov.prev_dis = d->prov.prev_cap = frame_data_sequence_add(d->prov.frames, &fd);
        count++;
        epan_dissect_reset(first);
    }
    epan_dissect_free(first);

    fs_capture_end_sequential(d->prov.cap);
    postseq_cleanup_all_protocols();
    d->prov.prev_dis = NULL;
    d->prov.prev_cap = NULL;
    d->cum_bytes = 0;
    nstime_set_zero(&d->elapsed);

    for (guint32 number = 1; number <= count && !fs_interrupt_requested(); number++) {
        frame_data *fd = frame_data_sequence_find(d->prov.frames, number);
        char *seek_err = NULL;
        if (!fd || !fs_capture_seek(d->prov.cap, fd->file_off, &seek_err)) {
            if (status == FS_OK) {
                status = FS_ERR_TRUNCATED;
                g_free(*errmsg);
                *errmsg = g_strdup_printf("re-reading packet %u failed: %s", number,
                        seek_err ? seek_err : "not found");
            }
            g_free(seek_err);
            break;
        }
        dissect_for_output(d, fd);
    }
    return status;
}

enum fs_status fs_dissector_new(
        const struct fs_dissect_config *config, fs_dissector **out, char **errmsg)
{
    *out = NULL;
    *errmsg = NULL;
    dfilter_t *dfcode = NULL;
    dfilter_t *flow_dfcode = NULL;
    if (config->display_filter && *config->display_filter) {
        enum fs_status status = compile_filter(config->display_filter, &dfcode, errmsg);
        if (status != FS_OK)
            return status;
    }
    if (config->flow_filter && *config->flow_filter) {
        enum fs_status status = compile_filter(config->flow_filter, &flow_dfcode, errmsg);
        if (status != FS_OK) {
            dfilter_free(dfcode);
            return status;
        }
    }
    fs_dissector *d = g_new0(fs_dissector, 1);
    d->dfcode = dfcode;
    d->flow_dfcode = flow_dfcode;
    d->fields = config->fields;
    d->two_pass = config->two_pass;
    d->extras = config->extras;
    d->all_protocols = config->all_protocols;
    d->exclusions = config->exclusions;
    d->fast_limit = config->fast_limit;
    d->fast_retransmission_hfid = -1;
    if (d->fast_limit) {
        header_field_info *hf = proto_registrar_get_byname("tcp.analysis.retransmission");
        d->fast_retransmission_hfid = hf ? hf->id : -1;
        fast_lookup_layers(d);
    }
    nstime_set_zero(&d->elapsed);
    if (d->extras & FS_EXTRA_IP_BYTES)
        d->ip_copy = g_byte_array_new();

    d->prime_ids = g_array_new(FALSE, FALSE, sizeof(int));
    lookup_header_ids(&d->ids, d->extras, d->all_protocols, d->prime_ids);
    const GArray *field_ids = fs_field_registry_hfids(d->fields);
    g_array_append_vals(d->prime_ids, field_ids->data, field_ids->len);

    d->value_count = fs_field_registry_count(d->fields);
    d->values = g_new0(GString *, d->value_count + 1);
    d->empty_values = g_new0(GString *, d->value_count + 1);
    for (guint i = 0; i < d->value_count; i++) {
        d->values[i] = g_string_new(NULL);
        d->empty_values[i] = g_string_new(NULL);
    }

    build_column_format_array(&d->cinfo, prefs.num_cols, TRUE);
    /* The session (stream counters, conversations, reassembly) starts here;
     * the capture is attached to the provider when the run starts. */
    d->epan = epan_new(&d->prov, &provider_funcs);
    d->edt = epan_dissect_new(d->epan, TRUE, fs_field_registry_needs_visible_tree(d->fields));
    /* The tapped path needs the default filter alone and nothing read from
     * the header's tree nodes. */
    if (config->default_filter && !flow_dfcode && !d->all_protocols && d->extras == 0)
        d->tapped_ok = tapped_setup(d);
    *out = d;
    return FS_OK;
}

enum fs_status fs_dissector_run(
        fs_dissector *d, fs_capture *cap, fs_packet_cb cb, void *user_data, char **errmsg)
{
    *errmsg = NULL;
    g_assert(!d->used);
    d->used = TRUE;
    d->prov.cap = cap;
    d->cb = cb;
    d->user_data = user_data;
    d->tapped = d->tapped_ok && !d->layers_cb;
#ifndef FS_TAPPED_CHECK
    if (d->tapped && fs_field_registry_count(d->fields) == 0 && !d->no_tree) {
        /* Nothing is read from a tree: dissect without one. */
        epan_dissect_free(d->edt);
        d->edt = epan_dissect_new(d->epan, FALSE, FALSE);
        d->no_tree = TRUE;
    }
#endif
    /* --fast reads each packet once, and layers callbacks (the bounded
     * mode's) need every packet dissected: run.c falls back before. */
    if (d->fast_limit && !d->two_pass && !d->layers_cb && !d->fast)
        d->fast = fs_fast_table_new(d->fast_limit);
    enum fs_status status = d->two_pass ? run_two_pass(d, errmsg) : run_one_pass(d, errmsg);
    if (fs_interrupt_requested()) {
        /* A read cut by the signal (EINTR) is not damage. */
        g_free(*errmsg);
        *errmsg = NULL;
        status = FS_ERR_INTERRUPTED;
    }
    return status;
}

void fs_dissector_continue(fs_dissector *d)
{
    g_assert(!d->two_pass);
    d->used = FALSE;
    d->prov.cap = NULL;
}

void fs_dissector_set_layers_cb(fs_dissector *d, fs_packet_cb cb, void *user_data)
{
    d->layers_cb = cb;
    d->layers_data = user_data;
}

void fs_dissector_free(fs_dissector *d)
{
    if (!d)
        return;
    epan_dissect_free(d->edt);
    tapped_cleanup(d);
    if (d->prov.frames)
        free_frame_data_sequence(d->prov.frames);
    epan_free(d->epan);
    dfilter_free(d->dfcode);
    dfilter_free(d->flow_dfcode);
    col_cleanup(&d->cinfo);
    for (guint i = 0; i < d->value_count; i++) {
        g_string_free(d->values[i], TRUE);
        g_string_free(d->empty_values[i], TRUE);
    }
    g_free(d->values);
    g_free(d->empty_values);
    fs_fast_table_free(d->fast);
    g_array_free(d->prime_ids, TRUE);
    if (d->ip_copy)
        g_byte_array_free(d->ip_copy, TRUE);
    g_free(d);
}

const char *fs_packet_protocol_name(guint8 proto)
{
    if (proto == 6)
        return "tcp";
    if (proto == 17)
        return "udp";
    /* The display-filter name of the protocol Wireshark dissects for that
     * number ("icmp", "icmpv6", "igmp", "gre"...), as "tcp" and "udp" are;
     * "ipproto-N" for a number Wireshark has no dissector for. */
    dissector_table_t table = find_dissector_table("ip.proto");
    dissector_handle_t handle = table ? dissector_get_uint_handle(table, proto) : NULL;
    int id = handle ? dissector_handle_get_protocol_index(handle) : -1;
    const char *name = id >= 0 ? proto_get_protocol_filter_name(id) : NULL;
    if (name && *name)
        return name;
    char *fallback = g_strdup_printf("ipproto-%u", proto);
    const char *interned = g_intern_string(fallback);
    g_free(fallback);
    return interned;
}
