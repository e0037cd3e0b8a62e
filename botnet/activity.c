/* activity.c: see activity.h. */
#include "activity.h"

#include <string.h>

#include "window.h"

/* What one source did in one window. */
struct source {
    char *src;       /* owned */
    gint64 window;   /* index (0 without windows) */
    gint64 first_ns; /* first and last packet of its records */
    gint64 last_ns;
    GHashTable *dsts; /* char * dst (owned) -> GHashTable * of dport + 1 (owned) */
};

/* The key of struct source in the table: src and window. */
struct source_key {
    const char *src; /* borrowed from the struct source */
    gint64 window;
};

struct fs_activity {
    struct fs_activity_options o;
    GHashTable *sources; /* struct source_key * (in the value) -> struct source * */
    GPtrArray *scans;    /* struct fs_activity_scan * (owned) */
    GPtrArray *hosts;    /* char * (owned) */
};

static guint source_key_hash(gconstpointer p)
{
    const struct source_key *k = p;
    return g_str_hash(k->src) * 31 + g_int64_hash(&k->window);
}

static gboolean source_key_equal(gconstpointer pa, gconstpointer pb)
{
    const struct source_key *a = pa, *b = pb;
    return a->window == b->window && strcmp(a->src, b->src) == 0;
}

/* A source holds its key first, so that the value is its own key. */
struct keyed_source {
    struct source_key key;
    struct source s;
};

static void keyed_source_free(gpointer p)
{
    struct keyed_source *k = p;
    g_free(k->s.src);
    g_hash_table_destroy(k->s.dsts);
    g_free(k);
}

static void port_set_free(gpointer p)
{
    g_hash_table_destroy(p);
}

static void scan_free(gpointer p)
{
    struct fs_activity_scan *s = p;
    g_free(s->src);
    g_free(s);
}

fs_activity *fs_activity_new(const struct fs_activity_options *o)
{
    fs_activity *a = g_new0(fs_activity, 1);
    a->o = *o;
    a->sources = g_hash_table_new_full(source_key_hash, source_key_equal, NULL, keyed_source_free);
    a->scans = g_ptr_array_new_with_free_func(scan_free);
    a->hosts = g_ptr_array_new_with_free_func(g_free);
    return a;
}

void fs_activity_free(fs_activity *a)
{
    if (!a)
        return;
    g_hash_table_destroy(a->sources);
    g_ptr_array_free(a->scans, TRUE);
    g_ptr_array_free(a->hosts, TRUE);
    g_free(a);
}

/* The source entry of (src, window), made when new. */
static struct source *source_get(fs_activity *a, const char *src, gint64 window, gint64 t_ns)
{
    struct source_key key = { src, window };
    struct keyed_source *k = g_hash_table_lookup(a->sources, &key);
    if (!k) {
        k = g_new0(struct keyed_source, 1);
        k->s.src = g_strdup(src);
        k->s.window = window;
        k->s.first_ns = k->s.last_ns = t_ns;
        k->s.dsts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, port_set_free);
        k->key.src = k->s.src;
        k->key.window = window;
        g_hash_table_insert(a->sources, &k->key, k);
    }
    return &k->s;
}

/* Records that src went to (dst, dport). */
static void source_add_target(struct source *s, const char *dst, gint64 dport)
{
    GHashTable *ports = g_hash_table_lookup(s->dsts, dst);
    if (!ports) {
        ports = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(s->dsts, g_strdup(dst), ports);
    }
    g_hash_table_add(ports, GSIZE_TO_POINTER((gsize)(dport & 0xffff) + 1));
}

void fs_activity_add(fs_activity *a, const struct fs_read_record *rec)
{
    if (rec->packets == 0)
        return;
    if (a->o.sources && !fs_host_ranges_match(a->o.sources, rec->src))
        return;
    struct source *s = NULL;
    for (guint i = 0; i < rec->packets; i++) {
        gint64 t = rec->times_ns[i];
        gint64 window = a->o.window_ns > 0 ? fs_window_index(t, a->o.window_ns) : 0;
        if (!s || s->window != window) {
            s = source_get(a, rec->src, window, t);
            source_add_target(s, rec->dst, rec->dport);
        }
        if (t < s->first_ns)
            s->first_ns = t;
        if (t > s->last_ns)
            s->last_ns = t;
    }
}

/* The rule of det_scan.py for one source: its flagged pairs (0: none). */
static guint source_flagged_pairs(
        const struct source *s, double rate, double *active_s, guint *max_ports)
{
    double t = (double)(s->last_ns - s->first_ns) / 1e9;
    if (s->last_ns == s->first_ns)
        t = FS_ACTIVITY_SINGLE_PACKET_SECONDS;
    *active_s = t;
    guint destinations = g_hash_table_size(s->dsts);
    gboolean all = (double)destinations / t > rate;
    guint pairs = 0;
    *max_ports = 0;
    GHashTableIter it;
    gpointer ports;
    g_hash_table_iter_init(&it, s->dsts);
    while (g_hash_table_iter_next(&it, NULL, &ports)) {
        guint n = g_hash_table_size(ports);
        if (n > *max_ports)
            *max_ports = n;
        if (all || (double)n / t > rate)
            pairs++;
    }
    return pairs;
}

static int compare_scans(gconstpointer pa, gconstpointer pb)
{
    const struct fs_activity_scan *a = *(const struct fs_activity_scan *const *)pa;
    const struct fs_activity_scan *b = *(const struct fs_activity_scan *const *)pb;
    int c = fs_host_compare(a->src, b->src);
    if (c)
        return c;
    return (a->window_start_ns > b->window_start_ns) - (a->window_start_ns < b->window_start_ns);
}

void fs_activity_finish(fs_activity *a)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, a->sources);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const struct source *s = &((struct keyed_source *)value)->s;
        double active_s = 0;
        guint max_ports = 0;
        guint pairs = source_flagged_pairs(s, a->o.scan_rate, &active_s, &max_ports);
        if (!pairs)
            continue;
        struct fs_activity_scan *scan = g_new0(struct fs_activity_scan, 1);
        scan->src = g_strdup(s->src);
        scan->window_start_ns = s->window * a->o.window_ns;
        scan->destinations = g_hash_table_size(s->dsts);
        scan->max_ports = max_ports;
        scan->active_seconds = active_s;
        scan->pairs = pairs;
        g_ptr_array_add(a->scans, scan);
    }
    g_ptr_array_sort(a->scans, compare_scans);
    for (guint i = 0; i < a->scans->len; i++) {
        const struct fs_activity_scan *scan = g_ptr_array_index(a->scans, i);
        if (a->hosts->len == 0 ||
                strcmp(g_ptr_array_index(a->hosts, a->hosts->len - 1), scan->src) != 0)
            g_ptr_array_add(a->hosts, g_strdup(scan->src));
    }
    /* The per-source sets are no longer needed. */
    g_hash_table_remove_all(a->sources);
}

const GPtrArray *fs_activity_scan_hosts(const fs_activity *a)
{
    return a->hosts;
}

const GPtrArray *fs_activity_scans(const fs_activity *a)
{
    return a->scans;
}
