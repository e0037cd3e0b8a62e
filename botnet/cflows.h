/* cflows.h: BotMiner's C-plane as ../shared/spec/botcapturer.md §4.3 "[rec]
 * Clean version" defines it (doc/botnet.md): flow records filtered
 * (F2, F1, F3), grouped into C-flows by (protocol, src, dst, dport) over
 * the whole batch, each C-flow described by four 13-bin histograms (flows
 * per time unit, packets per flow, bytes per packet, bytes per second) over
 * split points taken from the batch's pooled samples, and by the mean and
 * population variance of those samples, and the C-flows clustered by
 * DBSCAN on their 52-dimensional vectors.
 *
 * Use: fs_cflows_new(), fs_cflows_add_record() for each flow record of the
 * batch (from any source: the analysis sees one struct fs_read_record at a
 * time), fs_cflows_finish() once, then the accessors and
 * fs_cflows_emit_rows(). */
#ifndef FS_CFLOWS_H
#define FS_CFLOWS_H

#include <glib.h>

#include "hosts.h"
#include "record_reader.h"
#include "sink.h"

/* The four features, in the order of the vectors. */
enum fs_cflows_feature {
    FS_CFLOWS_FPH, /* flows per time unit: one sample per slot of the batch */
    FS_CFLOWS_PPF, /* packets per flow: one sample per flow */
    FS_CFLOWS_BPP, /* bytes per packet */
    FS_CFLOWS_BPS, /* bytes per second */
    FS_CFLOWS_FEATURES
};

/* Bins of one histogram; split points are one more. */
#define FS_CFLOWS_BINS   13
#define FS_CFLOWS_SPLITS (FS_CFLOWS_BINS + 1)
/* The length of the two vectors: 4 histograms, 4 (mean, variance) pairs. */
#define FS_CFLOWS_DIMS  (FS_CFLOWS_FEATURES * FS_CFLOWS_BINS)
#define FS_CFLOWS_DIMS8 (FS_CFLOWS_FEATURES * 2)

/* The duration BotCapturer's code divides by when a flow's duration is 0
 * (its arbitrary rule, kept for parity: bps = bytes / 999). */
#define FS_CFLOWS_ZERO_DURATION_S 999.0

/* The split points' percentiles (p1..p12; p0 = -1, p13 = the maximum). */
extern const guint fs_cflows_percentiles[FS_CFLOWS_BINS - 1];

/* What the analysis is asked to do. Ranges are borrowed and must outlive
 * the fs_cflows. */
struct fs_cflows_options {
    /* F1: keep flows whose src is in internal and whose dst is not; NULL
     * (or an empty list) turns F1 off. */
    const fs_host_ranges *internal;
    /* F3: drop flows whose dst is in whitelist; NULL or empty: none. */
    const fs_host_ranges *whitelist;
    /* F2: at least 2 packets; with established also at least one packet
     * each way. */
    gboolean established;
    gint64 time_unit_ns; /* U of fph (> 0) */
    double eps;          /* DBSCAN's radius */
    guint min_pts;       /* DBSCAN's core-point size, the point itself included */
};

/* One C-flow as the accessors hand it out. Plain values: callers read
 * every field and change none; strings are owned by the fs_cflows. */
struct fs_cflow {
    const char *protocol;
    const char *src;
    const char *dst;
    gint64 dport;
    guint flows;  /* retained flows of the key */
    gint cluster; /* DBSCAN cluster, or FS_DBSCAN_NOISE (-1) */
    /* fph ‖ ppf ‖ bpp ‖ bps: each histogram normalised by its samples. */
    double vector[FS_CFLOWS_DIMS];
    /* (mean, population variance) of the raw samples, same order. */
    double vector8[FS_CFLOWS_DIMS8];
};

