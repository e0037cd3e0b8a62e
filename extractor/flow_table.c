/* flow_table.c: the flows of one capture and the meter that ends them.
 *
 * A flow's key is (transport, stream), plus the VLAN id with the VLAN key;
 * for other IP protocols the table numbers the streams itself, per protocol,
 * by (VLAN id, the two addresses). One entry per key holds the key's
 * current flow and how many flows the key has had (stream_piece). With an
 * idle timeout the entries with a flow sit in a queue in order of their
 * latest packet, so that the flows idle for too long are ended from its
 * head without scanning the table. */
#include <string.h>

#include "flow_table.h"

struct flow_key {
    guint32 transport; /* enum fs_transport */
    guint32 ip_proto;
    guint32 stream;
    guint32 vlan;
};

struct entry {
    struct flow_key key;
    struct fs_flow *flow; /* the current flow, or NULL once it ended */
    guint pieces;         /* flows this key has had */
    guint64 order;        /* creation order of the entry */
    GList link;           /* in the idle queue while flow is not NULL */
};

struct fs_flow_table {
    GHashTable *entries;    /* struct flow_key * (inside the entry) -> struct entry * (owned) */
    GHashTable *others;     /* "proto|vlan|lower|upper" -> stream + 1, other IP protocols */
    GHashTable *other_next; /* ip_proto -> next stream number + 1 */
    GQueue idle;            /* entries with a flow, least recently active first */
    guint64 next_order;
    guint ext_count;
    guint size; /* flows made so far */
    struct fs_flow_options options;
    fs_flow_cb expired_cb; /* NULL: ended flows are kept in done */
    void *expired_data;
    GPtrArray *done;   /* struct fs_flow *, ended flows in the order they ended */
    GPtrArray *at_end; /* the open entries as fs_flow_table_finish() sorted them, or NULL */
};

static guint key_hash(gconstpointer p)
{
    const struct flow_key *k = p;
    guint h = k->stream;
    h = h * 31 + k->transport;
    h = h * 31 + k->ip_proto;
    h = h * 31 + k->vlan;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct flow_key)) == 0;
}

static void free_entry(gpointer data)
{
    g_free(data);
}

fs_flow_table *fs_flow_table_new(guint ext_count, const struct fs_flow_options *options)
{
    fs_flow_table *table = g_new0(fs_flow_table, 1);
    table->entries = g_hash_table_new_full(key_hash, key_equal, NULL, free_entry);
    table->others = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    table->other_next = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_queue_init(&table->idle);
    table->ext_count = ext_count;
    table->options = *options;
    table->done = g_ptr_array_new();
    return table;
}

void fs_flow_table_set_expired_cb(fs_flow_table *table, fs_flow_cb cb, void *user_data)
{
    table->expired_cb = cb;
    table->expired_data = user_data;
}

void fs_flow_table_free(fs_flow_table *table)
{
    if (!table)
        return;
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, table->entries);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        struct entry *e = value;
        fs_flow_free(e->flow, &table->options);
    }
    for (guint i = 0; i < table->done->len; i++)
        fs_flow_free(g_ptr_array_index(table->done, i), &table->options);
    g_ptr_array_free(table->done, TRUE);
    if (table->at_end)
        g_ptr_array_free(table->at_end, TRUE);
    g_hash_table_destroy(table->entries);
    g_hash_table_destroy(table->others);
    g_hash_table_destroy(table->other_next);
    g_free(table);
}

/* Ends the entry's flow: finished, then handed to the callback and freed,
 * or kept in done. */
static void end_flow(fs_flow_table *table, struct entry *e, enum fs_expiration why)
{
    struct fs_flow *flow = e->flow;
    if (table->options.idle_timeout_ms)
        g_queue_unlink(&table->idle, &e->link);
    e->flow = NULL;
    flow->expiration = why;
    fs_flow_finish(flow, &table->options);
    if (table->expired_cb) {
        table->expired_cb(flow, table->expired_data);
        fs_flow_free(flow, &table->options);
    } else {
        g_ptr_array_add(table->done, flow);
    }
}

/* The stream number of a packet of another IP protocol: by protocol, VLAN
 * id and the two addresses, numbered per protocol in order of appearance. */
static guint32 other_stream(fs_flow_table *table, const struct fs_packet *p, guint32 vlan)
{
    GString *text = g_string_new(NULL);
    g_string_printf(text, "%u|%u|", p->ip_proto, vlan);
    fs_packet_append_ends(text, p, FALSE);
    char *key = g_string_free(text, FALSE);
    gpointer found = g_hash_table_lookup(table->others, key);
    if (found) {
        g_free(key);
        return GPOINTER_TO_UINT(found) - 1;
    }
    gpointer proto = GUINT_TO_POINTER(p->ip_proto);
    guint32 stream = GPOINTER_TO_UINT(g_hash_table_lookup(table->other_next, proto));
    g_hash_table_insert(table->other_next, proto, GUINT_TO_POINTER(stream + 1));
    g_hash_table_insert(table->others, key, GUINT_TO_POINTER(stream + 1));
    return stream;
}

