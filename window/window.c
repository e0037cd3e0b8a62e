/* window.c: see window.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* One distinct flow key of a window and its entries there. The strings are
 * the set's interned copies, so keys compare by pointer. */
struct flow_count {
    const char *protocol;
    const char *src;
    const char *dst;
    gint64 sport;
    gint64 dport;
    guint64 entries;
};

struct window {
    gint64 index; /* the hash table's key points here */
    guint64 entries;
    guint64 bytes_up, bytes_down;
    guint64 packets_up, packets_down;
    guint64 states[FS_WINDOW_STATES]; /* entries by their flow's state */
    GHashTable *flows;                /* struct flow_count * (key, owned) -> same */
};

struct fs_window_set {
    gint64 seconds_ns;
    gboolean with_states;
    GStringChunk *strings; /* interned protocol names and addresses */
    GHashTable *windows;   /* gint64 * (in the window) -> struct window * (owned) */
};

/* ---- keys ---- */

static guint flow_hash(gconstpointer p)
{
    const struct flow_count *f = p;
    guint h = g_direct_hash(f->src);
    h = h * 31 + g_direct_hash(f->dst);
    h = h * 31 + g_direct_hash(f->protocol);
    h = h * 31 + (guint)f->sport;
    return h * 31 + (guint)f->dport;
}

static gboolean flow_equal(gconstpointer a, gconstpointer b)
{
    const struct flow_count *x = a, *y = b;
    return x->src == y->src && x->dst == y->dst && x->protocol == y->protocol &&
           x->sport == y->sport && x->dport == y->dport;
}

/* A (src, dst) pair: a connection. */
struct conn {
    const char *src;
    const char *dst;
    guint64 entries;
    GHashTable *dports; /* distinct dport values (port_key) */
};

static guint conn_hash(gconstpointer p)
{
    const struct conn *c = p;
    return g_direct_hash(c->src) * 31 + g_direct_hash(c->dst);
}

static gboolean conn_equal(gconstpointer a, gconstpointer b)
{
    const struct conn *x = a, *y = b;
    return x->src == y->src && x->dst == y->dst;
}

static void conn_free(gpointer p)
{
    struct conn *c = p;
    g_hash_table_destroy(c->dports);
    g_free(c);
}

/* Ports and interned strings share one kind of set key: a pointer. Ports
 * (0..65535 in records, any integer accepted) become a boxed gint64 hashed
 * by value. */
static GHashTable *port_set_new(void)
{
    return g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

static void port_set_add(GHashTable *set, gint64 port)
{
    if (!g_hash_table_contains(set, &port)) {
        gint64 *boxed = g_new(gint64, 1);
        *boxed = port;
        g_hash_table_add(set, boxed);
    }
}

static GHashTable *pointer_set_new(void)
{
    return g_hash_table_new(g_direct_hash, g_direct_equal);
}

/* A group of entries (a destination address, a source address, a
 * destination port) and the two distinct-value sets measured over it. */
struct group {
    GHashTable *first;  /* e.g. for a dst: its distinct dports */
    GHashTable *second; /* e.g. for a dst: its distinct srcs */
};

static struct group *group_new(gboolean first_ports)
{
    struct group *g = g_new(struct group, 1);
    g->first = first_ports ? port_set_new() : pointer_set_new();
    g->second = pointer_set_new();
    return g;
}

static void group_free(gpointer p)
{
    struct group *g = p;
    g_hash_table_destroy(g->first);
    g_hash_table_destroy(g->second);
    g_free(g);
}

/* ---- the set ---- */

gint64 fs_window_index(gint64 time_ns, gint64 seconds_ns)
{
    gint64 q = time_ns / seconds_ns;
    if (time_ns % seconds_ns != 0 && time_ns < 0)
        q -= 1; /* C division truncates towards zero; floor goes down */
    return q;
}

static void window_free(gpointer p)
{
    struct window *w = p;
    g_hash_table_destroy(w->flows);
    g_free(w);
}

fs_window_set *fs_window_set_new(gint64 seconds_ns, gboolean with_states)
{
    fs_window_set *set = g_new0(fs_window_set, 1);
    set->seconds_ns = seconds_ns;
    set->with_states = with_states;
    set->strings = g_string_chunk_new(4096);
    set->windows = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, window_free);
    return set;
}

