/* record.h: the flow record of shared/spec/flow-record.md, written as one
 * JSON object per line. */
#ifndef FS_RECORD_H
#define FS_RECORD_H

#include "flow.h"
#include "options.h"
#include "registry.h"
#include "writer.h"

/* What every record of a capture shares. Plain struct, all borrowed. */
struct fs_record_context {
    const char *file;                /* the capture path as given */
    const fs_field_registry *fields; /* names of the extension keys */
    enum fs_main_seq main_seq;
    gboolean keep_empty; /* write flows without payload too */
    gboolean totals;     /* add the *_total keys (with --max-packets) */
};

/* Writes flow as one record line, unless none of its packets carries
 * payload and keep_empty is off. Returns TRUE when a record was written (the writer
 * keeps any I/O error). */
gboolean fs_record_write(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_writer *writer);

#endif
