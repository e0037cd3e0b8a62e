/* writer.h: where records go (standard output or -w FILE) and the JSON
 * writer over it. Write errors are sticky: the first one is kept, later
 * writes do nothing, and fs_writer_close() reports it. With -w the records
 * go to a temporary file beside FILE, renamed into place only by a
 * successful close, so a failed run never leaves a half-written FILE. */
#ifndef FS_WRITER_H
#define FS_WRITER_H

#include <glib.h>
#include <wsutil/json_dumper.h>

#include "status.h"

typedef struct fs_writer fs_writer;

/* Opens standard output (path NULL or "-") or a temporary file for path.
 * FS_ERR_OUTPUT with *errmsg (caller g_free()s) on failure. On success the
 * caller closes *out with fs_writer_close(). */
enum fs_status fs_writer_open(const char *path, fs_writer **out, char **errmsg);

/* Starts a record: a JSON dumper positioned at the start of a new line.
 * Borrowed, valid until fs_writer_end_record(). */
json_dumper *fs_writer_begin_record(fs_writer *w);

/* Ends the record (newline) and checks for a write error. */
void fs_writer_end_record(fs_writer *w);

/* Writes a JSON string value; text that is not valid UTF-8 has each bad
 * byte replaced by U+FFFD so the output always parses. */
void fs_writer_string(json_dumper *dumper, const char *text);

/* Writes len bytes of text as they are (a CSV row). Errors stick. */
void fs_writer_text(fs_writer *w, const char *text, gsize len);

/* TRUE once a write has failed. */
gboolean fs_writer_failed(const fs_writer *w);

/* A writer over a stream the caller owns (a worker's temporary file):
 * fs_writer_close() flushes it but does not close it. */
fs_writer *fs_writer_over(FILE *file);

/* Appends the whole content of `from` (from its start) to w's output: the
 * records a worker wrote to its temporary file. FS_ERR_OUTPUT with *errmsg
 * (NULL for a closed pipe) on error; errors stick as for records. */
enum fs_status fs_writer_append(fs_writer *w, FILE *from, char **errmsg);

/* Pushes buffered records to the file (a forked worker does this before it
 * exits). FS_ERR_OUTPUT when any write failed so far, with *errmsg (caller
 * g_free()s) left NULL for a closed pipe. */
enum fs_status fs_writer_flush(fs_writer *w, char **errmsg);

/* Flushes and closes. With commit TRUE and no error, a -w file is renamed
 * into place; otherwise it is removed. Returns FS_OK, or FS_ERR_OUTPUT with
 * *errmsg (caller g_free()s), left NULL when the error was a closed pipe
 * (EPIPE), which ends a run quietly. Frees w; NULL is FS_OK. */
enum fs_status fs_writer_close(fs_writer *w, gboolean commit, char **errmsg);

#endif