void fs_window_set_free(fs_window_set *set)
{
    if (!set)
        return;
    g_hash_table_destroy(set->windows);
    g_string_chunk_free(set->strings);
    g_free(set);
}

guint fs_window_set_size(const fs_window_set *set)
{
    return g_hash_table_size(set->windows);
}

void fs_window_set_add(fs_window_set *set, const struct fs_window_flow *flow, gint64 time_ns,
        gint64 length, int state)
{
    gint64 index = fs_window_index(time_ns, set->seconds_ns);
    struct window *w = g_hash_table_lookup(set->windows, &index);
    if (!w) {
        w = g_new0(struct window, 1);
        w->index = index;
        w->flows = g_hash_table_new_full(flow_hash, flow_equal, g_free, NULL);
        g_hash_table_insert(set->windows, &w->index, w);
    }
    w->entries++;
    if (state >= 0 && state < FS_WINDOW_STATES)
        w->states[state]++;
    /* |length| without overflow for G_MININT64 (not in any record). */
    guint64 bytes = length < 0 ? (guint64)(-(length + 1)) + 1 : (guint64)length;
    if (length < 0) {
        w->packets_down++;
        w->bytes_down += bytes;
    } else {
        w->packets_up++;
        w->bytes_up += bytes;
    }

    struct flow_count probe = {
        .protocol = g_string_chunk_insert_const(set->strings, flow->protocol),
        .src = g_string_chunk_insert_const(set->strings, flow->src),
        .dst = g_string_chunk_insert_const(set->strings, flow->dst),
        .sport = flow->sport,
        .dport = flow->dport,
    };
    struct flow_count *f = g_hash_table_lookup(w->flows, &probe);
    if (!f) {
        f = g_memdup2(&probe, sizeof(probe));
        g_hash_table_add(w->flows, f);
    }
    f->entries++;
}

/* ---- statistics ---- */

double fs_window_quantile(const double *sorted, guint n, double q)
{
    /* numpy's "linear" method (numpy.quantile, pandas' Series.quantile):
     * virtual index (n - 1) * q, then its _lerp, which for a fraction of
     * one half or more measures back from the upper value so that the
     * result is exact at both ends. */
    double virtual_index = (double)(n - 1) * q;
    double below = floor(virtual_index);
    guint lo = (guint)below;
    guint hi = lo + 1 < n ? lo + 1 : n - 1;
    double t = virtual_index - below;
    double a = sorted[lo], b = sorted[hi];
    double diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The six keys of one distribution (name_max, _mean, _perc25, _perc50,
 * _perc75, _perc90) from its n values (sorted here); null when n is 0. */
static void emit_distribution(fs_sink *sink, const char *name, double *values, guint n)
{
    static const struct {
        const char *suffix;
        double q;
    } quantiles[] = {
        { "perc25", 0.25 },
        { "perc50", 0.5 },
        { "perc75", 0.75 },
        { "perc90", 0.9 },
    };
    char key[128];
    if (n > 0)
        qsort(values, n, sizeof(double), compare_doubles);

    g_snprintf(key, sizeof(key), "%s_max", name);
    fs_sink_key(sink, key);
    if (n > 0)
        fs_sink_int(sink, (gint64)values[n - 1]);
    else
        fs_sink_null(sink);

    g_snprintf(key, sizeof(key), "%s_mean", name);
    fs_sink_key(sink, key);
    if (n > 0) {
        /* Every value is a count: the sum is exact in a double below 2^53,
         * as pandas' is. */
        double sum = 0;
        for (guint i = 0; i < n; i++)
            sum += values[i];
        fs_sink_double(sink, sum / n);
    } else {
        fs_sink_null(sink);
    }

    for (gsize i = 0; i < G_N_ELEMENTS(quantiles); i++) {
        g_snprintf(key, sizeof(key), "%s_%s", name, quantiles[i].suffix);
        fs_sink_key(sink, key);
        if (n > 0)
            fs_sink_double(sink, fs_window_quantile(values, n, quantiles[i].q));
        else
            fs_sink_null(sink);
    }
}

/* The sizes of one of the two sets of every group in groups. Caller
 * g_free()s; *n is the number of groups. */
static double *group_sizes(GHashTable *groups, gboolean first, guint *n)
{
    *n = g_hash_table_size(groups);
    double *values = g_new(double, *n > 0 ? *n : 1);
    GHashTableIter it;
    gpointer value;
    guint i = 0;
    g_hash_table_iter_init(&it, groups);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const struct group *g = value;
        values[i++] = g_hash_table_size(first ? g->first : g->second);
    }
    return values;
}

