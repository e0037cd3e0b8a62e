/* record.h: the flow record of doc/flow-record.md, written through a sink
 * (any output format), with the keys of the feature modules after the
 * record's own. Includes no libwireshark header. */
#ifndef FS_RECORD_H
#define FS_RECORD_H

#include "feature.h"
#include "flow.h"
#include "flow_select.h"
#include "options.h"
#include "sink.h"

/* What every record of a capture shares. Plain struct, all borrowed. */
struct fs_record_context {
    const char *file;               /* the capture path as given */
    const GPtrArray *field_names;   /* char *: names of the extension keys (-e), in order */
    enum fs_main_seq main_seq;      /* where time_start/time_end come from */
    gboolean keep_empty;            /* write flows without payload too */
    const fs_feature_set *features; /* modules whose keys follow; NULL: none */
    gboolean meter_keys;            /* timeouts: expiration_id and stream_piece */
    gboolean label_key;             /* --label/--label-from-dir: a last key "label" */
    const char *label;              /* its value; NULL is null */
    const struct fs_select *select; /* which flows get a record (flow_select.h); NULL: all */
};

/* Writes flow as one record, unless none of its packets carries payload
 * and keep_empty is off (flows of other IP protocols than TCP and UDP
 * carry no transport payload and are always written). Returns TRUE when a record was written (write
 * errors stay in the sink's writer). */
gboolean fs_record_write(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_sink *sink);

/* Appends (g_strdup'ed) the names of the keys every record of ctx has, in
 * order: the CSV header. Derived from fs_record_write() itself, run on a
 * flow without packets into a key-collecting sink, so that each key is
 * written in one place only. ctx->file is not used. */
void fs_record_keys(const struct fs_record_context *ctx, GPtrArray *keys);

#endif
