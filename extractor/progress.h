/* progress.h: what became of each capture of a run, the progress line,
 * and the summary. Every capture has a result slot in memory shared with
 * the forked workers: a worker fills its capture's slot as it reads (records,
 * bytes) and when it ends (flows, error text); the process that started the
 * run draws one progress line from all slots (so workers running at once
 * never interleave on standard error) and prints the one-line summary. */
#ifndef FS_PROGRESS_H
#define FS_PROGRESS_H

#include <glib.h>

#include "inputs.h"
#include "options.h"
#include "status.h"

/* A capture's result: written by the process reading it, read by the one
 * that started the run. */
struct fs_capture_result {
    volatile guint64 packets;  /* records read so far */
    volatile long long bytes;  /* bytes of the file read so far */
    volatile guint64 flows;    /* records written */
    volatile int status;       /* enum fs_status, once done */
    volatile gboolean done;    /* read (or failed, or skipped) */
    volatile gboolean skipped; /* --resume: its output was there */
    char error[512];           /* the first error or warning about it, or "" */
};

typedef struct fs_progress fs_progress;

/* Slots for the captures of inputs (borrowed: it must outlive the
 * progress); draw: show the progress line (a terminal, or --progress). */
fs_progress *fs_progress_new(const struct fs_input_list *inputs, gboolean draw);
void fs_progress_free(fs_progress *p);

/* The slot of capture i. */
struct fs_capture_result *fs_progress_result(fs_progress *p, guint i);

/* Keeps msg as the capture's error text unless it has one already (in
 * whichever process reads the capture: the slot is shared). */
void fs_progress_set_error(struct fs_capture_result *r, const char *msg);

/* TRUE when the progress line is drawn. */
gboolean fs_progress_draws(const fs_progress *p);

/* Redraws the progress line when it is due (at most once a second). */
void fs_progress_tick(fs_progress *p);

/* Removes the progress line (before other messages or the end). */
void fs_progress_clear(fs_progress *p);

/* The one line on standard error at the end of a run: captures ok,
 * truncated, failed, skipped, not read; other files met in folders;
 * packets; flows; seconds. */
void fs_progress_summary(fs_progress *p);

#endif
