/* cflows.c: see cflows.h. Records are filtered as they come and only what
 * the vectors need is kept per retained flow (its C-flow, first packet
 * time, ppf, bpp and bps). At the end the C-flows are sorted into key
 * order, the flows sorted by C-flow and time, and every histogram and
 * statistic computed from those two arrays. The fph samples (S slot counts
 * per C-flow, mostly zeros) are never stored one by one: a C-flow keeps
 * the counts of its occupied slots, and its zeros are S minus their
 * number, so a small time unit over a long batch costs no memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cflows.h"
#include "filters.h"
#include "dbscan.h"

#define NS_PER_SEC 1e9

const guint fs_cflows_percentiles[FS_CFLOWS_BINS - 1] = { 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80,
    90 };

static const char *const feature_names[FS_CFLOWS_FEATURES] = { "fph", "ppf", "bpp", "bps" };

/* IP protocol numbers of the protocols records name, for the key order;
 * any other name sorts after them, by its text. */
static const struct {
    const char *name;
    guint number;
} protocol_numbers[] = {
    { "icmp", 1 },
    { "igmp", 2 },
    { "tcp", 6 },
    { "udp", 17 },
    { "gre", 47 },
    { "esp", 50 },
    { "ah", 51 },
    { "icmpv6", 58 },
    { "sctp", 132 },
};
#define PROTOCOL_UNKNOWN 256

/* A C-flow while the batch is read; pub is what the accessors give. */
struct cflow {
    struct fs_cflow pub;
    char *protocol, *src, *dst; /* owned; pub points to them */
    guint protocol_number;
    struct fs_host_key src_key, dst_key;
    gboolean src_parsed, dst_parsed;
    guint index;         /* its place in key order, set by finish */
    guint64 slots_start; /* its occupied slots' counts in fph_counts */
    guint64 slots_used;
};

/* A retained flow. */
struct flow {
    struct cflow *cflow;
    gint64 first_ns;
    double values[FS_CFLOWS_FEATURES]; /* [FS_CFLOWS_FPH] unused */
};

struct fs_cflows {
    struct fs_cflows_options opts;
    struct fs_cflows_counts counts;
    GHashTable *by_key; /* "proto\x1fsrc\x1fdst\x1fdport" (owned) -> struct cflow (borrowed) */
    GPtrArray *cflows;  /* struct cflow (owned); key order after finish */
    GArray *flows;      /* struct flow */
    gint64 t0, t1;      /* first and last packet of the retained flows */
    guint64 slots;      /* S */
    double splits[FS_CFLOWS_FEATURES][FS_CFLOWS_SPLITS];
    guint64 samples[FS_CFLOWS_FEATURES]; /* N of each pool */
    GArray *fph_counts;                  /* double: the occupied slots' counts */
    guint clusters;
    GPtrArray *hosts; /* per cluster: GPtrArray of borrowed src texts */
    gboolean finished;
};

static void cflow_free(gpointer p)
{
    struct cflow *cf = p;
    g_free(cf->protocol);
    g_free(cf->src);
    g_free(cf->dst);
    g_free(cf);
}

fs_cflows *fs_cflows_new(const struct fs_cflows_options *opts)
{
    fs_cflows *c = g_new0(fs_cflows, 1);
    c->opts = *opts;
    c->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->cflows = g_ptr_array_new_with_free_func(cflow_free);
    c->flows = g_array_new(FALSE, FALSE, sizeof(struct flow));
    c->fph_counts = g_array_new(FALSE, FALSE, sizeof(double));
    c->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    return c;
}

void fs_cflows_free(fs_cflows *c)
{
    if (!c)
        return;
    g_hash_table_destroy(c->by_key);
    g_ptr_array_free(c->cflows, TRUE);
    g_array_free(c->flows, TRUE);
    g_array_free(c->fph_counts, TRUE);
    g_ptr_array_free(c->hosts, TRUE);
    g_free(c);
}

/* ---- reading the batch ---- */

static guint protocol_number(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(protocol_numbers); i++) {
        if (strcmp(protocol_numbers[i].name, name) == 0)
            return protocol_numbers[i].number;
    }
    return PROTOCOL_UNKNOWN;
}

