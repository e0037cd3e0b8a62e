/* record.h: the flow record of shared/spec/flow-record.md, written as one
 * JSON object per line or one CSV row, with the keys options add after the
 * spec's keys. */
#ifndef FS_RECORD_H
#define FS_RECORD_H

#include "flow_features.h"
#include "flow.h"
#include "options.h"
#include "registry.h"
#include "sink.h"
#include "writer.h"

/* What every record of a capture shares. Plain struct, all borrowed. The
 * members after `totals` may be left zero (no added keys, JSON Lines). */
struct fs_record_context {
    const char *file;                /* the capture path as given */
    const fs_field_registry *fields; /* names of the extension keys */
    enum fs_main_seq main_seq;
    gboolean keep_empty; /* write flows without payload too */
    gboolean totals;     /* add the *_total keys (with --max-packets) */
    enum fs_output_format format;
    const struct fs_features_config *features; /* NULL: no --stats/--splt keys */
    gboolean ndpi;                             /* add the nDPI label keys */
};

/* Writes flow as one record line, unless none of its packets carries
 * payload and keep_empty is off. Returns TRUE when a record was written (the writer
 * keeps any I/O error). */
gboolean fs_record_write(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_writer *writer);

/* Appends (g_strdup'ed) the names of the keys every record of ctx has, in
 * order: the CSV header. ctx->file and ctx->fields are not used. */
void fs_record_keys(const struct fs_record_context *ctx, GPtrArray *keys);

#endif