/* Ends, from the head of the queue, every flow idle for the idle timeout
 * at time now_ms. */
static void expire_idle(fs_flow_table *table, gint64 now_ms)
{
    GList *head;
    while ((head = table->idle.head) != NULL) {
        struct entry *e = head->data;
        if (now_ms - e->flow->last_ms < table->options.idle_timeout_ms)
            break;
        end_flow(table, e, FS_EXPIRED_IDLE);
    }
}

struct fs_flow *fs_flow_table_add_packet(fs_flow_table *table, const struct fs_packet *packet)
{
    const struct fs_flow_options *o = &table->options;
    /* A packet after fs_flow_table_finish() may change the open flows. */
    if (table->at_end) {
        g_ptr_array_free(table->at_end, TRUE);
        table->at_end = NULL;
    }
    guint32 vlan = o->vlan_key ? packet->vlan_id : 0;
    struct flow_key key = {
        .transport = packet->transport,
        .ip_proto = packet->transport == FS_TRANSPORT_OTHER ? packet->ip_proto : 0,
        .stream = packet->transport == FS_TRANSPORT_OTHER ? other_stream(table, packet, vlan)
                                                          : packet->stream,
        .vlan = vlan,
    };
    gint64 now = fs_packet_time_ms(packet);
    struct entry *e = g_hash_table_lookup(table->entries, &key);
    /* As NFStream: a packet at least the idle timeout after the flow's
     * latest, or the active timeout after its first, begins a new flow. */
    if (e && e->flow) {
        if (o->idle_timeout_ms && now - e->flow->last_ms >= o->idle_timeout_ms)
            end_flow(table, e, FS_EXPIRED_IDLE);
        else if (o->active_timeout_ms && now - e->flow->first_ms >= o->active_timeout_ms)
            end_flow(table, e, FS_EXPIRED_ACTIVE);
    }
    if (o->idle_timeout_ms)
        expire_idle(table, now);
    if (!e) {
        e = g_new0(struct entry, 1);
        e->key = key;
        e->order = table->next_order++;
        e->link.data = e;
        g_hash_table_insert(table->entries, &e->key, e);
    }
    if (!e->flow) {
        e->flow = fs_flow_new_with(packet, table->ext_count, o);
        e->flow->stream = key.stream;
        e->flow->piece = e->pieces++;
        table->size++;
    } else if (o->idle_timeout_ms) {
        g_queue_unlink(&table->idle, &e->link);
    }
    fs_flow_add_packet(e->flow, packet, o);
    if (o->idle_timeout_ms)
        g_queue_push_tail_link(&table->idle, &e->link);
    return e->flow;
}

guint fs_flow_table_ext_count(const fs_flow_table *table)
{
    return table->ext_count;
}

guint fs_flow_table_size(const fs_flow_table *table)
{
    return table->size;
}

/* The order of the flows still open at the end: TCP, UDP, then other
 * protocols by number; by stream; then in order of appearance. */
static gint compare_entries(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(const struct entry *const *)a;
    const struct entry *y = *(const struct entry *const *)b;
    if (x->key.transport != y->key.transport)
        return x->key.transport < y->key.transport ? -1 : 1;
    if (x->key.ip_proto != y->key.ip_proto)
        return x->key.ip_proto < y->key.ip_proto ? -1 : 1;
    if (x->key.stream != y->key.stream)
        return x->key.stream < y->key.stream ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The entries with an open flow, in the order of compare_entries(). */
static GPtrArray *open_entries(const fs_flow_table *table)
{
    GPtrArray *open = g_ptr_array_new();
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, table->entries);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        struct entry *e = value;
        if (e->flow)
            g_ptr_array_add(open, e);
    }
    g_ptr_array_sort(open, compare_entries);
    return open;
}

void fs_flow_table_finish(fs_flow_table *table)
{
    /* Sorted once: fs_flow_table_foreach() then visits the same array. */
    if (table->at_end)
        g_ptr_array_free(table->at_end, TRUE);
    table->at_end = open_entries(table);
    for (guint i = 0; i < table->at_end->len; i++) {
        struct entry *e = g_ptr_array_index(table->at_end, i);
        /* NFStream gives flows still open at the end expiration_id 0. */
        e->flow->expiration = FS_EXPIRED_IDLE;
        fs_flow_finish(e->flow, &table->options);
    }
}

void fs_flow_table_foreach(const fs_flow_table *table, fs_flow_cb cb, void *user_data)
{
    for (guint i = 0; i < table->done->len; i++)
        cb(g_ptr_array_index(table->done, i), user_data);
    GPtrArray *open = table->at_end ? table->at_end : open_entries(table);
    for (guint i = 0; i < open->len; i++)
        cb(((struct entry *)g_ptr_array_index(open, i))->flow, user_data);
    if (open != table->at_end)
        g_ptr_array_free(open, TRUE);
}