static void emit_group_pair(
        fs_sink *sink, GHashTable *groups, const char *first_name, const char *second_name)
{
    guint n;
    double *values = group_sizes(groups, TRUE, &n);
    emit_distribution(sink, first_name, values, n);
    g_free(values);
    values = group_sizes(groups, FALSE, &n);
    emit_distribution(sink, second_name, values, n);
    g_free(values);
}

/* The group of key in groups, made when missing. */
static struct group *group_get(GHashTable *groups, gpointer key, gboolean first_ports)
{
    struct group *g = g_hash_table_lookup(groups, key);
    if (!g) {
        g = group_new(first_ports);
        g_hash_table_insert(groups, key, g);
    }
    return g;
}

/* window_start: index * T as an exact decimal number (an integer when it
 * is a whole second). */
static void emit_window_start(fs_sink *sink, gint64 start_ns)
{
    char text[64];
    gboolean negative = start_ns < 0;
    guint64 magnitude = negative ? (guint64)(-(start_ns + 1)) + 1 : (guint64)start_ns;
    guint64 whole = magnitude / (guint64)NS_PER_SEC;
    guint64 frac = magnitude % (guint64)NS_PER_SEC;
    if (frac == 0) {
        g_snprintf(text, sizeof(text), "%s%" G_GUINT64_FORMAT, negative ? "-" : "", whole);
    } else {
        int digits = 9;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        g_snprintf(text, sizeof(text), "%s%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT,
                negative ? "-" : "", whole, digits, frac);
    }
    fs_sink_key(sink, "window_start");
    fs_sink_number_text(sink, text);
}

/* The keys --score scores, in the order of the row (doc/windows.md). */
static const char *const scored_keys[FS_WINDOW_SCORED] = {
    "num_entries",
    "count_dst_port",
    "count_src_port",
    "count_dst_ip",
    "count_src_ip",
    "count_conns",
    "count_flows",
};

/* The --score keys of a row: <key>_z of every scored key, then
 * top_features, the three keys with the highest z-scores (the first in key
 * order among equal ones). */
static void emit_scores(fs_sink *sink, const double *z)
{
    char key[64];
    guint order[FS_WINDOW_SCORED];
    for (guint k = 0; k < FS_WINDOW_SCORED; k++) {
        g_snprintf(key, sizeof(key), "%s_z", scored_keys[k]);
        fs_sink_key(sink, key);
        fs_sink_double(sink, z[k]);
        order[k] = k;
    }
    /* Insertion sort, descending, stable: ties keep key order. */
    for (guint i = 1; i < FS_WINDOW_SCORED; i++) {
        guint k = order[i], j = i;
        for (; j > 0 && z[order[j - 1]] < z[k]; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    fs_sink_key(sink, "top_features");
    fs_sink_begin_array(sink);
    for (guint i = 0; i < 3; i++)
        fs_sink_string(sink, scored_keys[order[i]]);
    fs_sink_end_array(sink);
}

/* The scored counts of a window (w NULL: none), in scored_keys' order. */
static void window_counts(const struct window *w, double *counts)
{
    for (guint k = 0; k < FS_WINDOW_SCORED; k++)
        counts[k] = 0;
    if (!w)
        return;
    GHashTable *dports = port_set_new();
    GHashTable *sports = port_set_new();
    GHashTable *dsts = pointer_set_new();
    GHashTable *srcs = pointer_set_new();
    GHashTable *conns = g_hash_table_new_full(conn_hash, conn_equal, g_free, NULL);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, w->flows);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        struct flow_count *f = key;
        port_set_add(dports, f->dport);
        port_set_add(sports, f->sport);
        g_hash_table_add(dsts, (gpointer)f->dst);
        g_hash_table_add(srcs, (gpointer)f->src);
        struct conn probe = { .src = f->src, .dst = f->dst };
        if (!g_hash_table_contains(conns, &probe))
            g_hash_table_add(conns, g_memdup2(&probe, sizeof(probe)));
    }
    counts[0] = (double)w->entries;
    counts[1] = g_hash_table_size(dports);
    counts[2] = g_hash_table_size(sports);
    counts[3] = g_hash_table_size(dsts);
    counts[4] = g_hash_table_size(srcs);
    counts[5] = g_hash_table_size(conns);
    counts[6] = g_hash_table_size(w->flows);
    g_hash_table_destroy(conns);
    g_hash_table_destroy(srcs);
    g_hash_table_destroy(dsts);
    g_hash_table_destroy(sports);
    g_hash_table_destroy(dports);
}

