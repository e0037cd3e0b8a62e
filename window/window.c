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

/* The distributions of a row, in the order of its keys. */
enum {
    DIST_ENTRIES_PER_CONN,
    DIST_DST_PORT_PER_CONN,
    DIST_DST_PORT_PER_DST_IP,
    DIST_SRC_IP_PER_DST_IP,
    DIST_DST_PORT_PER_SRC_IP,
    DIST_DST_IP_PER_SRC_IP,
    DIST_DST_IP_PER_DST_PORT,
    DIST_SRC_IP_PER_DST_PORT,
    DISTS
};

/* One distribution, summed up: n values (0: every key null). */
struct dist {
    guint n;
    double max, mean;
    double perc[4];
};

/* The values of one row, computed when its window is closed: a few hundred
 * bytes, whatever the window held. counts are the scored keys after
 * num_entries, in scored_keys' order. */
struct row {
    gint64 index;
    guint64 entries, bytes_up, bytes_down, packets_up, packets_down;
    guint64 counts[FS_WINDOW_SCORED - 1];
    struct dist dists[DISTS];
    guint64 states[FS_WINDOW_STATES];
};

struct fs_window_set {
    gint64 seconds_ns;
    gboolean with_states;
    GStringChunk *strings; /* interned protocol names and addresses */
    GHashTable *windows;   /* gint64 * (in the window) -> struct window * (owned) */
    /* Closed windows (fs_window_set_close_before): their rows (struct row),
     * in window order, until written. */
    GArray *rows;
    gboolean closed;     /* some windows were closed: closed_below is set */
    gint64 closed_below; /* the windows below this index are closed */
    guint64 late;        /* entries refused: their window was closed */
    guint64 written;     /* rows written */
    gint64 last_written; /* the index of the last row written */
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
    set->rows = g_array_new(FALSE, FALSE, sizeof(struct row));
    return set;
}

void fs_window_set_free(fs_window_set *set)
{
    if (!set)
        return;
    g_hash_table_destroy(set->windows);
    g_array_free(set->rows, TRUE);
    g_string_chunk_free(set->strings);
    g_free(set);
}

gint64 fs_window_set_seconds(const fs_window_set *set)
{
    return set->seconds_ns;
}

guint fs_window_set_size(const fs_window_set *set)
{
    return g_hash_table_size(set->windows);
}

guint64 fs_window_set_late(const fs_window_set *set)
{
    return set->late;
}

