/* payload.c: see payload.h. Hand-written: the rules are BotCapturer's own
 * byte tests (a prefix, a substring, lines), a few lines each; the values
 * come from Wireshark's fields, hex-decoded here. */
#include <string.h>

#include "payload.h"
#include "hosts.h"

const char *const fs_payload_capture_options[] = { "-e", "tcp.payload", "-e", "udp.payload", NULL };

const char *const fs_payload_set_names[FS_PAYLOAD_SETS] = { "mirai", "ares", "bindl" };

/* The telnet port of det_mirai.py. */
#define TELNET_PORT 23

static gboolean starts_with(const guint8 *b, gsize n, const char *word)
{
    gsize w = strlen(word);
    return n >= w && memcmp(b, word, w) == 0;
}

static gboolean contains(const guint8 *b, gsize n, const char *word)
{
    gsize w = strlen(word);
    for (gsize i = 0; i + w <= n; i++) {
        if (b[i] == (guint8)word[0] && memcmp(b + i, word, w) == 0)
            return TRUE;
    }
    return FALSE;
}

/* det_bin.py: for line in payload.split(b"\n"): line[:2] == b"MZ" or
 * line[1:4] == b"ELF". A line starts at 0 and after each \n; an empty
 * line (a \n right there) has neither. */
static gboolean binary_line(const guint8 *b, gsize n)
{
    for (gsize s = 0; s < n; s++) {
        if (s == 0 || b[s - 1] == '\n') {
            if (b[s] != '\n' && ((n - s >= 2 && b[s] == 'M' && b[s + 1] == 'Z') ||
                                        (n - s >= 4 && memcmp(b + s + 1, "ELF", 3) == 0)))
                return TRUE;
        }
    }
    return FALSE;
}

guint fs_payload_classify(const guint8 *b, gsize n)
{
    guint bits = 0;
    if (n == 2 && b[0] == 0 && b[1] == 0)
        bits |= FS_PAYLOAD_KEEPALIVE;
    if (starts_with(b, n, "enable"))
        bits |= FS_PAYLOAD_ENABLE;
    if (starts_with(b, n, "system"))
        bits |= FS_PAYLOAD_SYSTEM;
    if (contains(b, n, "api/pop"))
        bits |= FS_PAYLOAD_POLL;
    if (binary_line(b, n))
        bits |= FS_PAYLOAD_BINARY;
    return bits;
}

guint fs_payload_classify_hex(const char *hex, gsize len)
{
    if (len % 2)
        return 0;
    guint8 stack[2048];
    guint8 *b = len / 2 <= sizeof(stack) ? stack : g_malloc(len / 2);
    guint bits = 0;
    gsize i = 0;
    for (; i < len / 2; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            break;
        b[i] = (guint8)(hi << 4 | lo);
    }
    if (i == len / 2)
        bits = fs_payload_classify(b, i);
    if (b != stack)
        g_free(b);
    return bits;
}

gboolean fs_payload_keep(guint field, const char *text, gsize len, void *data)
{
    (void)field;
    (void)data;
    return fs_payload_classify_hex(text, len) != 0;
}

/* A TCP packet to port 23 of one (sender, receiver) pair. */
struct telnet_packet {
    gint64 time_ns;
    guint64 order; /* input order, for packets at the same instant */
    guint bits;
};

struct fs_payload {
    GHashTable *sets[FS_PAYLOAD_SETS]; /* owned address -> itself */
    GPtrArray *sorted[FS_PAYLOAD_SETS];
    GHashTable *telnet; /* owned "sender receiver" -> GArray of struct telnet_packet */
    GArray *bits;       /* guint per packet of the record being added */
    guint64 order;
    guint64 values;
};

fs_payload *fs_payload_new(void)
{
    fs_payload *p = g_new0(fs_payload, 1);
    for (guint s = 0; s < FS_PAYLOAD_SETS; s++)
        p->sets[s] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->telnet = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free, (GDestroyNotify)(void (*)(void))g_array_unref);
    p->bits = g_array_new(FALSE, TRUE, sizeof(guint));
    return p;
}

static void flag(fs_payload *p, enum fs_payload_set set, const char *host)
{
    if (!g_hash_table_contains(p->sets[set], host)) {
        char *key = g_strdup(host);
        g_hash_table_insert(p->sets[set], key, key);
    }
}

