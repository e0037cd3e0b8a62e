/* sink.h: output formats. A record is written as a sequence of calls (key,
 * value, nested arrays and objects); a format is an ops table that turns
 * those calls into bytes on a writer. Record code and feature modules call
 * the fs_sink_* functions and never know the format. Instances: JSON Lines
 * (sink_jsonl.c), CSV (sink_csv.c), SQLite (sink_sqlite.c, a file format),
 * and the key collector used to derive the CSV header from the same emit
 * code (sink.c). A new format is one
 * file (sink_NAME.c, picked up by CMake) and its line in the table of
 * sink.c. */
#ifndef FS_SINK_H
#define FS_SINK_H

#include <glib.h>

#include "status.h"
#include "writer.h"

/* What a format that keeps a database records about the run (the runs
 * table of sink_sqlite.c). Strings borrowed for the call. */
struct fs_run_info {
    const char *command_line;    /* the arguments, shell-quoted, joined by spaces */
    const char *note;            /* --note TEXT, or NULL */
    const char *version;         /* flowshark's */
    const char *library_version; /* libwireshark's */
    /* What else a subcommand's own file format records about its run: a
     * struct of that format's header (window/window_sqlite.h: struct
     * fs_window_sqlite_run), borrowed for the call; NULL otherwise. */
    const void *command;
};

/* One capture, for the formats that keep a table of captures. Borrowed for
 * the call. begin_capture sees path, label and size; end_capture sees them
 * all. */
struct fs_capture_info {
    const char *path;
    const char *label;  /* --label/--label-from-dir, or NULL */
    long long size;     /* bytes, or -1 when unknown (standard input) */
    guint64 packets;    /* records wiretap read */
    guint64 flows;      /* records written */
    const char *status; /* fs_status_capture_word(): "ok", "truncated", "interrupted", "failed" */
    const char *error;  /* the capture's error or warning message, or NULL */
};

/* One output stream of records in one format. Opaque. */
typedef struct fs_sink fs_sink;

/* An output format. Every callback gets the format's own state (`impl`,
 * made by `open`). Strings reach `string` as valid UTF-8 (sink.c repairs
 * them first); `number` gets text that already is a JSON number. */
struct fs_sink_ops {
    const char *name;        /* as given to -T */
    const char *description; /* one line, for --help */
    const char *extension;   /* of the files --output-dir writes: "jsonl" */
    /* Formats that write bytes: state for one output over writer
     * (borrowed), freed by close. */
    void *(*open)(fs_writer *writer);
    void (*close)(void *impl);
    /* Formats that keep a file of their own (a database) set these instead
     * of open and close: open_file opens or creates path (-w FILE; never
     * standard output) and returns NULL with *errmsg (caller g_free()s)
     * when it cannot; close_file ends the output (run_status says how the
     * run ended), frees impl, and returns FALSE with *errmsg when what was
     * written could not be stored. Records of such a format are written
     * only in the process that opened it: workers hand theirs over on a
     * tape (fs_sink_new_tape). */
    void *(*open_file)(const char *path, const struct fs_run_info *run, char **errmsg);
    gboolean (*close_file)(void *impl, enum fs_status run_status, char **errmsg);
    /* Optional (NULL: nothing to do): around the records of one capture.
     * FALSE with *errmsg when the capture's records could not be stored
     * (they are then dropped as a whole). */
    gboolean (*begin_capture)(void *impl, const struct fs_capture_info *capture, char **errmsg);
    gboolean (*end_capture)(void *impl, const struct fs_capture_info *capture, char **errmsg);
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

/* The format called name ("jsonl", "csv", "sqlite"), or NULL. */
const struct fs_sink_ops *fs_sink_format_find(const char *name);

/* The formats' names, for messages: "jsonl, csv or sqlite". Caller
 * g_free()s. */
char *fs_sink_format_names(void);

/* Appends one "  name   description" line per format to out (--help). */
void fs_sink_format_help(GString *out);

/* A sink writing format `ops` to writer (borrowed: it must outlive the
 * sink). Free with fs_sink_free(). */
fs_sink *fs_sink_new(const struct fs_sink_ops *ops, fs_writer *writer);

/* A sink over impl, state its caller made (not a format of the table: an
 * analysis consuming records in this process, window/window_capture.c);
 * ops->close gets impl at fs_sink_free(). */
fs_sink *fs_sink_new_over(const struct fs_sink_ops *ops, void *impl);

/* A sink that writes nothing and collects the names of the top-level keys
 * of the records written to it, in order of first appearance: the CSV
 * header is a dry run of the record code into it. */
fs_sink *fs_sink_new_key_collector(void);

/* The keys a key collector saw (borrowed, valid until fs_sink_free()). */
const GPtrArray *fs_sink_collected_keys(const fs_sink *sink);

/* Frees the sink (the writer stays open); NULL does nothing. For a sink
 * made by fs_sink_open_file() use fs_sink_close_file(). */
void fs_sink_free(fs_sink *sink);

/* TRUE for a format that keeps a file of its own (open_file). */
gboolean fs_sink_format_is_file(const struct fs_sink_ops *ops);

/* A sink of a file format (open_file) over path. FS_ERR_OUTPUT with
 * *errmsg (caller g_free()s) when it cannot be opened. */
enum fs_status fs_sink_open_file(const struct fs_sink_ops *ops, const char *path,
        const struct fs_run_info *run, fs_sink **out, char **errmsg);

/* Ends and frees a sink of fs_sink_open_file(). FS_ERR_OUTPUT with *errmsg
 * when the output could not be stored. NULL is FS_OK. */
enum fs_status fs_sink_close_file(fs_sink *sink, enum fs_status run_status, char **errmsg);

/* Around the records of one capture (see begin_capture in the ops):
 * FS_ERR_OUTPUT with *errmsg on failure; FS_OK for formats without them. */
enum fs_status fs_sink_begin_capture(
        fs_sink *sink, const struct fs_capture_info *capture, char **errmsg);
enum fs_status fs_sink_end_capture(
        fs_sink *sink, const struct fs_capture_info *capture, char **errmsg);

/* A tape: a sink that records the calls made to it as frames on writer
 * (a worker's temporary file), for fs_sink_replay() to make them again on
 * the sink of the process that writes the output. */
fs_sink *fs_sink_new_tape(fs_writer *writer);

/* Makes the calls recorded on tape (read from its start) on sink.
 * FS_ERR_OUTPUT with *errmsg when the tape cannot be read or is malformed
 * (the records before the fault are replayed). */
enum fs_status fs_sink_replay(fs_sink *sink, FILE *tape, char **errmsg);

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