gboolean fs_window_set_add(fs_window_set *set, const struct fs_window_flow *flow, gint64 time_ns,
        gint64 length, int state)
{
    gint64 index = fs_window_index(time_ns, set->seconds_ns);
    if (set->closed && index < set->closed_below) {
        set->late++;
        return FALSE;
    }
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
    return TRUE;
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

/* The median of n > 0 values (sorted here): the middle one, or the mean of
 * the two middle ones for an even n (pandas' median). */
static double median(double *values, guint n)
{
    qsort(values, n, sizeof(double), compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* ---- rows ---- */

static const char *const dist_names[DISTS] = {
    "entries_per_conn",
    "dst_port_per_conn",
    "dst_port_per_dst_ip",
    "src_ip_per_dst_ip",
    "dst_port_per_src_ip",
    "dst_ip_per_src_ip",
    "dst_ip_per_dst_port",
    "src_ip_per_dst_port",
};

/* The percentiles of a distribution (its _percNN keys). */
static const struct {
    const char *suffix;
    double q;
} quantiles[] = {
    { "perc25", 0.25 },
    { "perc50", 0.5 },
    { "perc75", 0.75 },
    { "perc90", 0.9 },
};
#define QUANTILES G_N_ELEMENTS(quantiles)

/* The row of a window without entries. */
static void row_empty(struct row *r, gint64 index)
{
    memset(r, 0, sizeof(*r));
    r->index = index;
}

/* A distribution of n values (sorted here). */
static void dist_compute(struct dist *d, double *values, guint n)
{
    d->n = n;
    if (n == 0)
        return;
    qsort(values, n, sizeof(double), compare_doubles);
    d->max = values[n - 1];
    /* Every value is a count: the sum is exact in a double below 2^53, as
     * pandas' is. */
    double sum = 0;
    for (guint i = 0; i < n; i++)
        sum += values[i];
    d->mean = sum / n;
    for (gsize i = 0; i < QUANTILES; i++)
        d->perc[i] = fs_window_quantile(values, n, quantiles[i].q);
}

/* The sizes of one of the two sets of every group in groups, as a
 * distribution. */
static void dist_of_groups(struct dist *d, GHashTable *groups, gboolean first)
{
    guint n = g_hash_table_size(groups);
    double *values = g_new(double, n > 0 ? n : 1);
    GHashTableIter it;
    gpointer value;
    guint i = 0;
    g_hash_table_iter_init(&it, groups);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const struct group *g = value;
        values[i++] = g_hash_table_size(first ? g->first : g->second);
    }
    dist_compute(d, values, n);
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

/* Every count and distribution of a window, from its distinct flows. */
static void row_compute(struct row *r, const struct window *w)
{
    row_empty(r, w->index);
    r->entries = w->entries;
    r->bytes_up = w->bytes_up;
    r->bytes_down = w->bytes_down;
    r->packets_up = w->packets_up;
    r->packets_down = w->packets_down;
    memcpy(r->states, w->states, sizeof(r->states));

    GHashTable *dports = port_set_new();
    GHashTable *sports = port_set_new();
    GHashTable *dsts = pointer_set_new();
    GHashTable *srcs = pointer_set_new();
    GHashTable *conns = g_hash_table_new_full(conn_hash, conn_equal, conn_free, NULL);
    /* dst -> {dports, srcs}; src -> {dports, dsts}; dport -> {dsts, srcs} */
    GHashTable *by_dst = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
    GHashTable *by_src = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
    GHashTable *by_dport = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, group_free);

    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, w->flows);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        /* The flow counts live as long as the window: their fields can be
         * the keys of the tables of this row. */
        struct flow_count *f = key;
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

    guint n_conns = g_hash_table_size(conns);
    r->counts[0] = g_hash_table_size(dports);
    r->counts[1] = g_hash_table_size(sports);
    r->counts[2] = g_hash_table_size(dsts);
    r->counts[3] = g_hash_table_size(srcs);
    r->counts[4] = n_conns;
    r->counts[5] = g_hash_table_size(w->flows);

    double *per_conn = g_new(double, n_conns > 0 ? n_conns : 1);
    guint i = 0;
    g_hash_table_iter_init(&it, conns);
    while (g_hash_table_iter_next(&it, &key, NULL))
        per_conn[i++] = (double)((struct conn *)key)->entries;
    dist_compute(&r->dists[DIST_ENTRIES_PER_CONN], per_conn, n_conns);
    i = 0;
    g_hash_table_iter_init(&it, conns);
    while (g_hash_table_iter_next(&it, &key, NULL))
        per_conn[i++] = g_hash_table_size(((struct conn *)key)->dports);
    dist_compute(&r->dists[DIST_DST_PORT_PER_CONN], per_conn, n_conns);
    g_free(per_conn);

    dist_of_groups(&r->dists[DIST_DST_PORT_PER_DST_IP], by_dst, TRUE);
    dist_of_groups(&r->dists[DIST_SRC_IP_PER_DST_IP], by_dst, FALSE);
    dist_of_groups(&r->dists[DIST_DST_PORT_PER_SRC_IP], by_src, TRUE);
    dist_of_groups(&r->dists[DIST_DST_IP_PER_SRC_IP], by_src, FALSE);
    dist_of_groups(&r->dists[DIST_DST_IP_PER_DST_PORT], by_dport, TRUE);
    dist_of_groups(&r->dists[DIST_SRC_IP_PER_DST_PORT], by_dport, FALSE);

    g_hash_table_destroy(by_dport);
    g_hash_table_destroy(by_src);
    g_hash_table_destroy(by_dst);
    g_hash_table_destroy(conns);
    g_hash_table_destroy(srcs);
    g_hash_table_destroy(dsts);
    g_hash_table_destroy(sports);
    g_hash_table_destroy(dports);
}

/* The scored values of a row, in scored_keys' order. */
static void row_scored(const struct row *r, double *values)
{
    values[0] = (double)r->entries;
    for (guint k = 1; k < FS_WINDOW_SCORED; k++)
        values[k] = (double)r->counts[k - 1];
}

/* The six keys of one distribution (name_max, _mean, _perc25, _perc50,
 * _perc75, _perc90); null when it has no values. */
static void emit_distribution(fs_sink *sink, const char *name, const struct dist *d)
{
    char key[128];
    g_snprintf(key, sizeof(key), "%s_max", name);
    fs_sink_key(sink, key);
    if (d->n > 0)
        fs_sink_int(sink, (gint64)d->max);
    else
        fs_sink_null(sink);
    g_snprintf(key, sizeof(key), "%s_mean", name);
    fs_sink_key(sink, key);
    if (d->n > 0)
        fs_sink_double(sink, d->mean);
    else
        fs_sink_null(sink);
    for (gsize i = 0; i < QUANTILES; i++) {
        g_snprintf(key, sizeof(key), "%s_%s", name, quantiles[i].suffix);
        fs_sink_key(sink, key);
        if (d->n > 0)
            fs_sink_double(sink, d->perc[i]);
        else
            fs_sink_null(sink);
    }
}

/* One row as a record. z: its FS_WINDOW_SCORED z-scores (--score), or
 * NULL. */
static void emit_row(fs_sink *sink, const struct row *r, gint64 seconds_ns, gboolean with_states,
        const double *z)
{
    static const char *const count_names[FS_WINDOW_SCORED - 1] = {
        "count_dst_port",
        "count_src_port",
        "count_dst_ip",
        "count_src_ip",
        "count_conns",
        "count_flows",
    };
    fs_sink_begin_record(sink);
    emit_window_start(sink, r->index * seconds_ns);
    fs_sink_key_int(sink, "num_entries", (gint64)r->entries);
    fs_sink_key_int(sink, "bytes_up", (gint64)r->bytes_up);
    fs_sink_key_int(sink, "bytes_down", (gint64)r->bytes_down);
    fs_sink_key_int(sink, "packets_up", (gint64)r->packets_up);
    fs_sink_key_int(sink, "packets_down", (gint64)r->packets_down);
    for (guint k = 0; k < FS_WINDOW_SCORED - 1; k++)
        fs_sink_key_int(sink, count_names[k], (gint64)r->counts[k]);
    fs_sink_key(sink, "num_flows_per_conn_mean");
    guint64 conns = r->counts[4], flows = r->counts[5];
    if (conns > 0)
        fs_sink_double(sink, (double)flows / (double)conns);
    else
        fs_sink_null(sink);
    for (guint d = 0; d < DISTS; d++)
        emit_distribution(sink, dist_names[d], &r->dists[d]);
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
            fs_sink_key_int(sink, names[k], (gint64)r->states[k]);
    }
    if (z)
        emit_scores(sink, z);
    fs_sink_end_record(sink);
}