static struct cflow *cflow_get(fs_cflows *c, const struct fs_read_record *rec)
{
    char *key = g_strdup_printf(
            "%s\x1f%s\x1f%s\x1f%" G_GINT64_FORMAT, rec->protocol, rec->src, rec->dst, rec->dport);
    struct cflow *cf = g_hash_table_lookup(c->by_key, key);
    if (cf) {
        g_free(key);
        return cf;
    }
    cf = g_new0(struct cflow, 1);
    cf->protocol = g_strdup(rec->protocol);
    cf->src = g_strdup(rec->src);
    cf->dst = g_strdup(rec->dst);
    cf->protocol_number = protocol_number(rec->protocol);
    cf->src_parsed = fs_host_key_parse(rec->src, &cf->src_key);
    cf->dst_parsed = fs_host_key_parse(rec->dst, &cf->dst_key);
    cf->pub.protocol = cf->protocol;
    cf->pub.src = cf->src;
    cf->pub.dst = cf->dst;
    cf->pub.dport = rec->dport;
    cf->pub.cluster = FS_DBSCAN_NOISE;
    g_ptr_array_add(c->cflows, cf);
    g_hash_table_insert(c->by_key, key, cf);
    return cf;
}

void fs_cflows_add_record(fs_cflows *c, const struct fs_read_record *rec)
{
    g_return_if_fail(!c->finished);
    c->counts.records++;
    if (!fs_botnet_f2(rec, c->opts.established)) {
        c->counts.dropped_f2++;
        return;
    }
    if (fs_host_ranges_size(c->opts.internal) > 0 &&
            (!fs_host_ranges_match(c->opts.internal, rec->src) ||
                    fs_host_ranges_match(c->opts.internal, rec->dst))) {
        c->counts.dropped_f1++;
        return;
    }
    if (fs_host_ranges_match(c->opts.whitelist, rec->dst)) {
        c->counts.dropped_f3++;
        return;
    }
    c->counts.kept++;
    guint64 bytes = 0;
    gint64 first = rec->times_ns[0], last = rec->times_ns[0];
    for (guint i = 0; i < rec->packets; i++) {
        bytes += (guint64)(rec->lengths[i] < 0 ? -rec->lengths[i] : rec->lengths[i]);
        first = MIN(first, rec->times_ns[i]);
        last = MAX(last, rec->times_ns[i]);
    }
    /* The duration as the difference of exact nanoseconds, converted once. */
    double duration = (double)(last - first) / NS_PER_SEC;
    struct flow f = { .cflow = cflow_get(c, rec), .first_ns = first };
    f.values[FS_CFLOWS_PPF] = rec->packets;
    f.values[FS_CFLOWS_BPP] = (double)bytes / rec->packets;
    f.values[FS_CFLOWS_BPS] = (double)bytes / (last > first ? duration : FS_CFLOWS_ZERO_DURATION_S);
    g_array_append_val(c->flows, f);
    f.cflow->pub.flows++;
    if (c->counts.kept == 1 || first < c->t0)
        c->t0 = first;
    if (c->counts.kept == 1 || last > c->t1)
        c->t1 = last;
}

/* ---- split points and bins ---- */

guint64 fs_cflows_quantile_index(guint64 n, guint pct)
{
    /* floor(n * pct / 100) without overflow for any n. */
    return (n / 100) * pct + (n % 100) * pct / 100;
}

/* Split points of n >= 1 sorted samples given by at(data, k). */
static void split_points_at(
        guint64 n, double (*at)(const void *data, guint64 k), const void *data, double *splits)
{
    splits[0] = -1;
    for (guint i = 0; i < FS_CFLOWS_BINS - 1; i++)
        splits[i + 1] = at(data, fs_cflows_quantile_index(n, fs_cflows_percentiles[i]));
    splits[FS_CFLOWS_BINS] = at(data, n - 1);
}

static double array_at(const void *data, guint64 k)
{
    return ((const double *)data)[k];
}

void fs_cflows_split_points(const double *sorted, guint64 n, double *splits)
{
    split_points_at(n, array_at, sorted, splits);
}

guint fs_cflows_bin(const double *splits, double x)
{
    guint i = 0;
    while (i < FS_CFLOWS_BINS - 1 && x > splits[i + 1])
        i++;
    return i;
}

