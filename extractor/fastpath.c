/* fastpath.c: the parser and the flow table of --fast (fastpath.h).
 *
 * Written by hand: no library here parses headers without dissecting
 * (libpcap filters but does not hand out offsets, libwireshark is what the
 * fast path avoids), and the parser must say "not mine" for anything it does
 * not read exactly as Wireshark does, so that libwireshark sees it. */
#include "fastpath.h"

#include <arpa/inet.h>
#include <string.h>

/* Tunnels inside tunnels: deeper packets go to libwireshark. */
#define FS_FAST_MAX_DEPTH 6

#define TH_FIN 0x0001
#define TH_SYN 0x0002
#define TH_RST 0x0004
#define TH_PSH 0x0008
#define TH_ACK 0x0010

static guint16 get16(const guint8 *b)
{
    return (guint16)((b[0] << 8) | b[1]);
}

static guint32 get32(const guint8 *b)
{
    return ((guint32)b[0] << 24) | ((guint32)b[1] << 16) | ((guint32)b[2] << 8) | b[3];
}

/* The bytes left at an offset: captured (cap) and on the wire (rep). */
struct cursor {
    const guint8 *data;
    guint32 cap, rep;
};

static gboolean advance(struct cursor *c, guint32 n)
{
    if (n > c->cap || n > c->rep)
        return FALSE;
    c->data += n;
    c->cap -= n;
    c->rep -= n;
    return TRUE;
}

static gboolean parse_ip(struct cursor c, int depth, struct fs_fast_parsed *out);
static gboolean parse_ethertype(
        struct cursor c, guint16 type, int depth, struct fs_fast_parsed *out);

static gboolean parse_ethernet(struct cursor c, int depth, struct fs_fast_parsed *out)
{
    if (c.cap < 14)
        return FALSE;
    if (!out->eth)
        out->eth = c.data;
    guint16 type = get16(c.data + 12);
    advance(&c, 14);
    return parse_ethertype(c, type, depth, out);
}

/* The payload of a UDP header with a tunnel Wireshark dissects on its
 * port (GTP-U 2152, VXLAN 4789): TRUE when it parsed the inner packet,
 * FALSE with *tunnel set when the port is a tunnel's but the payload is
 * not read (libwireshark decides). */
static gboolean parse_udp_tunnel(struct cursor c, guint16 sport, guint16 dport, int depth,
        struct fs_fast_parsed *out, gboolean *tunnel)
{
    *tunnel = FALSE;
    if (sport == 2152 || dport == 2152) {
        *tunnel = TRUE;
        /* GTPv1-U: version 1, protocol type GTP, message G-PDU (255). */
        if (c.cap < 8 || (c.data[0] >> 5) != 1 || !(c.data[0] & 0x10) || c.data[1] != 0xff)
            return FALSE;
        guint32 hdr = 8;
        if (c.data[0] & 0x07) {
            if (c.cap < 12)
                return FALSE;
            hdr = 12;
            guint8 next = c.data[11];
            if (c.data[0] & 0x04) {
                while (next != 0) {
                    if (c.cap < hdr + 1 || c.data[hdr] == 0)
                        return FALSE;
                    guint32 len = (guint32)c.data[hdr] * 4;
                    if (c.cap < hdr + len)
                        return FALSE;
                    next = c.data[hdr + len - 1];
                    hdr += len;
                }
            }
        }
        if (!advance(&c, hdr) || c.cap < 1)
            return FALSE;
        return parse_ip(c, depth + 1, out);
    }
    if (sport == 4789 || dport == 4789) {
        *tunnel = TRUE;
        if (c.cap < 8 || !(c.data[0] & 0x08) || !advance(&c, 8))
            return FALSE;
        return parse_ethernet(c, depth + 1, out);
    }
    /* Ports whose payload Wireshark may dissect as another packet: left
     * to it (Teredo, L2TP, ESP in UDP, CAPWAP, GENEVE). */
    static const guint16 tunnel_ports[] = { 3544, 1701, 4500, 5246, 5247, 6081 };
    for (guint i = 0; i < G_N_ELEMENTS(tunnel_ports); i++) {
        if (sport == tunnel_ports[i] || dport == tunnel_ports[i]) {
            *tunnel = TRUE;
            return FALSE;
        }
    }
    return FALSE;
}