void fs_window_emit_empty(fs_sink *sink, gboolean with_states, gboolean score)
{
    static const double zeros[FS_WINDOW_SCORED] = { 0 };
    struct row r;
    row_empty(&r, 0);
    emit_row(sink, &r, 1, with_states, score ? zeros : NULL);
}

/* ---- closing and writing ---- */

static int compare_indexes(const void *pa, const void *pb)
{
    gint64 a = **(gint64 *const *)pa, b = **(gint64 *const *)pb;
    return (a > b) - (a < b);
}

void fs_window_set_close_before(fs_window_set *set, gint64 limit)
{
    if (set->closed && limit <= set->closed_below)
        return;
    guint n = 0;
    gpointer *keys = g_hash_table_get_keys_as_array(set->windows, &n);
    qsort(keys, n, sizeof(gpointer), compare_indexes);
    for (guint i = 0; i < n && *(gint64 *)keys[i] < limit; i++) {
        struct window *w = g_hash_table_lookup(set->windows, keys[i]);
        struct row r;
        row_compute(&r, w);
        g_array_append_val(set->rows, r);
        g_hash_table_remove(set->windows, keys[i]); /* frees w and its key */
    }
    g_free(keys);
    set->closed_below = limit;
    set->closed = TRUE;
}

/* Writes one row, after the empty rows (empty_windows) between the last
 * row written and it. */
static void write_row(fs_window_set *set, fs_sink *sink, const struct row *r,
        gboolean empty_windows, const double *z)
{
    if (empty_windows && set->written > 0) {
        for (gint64 e = set->last_written + 1; e < r->index; e++) {
            struct row gap;
            row_empty(&gap, e);
            emit_row(sink, &gap, set->seconds_ns, set->with_states, NULL);
            set->written++;
        }
    }
    emit_row(sink, r, set->seconds_ns, set->with_states, z);
    set->last_written = r->index;
    set->written++;
}

void fs_window_set_write_closed(fs_window_set *set, fs_sink *sink, gboolean empty_windows)
{
    for (guint i = 0; i < set->rows->len; i++)
        write_row(set, sink, &g_array_index(set->rows, struct row, i), empty_windows, NULL);
    g_array_set_size(set->rows, 0);
}

guint64 fs_window_set_finish(
        fs_window_set *set, fs_sink *sink, gboolean empty_windows, gboolean score)
{
    fs_window_set_close_before(set, G_MAXINT64);
    if (!score) {
        fs_window_set_write_closed(set, sink, empty_windows);
        return set->written;
    }
    /* --score: every row of the run (the empty ones too with
     * empty_windows), then per key the median and the MAD over all rows,
     * then each row's z-scores. Rows are only held, never written before
     * (fs_window_set_write_closed is not called with score). */
    GArray *all = set->rows;
    if (empty_windows && all->len > 1) {
        all = g_array_new(FALSE, FALSE, sizeof(struct row));
        for (guint i = 0; i < set->rows->len; i++) {
            const struct row *r = &g_array_index(set->rows, struct row, i);
            for (gint64 e = i > 0 ? g_array_index(all, struct row, all->len - 1).index + 1
                                  : r->index;
                    e < r->index; e++) {
                struct row gap;
                row_empty(&gap, e);
                g_array_append_val(all, gap);
            }
            g_array_append_val(all, *r);
        }
    }
    guint m = all->len;
    double *z = g_new(double, (gsize)(m > 0 ? m : 1) * FS_WINDOW_SCORED);
    for (guint r = 0; r < m; r++)
        row_scored(&g_array_index(all, struct row, r), z + (gsize)r * FS_WINDOW_SCORED);
    double *column = g_new(double, m > 0 ? m : 1);
    for (guint k = 0; m > 0 && k < FS_WINDOW_SCORED; k++) {
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
    for (guint r = 0; r < m; r++)
        write_row(set, sink, &g_array_index(all, struct row, r), FALSE,
                z + (gsize)r * FS_WINDOW_SCORED);
    g_free(z);
    if (all != set->rows)
        g_array_free(all, TRUE);
    g_array_set_size(set->rows, 0);
    return set->written;
}