static int compare_doubles(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The pooled fph samples in sorted order: zeros (the unoccupied slots of
 * every C-flow), then the occupied slots' counts, sorted. */
struct fph_pool {
    guint64 zeros;
    const double *sorted; /* the occupied slots' counts */
};

static double fph_at(const void *data, guint64 k)
{
    const struct fph_pool *pool = data;
    return k < pool->zeros ? 0 : pool->sorted[k - pool->zeros];
}

/* ---- the end of the batch ---- */

static int compare_host(const struct fs_host_key *ka, gboolean pa, const char *a,
        const struct fs_host_key *kb, gboolean pb, const char *b)
{
    if (pa && pb) {
        if (ka->family != kb->family)
            return ka->family < kb->family ? -1 : 1;
        return memcmp(ka->bytes, kb->bytes, sizeof(ka->bytes));
    }
    return fs_host_compare(a, b); /* unparsed addresses: its rule */
}

/* Key order: protocol number (then name), src, dst, dport. */
static int compare_cflows(const void *pa, const void *pb)
{
    const struct cflow *a = *(const struct cflow *const *)pa;
    const struct cflow *b = *(const struct cflow *const *)pb;
    if (a->protocol_number != b->protocol_number)
        return a->protocol_number < b->protocol_number ? -1 : 1;
    int r = strcmp(a->protocol, b->protocol);
    if (r == 0)
        r = compare_host(&a->src_key, a->src_parsed, a->src, &b->src_key, b->src_parsed, b->src);
    if (r == 0)
        r = compare_host(&a->dst_key, a->dst_parsed, a->dst, &b->dst_key, b->dst_parsed, b->dst);
    if (r == 0)
        r = (a->pub.dport > b->pub.dport) - (a->pub.dport < b->pub.dport);
    return r;
}

/* Flows by C-flow (key order), then first packet time. */
static int compare_flows(const void *pa, const void *pb)
{
    const struct flow *a = pa, *b = pb;
    if (a->cflow->index != b->cflow->index)
        return a->cflow->index < b->cflow->index ? -1 : 1;
    return (a->first_ns > b->first_ns) - (a->first_ns < b->first_ns);
}

static int compare_host_texts(gconstpointer pa, gconstpointer pb)
{
    return fs_host_compare(*(const char *const *)pa, *(const char *const *)pb);
}

/* fph: each C-flow's occupied slots' counts into fph_counts (flows sorted
 * by C-flow and time, so a slot's flows are adjacent), the pooled split
 * points, then each C-flow's histogram, mean and variance over its S
 * samples. */
static void finish_fph(fs_cflows *c)
{
    guint64 s = c->slots;
    gint64 unit = c->opts.time_unit_ns;
    for (guint i = 0; i < c->flows->len;) {
        struct flow *f = &g_array_index(c->flows, struct flow, i);
        struct cflow *cf = f->cflow;
        cf->slots_start = c->fph_counts->len;
        while (i < c->flows->len && g_array_index(c->flows, struct flow, i).cflow == cf) {
            gint64 slot = (g_array_index(c->flows, struct flow, i).first_ns - c->t0) / unit;
            double count = 0;
            while (i < c->flows->len && g_array_index(c->flows, struct flow, i).cflow == cf &&
                    (g_array_index(c->flows, struct flow, i).first_ns - c->t0) / unit == slot) {
                count++;
                i++;
            }
            g_array_append_val(c->fph_counts, count);
        }
        cf->slots_used = c->fph_counts->len - cf->slots_start;
    }
    guint64 n_cflows = c->cflows->len;
    /* N = C-flows * S, saturated (only an absurd time unit gets there). */
    guint64 n = s > G_MAXUINT64 / n_cflows ? G_MAXUINT64 : n_cflows * s;
    double *sorted = g_memdup2(c->fph_counts->data, c->fph_counts->len * sizeof(double));
    qsort(sorted, c->fph_counts->len, sizeof(double), compare_doubles);
    struct fph_pool pool = { .zeros = n - c->fph_counts->len, .sorted = sorted };
    c->samples[FS_CFLOWS_FPH] = n;
    split_points_at(n, fph_at, &pool, c->splits[FS_CFLOWS_FPH]);
    g_free(sorted);

    const double *splits = c->splits[FS_CFLOWS_FPH];
    for (guint k = 0; k < c->cflows->len; k++) {
        struct cflow *cf = g_ptr_array_index(c->cflows, k);
        const double *counts = &g_array_index(c->fph_counts, double, cf->slots_start);
        double *hist = cf->pub.vector + FS_CFLOWS_FPH * FS_CFLOWS_BINS;
        double zeros = (double)(s - cf->slots_used);
        double mean = cf->pub.flows / (double)s;
        double squares = zeros * mean * mean;
        hist[fs_cflows_bin(splits, 0)] += zeros;
        for (guint64 j = 0; j < cf->slots_used; j++) {
            hist[fs_cflows_bin(splits, counts[j])] += 1;
            squares += (counts[j] - mean) * (counts[j] - mean);
        }
        for (guint b = 0; b < FS_CFLOWS_BINS; b++)
            hist[b] /= (double)s;
        cf->pub.vector8[2 * FS_CFLOWS_FPH] = mean;
        cf->pub.vector8[2 * FS_CFLOWS_FPH + 1] = squares / (double)s;
    }
}

/* ppf, bpp and bps: the pooled split points over every retained flow, then
 * each C-flow's histogram over its flows and their mean and variance (two
 * passes, as numpy.var). */
static void finish_flow_feature(fs_cflows *c, enum fs_cflows_feature feature)
{
    guint n = c->flows->len;
    double *sorted = g_new(double, n);
    for (guint i = 0; i < n; i++)
        sorted[i] = g_array_index(c->flows, struct flow, i).values[feature];
    qsort(sorted, n, sizeof(double), compare_doubles);
    c->samples[feature] = n;
    fs_cflows_split_points(sorted, n, c->splits[feature]);
    g_free(sorted);

    const double *splits = c->splits[feature];
    for (guint i = 0; i < n;) {
        struct cflow *cf = g_array_index(c->flows, struct flow, i).cflow;
        guint end = i + cf->pub.flows;
        double *hist = cf->pub.vector + feature * FS_CFLOWS_BINS;
        double sum = 0;
        for (guint j = i; j < end; j++) {
            double x = g_array_index(c->flows, struct flow, j).values[feature];
            hist[fs_cflows_bin(splits, x)] += 1;
            sum += x;
        }
        double mean = sum / cf->pub.flows, squares = 0;
        for (guint j = i; j < end; j++) {
            double d = g_array_index(c->flows, struct flow, j).values[feature] - mean;
            squares += d * d;
        }
        for (guint b = 0; b < FS_CFLOWS_BINS; b++)
            hist[b] /= cf->pub.flows;
        cf->pub.vector8[2 * feature] = mean;
        cf->pub.vector8[2 * feature + 1] = squares / cf->pub.flows;
        i = end;
    }
}

/* DBSCAN on the 52-dimensional vectors in key order, and each cluster's
 * distinct sources. */
static void finish_clusters(fs_cflows *c)
{
    guint n = c->cflows->len;
    double *points = g_new(double, (gsize)n *FS_CFLOWS_DIMS);
    gint *labels = g_new(gint, n);
    for (guint k = 0; k < n; k++) {
        const struct cflow *cf = g_ptr_array_index(c->cflows, k);
        memcpy(points + (gsize)k * FS_CFLOWS_DIMS, cf->pub.vector, sizeof(cf->pub.vector));
    }
    c->clusters = fs_dbscan(points, n, FS_CFLOWS_DIMS, c->opts.eps, c->opts.min_pts, labels);
    GHashTable **seen = g_new0(GHashTable *, c->clusters);
    for (guint k = 0; k < c->clusters; k++) {
        seen[k] = g_hash_table_new(g_str_hash, g_str_equal);
        g_ptr_array_add(c->hosts, g_ptr_array_new());
    }
    for (guint k = 0; k < n; k++) {
        struct cflow *cf = g_ptr_array_index(c->cflows, k);
        cf->pub.cluster = labels[k];
        if (labels[k] == FS_DBSCAN_NOISE || !g_hash_table_add(seen[labels[k]], cf->src))
            continue;
        g_ptr_array_add(g_ptr_array_index(c->hosts, labels[k]), cf->src);
    }
    for (guint k = 0; k < c->clusters; k++) {
        g_ptr_array_sort(g_ptr_array_index(c->hosts, k), compare_host_texts);
        g_hash_table_destroy(seen[k]);
    }
    g_free(seen);
    g_free(labels);
    g_free(points);
}

void fs_cflows_finish(fs_cflows *c)
{
    g_return_if_fail(!c->finished);
    c->finished = TRUE;
    g_ptr_array_sort(c->cflows, compare_cflows);
    for (guint k = 0; k < c->cflows->len; k++)
        ((struct cflow *)g_ptr_array_index(c->cflows, k))->index = k;
    if (c->flows->len == 0)
        return;
    g_array_sort(c->flows, compare_flows);
    c->slots = (guint64)((c->t1 - c->t0) / c->opts.time_unit_ns) + 1;
    finish_fph(c);
    finish_flow_feature(c, FS_CFLOWS_PPF);
    finish_flow_feature(c, FS_CFLOWS_BPP);
    finish_flow_feature(c, FS_CFLOWS_BPS);
    finish_clusters(c);
}

/* ---- accessors ---- */

const struct fs_cflows_counts *fs_cflows_get_counts(const fs_cflows *c)
{
    return &c->counts;
}

guint fs_cflows_size(const fs_cflows *c)
{
    return c->cflows->len;
}

const struct fs_cflow *fs_cflows_get(const fs_cflows *c, guint i)
{
    g_return_val_if_fail(i < c->cflows->len, NULL);
    return &((const struct cflow *)g_ptr_array_index(c->cflows, i))->pub;
}

void fs_cflows_get_span(const fs_cflows *c, gint64 *t0_ns, gint64 *t1_ns, guint64 *slots)
{
    *t0_ns = c->flows->len ? c->t0 : 0;
    *t1_ns = c->flows->len ? c->t1 : 0;
    *slots = c->slots;
}

const double *fs_cflows_get_splits(const fs_cflows *c, enum fs_cflows_feature feature, guint64 *n)
{
    *n = c->samples[feature];
    return *n ? c->splits[feature] : NULL;
}

guint fs_cflows_clusters(const fs_cflows *c)
{
    return c->clusters;
}

const GPtrArray *fs_cflows_cluster_hosts(const fs_cflows *c, guint k)
{
    g_return_val_if_fail(k < c->clusters, NULL);
    return g_ptr_array_index(c->hosts, k);
}

const char *fs_cflows_feature_name(enum fs_cflows_feature feature)
{
    return feature < FS_CFLOWS_FEATURES ? feature_names[feature] : "?";
}

/* ---- output ---- */

static void emit_row(fs_sink *sink, const struct fs_cflow *cf)
{
    static const char *const stats[2] = { "mean", "var" };
    char name[32];
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "protocol", cf->protocol);
    fs_sink_key_string(sink, "src", cf->src);
    fs_sink_key_string(sink, "dst", cf->dst);
    fs_sink_key_int(sink, "dport", cf->dport);
    fs_sink_key_int(sink, "flows", cf->flows);
    fs_sink_key_int(sink, "cluster", cf->cluster);
    for (guint f = 0; f < FS_CFLOWS_FEATURES; f++) {
        for (guint b = 0; b < FS_CFLOWS_BINS; b++) {
            g_snprintf(name, sizeof(name), "%s_%u", feature_names[f], b);
            fs_sink_key(sink, name);
            fs_sink_double(sink, cf->vector[f * FS_CFLOWS_BINS + b]);
        }
    }
    for (guint f = 0; f < FS_CFLOWS_FEATURES; f++) {
        for (guint s = 0; s < 2; s++) {
            g_snprintf(name, sizeof(name), "%s_%s", feature_names[f], stats[s]);
            fs_sink_key(sink, name);
            fs_sink_double(sink, cf->vector8[2 * f + s]);
        }
    }
    fs_sink_end_record(sink);
}

void fs_cflows_emit_rows(const fs_cflows *c, fs_sink *sink)
{
    for (guint k = 0; k < c->cflows->len; k++)
        emit_row(sink, fs_cflows_get(c, k));
}

void fs_cflows_emit_empty(fs_sink *sink)
{
    const struct fs_cflow empty = {
        .protocol = "", .src = "", .dst = "", .cluster = FS_DBSCAN_NOISE
    };
    emit_row(sink, &empty);
}