/* The transport header at c (the IP payload; c.rep its length on the wire
 * as the IP header gives it). */
static gboolean parse_transport(
        struct cursor c, guint8 proto, int depth, struct fs_fast_parsed *out)
{
    if (proto == 6) {
        if (c.cap < 20)
            return FALSE;
        guint32 hlen = (guint32)(c.data[12] >> 4) * 4;
        if (hlen < 20 || hlen > c.cap || hlen > c.rep)
            return FALSE;
        out->proto = 6;
        out->sport = get16(c.data);
        out->dport = get16(c.data + 2);
        out->seq = get32(c.data + 4);
        out->ack = get32(c.data + 8);
        out->tcp_flags = get16(c.data + 12) & 0x0fff;
        out->window = get16(c.data + 14);
        out->tcp_hdr_len = hlen;
        out->transport_len = c.rep - hlen;
        return TRUE;
    }
    if (proto == 17) {
        if (c.cap < 8)
            return FALSE;
        guint16 sport = get16(c.data), dport = get16(c.data + 2);
        guint32 ulen = get16(c.data + 4);
        if (ulen < 8 || ulen > c.rep)
            return FALSE;
        struct cursor inner = c;
        advance(&inner, 8);
        inner.rep = ulen - 8;
        if (inner.cap > inner.rep)
            inner.cap = inner.rep;
        gboolean tunnel;
        struct fs_fast_parsed saved = *out;
        if (parse_udp_tunnel(inner, sport, dport, depth, out, &tunnel))
            return TRUE;
        if (tunnel)
            return FALSE;
        *out = saved;
        out->proto = 17;
        out->sport = sport;
        out->dport = dport;
        out->transport_len = ulen;
        out->tcp_flags = 0;
        out->tcp_hdr_len = 0;
        return TRUE;
    }
    if (proto == 4 || proto == 41)
        return c.cap >= 1 && parse_ip(c, depth + 1, out);
    if (proto == 47) {
        /* GRE version 0 without routing: optional checksum, key, sequence. */
        if (c.cap < 4)
            return FALSE;
        guint16 flags = get16(c.data);
        if ((flags & 0x0007) != 0 || (flags & 0x4000))
            return FALSE;
        guint32 hdr = 4 + ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) +
                      ((flags & 0x1000) ? 4 : 0);
        guint16 type = get16(c.data + 2);
        if (type != 0x0800 && type != 0x86dd && type != 0x6558)
            return FALSE;
        if (!advance(&c, hdr))
            return FALSE;
        return parse_ethertype(c, type, depth + 1, out);
    }
    return FALSE;
}

/* The IPv4 or IPv6 header at c (version) as the packet's carrying header,
 * until an inner one replaces it: its addresses; ip_len, ip.len or
 * ipv6.plen; size, its bytes with the payload, of which those captured. */
static void set_carrier(
        struct cursor c, guint8 version, guint32 ip_len, guint32 size, struct fs_fast_parsed *out)
{
    guint8 addr_len = version == 4 ? 4 : 16;
    const guint8 *src = c.data + (version == 4 ? 12 : 8);
    out->ip_version = version;
    out->addr_len = addr_len;
    memcpy(out->src, src, addr_len);
    memcpy(out->dst, src + addr_len, addr_len);
    out->ip_len = ip_len;
    out->ip = c.data;
    out->ip_captured = c.cap < size ? c.cap : size;
}

static gboolean parse_ipv4(struct cursor c, int depth, struct fs_fast_parsed *out)
{
    if (c.cap < 20)
        return FALSE;
    guint32 ihl = (guint32)(c.data[0] & 0x0f) * 4;
    guint32 total = get16(c.data + 2);
    if (ihl < 20 || ihl > c.cap || total < ihl || total > c.rep)
        return FALSE;
    if (get16(c.data + 6) & 0x3fff) /* more fragments, or an offset */
        return FALSE;
    guint8 proto = c.data[9];
    set_carrier(c, 4, total, total, out);
    struct cursor payload = c;
    payload.rep = total;
    if (payload.cap > total)
        payload.cap = total;
    advance(&payload, ihl);
    return parse_transport(payload, proto, depth, out);
}

