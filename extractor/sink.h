/* sink.h: output formats. A record is written as a sequence of calls (key,
 * value, nested arrays and objects); a format is an ops table that turns
 * those calls into bytes on a writer. Record code and feature modules call
 * the fs_sink_* functions and never know the format. Instances: JSON Lines
 * (sink_jsonl.c), CSV (sink_csv.c), and the key collector used to derive
 * the CSV header from the same emit code (sink.c). A new format is one
 * file (sink_NAME.c, picked up by CMake) and its line in the table of
 * sink.c. */
#ifndef FS_SINK_H
#define FS_SINK_H

#include <glib.h>

#include "writer.h"

/* One output stream of records in one format. Opaque. */
typedef struct fs_sink fs_sink;

/* An output format. Every callback gets the format's own state (`impl`,
 * made by `open`). Strings reach `string` as valid UTF-8 (sink.c repairs
 * them first); `number` gets text that already is a JSON number. */
struct fs_sink_ops {
    const char *name;        /* as given to -T */
    const char *description; /* one line, for --help */
    /* State for one output over writer (borrowed). */
    void *(*open)(fs_writer *writer);
    void (*close)(void *impl);
    /* Once per run, before any record: keys is every top-level key of the
     * records, in order (the CSV header). */
    void (*begin_output)(void *impl, const GPtrArray *keys);
    void (*begin_record)(void *impl);
    void (*end_record)(void *impl);
    /* depth: 0 for a top-level key, more inside arrays and objects. */
    void (*key)(void *impl, const char *name, int depth);
    void (*number)(void *impl, const char *text, int depth);
    void (*string)(void *impl, const char *utf8, int depth);
    void (*null)(void *impl, int depth);
    void (*begin_array)(void *impl, int depth); /* depth of the array itself */
    void (*end_array)(void *impl, int depth);
    void (*begin_object)(void *impl, int depth);
    void (*end_object)(void *impl, int depth);
};

/* The format called name ("jsonl", "csv"), or NULL. */
const struct fs_sink_ops *fs_sink_format_find(const char *name);

/* The formats' names, for messages: "jsonl or csv". Caller g_free()s. */
char *fs_sink_format_names(void);

/* Appends one "  name   description" line per format to out (--help). */
void fs_sink_format_help(GString *out);

/* A sink writing format `ops` to writer (borrowed: it must outlive the
 * sink). Free with fs_sink_free(). */
fs_sink *fs_sink_new(const struct fs_sink_ops *ops, fs_writer *writer);

/* A sink that writes nothing and collects the names of the top-level keys
 * of the records written to it, in order of first appearance: the CSV
 * header is a dry run of the record code into it. */
fs_sink *fs_sink_new_key_collector(void);

/* The keys a key collector saw (borrowed, valid until fs_sink_free()). */
const GPtrArray *fs_sink_collected_keys(const fs_sink *sink);

/* Frees the sink (the writer stays open); NULL does nothing. */
void fs_sink_free(fs_sink *sink);

/* Once per run, before any record (see begin_output). */
void fs_sink_begin_output(fs_sink *sink, const GPtrArray *keys);

/* A record: begin, keys and values, end (a line of output). fs_sink_end_record()
 * returns the number of top-level keys the record had. */
void fs_sink_begin_record(fs_sink *sink);
guint fs_sink_end_record(fs_sink *sink);

/* The next top-level key or object member name. */
void fs_sink_key(fs_sink *sink, const char *name);

/* Values. Strings that are not valid UTF-8 have each bad byte replaced by
 * U+FFFD (the one place where output text is repaired).
 * fs_sink_number_text() writes text that already is a JSON number (a
 * timestamp printed without floating point). fs_sink_null() is JSON null, an
 * empty cell in CSV. Doubles are written with the fewest digits that read
 * back as the same value, and always with a '.' or an exponent. */
void fs_sink_int(fs_sink *sink, gint64 value);
void fs_sink_double(fs_sink *sink, double value);
void fs_sink_string(fs_sink *sink, const char *value);
void fs_sink_number_text(fs_sink *sink, const char *text);
void fs_sink_null(fs_sink *sink);
void fs_sink_begin_array(fs_sink *sink);
void fs_sink_end_array(fs_sink *sink);
void fs_sink_begin_object(fs_sink *sink);
void fs_sink_end_object(fs_sink *sink);

/* Shorthands: a key with an int or string value. */
void fs_sink_key_int(fs_sink *sink, const char *key, gint64 value);
void fs_sink_key_string(fs_sink *sink, const char *key, const char *value);

/* Formats value as fs_sink_double() writes it (buf of at least
 * G_ASCII_DTOSTR_BUF_SIZE bytes). Returns buf. */
char *fs_sink_format_double(char *buf, double value);

/* Appends text to out as one CSV field: quoted (with inner quotes doubled)
 * when it holds a comma, a quote, CR or LF; as it is otherwise. */
void fs_sink_csv_field(GString *out, const char *text, gsize len);

#endif