void fs_payload_add(fs_payload *p, const struct fs_read_record *rec)
{
    g_array_set_size(p->bits, 0);
    g_array_set_size(p->bits, rec->packets); /* zeroed */
    for (guint v = 0; v < rec->n_values; v++) {
        const struct fs_read_value *value = &rec->values[v];
        if (strcmp(value->field, "tcp.payload") != 0 && strcmp(value->field, "udp.payload") != 0)
            continue;
        p->values++;
        if (value->index < 0 || value->index >= (gint64)rec->packets)
            continue; /* not a packet of this record */
        guint bits = fs_payload_classify_hex(value->value, strlen(value->value));
        g_array_index(p->bits, guint, value->index) |= bits;
        gboolean forward = rec->lengths[value->index] > 0;
        const char *sender = forward ? rec->src : rec->dst;
        const char *receiver = forward ? rec->dst : rec->src;
        if (bits & FS_PAYLOAD_KEEPALIVE)
            flag(p, FS_PAYLOAD_MIRAI, sender);
        if (bits & FS_PAYLOAD_POLL)
            flag(p, FS_PAYLOAD_ARES, sender);
        if (bits & FS_PAYLOAD_BINARY)
            flag(p, FS_PAYLOAD_BINDL, receiver);
    }
    /* Every TCP packet to port 23, with or without payload. */
    if (strcmp(rec->protocol, "tcp") != 0 ||
            (rec->dport != TELNET_PORT && rec->sport != TELNET_PORT))
        return;
    for (guint i = 0; i < rec->packets; i++) {
        gboolean forward = rec->lengths[i] > 0;
        if ((forward ? rec->dport : rec->sport) != TELNET_PORT)
            continue;
        char *key = g_strconcat(
                forward ? rec->src : rec->dst, " ", forward ? rec->dst : rec->src, NULL);
        GArray *packets = g_hash_table_lookup(p->telnet, key);
        if (!packets) {
            packets = g_array_new(FALSE, FALSE, sizeof(struct telnet_packet));
            g_hash_table_insert(p->telnet, key, packets);
        } else {
            g_free(key);
        }
        const struct telnet_packet t = { rec->times_ns[i], p->order++,
            g_array_index(p->bits, guint, i) };
        g_array_append_val(packets, t);
    }
}

static int compare_telnet(const void *a, const void *b)
{
    const struct telnet_packet *x = a, *y = b;
    if (x->time_ns != y->time_ns)
        return x->time_ns < y->time_ns ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int compare_hosts(const void *a, const void *b)
{
    return fs_host_compare(*(const char *const *)a, *(const char *const *)b);
}

void fs_payload_finish(fs_payload *p)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, p->telnet);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GArray *packets = value;
        if (packets->len > 1)
            qsort(packets->data, packets->len, sizeof(struct telnet_packet), compare_telnet);
        const struct telnet_packet *t = (const struct telnet_packet *)(void *)packets->data;
        for (guint j = 2; j < packets->len; j++) {
            if ((t[j].bits & FS_PAYLOAD_SYSTEM) && (t[j - 2].bits & FS_PAYLOAD_ENABLE)) {
                const char *space = strchr(key, ' ');
                char *sender = g_strndup(key, (gsize)(space - (const char *)key));
                flag(p, FS_PAYLOAD_MIRAI, sender);
                g_free(sender);
                break;
            }
        }
    }
    for (guint s = 0; s < FS_PAYLOAD_SETS; s++) {
        p->sorted[s] = g_ptr_array_new();
        GHashTableIter hosts;
        gpointer host;
        g_hash_table_iter_init(&hosts, p->sets[s]);
        while (g_hash_table_iter_next(&hosts, &host, NULL))
            g_ptr_array_add(p->sorted[s], host);
        if (p->sorted[s]->len > 1)
            qsort(p->sorted[s]->pdata, p->sorted[s]->len, sizeof(gpointer), compare_hosts);
    }
}

const GPtrArray *fs_payload_hosts(const fs_payload *p, enum fs_payload_set set)
{
    return p->sorted[set];
}

guint64 fs_payload_values(const fs_payload *p)
{
    return p->values;
}

void fs_payload_free(fs_payload *p)
{
    if (!p)
        return;
    for (guint s = 0; s < FS_PAYLOAD_SETS; s++) {
        if (p->sorted[s])
            g_ptr_array_free(p->sorted[s], TRUE);
        g_hash_table_destroy(p->sets[s]);
    }
    g_hash_table_destroy(p->telnet);
    g_array_free(p->bits, TRUE);
    g_free(p);
}
