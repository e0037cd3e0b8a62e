/* writer.h: where records go (standard output or -w FILE), as bytes: the
 * output formats (sink.h) build the text. Write errors are sticky: the
 * first one is kept, later writes do nothing, and its message is handed
 * out once (by the first fs_writer_flush() or fs_writer_close() that sees
 * it), so that every error is printed once. With -w the records
 * go to a temporary file beside FILE, renamed into place only by a
 * successful close, so a failed run never leaves a half-written FILE. */
#ifndef FS_WRITER_H
#define FS_WRITER_H

#include <glib.h>
#include <stdio.h>

#include "status.h"

typedef struct fs_writer fs_writer;

/* Opens standard output (path NULL or "-") or a temporary file for path.
 * FS_ERR_OUTPUT with *errmsg (caller g_free()s) on failure. On success the
 * caller closes *out with fs_writer_close(). */
enum fs_status fs_writer_open(const char *path, fs_writer **out, char **errmsg);

/* Writes len bytes of text as they are (a record line). Errors stick. */
void fs_writer_text(fs_writer *w, const char *text, gsize len);

/* From now on every fs_writer_text() call (a whole record line in the byte
 * formats) is pushed to the file at once: records of a live capture, or
 * of flows the meter ends while reading, are seen as they are written. */
void fs_writer_flush_each(fs_writer *w);

/* TRUE once a write has failed. */
gboolean fs_writer_failed(const fs_writer *w);

/* A writer over a stream the caller owns (a worker's temporary file):
 * fs_writer_close() flushes it but does not close it. */
fs_writer *fs_writer_over(FILE *file);

/* Appends the whole content of `from` (from its start) to w's output: the
 * records a worker wrote to its temporary file. FS_ERR_OUTPUT on error, with
 * *errmsg as for fs_writer_flush(); errors stick as for records. */
enum fs_status fs_writer_append(fs_writer *w, FILE *from, char **errmsg);

/* Pushes buffered records to the file (a forked worker does this before it
 * exits). FS_ERR_OUTPUT when any write failed so far, with *errmsg (caller
 * g_free()s) the first time only: NULL when the error was already handed
 * out, and for a closed pipe (EPIPE), which ends a run quietly. */
enum fs_status fs_writer_flush(fs_writer *w, char **errmsg);

/* Flushes and closes. With commit TRUE and no error, a -w file is renamed
 * into place; otherwise it is removed. Returns FS_OK, or FS_ERR_OUTPUT with
 * *errmsg as for fs_writer_flush(). Frees w; NULL is FS_OK. */
enum fs_status fs_writer_close(fs_writer *w, gboolean commit, char **errmsg);

#endif
