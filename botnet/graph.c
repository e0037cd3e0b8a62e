/* graph.c: see graph.h. Records go into hash tables (hosts by name, edge
 * weights by host pair, (src, dport) pairs); fs_graph_finish() numbers the
 * hosts in address order, hands the edges to igraph for the degrees and
 * the egonet counts (local scan statistics, k = 1), fits the two laws in
 * closed form and derives the rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <igraph.h>

#include "graph.h"
#include "filters.h"

/* An edge between the hosts of address ranks u < v. */
struct graph_edge {
    guint u, v;
    gint64 weight;
};

struct fs_graph {
    struct fs_graph_options opts;
    gboolean finished;
    /* Filled by fs_graph_add_record(). */
    GPtrArray *names;    /* char * (owned), hosts in order of first appearance */
    GHashTable *index;   /* name (borrowed from names) -> its index + 1 */
    GHashTable *weights; /* gint64 * (smaller index << 32 | larger) -> flows (GSIZE_TO_POINTER) */
    GHashTable *ports;   /* set of gint64 * (src index << 32 | dport) */
    /* Made by fs_graph_finish(). */
    const char **sorted; /* names in address order (borrowed from names) */
    double *node_g;      /* g of each host in address order */
    struct graph_edge *edges;
    guint n_edges;
    struct fs_graph_host *rows; /* in output order */
    struct fs_graph_law edpl, ewpl;
};

fs_graph *fs_graph_new(const struct fs_graph_options *opts)
{
    fs_graph *g = g_new0(fs_graph, 1);
    g->opts = *opts;
    g->names = g_ptr_array_new_with_free_func(g_free);
    g->index = g_hash_table_new(g_str_hash, g_str_equal);
    g->weights = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g->ports = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return g;
}

/* The index of host name, added when new. */
static guint host_index(fs_graph *g, const char *name)
{
    gpointer found = g_hash_table_lookup(g->index, name);
    if (found)
        return GPOINTER_TO_UINT(found) - 1;
    char *copy = g_strdup(name);
    g_ptr_array_add(g->names, copy);
    g_hash_table_insert(g->index, copy, GUINT_TO_POINTER(g->names->len));
    return g->names->len - 1;
}

gboolean fs_graph_add_record(fs_graph *g, const struct fs_read_record *rec)
{
    g_return_val_if_fail(!g->finished, FALSE);
    if (!fs_botnet_f2(rec, g->opts.established))
        return FALSE;
    guint a = host_index(g, rec->src), b = host_index(g, rec->dst);
    if (a != b) {
        gint64 key = (gint64)MIN(a, b) << 32 | MAX(a, b);
        gpointer old = g_hash_table_lookup(g->weights, &key);
        if (old)
            g_hash_table_insert(g->weights, g_memdup2(&key, sizeof(key)),
                    GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + 1));
        else
            g_hash_table_insert(g->weights, g_memdup2(&key, sizeof(key)), GSIZE_TO_POINTER(1));
    }
    gint64 port = (gint64)a << 32 | (guint32)rec->dport;
    if (!g_hash_table_contains(g->ports, &port))
        g_hash_table_add(g->ports, g_memdup2(&port, sizeof(port)));
    return TRUE;
}

/* ---- the pieces ---- */

/* Two unknowns: the normal equations are 2 × 2 and solve in closed form
 * (slope = Sxy / Sxx over centred sums, intercept = ȳ − slope·x̄), with no
 * linear-algebra library; centring first keeps the sums free of the
 * cancellation of the textbook n·Σxy − Σx·Σy. */
