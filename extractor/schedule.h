/* schedule.h: running the jobs of a run (one per capture) in turn in this
 * process, or in forked workers (one at a time, or up to -j at once with
 * records still in capture order), and ending cleanly on an interruption:
 * the records of every capture read wholly or partly are written, and a
 * summary says what was. */
#ifndef FS_SCHEDULE_H
#define FS_SCHEDULE_H

#include <glib.h>

#include "job.h"
#include "options.h"
#include "status.h"

struct fs_input_list;
typedef struct fs_output fs_output;

/* How many captures are read at once for these options and this many
 * captures (1 when they are read one after the other). */
guint fs_schedule_parallel(const struct fs_options *opts, guint captures);

/* Runs a job for every capture of ctx->inputs, writing their records on
 * output in capture order (output NULL: each capture on its own
 * --output-dir file). With --resume, a capture whose output file is there
 * is skipped. features: the feature modules set up for the run and not
 * used yet (borrowed): forked workers each use their copy, in this process
 * only the first capture uses it (later ones get their own, so that no
 * capture's labels depend on another's). Fills every capture's result slot
 * (ctx->progress). Stops early on an output error or an interruption.
 * Returns the most serious status met. */
enum fs_status fs_schedule_run(
        const struct fs_run_ctx *ctx, const fs_feature_set *features, fs_output *output);

#endif