/* The median of n > 0 values (sorted here): the middle one, or the mean of
 * the two middle ones for an even n (pandas' median). */
static double median(double *values, guint n)
{
    qsort(values, n, sizeof(double), compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* One row. w NULL: a window without entries. z: its FS_WINDOW_SCORED
 * z-scores (--score), or NULL. */
static void emit_window(fs_sink *sink, const struct window *w, gint64 start_ns,
        gboolean with_states, const double *z)
{
    GHashTable *dports = port_set_new();
    GHashTable *sports = port_set_new();
    GHashTable *dsts = pointer_set_new();
    GHashTable *srcs = pointer_set_new();
    GHashTable *conns = g_hash_table_new_full(conn_hash, conn_equal, conn_free, NULL);
    /* dst -> {dports, srcs}; src -> {dports, dsts}; dport -> {dsts, srcs} */
    GHashTable *by_dst = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
    GHashTable *by_src = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
    GHashTable *by_dport = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, group_free);
    guint flows = 0;

    if (w) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, w->flows);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            /* The flow counts live as long as the window: their fields can
             * be the keys of the tables of this row. */
            struct flow_count *f = key;
            flows++;
            port_set_add(dports, f->dport);
            port_set_add(sports, f->sport);
            g_hash_table_add(dsts, (gpointer)f->dst);
            g_hash_table_add(srcs, (gpointer)f->src);

            struct conn probe = { .src = f->src, .dst = f->dst };
            struct conn *c = g_hash_table_lookup(conns, &probe);
            if (!c) {
                c = g_memdup2(&probe, sizeof(probe));
                c->dports = port_set_new();
                g_hash_table_add(conns, c);
            }
            c->entries += f->entries;
            port_set_add(c->dports, f->dport);

            struct group *g = group_get(by_dst, (gpointer)f->dst, TRUE);
            port_set_add(g->first, f->dport);
            g_hash_table_add(g->second, (gpointer)f->src);
            g = group_get(by_src, (gpointer)f->src, TRUE);
            port_set_add(g->first, f->dport);
            g_hash_table_add(g->second, (gpointer)f->dst);
            g = group_get(by_dport, &f->dport, FALSE);
            g_hash_table_add(g->first, (gpointer)f->dst);
            g_hash_table_add(g->second, (gpointer)f->src);
        }
    }

    fs_sink_begin_record(sink);
    emit_window_start(sink, start_ns);
    fs_sink_key_int(sink, "num_entries", w ? (gint64)w->entries : 0);
    fs_sink_key_int(sink, "bytes_up", w ? (gint64)w->bytes_up : 0);
    fs_sink_key_int(sink, "bytes_down", w ? (gint64)w->bytes_down : 0);
    fs_sink_key_int(sink, "packets_up", w ? (gint64)w->packets_up : 0);
    fs_sink_key_int(sink, "packets_down", w ? (gint64)w->packets_down : 0);
    fs_sink_key_int(sink, "count_dst_port", g_hash_table_size(dports));
    fs_sink_key_int(sink, "count_src_port", g_hash_table_size(sports));
    fs_sink_key_int(sink, "count_dst_ip", g_hash_table_size(dsts));
    fs_sink_key_int(sink, "count_src_ip", g_hash_table_size(srcs));
    guint n_conns = g_hash_table_size(conns);
    fs_sink_key_int(sink, "count_conns", n_conns);
    fs_sink_key_int(sink, "count_flows", flows);
    fs_sink_key(sink, "num_flows_per_conn_mean");
    if (n_conns > 0)
        fs_sink_double(sink, (double)flows / n_conns);
    else
        fs_sink_null(sink);

    double *per_conn = g_new(double, n_conns > 0 ? n_conns : 1);
    GHashTableIter it;
    gpointer key;
    guint i = 0;
    g_hash_table_iter_init(&it, conns);
    while (g_hash_table_iter_next(&it, &key, NULL))
        per_conn[i++] = (double)((struct conn *)key)->entries;
    emit_distribution(sink, "entries_per_conn", per_conn, n_conns);
    i = 0;
    g_hash_table_iter_init(&it, conns);
    while (g_hash_table_iter_next(&it, &key, NULL))
        per_conn[i++] = g_hash_table_size(((struct conn *)key)->dports);
    emit_distribution(sink, "dst_port_per_conn", per_conn, n_conns);
    g_free(per_conn);

    emit_group_pair(sink, by_dst, "dst_port_per_dst_ip", "src_ip_per_dst_ip");
    emit_group_pair(sink, by_src, "dst_port_per_src_ip", "dst_ip_per_src_ip");
    emit_group_pair(sink, by_dport, "dst_ip_per_dst_port", "src_ip_per_dst_port");
    if (with_states) {
        static const char *const names[FS_WINDOW_STATES] = {
            "num_state_new",
            "num_state_connecting",
            "num_state_established",
            "num_state_closing",
            "num_state_closed",
            "num_state_reset",
        };
        for (guint k = 0; k < FS_WINDOW_STATES; k++)
            fs_sink_key_int(sink, names[k], w ? (gint64)w->states[k] : 0);
    }
    if (z)
        emit_scores(sink, z);
    fs_sink_end_record(sink);

    g_hash_table_destroy(by_dport);
    g_hash_table_destroy(by_src);
    g_hash_table_destroy(by_dst);
    g_hash_table_destroy(conns);
    g_hash_table_destroy(srcs);
    g_hash_table_destroy(dsts);
    g_hash_table_destroy(sports);
    g_hash_table_destroy(dports);
}