/* Counts of the records the analysis saw. */
struct fs_cflows_counts {
    guint64 records;    /* every record added */
    guint64 dropped_f2; /* fewer than 2 packets (or one-way, --established) */
    guint64 dropped_f1; /* src not internal or dst internal */
    guint64 dropped_f3; /* dst whitelisted */
    guint64 kept;       /* the retained flows */
};

typedef struct fs_cflows fs_cflows;

/* A new, empty batch; opts is copied (its ranges borrowed). Free with
 * fs_cflows_free(). */
fs_cflows *fs_cflows_new(const struct fs_cflows_options *opts);

/* Frees the batch; NULL does nothing. */
void fs_cflows_free(fs_cflows *c);

/* One flow record of the batch (borrowed for the call): filtered, and when
 * retained, its ppf, bpp, bps and first packet time kept under its
 * C-flow. Not to be called after fs_cflows_finish(). */
void fs_cflows_add_record(fs_cflows *c, const struct fs_read_record *rec);

/* Ends the batch: the C-flows in key order, the split points, the vectors
 * and the clusters. Call once. */
void fs_cflows_finish(fs_cflows *c);

/* The counts of the records added. */
const struct fs_cflows_counts *fs_cflows_get_counts(const fs_cflows *c);

/* After finish: the C-flows, in key order (protocol number, then src and
 * dst by fs_host_compare(), then dport). fs_cflows_get() borrows. */
guint fs_cflows_size(const fs_cflows *c);
const struct fs_cflow *fs_cflows_get(const fs_cflows *c, guint i);

/* After finish: the batch's time span over the retained flows (first and
 * last packet, epoch ns) and its number of fph slots S; all 0 when no flow
 * was retained. */
void fs_cflows_get_span(const fs_cflows *c, gint64 *t0_ns, gint64 *t1_ns, guint64 *slots);

/* After finish: the pooled samples' number N and split points p0..p13 of
 * feature (borrowed; NULL when N is 0). */
const double *fs_cflows_get_splits(const fs_cflows *c, enum fs_cflows_feature feature, guint64 *n);

/* After finish: the number of DBSCAN clusters, and the host set of cluster
 * k (0 <= k < clusters): the distinct src of its C-flows, sorted by
 * fs_host_compare() (borrowed const char *, valid until fs_cflows_free();
 * the vote's C-sets). */
guint fs_cflows_clusters(const fs_cflows *c);
const GPtrArray *fs_cflows_cluster_hosts(const fs_cflows *c, guint k);

/* The names of the features ("fph", "ppf", "bpp", "bps"). */
const char *fs_cflows_feature_name(enum fs_cflows_feature feature);

/* Writes one row per C-flow, in key order, to sink: protocol, src, dst,
 * dport, flows, cluster, fph_0..fph_12, ppf_0.., bpp_.., bps_..,
 * fph_mean, fph_var, ppf_mean, ppf_var, bpp_mean, bpp_var, bps_mean,
 * bps_var. After finish. */
void fs_cflows_emit_rows(const fs_cflows *c, fs_sink *sink);

/* Writes one row of the same keys (values of an empty C-flow) to sink: the
 * dry run that gives a key collector the CSV header. */
void fs_cflows_emit_empty(fs_sink *sink);

/* ---- the pieces, public for the unit tests ---- */

/* The index of the pct-th percentile among n sorted samples: the exact
 * integer floor(n * pct / 100) (BotCapturer's int(n * 0.70) is one less
 * for n = 90, 170, ...). */
guint64 fs_cflows_quantile_index(guint64 n, guint pct);

/* Split points of n >= 1 sorted samples into splits (FS_CFLOWS_SPLITS
 * doubles): -1, the sample at fs_cflows_quantile_index() of each
 * percentile, the maximum. */
void fs_cflows_split_points(const double *sorted, guint64 n, double *splits);

/* The bin i of x, splits[i] < x <= splits[i + 1]; values above the last
 * split point (none from the pooled samples) go to the last bin. */
guint fs_cflows_bin(const double *splits, double x);

#endif
