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
struct fs_input_list;
typedef struct fs_progress fs_progress;

struct fs_run_ctx {
    const struct fs_options *opts;
    const struct fs_dissect_config *dissect; /* filter, fields, extras */
    const GPtrArray *field_names;            /* char *: the -e fields as the registry holds them */
    const struct fs_sink_ops *format;        /* -T */
    const GPtrArray *keys;                   /* char *: the records' top-level keys (header) */
    const struct fs_input_list *inputs;      /* the captures */
    fs_progress *progress;                   /* their results, the progress line */
    fs_sink *consumer; /* fs_run_into(): the run's records go to it, or NULL */
};

/* Reads capture `index` of ctx->inputs with `dissector` (a fresh session,
 * used up by this call; with --reset-every only forked chunk workers use
 * it), then writes the records of its flows on sink; sink NULL: on the
 * capture's own --output-dir file, opened and committed here. writer: the
 * bytes under sink, flushed at the end (NULL when there are none).
 * features: the feature modules, set up; NULL makes and frees a set for
 * this capture. Fills the capture's result slot (packets, flows, status,
 * error text) and reports its own messages (warnings, errors, an
 * interruption with the number of records written). Returns the capture's
 * status. */
enum fs_status fs_job_run(const struct fs_run_ctx *ctx, guint index, fs_dissector *dissector,
        const fs_feature_set *features, fs_sink *sink, fs_writer *writer);

#endif
