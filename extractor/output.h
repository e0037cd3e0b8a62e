/* output.h: where a run's records go, whatever the format: the run's one
 * output (-w FILE or standard output; a database for -T sqlite) or, with
 * --output-dir, one file per capture (written whole under a temporary name,
 * then renamed, so a file that is there is complete). It opens the format's
 * sink, writes the header, frames each capture's records (the captures
 * table of a database), and takes the records a worker wrote to a
 * temporary file: bytes for byte formats, a tape for file formats. */
#ifndef FS_OUTPUT_H
#define FS_OUTPUT_H

#include <stdio.h>

#include "inputs.h"
#include "job.h"
#include "progress.h"
#include "sink.h"
#include "status.h"
#include "writer.h"

typedef struct fs_output fs_output;

/* Opens the run's output (path: -w, or NULL for standard output) and
 * writes the header. For a live capture (-i) or the meter's timeouts, every
 * record is pushed out as soon as it is written (fs_writer_flush_each()).
 * FS_ERR_OUTPUT with *errmsg (caller g_free()s). */
enum fs_status fs_output_open(
        const struct fs_run_ctx *ctx, const char *path, fs_output **out, char **errmsg);

/* The --output-dir file of capture in: DIR/REL.EXT. Caller g_free()s. */
char *fs_output_capture_path(const struct fs_run_ctx *ctx, const struct fs_input *in);

/* Opens the --output-dir file of capture in (making its folders) under a
 * temporary name, and writes the header. */
enum fs_status fs_output_open_capture(
        const struct fs_run_ctx *ctx, const struct fs_input *in, fs_output **out, char **errmsg);

/* The sink records are written on, and the writer beneath it (NULL for a
 * file format). Borrowed. */
fs_sink *fs_output_sink(fs_output *o);
fs_writer *fs_output_writer(fs_output *o);

/* Around the records of one capture. */
enum fs_status fs_output_begin_capture(fs_output *o, const struct fs_input *in, char **errmsg);
enum fs_status fs_output_end_capture(fs_output *o, const struct fs_input *in,
        const struct fs_capture_result *result, char **errmsg);

/* The records a worker wrote to `records` (from its start): appended as
 * they are, or replayed from the tape of a file format. */
enum fs_status fs_output_take(fs_output *o, FILE *records, char **errmsg);

/* Ends the output. commit FALSE discards a file not yet in place (a
 * per-capture file, a -w file of a byte format). run_status is recorded by
 * file formats. Frees o; NULL is FS_OK. */
enum fs_status fs_output_close(
        fs_output *o, enum fs_status run_status, gboolean commit, char **errmsg);

#endif
