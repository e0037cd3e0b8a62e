/* verify.h: --verify: the run made twice, in fast mode and in the exact
 * mode, and the two sets of records compared key by key. A collector is a
 * sink (fs_run_into()'s consumer) that keeps each record as the canonical
 * text of each top-level key; the comparison matches records by identity
 * (file, protocol, stream, addresses, ports, time_start) and reports, on
 * standard error, the share of identical records (per capture when there
 * are several) and how often each key differs. */
#ifndef FS_VERIFY_H
#define FS_VERIFY_H

#include "options.h"
#include "sink.h"
#include "status.h"

/* The records of one run, as a sink takes them. Opaque. */
typedef struct fs_verify_collector fs_verify_collector;

fs_verify_collector *fs_verify_collector_new(void);
void fs_verify_collector_free(fs_verify_collector *c);

/* A sink over c (records written to it are kept in c); free it with
 * fs_sink_free() before c. */
fs_sink *fs_verify_collector_sink(fs_verify_collector *c);

/* The outcome of a comparison. */
struct fs_verify_result {
    guint64 exact_records, fast_records;
    guint64 matched;   /* records of the same identity in both */
    guint64 identical; /* ... with every key identical */
    /* Matched records that differ only in the keys whose fast-mode values
     * may be fewer (ext_protocols, extension: from the packets libwireshark
     * saw) with every fast-mode value among the exact mode's. */
    guint64 documented;
};

/* Compares fast against exact (the reference); with report, writes the
 * report on standard error. The records of a comparison are accepted when
 * both have the same records and each differs at most as `documented`
 * allows. */
gboolean fs_verify_compare(const fs_verify_collector *exact, const fs_verify_collector *fast,
        gboolean report, struct fs_verify_result *result);

/* --verify: the run in fast mode, then in the exact mode, each into a
 * collector (no records written), then the comparison and its report.
 * FS_ERR_VERIFY when the records differ beyond the documented causes;
 * FS_ERR_USAGE when fast mode does not apply to the run; otherwise the
 * runs' most serious status. */
enum fs_status fs_verify_run(const struct fs_options *opts);

#endif