gboolean fs_graph_fit_line(
        const double *x, const double *y, guint n, double *slope, double *intercept)
{
    *slope = *intercept = 0;
    gboolean varied = FALSE;
    for (guint i = 1; i < n && !varied; i++)
        varied = x[i] != x[0];
    if (!varied)
        return FALSE;
    double mx = 0, my = 0;
    for (guint i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (guint i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    *slope = sxy / sxx;
    *intercept = my - *slope * mx;
    return TRUE;
}

double fs_graph_outline(double y, double yhat)
{
    return MAX(y, yhat) / MIN(y, yhat) * log(fabs(y - yhat) + 1);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n > 0 values, sorting them in place. */
static double median(double *v, guint n)
{
    qsort(v, n, sizeof(*v), compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void fs_graph_robust_z(const double *values, guint n, double *z)
{
    if (n == 0)
        return;
    double *work = g_new(double, n);
    memcpy(work, values, n * sizeof(*work));
    double med = median(work, n);
    for (guint i = 0; i < n; i++)
        work[i] = fabs(values[i] - med);
    double mad = median(work, n);
    for (guint i = 0; i < n; i++)
        z[i] = mad == 0 ? 0.0 : (values[i] - med) / (1.4826 * mad);
    g_free(work);
}

/* ---- finish ---- */

/* A host and its sort key, for numbering the hosts in address order. */
struct host_slot {
    struct fs_host_key key;
    gboolean parsed;
    const char *name;
    guint index; /* in order of first appearance */
};

/* fs_host_compare()'s order on keys parsed once. */
static int compare_slots(const void *pa, const void *pb)
{
    const struct host_slot *a = pa, *b = pb;
    if (a->parsed != b->parsed)
        return a->parsed ? -1 : 1;
    if (!a->parsed)
        return strcmp(a->name, b->name);
    if (a->key.family != b->key.family)
        return a->key.family < b->key.family ? -1 : 1;
    return memcmp(a->key.bytes, b->key.bytes, sizeof(a->key.bytes));
}

static int compare_edges(const void *pa, const void *pb)
{
    const struct graph_edge *a = pa, *b = pb;
    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    return (a->v > b->v) - (a->v < b->v);
}

/* Rows in output order: descending g, then address rank. */
static int compare_rows(const void *pa, const void *pb, void *data)
{
    const double *node_g = data;
    guint a = *(const guint *)pa, b = *(const guint *)pb;
    if (node_g[a] != node_g[b])
        return node_g[a] > node_g[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* Fits ln y = slope·ln x + intercept over the hosts with a neighbour
 * (those of n[i] > 0) and fills pred with e^intercept·x^slope there, NAN
 * elsewhere and everywhere when the law is skipped. */
static void fit_law(const gint64 *n, const gint64 *x, const gint64 *y, guint hosts,
        struct fs_graph_law *law, double *pred)
{
    double *lx = g_new(double, hosts), *ly = g_new(double, hosts);
    guint m = 0;
    for (guint i = 0; i < hosts; i++) {
        if (n[i] > 0) {
            lx[m] = log((double)x[i]);
            ly[m] = log((double)y[i]);
            m++;
        }
    }
    law->skipped = !fs_graph_fit_line(lx, ly, m, &law->slope, &law->intercept);
    for (guint i = 0; i < hosts; i++)
        pred[i] = law->skipped || n[i] == 0 ? NAN
                                            : exp(law->intercept) * pow((double)x[i], law->slope);
    g_free(lx);
    g_free(ly);
}

/* The graph of the edges (address ranks) in igraph, undirected, with its
 * weights in *weights when weights is not NULL (the caller destroys
 * both). */
static igraph_error_t make_igraph(
        const fs_graph *g, guint hosts, igraph_t *graph, igraph_vector_t *weights)
{
    igraph_vector_int_t ends;
    igraph_error_t err = igraph_vector_int_init(&ends, 2 * (igraph_integer_t)g->n_edges);
    if (err != IGRAPH_SUCCESS)
        return err;
    for (guint i = 0; i < g->n_edges; i++) {
        VECTOR(ends)[2 * i] = g->edges[i].u;
        VECTOR(ends)[2 * i + 1] = g->edges[i].v;
    }
    err = igraph_create(graph, &ends, hosts, IGRAPH_UNDIRECTED);
    igraph_vector_int_destroy(&ends);
    if (err != IGRAPH_SUCCESS || !weights)
        return err;
    err = igraph_vector_init(weights, g->n_edges);
    if (err != IGRAPH_SUCCESS) {
        igraph_destroy(graph);
        return err;
    }
    for (guint i = 0; i < g->n_edges; i++)
        VECTOR(*weights)[i] = (igraph_real_t)g->edges[i].weight;
    return IGRAPH_SUCCESS;
}

/* N, E and W of every host (address order) by igraph. */
static igraph_error_t egonets(const fs_graph *g, guint hosts, gint64 *n, gint64 *e, gint64 *w)
{
    igraph_t graph;
    igraph_vector_t weights, ecount, wsum;
    igraph_vector_int_t degree;
    igraph_error_t err = make_igraph(g, hosts, &graph, &weights);
    if (err != IGRAPH_SUCCESS)
        return err;
    igraph_vector_int_init(&degree, 0);
    igraph_vector_init(&ecount, 0);
    igraph_vector_init(&wsum, 0);
    /* No loops and no multiple edges are made: the degree is N. */
    err = igraph_degree(&graph, &degree, igraph_vss_all(), IGRAPH_ALL, IGRAPH_NO_LOOPS);
    if (err == IGRAPH_SUCCESS)
        err = igraph_local_scan_1_ecount(&graph, &ecount, NULL, IGRAPH_ALL);
    if (err == IGRAPH_SUCCESS)
        err = igraph_local_scan_1_ecount(&graph, &wsum, &weights, IGRAPH_ALL);
    if (err == IGRAPH_SUCCESS) {
        for (guint i = 0; i < hosts; i++) {
            n[i] = VECTOR(degree)[i];
            /* Counts and sums of whole flows: exact in a double. */
            e[i] = (gint64)VECTOR(ecount)[i];
            w[i] = (gint64)VECTOR(wsum)[i];
        }
    }
    igraph_vector_destroy(&wsum);
    igraph_vector_destroy(&ecount);
    igraph_vector_int_destroy(&degree);
    igraph_vector_destroy(&weights);
    igraph_destroy(&graph);
    return err;
}

enum fs_status fs_graph_finish(fs_graph *g, char **errmsg)
{
    g_return_val_if_fail(!g->finished, FS_ERR_INIT);
    g->finished = TRUE;
    guint hosts = g->names->len;

    /* Hosts numbered in address order: rank[index of first appearance]. */
    struct host_slot *slots = g_new0(struct host_slot, hosts);
    for (guint i = 0; i < hosts; i++) {
        slots[i].name = g_ptr_array_index(g->names, i);
        slots[i].parsed = fs_host_key_parse(slots[i].name, &slots[i].key);
        slots[i].index = i;
    }
    if (hosts > 1) /* qsort wants a real pointer, even for 0 elements */
        qsort(slots, hosts, sizeof(*slots), compare_slots);
    guint *rank = g_new(guint, hosts);
    g->sorted = g_new(const char *, hosts);
    for (guint i = 0; i < hosts; i++) {
        rank[slots[i].index] = i;
        g->sorted[i] = slots[i].name;
    }
    g_free(slots);

    /* Edges between ranks, in address order. */
    g->n_edges = g_hash_table_size(g->weights);
    g->edges = g_new(struct graph_edge, g->n_edges);
    GHashTableIter it;
    gpointer key, value;
    guint k = 0;
    g_hash_table_iter_init(&it, g->weights);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        guint a = rank[*(gint64 *)key >> 32], b = rank[*(gint64 *)key & 0xffffffff];
        g->edges[k++] =
                (struct graph_edge){ MIN(a, b), MAX(a, b), (gint64)GPOINTER_TO_SIZE(value) };
    }
    if (g->n_edges > 1)
        qsort(g->edges, g->n_edges, sizeof(*g->edges), compare_edges);

    /* Distinct destination ports per source. */
    gint64 *ports = g_new0(gint64, hosts);
    g_hash_table_iter_init(&it, g->ports);
    while (g_hash_table_iter_next(&it, &key, NULL))
        ports[rank[*(gint64 *)key >> 32]]++;

    gint64 *n = g_new0(gint64, hosts), *e = g_new0(gint64, hosts), *w = g_new0(gint64, hosts);
    double *e_pred = g_new(double, hosts), *w_pred = g_new(double, hosts);
    double *peers = g_new(double, hosts), *dports = g_new(double, hosts);
    double *peers_z = g_new(double, hosts), *dports_z = g_new(double, hosts);
    guint *order = g_new(guint, hosts);
    enum fs_status status = FS_OK;
    igraph_error_t err = hosts > 0 ? egonets(g, hosts, n, e, w) : IGRAPH_SUCCESS;
    if (err != IGRAPH_SUCCESS) {
        if (errmsg)
            *errmsg = g_strdup_printf("graph: igraph: %s", igraph_strerror(err));
        status = FS_ERR_INIT;
        goto out;
    }
    fit_law(n, n, e, hosts, &g->edpl, e_pred);
    fit_law(n, e, w, hosts, &g->ewpl, w_pred);
    for (guint i = 0; i < hosts; i++) {
        peers[i] = (double)n[i];
        dports[i] = (double)ports[i];
    }
    fs_graph_robust_z(peers, hosts, peers_z);
    fs_graph_robust_z(dports, hosts, dports_z);

    g->node_g = g_new(double, hosts);
    g->rows = g_new0(struct fs_graph_host, hosts);
    for (guint i = 0; i < hosts; i++) {
        struct fs_graph_host *r = &g->rows[i];
        r->host = g->sorted[i];
        r->internal = fs_host_ranges_match(g->opts.internal, r->host);
        r->n = r->peers = n[i];
        r->e = e[i];
        r->w = w[i];
        r->e_pred = e_pred[i];
        r->w_pred = w_pred[i];
        r->out_edpl = isnan(e_pred[i]) ? 0.0 : fs_graph_outline((double)e[i], e_pred[i]);
        r->out_ewpl = isnan(w_pred[i]) ? 0.0 : fs_graph_outline((double)w[i], w_pred[i]);
        r->g = g->node_g[i] = MAX(r->out_edpl, r->out_ewpl);
        r->peers_z = peers_z[i];
        r->dst_ports = ports[i];
        r->dst_ports_z = dports_z[i];
        order[i] = i;
    }
    /* g_z: the robust z-score of ln(1 + g) among the internal hosts (g
     * spreads over orders of magnitude; the logarithm keeps a few very
     * high scores from hiding the rest), then the anomalous hosts. */
    double *log_g = g_new(double, hosts > 0 ? hosts : 1);
    double *log_z = g_new(double, hosts > 0 ? hosts : 1);
    guint m = 0;
    for (guint i = 0; i < hosts; i++)
        if (g->rows[i].internal)
            log_g[m++] = log1p(g->rows[i].g);
    fs_graph_robust_z(log_g, m, log_z);
    m = 0;
    for (guint i = 0; i < hosts; i++) {
        struct fs_graph_host *r = &g->rows[i];
        r->g_z = r->internal ? log_z[m++] : NAN;
        r->anomalous = r->internal && r->g >= g->opts.tau_g &&
                       (g->opts.tau_g_z <= 0 || r->g_z >= g->opts.tau_g_z);
    }
    g_free(log_z);
    g_free(log_g);
    /* The rows in output order. */
    g_qsort_with_data(order, (gint)hosts, sizeof(*order), compare_rows, g->node_g);
    struct fs_graph_host *by_rank = g->rows;
    g->rows = g_new(struct fs_graph_host, hosts);
    for (guint i = 0; i < hosts; i++)
        g->rows[i] = by_rank[order[i]];
    g_free(by_rank);
out:
    g_free(order);
    g_free(dports_z);
    g_free(peers_z);
    g_free(dports);
    g_free(peers);
    g_free(w_pred);
    g_free(e_pred);
    g_free(w);
    g_free(e);
    g_free(n);
    g_free(ports);
    g_free(rank);
    return status;
}

guint fs_graph_hosts(const fs_graph *g)
{
    return g->rows ? g->names->len : 0;
}

guint fs_graph_edges(const fs_graph *g)
{
    return g->n_edges;
}

const struct fs_graph_host *fs_graph_host(const fs_graph *g, guint i)
{
    g_return_val_if_fail(i < fs_graph_hosts(g), NULL);
    return &g->rows[i];
}

void fs_graph_laws(const fs_graph *g, struct fs_graph_law *edpl, struct fs_graph_law *ewpl)
{
    *edpl = g->edpl;
    *ewpl = g->ewpl;
}

/* ---- output ---- */

static void key_bool(fs_sink *sink, const char *key, gboolean value)
{
    fs_sink_key(sink, key);
    fs_sink_number_text(sink, value ? "true" : "false");
}

static void key_double(fs_sink *sink, const char *key, double value)
{
    fs_sink_key(sink, key);
    if (isnan(value))
        fs_sink_null(sink);
    else
        fs_sink_double(sink, value);
}

/* One row: the keys of doc/botnet.md, in its order. */
static void emit_row(fs_sink *sink, const struct fs_graph_host *r)
{
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "host", r->host);
    key_bool(sink, "internal", r->internal);
    fs_sink_key_int(sink, "n", r->n);
    fs_sink_key_int(sink, "e", r->e);
    fs_sink_key_int(sink, "w", r->w);
    key_double(sink, "e_pred", r->e_pred);
    key_double(sink, "w_pred", r->w_pred);
    key_double(sink, "out_edpl", r->out_edpl);
    key_double(sink, "out_ewpl", r->out_ewpl);
    key_double(sink, "g", r->g);
    fs_sink_key_int(sink, "peers", r->peers);
    key_double(sink, "peers_z", r->peers_z);
    fs_sink_key_int(sink, "dst_ports", r->dst_ports);
    key_double(sink, "dst_ports_z", r->dst_ports_z);
    key_double(sink, "g_z", r->g_z);
    key_bool(sink, "graph_anomalous", r->anomalous);
    fs_sink_end_record(sink);
}

void fs_graph_emit(const fs_graph *g, fs_sink *sink)
{
    for (guint i = 0; i < fs_graph_hosts(g); i++)
        emit_row(sink, &g->rows[i]);
}

void fs_graph_emit_keys(fs_sink *collector)
{
    const struct fs_graph_host empty = { .host = "" };
    emit_row(collector, &empty);
}

static void emit_edge(fs_sink *sink, const char *u, const char *v, gint64 weight)
{
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "u", u);
    fs_sink_key_string(sink, "v", v);
    fs_sink_key_int(sink, "weight", weight);
    fs_sink_end_record(sink);
}

void fs_graph_emit_edges(const fs_graph *g, fs_sink *sink)
{
    for (guint i = 0; i < g->n_edges; i++)
        emit_edge(sink, g->sorted[g->edges[i].u], g->sorted[g->edges[i].v], g->edges[i].weight);
}

void fs_graph_emit_edge_keys(fs_sink *collector)
{
    emit_edge(collector, "", "", 0);
}

/* The graph with its attributes in igraph (whose attribute handler is
 * process-wide: set for the call and put back), written as GraphML into
 * *text (caller free()s). */
static igraph_error_t graphml_text(const fs_graph *g, char **text, size_t *size)
{
    guint hosts = fs_graph_hosts(g);
    igraph_attribute_table_t *previous = igraph_set_attribute_table(&igraph_cattribute_table);
    igraph_t graph;
    igraph_vector_t weights, gvalues;
    igraph_strvector_t names;
    FILE *out = NULL;
    igraph_error_t err = make_igraph(g, hosts, &graph, &weights);
    if (err != IGRAPH_SUCCESS)
        goto restore;
    igraph_vector_init(&gvalues, hosts);
    igraph_strvector_init(&names, hosts);
    for (guint i = 0; i < hosts && err == IGRAPH_SUCCESS; i++) {
        VECTOR(gvalues)[i] = g->node_g[i];
        err = igraph_strvector_set(&names, i, g->sorted[i]);
    }
    if (err == IGRAPH_SUCCESS)
        err = SETVASV(&graph, "host", &names);
    if (err == IGRAPH_SUCCESS)
        err = SETVANV(&graph, "g", &gvalues);
    if (err == IGRAPH_SUCCESS)
        err = SETEANV(&graph, "weight", &weights);
    if (err == IGRAPH_SUCCESS) {
        out = open_memstream(text, size);
        if (!out)
            err = IGRAPH_ENOMEM;
    }
    if (err == IGRAPH_SUCCESS)
        err = igraph_write_graph_graphml(&graph, out, TRUE);
    if (out && fclose(out) != 0 && err == IGRAPH_SUCCESS)
        err = IGRAPH_EFILE;
    igraph_strvector_destroy(&names);
    igraph_vector_destroy(&gvalues);
    igraph_vector_destroy(&weights);
    igraph_destroy(&graph);
restore:
    igraph_set_attribute_table(previous);
    return err;
}

enum fs_status fs_graph_write_graphml(const fs_graph *g, fs_writer *w, char **errmsg)
{
    char *text = NULL;
    size_t size = 0;
    igraph_error_t err = graphml_text(g, &text, &size);
    if (err != IGRAPH_SUCCESS) {
        *errmsg = g_strdup_printf("graph: GraphML: %s", igraph_strerror(err));
        free(text);
        return FS_ERR_OUTPUT;
    }
    fs_writer_text(w, text, size);
    free(text);
    return FS_OK;
}

void fs_graph_free(fs_graph *g)
{
    if (!g)
        return;
    g_free(g->rows);
    g_free(g->edges);
    g_free(g->node_g);
    g_free(g->sorted);
    g_hash_table_destroy(g->ports);
    g_hash_table_destroy(g->weights);
    g_hash_table_destroy(g->index);
    g_ptr_array_free(g->names, TRUE);
    g_free(g);
}