static gboolean parse_ipv6(struct cursor c, int depth, struct fs_fast_parsed *out)
{
    if (c.cap < 40)
        return FALSE;
    guint32 plen = get16(c.data + 4);
    if (plen == 0 || 40 + plen > c.rep)
        return FALSE;
    set_carrier(c, 6, plen, 40 + plen, out);
    guint8 next = c.data[6];
    struct cursor payload = c;
    payload.rep = 40 + plen;
    if (payload.cap > payload.rep)
        payload.cap = payload.rep;
    advance(&payload, 40);
    /* Hop-by-hop, routing and destination options; a fragment header, AH
     * and the rest go to libwireshark. */
    for (int n = 0; next == 0 || next == 43 || next == 60; n++) {
        if (n > 8 || payload.cap < 2)
            return FALSE;
        guint32 len = ((guint32)payload.data[1] + 1) * 8;
        next = payload.data[0];
        if (!advance(&payload, len))
            return FALSE;
    }
    return parse_transport(payload, next, depth, out);
}

static gboolean parse_ip(struct cursor c, int depth, struct fs_fast_parsed *out)
{
    if (depth > FS_FAST_MAX_DEPTH || c.cap < 1)
        return FALSE;
    switch (c.data[0] >> 4) {
        case 4:
            return parse_ipv4(c, depth, out);
        case 6:
            return parse_ipv6(c, depth, out);
        default:
            return FALSE;
    }
}

/* The payload of a PPP frame or a PPPoE session of PPP protocol ppp: IPv4
 * (0x0021) or IPv6 (0x0057), when its version nibble agrees. */
static gboolean parse_ppp_payload(
        struct cursor c, guint16 ppp, int depth, struct fs_fast_parsed *out)
{
    if (c.cap < 1)
        return FALSE;
    if (ppp == 0x0021)
        return (c.data[0] >> 4) == 4 && parse_ipv4(c, depth, out);
    if (ppp == 0x0057)
        return (c.data[0] >> 4) == 6 && parse_ipv6(c, depth, out);
    return FALSE;
}

static gboolean parse_ethertype(
        struct cursor c, guint16 type, int depth, struct fs_fast_parsed *out)
{
    for (int tags = 0; depth <= FS_FAST_MAX_DEPTH; tags++) {
        switch (type) {
            case 0x0800:
                return c.cap >= 1 && (c.data[0] >> 4) == 4 && parse_ipv4(c, depth, out);
            case 0x86dd:
                return c.cap >= 1 && (c.data[0] >> 4) == 6 && parse_ipv6(c, depth, out);
            case 0x6558:
                return parse_ethernet(c, depth + 1, out);
            case 0x8100:
            case 0x88a8:
            case 0x9100:
                if (tags > 8 || c.cap < 4)
                    return FALSE;
                out->vlan_id = get16(c.data) & 0x0fff;
                type = get16(c.data + 2);
                advance(&c, 4);
                continue;
            case 0x8847:
            case 0x8848: {
                /* The label stack, then IPv4 or IPv6 told by the first nibble
                 * (as Wireshark's MPLS dissector guesses the payload). */
                for (int labels = 0;; labels++) {
                    if (labels > 16 || c.cap < 4)
                        return FALSE;
                    gboolean bottom = (c.data[2] & 0x01) != 0;
                    advance(&c, 4);
                    if (bottom)
                        break;
                }
                if (c.cap < 1)
                    return FALSE;
                guint8 nibble = c.data[0] >> 4;
                return (nibble == 4 || nibble == 6) && parse_ip(c, depth + 1, out);
            }
            case 0x8864: {
                /* PPPoE session: version/type 0x11, code 0, PPP IPv4/IPv6. */
                if (c.cap < 8 || c.data[0] != 0x11 || c.data[1] != 0)
                    return FALSE;
                guint16 ppp = get16(c.data + 6);
                advance(&c, 8);
                return parse_ppp_payload(c, ppp, depth, out);
            }
            default:
                return FALSE;
        }
    }
    return FALSE;
}

