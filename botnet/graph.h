/* graph.h: the host graph of flowshark graph (doc/botnet.md, after
 * ../shared/spec/botcapturer.md §3.2, OddBall): the flows of a batch that
 * pass F2 make an undirected graph of hosts, weighted by flow count; per
 * host its egonet (N neighbours, E edges, W total weight), the power laws
 * EDPL (E against N) and EWPL (W against E) fitted over all hosts, the
 * out-line scores against them and g, their maximum; next to it the robust
 * z-scores of distinct peers and distinct destination ports. Records go in
 * one at a time (fs_graph_add_record), whatever their source; then
 * fs_graph_finish() computes the table (igraph does the egonet counts). */
#ifndef FS_BOTNET_GRAPH_H
#define FS_BOTNET_GRAPH_H

#include <glib.h>

#include "hosts.h"
#include "record_reader.h"
#include "sink.h"
#include "status.h"
#include "writer.h"

/* The analysis' settings: copied by fs_graph_new() except internal,
 * which is borrowed and must outlive the graph. */
struct fs_graph_options {
    gboolean established;           /* F2 with --established */
    const fs_host_ranges *internal; /* F1's internal networks (--internal) */
    double tau_g;                   /* --tau-g: g at or above it is anomalous */
    /* --tau-g-z: also g_z at or above it (0: no such condition) */
    double tau_g_z;
};

/* The default of --tau-g (the spec's τ_g). */
#define FS_GRAPH_TAU_G_DEFAULT 1.5

/* One host's row, as fs_graph_host() hands it out (read-only for callers;
 * valid until fs_graph_free()). */
struct fs_graph_host {
    const char *host;  /* the address as records write it */
    gboolean internal; /* in opts->internal */
    gint64 n;          /* N: neighbours (distinct peers) */
    gint64 e;          /* E: edges of the egonet (the host and its neighbours) */
    gint64 w;          /* W: the total weight (flows) of those edges */
    /* The laws' predictions e^a·N^α and e^b·E^β; NAN when the law was
     * skipped (its x values all equal) or the host has no neighbour. */
    double e_pred, w_pred;
    /* The out-line scores max(y, ŷ)/min(y, ŷ)·ln(|y − ŷ| + 1) (0 when
     * there is no prediction) and g, their maximum. */
    double out_edpl, out_ewpl, g;
    gint64 peers;       /* distinct peers (= n) */
    double peers_z;     /* its robust z-score over all hosts */
    gint64 dst_ports;   /* distinct dport of the F2 flows whose src is the host */
    double dst_ports_z; /* its robust z-score over all hosts */
    /* The robust z-score of ln(1 + g) over the internal hosts (NaN for
     * the others): how far g stands out of this batch's internal hosts. */
    double g_z;
    gboolean anomalous; /* internal, g >= tau_g and (tau_g_z > 0) g_z >= tau_g_z */
};

/* A fitted law ln y = slope·ln x + intercept; skipped (and slope and
 * intercept 0) when fewer than two hosts have a neighbour or all their x
 * are equal. */
struct fs_graph_law {
    gboolean skipped;
    double slope, intercept;
};

typedef struct fs_graph fs_graph;

/* An empty graph with the settings of opts (see struct fs_graph_options).
 * Free with fs_graph_free(). */
fs_graph *fs_graph_new(const struct fs_graph_options *opts);

/* Adds one flow record (borrowed for the call): nothing unless it passes
 * F2 (fs_botnet_f2); otherwise its two hosts become nodes, the weight of
 * their edge grows by 1 (a flow whose src and dst are one host adds the
 * node and no edge), and its dport counts for its src. Returns whether the
 * record passed F2. Not after fs_graph_finish(). */
gboolean fs_graph_add_record(fs_graph *g, const struct fs_read_record *rec);

/* Computes every host's row (igraph: degree and egonet edge counts and
 * weights), the fits and the scores, and sorts the rows by descending g,
 * ties by address (fs_host_compare). Once. FS_ERR_INIT with *errmsg
 * (caller g_free()s; errmsg may be NULL) when igraph fails. */
enum fs_status fs_graph_finish(fs_graph *g, char **errmsg);

/* After fs_graph_finish(): the number of hosts (rows) and edges, the i-th
 * row in output order (i < hosts), and the two laws. */
guint fs_graph_hosts(const fs_graph *g);
guint fs_graph_edges(const fs_graph *g);
const struct fs_graph_host *fs_graph_host(const fs_graph *g, guint i);
void fs_graph_laws(const fs_graph *g, struct fs_graph_law *edpl, struct fs_graph_law *ewpl);

/* The rows through sink, one record per host in output order (keys in
 * doc/botnet.md). fs_graph_emit_keys(): one row of every key into a key
 * collector (the CSV header). */
void fs_graph_emit(const fs_graph *g, fs_sink *sink);
void fs_graph_emit_keys(fs_sink *collector);

/* The edge list through sink: one record per edge (u, v, weight), u before
 * v and edges in address order (fs_host_compare). fs_graph_emit_edge_keys():
 * its keys into a key collector. */
void fs_graph_emit_edges(const fs_graph *g, fs_sink *sink);
void fs_graph_emit_edge_keys(fs_sink *collector);

/* The graph as GraphML (igraph's writer) on w: vertex attributes host and
 * g, edge attribute weight. FS_ERR_OUTPUT with *errmsg when it cannot be
 * built. */
enum fs_status fs_graph_write_graphml(const fs_graph *g, fs_writer *w, char **errmsg);

/* Frees the graph; NULL does nothing. */
void fs_graph_free(fs_graph *g);

/* ---- the pieces, for the tests ---- */

/* Least squares of y = slope·x + intercept over n points: FALSE (and 0, 0)
 * when n < 2 or the x are all equal. */
gboolean fs_graph_fit_line(
        const double *x, const double *y, guint n, double *slope, double *intercept);

/* OddBall's out-line score of an observed y against its prediction yhat
 * (both > 0): max(y, yhat)/min(y, yhat)·ln(|y − yhat| + 1). */
double fs_graph_outline(double y, double yhat);

/* Robust z-scores of n values into z: (v − median)/(1.4826·MAD), MAD the
 * median of |v − median|, or 0 for all when MAD = 0 (pandas' median: the
 * mean of the middle two for an even n). */
void fs_graph_robust_z(const double *values, guint n, double *z);

#endif
