/* job.h: one capture, from its file to its records: read and dissect it
 * (the exact mode here, or the bounded mode's chunk workers), group its
 * packets into flows with the feature modules, write one record per flow.
 * The scheduler (schedule.h) runs jobs in this process or in workers. */
#ifndef FS_JOB_H
#define FS_JOB_H

#include <glib.h>

#include "feature.h"
#include "options.h"
#include "sink.h"
#include "status.h"
#include "writer.h"

/* From dissect.h, declared here so that the scheduler includes no epan
 * header. */
typedef struct fs_dissector fs_dissector;
struct fs_dissect_config;

/* What every capture of a run shares: made once by fs_run() and never
 * changed (no file-scope state). Plain struct, all borrowed. */
struct fs_run_ctx {
    const struct fs_options *opts;
    const struct fs_dissect_config *dissect; /* filter, fields, extras */
    const GPtrArray *field_names;            /* char *: the -e fields as the registry holds them */
    const struct fs_sink_ops *format;        /* -T */
    gboolean progress;                       /* report reading progress on standard error */
};

/* Reads the capture at path with `dissector` (a fresh session, used up by
 * this call; with --reset-every only forked chunk workers use it), then
 * writes the records of its flows to writer in ctx->format. features: the
 * feature modules, set up; NULL makes and frees a set for this capture.
 * Reports its own messages (warnings, errors, an interruption with the
 * number of records written). Returns the capture's status. */
enum fs_status fs_job_run(const struct fs_run_ctx *ctx, const char *path, fs_dissector *dissector,
        const fs_feature_set *features, fs_writer *writer);

#endif