gboolean fs_fast_parse(enum fs_fast_link link, const guint8 *data, guint32 caplen,
        guint32 reported_len, struct fs_fast_parsed *out)
{
    memset(out, 0, sizeof(*out));
    struct cursor c = { data, caplen, reported_len };
    if (caplen > reported_len)
        c.cap = reported_len;
    switch (link) {
        case FS_FAST_LINK_ETHERNET:
            return parse_ethernet(c, 0, out);
        case FS_FAST_LINK_SLL:
            if (c.cap < 16)
                return FALSE;
            {
                guint16 type = get16(c.data + 14);
                advance(&c, 16);
                return parse_ethertype(c, type, 0, out);
            }
        case FS_FAST_LINK_SLL2:
            if (c.cap < 20)
                return FALSE;
            {
                guint16 type = get16(c.data);
                advance(&c, 20);
                return parse_ethertype(c, type, 0, out);
            }
        case FS_FAST_LINK_RAW:
            return parse_ip(c, 0, out);
        case FS_FAST_LINK_NULL:
        case FS_FAST_LINK_LOOP:
            /* The address family; IPv4 and IPv6 told by the version nibble. */
            return advance(&c, 4) && parse_ip(c, 0, out);
        case FS_FAST_LINK_PPP: {
            if (c.cap >= 2 && c.data[0] == 0xff && c.data[1] == 0x03)
                advance(&c, 2);
            if (c.cap < 2)
                return FALSE;
            guint16 ppp = get16(c.data);
            advance(&c, 2);
            return parse_ppp_payload(c, ppp, 0, out);
        }
        default:
            return FALSE;
    }
}

/* ---- the table ---- */

/* One endpoint pair, the lower end first (address, then port), so both
 * directions find the same flow. */
struct fast_key {
    guint8 proto, addr_len;
    guint16 port[2];
    guint8 addr[2][16];
};

/* packet-tcp.c's tcp_analyze_seq_flow_info_t and the per-direction values
 * of struct tcp_flow that its retransmission verdicts read. */
struct fast_tcp_dir {
    guint32 nextseq, lastack, maxseqtobeacked, window;
    gint32 dupacknum;
    guint64 nextseq_ns, lastack_ns; /* times, nanoseconds (see fs_fast_analyse()) */
    guint32 lastsegmentflags;       /* of the analysis flags, only the two read */
};

/* TCP: what the message rules of fs_fast_may_skip() know of one end. */
struct fast_end {
    guint64 bytes;   /* payload bytes sent (segment lengths) */
    gboolean pushed; /* its latest payload packet set PSH */
    gboolean open;   /* libwireshark saw its latest payload packet, which set no PSH */
};

struct fs_fast_flow {
    struct fast_key key;
    gboolean known, never_skip, skipped;
    gint8 last_payload_end; /* TCP: the end that sent the latest payload, -1 before any */
    struct fast_end end[2];
    enum fs_transport transport;
    guint32 stream;
    guint32 dissected;
    char text[2][FS_ADDR_TEXT_SIZE]; /* the two ends' addresses as tshark prints them */
    struct fast_tcp_dir dir[2];
    guint64 mru_syn_ns, first_rtt_ns; /* 0: not seen */
};

struct fs_fast_table {
    GHashTable *flows; /* struct fast_key * (in the flow) -> fs_fast_flow * */
    guint limit;
};

/* FNV-1a over the whole key (make_key() zeroes it first, padding and the
 * unused address bytes included). */
static guint key_hash(gconstpointer p)
{
    const guint8 *b = p;
    guint32 h = 2166136261u;
    for (gsize i = 0; i < sizeof(struct fast_key); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct fast_key)) == 0;
}

fs_fast_table *fs_fast_table_new(guint limit)
{
    fs_fast_table *t = g_new0(fs_fast_table, 1);
    t->flows = g_hash_table_new_full(key_hash, key_equal, NULL, g_free);
    t->limit = limit;
    return t;
}

void fs_fast_table_free(fs_fast_table *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->flows);
    g_free(t);
}

/* Which end of the key the packet's source is (0 or 1). */
static int source_end(const struct fs_fast_parsed *p)
{
    int c = memcmp(p->src, p->dst, p->addr_len);
    if (c == 0)
        c = p->sport < p->dport ? -1 : (p->sport > p->dport ? 1 : 0);
    return c <= 0 ? 0 : 1;
}

