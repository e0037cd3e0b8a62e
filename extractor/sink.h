/* sink.h: where a record's keys and values go, in one of two output
 * formats: JSON Lines (one object per line, through wsutil's json_dumper)
 * or CSV (RFC 4180: a header row, then one row per record, every top-level
 * key a column; arrays and objects as compact JSON text in one cell).
 * Record emitters call the same functions for both formats. */
#ifndef FS_SINK_H
#define FS_SINK_H

#include <glib.h>

#include "writer.h"

enum fs_output_format {
    FS_FORMAT_JSONL = 0, /* -T jsonl (default) */
    FS_FORMAT_CSV,       /* -T csv */
};

/* One record being written. Opaque. */
typedef struct fs_sink fs_sink;

/* Starts a record on writer (borrowed until fs_sink_end()). */
fs_sink *fs_sink_begin(enum fs_output_format format, fs_writer *writer);

/* Ends the record (a line of output) and frees the sink. Returns the
 * number of top-level keys the record had. */
guint fs_sink_end(fs_sink *sink);

/* The next top-level key or object member name (copied as needed). */
void fs_sink_key(fs_sink *sink, const char *name);

/* Values. Strings that are not valid UTF-8 have each bad byte replaced by
 * U+FFFD. fs_sink_number_text() writes text that already is a JSON number
 * (a timestamp printed without floating point). fs_sink_null() is JSON null,
 * an empty cell in CSV. Doubles are written with the fewest digits that
 * read back as the same value, and always with a '.' or an exponent. */
void fs_sink_int(fs_sink *sink, gint64 value);
void fs_sink_double(fs_sink *sink, double value);
void fs_sink_string(fs_sink *sink, const char *value);
void fs_sink_number_text(fs_sink *sink, const char *text);
void fs_sink_null(fs_sink *sink);
void fs_sink_begin_array(fs_sink *sink);
void fs_sink_end_array(fs_sink *sink);
void fs_sink_begin_object(fs_sink *sink);
void fs_sink_end_object(fs_sink *sink);

/* Writes the CSV header row: the column names, in order. Nothing for JSON
 * Lines. Errors stick in the writer. */
void fs_sink_write_header(enum fs_output_format format, fs_writer *writer, const GPtrArray *keys);

/* Appends text to out as one CSV field: quoted (with inner quotes doubled)
 * when it holds a comma, a quote, CR or LF; as it is otherwise. */
void fs_sink_csv_field(GString *out, const char *text, gsize len);

/* Formats value as fs_sink_double() writes it (buf of at least
 * G_ASCII_DTOSTR_BUF_SIZE bytes). Returns buf. */
char *fs_sink_format_double(char *buf, double value);

#endif