void fs_window_emit_empty(fs_sink *sink, gboolean with_states, gboolean score)
{
    static const double zeros[FS_WINDOW_SCORED] = { 0 };
    emit_window(sink, NULL, 0, with_states, score ? zeros : NULL);
}

static int compare_indexes(const void *pa, const void *pb)
{
    gint64 a = **(gint64 *const *)pa, b = **(gint64 *const *)pb;
    return (a > b) - (a < b);
}

guint64 fs_window_set_write(
        const fs_window_set *set, fs_sink *sink, gboolean empty_windows, gboolean score)
{
    guint n = 0;
    gpointer *keys = g_hash_table_get_keys_as_array(set->windows, &n);
    qsort(keys, n, sizeof(gpointer), compare_indexes);
    /* The rows to write, in order: their window indexes. */
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < n; i++) {
        gint64 index = *(gint64 *)keys[i];
        if (empty_windows && i > 0) {
            for (gint64 e = *(gint64 *)keys[i - 1] + 1; e < index; e++)
                g_array_append_val(rows, e);
        }
        g_array_append_val(rows, index);
    }
    g_free(keys);

    /* --score: every row's counts, then per key the median and the MAD
     * over all rows, then each row's z-scores. */
    double *z = NULL;
    if (score && rows->len > 0) {
        guint m = rows->len;
        z = g_new(double, (gsize)m *FS_WINDOW_SCORED);
        for (guint r = 0; r < m; r++) {
            gint64 index = g_array_index(rows, gint64, r);
            window_counts(
                    g_hash_table_lookup(set->windows, &index), z + (gsize)r * FS_WINDOW_SCORED);
        }
        double *column = g_new(double, m);
        for (guint k = 0; k < FS_WINDOW_SCORED; k++) {
            for (guint r = 0; r < m; r++)
                column[r] = z[(gsize)r * FS_WINDOW_SCORED + k];
            double med = median(column, m);
            for (guint r = 0; r < m; r++)
                column[r] = fabs(z[(gsize)r * FS_WINDOW_SCORED + k] - med);
            double mad = median(column, m);
            for (guint r = 0; r < m; r++) {
                double *v = &z[(gsize)r * FS_WINDOW_SCORED + k];
                *v = mad == 0 ? 0.0 : (*v - med) / (1.4826 * mad);
            }
        }
        g_free(column);
    }

    for (guint r = 0; r < rows->len; r++) {
        gint64 index = g_array_index(rows, gint64, r);
        emit_window(sink, g_hash_table_lookup(set->windows, &index), index * set->seconds_ns,
                set->with_states, z ? z + (gsize)r * FS_WINDOW_SCORED : NULL);
    }
    guint64 written = rows->len;
    g_array_free(rows, TRUE);
    g_free(z);
    return written;
}