static void make_key(const struct fs_fast_parsed *p, struct fast_key *k)
{
    memset(k, 0, sizeof(*k));
    k->proto = p->proto;
    k->addr_len = p->addr_len;
    int s = source_end(p);
    memcpy(k->addr[s], p->src, p->addr_len);
    memcpy(k->addr[1 - s], p->dst, p->addr_len);
    k->port[s] = p->sport;
    k->port[1 - s] = p->dport;
}

static void reset_analysis(fs_fast_flow *f)
{
    memset(f->dir, 0, sizeof(f->dir));
    memset(f->end, 0, sizeof(f->end));
    f->dir[0].window = f->dir[1].window = G_MAXUINT32;
    f->mru_syn_ns = f->first_rtt_ns = 0;
}

fs_fast_flow *fs_fast_table_lookup(fs_fast_table *t, const struct fs_fast_parsed *p)
{
    struct fast_key k;
    make_key(p, &k);
    fs_fast_flow *f = g_hash_table_lookup(t->flows, &k);
    if (!f) {
        f = g_new0(fs_fast_flow, 1);
        f->key = k;
        reset_analysis(f);
        f->last_payload_end = -1;
        g_hash_table_insert(t->flows, &f->key, f);
    }
    return f;
}

gboolean fs_fast_may_skip(
        const fs_fast_table *t, const fs_fast_flow *f, const struct fs_fast_parsed *p)
{
    if (!f->known || f->never_skip || f->dissected < t->limit ||
            (p->tcp_flags & (TH_SYN | TH_FIN | TH_RST)))
        return FALSE;
    if (p->proto != 6 || p->transport_len == 0 || f->last_payload_end < 0)
        return TRUE;
    int s = source_end(p);
    /* A TCP payload from the other end than the latest one begins a turn
     * of the conversation (a new request, a response): its first packet
     * carries what application fields describe it (HTTP's Host on a
     * kept-alive connection). */
    if (s != f->last_payload_end)
        return FALSE;
    /* The rest of a message libwireshark saw begin: the sender has not
     * pushed it yet (PSH), and libwireshark reads its fields once it has
     * it whole (an HTTP request in two segments). */
    if (f->end[s].open)
        return FALSE;
    /* A new message right after a pushed one from the end that has sent
     * less, without a turn between: a pipelined HTTP request. The bulk
     * sender's pushes (every write of a download) stay skipped. */
    if (f->end[s].pushed && f->end[s].bytes < f->end[1 - s].bytes)
        return FALSE;
    return TRUE;
}

gboolean fs_fast_has_skipped(const fs_fast_flow *f)
{
    return f->skipped;
}

void fs_fast_note_skipped(fs_fast_flow *f, const struct fs_fast_parsed *p)
{
    f->skipped = TRUE;
    if (p->proto == 6 && p->transport_len > 0)
        f->end[source_end(p)].open = FALSE;
}

/* Sequence number comparisons modulo 2^32, as packet-tcp.h's. */
static gboolean lt_seq(guint32 a, guint32 b)
{
    return (gint32)(a - b) < 0;
}

static gboolean gt_seq(guint32 a, guint32 b)
{
    return (gint32)(b - a) < 0;
}

/* The analysis flags this code reads (packet-tcp.c's TCP_A_*). */
#define A_RETRANSMISSION          0x0001
#define A_KEEP_ALIVE              0x0008
#define A_ZERO_WINDOW_PROBE       0x0080
#define A_FAST_RETRANSMISSION     0x0400
#define A_OUT_OF_ORDER            0x0800
#define A_SPURIOUS_RETRANSMISSION 0x4000

gboolean fs_fast_analyse(fs_fast_flow *f, const struct fs_fast_parsed *p, gint64 secs, gint32 nsecs)
{
    if (p->proto != 6)
        return FALSE;
    /* Nanoseconds modulo 2^64: packet-tcp.c takes its time differences as
     * guint64, so only differences matter and they come out the same; a
     * capture's time may be any 64-bit number of seconds (a pcapng
     * timestamp of year 2400 and beyond), which signed arithmetic would
     * overflow. */
    guint64 now = (guint64)secs * 1000000000u + (guint64)(gint64)nsecs;
    guint32 seq = p->seq, ack = p->ack, seglen = p->transport_len, window = p->window;
    guint16 flags = p->tcp_flags;
    struct fast_tcp_dir *fwd = &f->dir[source_end(p)];
    struct fast_tcp_dir *rev = &f->dir[1 - source_end(p)];
    guint32 ta = 0;

    /* The conversation's first RTT (dissect_tcp: from the latest SYN
     * without ACK to the first ACK without SYN), the out-of-order
     * threshold. */
    if ((flags & (TH_SYN | TH_ACK)) == TH_ACK && f->mru_syn_ns != 0 && f->first_rtt_ns == 0)
        f->first_rtt_ns = now - f->mru_syn_ns;
    if ((flags & (TH_SYN | TH_ACK)) == TH_SYN)
        f->mru_syn_ns = now;

    if (seglen == 1 && seq == fwd->nextseq && rev->window == 0) {
        ta |= A_ZERO_WINDOW_PROBE;
        goto finished_fwd;
    }
    if ((seglen == 0 || seglen == 1) && seq == fwd->nextseq - 1 &&
            (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
        ta |= A_KEEP_ALIVE;
    if (seglen == 0 && window && window == fwd->window && seq == fwd->nextseq &&
            ack == fwd->lastack && (rev->lastsegmentflags & A_KEEP_ALIVE) &&
            (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
        goto finished_fwd; /* keep-alive ACK */
    if (seglen == 0 && window == 0 && window == fwd->window && seq == fwd->nextseq &&
            ack == fwd->lastack && (rev->lastsegmentflags & A_ZERO_WINDOW_PROBE) &&
            (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
        goto finished_fwd; /* zero-window-probe ACK */
    if (seglen == 0 && window && window == fwd->window && seq == fwd->nextseq &&
            ack == fwd->lastack && (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
        fwd->dupacknum = fwd->dupacknum == -1 ? 1 : fwd->dupacknum + 1;

finished_fwd:
    if (ack != fwd->lastack)
        fwd->dupacknum = 0;
    if (rev->maxseqtobeacked && gt_seq(ack, rev->maxseqtobeacked) && (flags & TH_ACK)) {
        if (rev->maxseqtobeacked > rev->nextseq)
            rev->maxseqtobeacked = rev->nextseq;
        else
            rev->dupacknum = -1;
    }

    if (seglen > 0 || (flags & (TH_SYN | TH_FIN))) {
        gboolean not_advanced = fwd->nextseq && lt_seq(seq, fwd->nextseq);
        if (ta & A_KEEP_ALIVE)
            goto finished_retransmission;
        if (seglen > 1 && fwd->nextseq - 1 == seq)
            not_advanced = FALSE;
        if (seglen > 0 && rev->lastack && !gt_seq(seq + seglen, rev->lastack)) {
            ta |= A_SPURIOUS_RETRANSMISSION;
            goto finished_retransmission;
        }
        /* tcp.fastrt_supersedes_ooo (TRUE): fast retransmission first. */
        /* packet-tcp.c takes the time differences as unsigned: a packet
         * earlier than the one compared with is never within them. */
        if (not_advanced && rev->dupacknum >= 2 && rev->lastack == seq &&
                now - rev->lastack_ns < 20000000) {
            ta |= A_FAST_RETRANSMISSION;
            goto finished_retransmission;
        }
        guint64 threshold = f->first_rtt_ns ? f->first_rtt_ns : 3000000;
        if (not_advanced && now - fwd->nextseq_ns < threshold &&
                fwd->nextseq != seq + seglen + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0)) {
            ta |= A_OUT_OF_ORDER;
            goto finished_retransmission;
        }
        if (not_advanced)
            ta |= A_RETRANSMISSION;
    }

finished_retransmission:;
    guint32 nextseq = seq + seglen;
    if ((seglen || (flags & (TH_SYN | TH_FIN))) && (flags & (TH_SYN | TH_FIN)))
        nextseq += 1;
    if (gt_seq(nextseq, fwd->nextseq) || !fwd->nextseq) {
        if (!(ta & A_ZERO_WINDOW_PROBE)) {
            fwd->nextseq = nextseq;
            fwd->nextseq_ns = now;
        }
    }
    if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) {
        if (!(ta & A_ZERO_WINDOW_PROBE))
            fwd->maxseqtobeacked = fwd->nextseq;
    }
    fwd->window = window;
    fwd->lastack = ack;
    fwd->lastack_ns = now;
    fwd->lastsegmentflags = ta & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE);
    if (seglen > 0) {
        int s = source_end(p);
        f->last_payload_end = (gint8)s;
        f->end[s].bytes += seglen;
        f->end[s].pushed = (flags & TH_PSH) != 0;
    }
    return (ta & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) != 0;
}

/* tshark's text of an address: IPv4 dotted, IPv6 as inet_ntop writes it
 * (checked against the delivered text before the flow is trusted). */
static void address_text(const guint8 *addr, guint8 len, char *out)
{
    if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, out, FS_ADDR_TEXT_SIZE))
        out[0] = '\0';
}

/* The stream and printed addresses of a delivered packet of f. */
static void learn_stream(
        fs_fast_flow *f, const struct fs_fast_parsed *p, const struct fs_packet *delivered)
{
    char src[FS_ADDR_TEXT_SIZE], dst[FS_ADDR_TEXT_SIZE];
    address_text(p->src, p->addr_len, src);
    address_text(p->dst, p->addr_len, dst);
    enum fs_transport transport = p->proto == 6 ? FS_TRANSPORT_TCP : FS_TRANSPORT_UDP;
    if (delivered->transport != transport || delivered->sport != p->sport ||
            delivered->dport != p->dport || delivered->ip_len != p->ip_len ||
            delivered->transport_len != p->transport_len || strcmp(delivered->src, src) != 0 ||
            strcmp(delivered->dst, dst) != 0) {
        /* libwireshark read another header as the flow's (a tunnel the
         * parser does not know): this flow always goes to it. */
        f->never_skip = TRUE;
        return;
    }
    if (f->known && f->stream != delivered->stream)
        reset_analysis(f);
    int s = source_end(p);
    memcpy(f->text[s], delivered->src, sizeof(f->text[s]));
    memcpy(f->text[1 - s], delivered->dst, sizeof(f->text[1 - s]));
    f->transport = transport;
    f->stream = delivered->stream;
    f->known = TRUE;
}

void fs_fast_learn(
        fs_fast_flow *f, const struct fs_fast_parsed *p, const struct fs_packet *delivered)
{
    f->dissected++;
    if (delivered && !f->never_skip)
        learn_stream(f, p, delivered);
    if (p->proto == 6 && p->transport_len > 0)
        f->end[source_end(p)].open = !(p->tcp_flags & TH_PSH);
}

static void mac_text(const guint8 *b, char out[FS_MAC_TEXT_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 6; i++) {
        out[i * 3] = hex[b[i] >> 4];
        out[i * 3 + 1] = hex[b[i] & 0x0f];
        out[i * 3 + 2] = i < 5 ? ':' : '\0';
    }
}

void fs_fast_fill(
        const fs_fast_flow *f, const struct fs_fast_parsed *p, guint extras, struct fs_packet *pkt)
{
    int s = source_end(p);
    pkt->transport = f->transport;
    pkt->ip_proto = p->proto;
    pkt->stream = f->stream;
    memcpy(pkt->src, f->text[s], sizeof(pkt->src));
    memcpy(pkt->dst, f->text[1 - s], sizeof(pkt->dst));
    pkt->sport = p->sport;
    pkt->dport = p->dport;
    pkt->ip_len = p->ip_len;
    pkt->transport_len = p->transport_len;
    pkt->ip_version = p->ip_version;
    pkt->flow_filter_match = TRUE;
    pkt->protocol_column = NULL; /* no column: libwireshark did not see it */
    if (extras & FS_EXTRA_LINK) {
        pkt->tcp_flags = p->tcp_flags;
        pkt->tcp_hdr_len = p->tcp_hdr_len;
        pkt->vlan_id = p->vlan_id;
        if (p->eth) {
            mac_text(p->eth + 6, pkt->src_mac);
            mac_text(p->eth, pkt->dst_mac);
        }
    }
    if (extras & FS_EXTRA_IP_BYTES) {
        pkt->ip_bytes = p->ip;
        pkt->ip_bytes_len = p->ip_captured;
    }
}
