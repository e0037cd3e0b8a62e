/* record_source.h: where an analysis's flow records come from, whatever
 * the input form (doc/botnet.md, doc/windows.md): captures read by the
 * capture command's own run in this process (-r and the other input forms,
 * fs_run_into()), flowshark's JSON Lines records (--from-records), or a
 * run of a flowshark database (--from-db FILE [--db-run N], the flows
 * table of -T sqlite). Every record reaches a callback as a struct
 * fs_read_record (record_reader.h), one at a time.
 *
 * The command-line options of these inputs are shared: an analysis adds
 * FS_RECORD_SOURCE_OPTIONS to its getopt_long table and hands every option
 * it does not know to fs_record_source_option() (or, with -T, -w and -h
 * too, uses struct fs_analysis_cli below). */
#ifndef FS_RECORD_SOURCE_H
#define FS_RECORD_SOURCE_H

#include <getopt.h>

#include <glib.h>

#include "options.h"
#include "record_reader.h"
#include "sink.h"
#include "status.h"

/* The records of one analysis run. */
struct fs_record_source {
    const char *from_records; /* --from-records FILE ("-": standard input), or NULL */
    const char *from_db;      /* --from-db FILE, or NULL */
    gint64 db_run;            /* --db-run N; 0: the database's last run */
    /* Set by an analysis that reads no database, before its command line
     * (window: its getopt table has FS_ANALYSIS_CLI_OPTIONS_WITHOUT_DB,
     * its help fs_record_source_help_without_db): the messages of
     * fs_record_source_check() then name no --from-db. */
    gboolean without_db;
    /* Capture input: the capture command's arguments naming the captures
     * and how to read them (-r, plain arguments, --files-from,
     * --no-exclusions, -j, --no-fork, --progress, -q, -Y, -o, -d,
     * --reset-every, --all-protocols, and the analysis's own handed on by
     * fs_record_source_pass_on()), in order, borrowed from argv. */
    GPtrArray *capture_args;
    gboolean captures; /* -r, a plain argument or --files-from given */
    gboolean progress; /* --progress given */
    /* Set by the analysis, not the command line: which -e values the
     * capture pass keeps (fs_options.keep_value); NULL: all. */
    fs_value_keep_fn keep_value;
    void *keep_value_data;
};

/* One record for the analysis: borrowed for the call. states: with
 * capture input and want_states, each packet's flow state (the
 * window_states key of feature_states.c), else NULL. */
typedef void (*fs_record_fn)(const struct fs_read_record *rec, const int *states, void *data);

/* The getopt_long values of the shared options (above any single
 * character), and the table entries to put in an analysis's own table. */
enum {
    FS_RECORD_OPT_FROM_RECORDS = 0x1000,
    FS_RECORD_OPT_FROM_DB,
    FS_RECORD_OPT_DB_RUN,
    FS_RECORD_OPT_FILES_FROM,
    FS_RECORD_OPT_NO_EXCLUSIONS,
    FS_RECORD_OPT_NO_FORK,
    FS_RECORD_OPT_PROGRESS,
    FS_RECORD_OPT_RESET_EVERY,
    FS_RECORD_OPT_ALL_PROTOCOLS,
};
/* The input forms' entries: records, a database, captures (-r and the
 * capture command's options). */
#define FS_RECORD_SOURCE_RECORDS_OPTIONS                                                           \
    {                                                                                              \
        "from-records", required_argument, NULL, FS_RECORD_OPT_FROM_RECORDS                        \
    }
#define FS_RECORD_SOURCE_DB_OPTIONS                                                                \
    { "from-db", required_argument, NULL, FS_RECORD_OPT_FROM_DB },                                 \
    {                                                                                              \
        "db-run", required_argument, NULL, FS_RECORD_OPT_DB_RUN                                    \
    }
#define FS_RECORD_SOURCE_CAPTURE_OPTIONS                                                           \
    { "read-file", required_argument, NULL, 'r' },                                                 \
            { "files-from", required_argument, NULL, FS_RECORD_OPT_FILES_FROM },                   \
            { "no-exclusions", no_argument, NULL, FS_RECORD_OPT_NO_EXCLUSIONS },                   \
            { "jobs", required_argument, NULL, 'j' },                                              \
            { "no-fork", no_argument, NULL, FS_RECORD_OPT_NO_FORK },                               \
            { "progress", no_argument, NULL, FS_RECORD_OPT_PROGRESS },                             \
            { "quiet", no_argument, NULL, 'q' },                                                   \
            { "display-filter", required_argument, NULL, 'Y' },                                    \
            { "pref", required_argument, NULL, 'o' },                                              \
            { "decode-as", required_argument, NULL, 'd' },                                         \
            { "reset-every", required_argument, NULL, FS_RECORD_OPT_RESET_EVERY },                 \
    {                                                                                              \
        "all-protocols", no_argument, NULL, FS_RECORD_OPT_ALL_PROTOCOLS                            \
    }
/* Every form. */
#define FS_RECORD_SOURCE_OPTIONS                                                                   \
    FS_RECORD_SOURCE_RECORDS_OPTIONS, FS_RECORD_SOURCE_DB_OPTIONS, FS_RECORD_SOURCE_CAPTURE_OPTIONS
/* The short options among them, for getopt_long's option string. */
#define FS_RECORD_SOURCE_SHORT "r:j:qY:o:d:"

/* A source with nothing given yet; free with fs_record_source_clear(). */
void fs_record_source_init(struct fs_record_source *src);
void fs_record_source_clear(struct fs_record_source *src);

/* Takes option c (getopt's value; 1: a plain argument, a capture) with
 * optarg: TRUE when it is one of the shared options, FALSE otherwise.
 * FALSE with *errmsg set (caller g_free()s) for a bad value. */
gboolean fs_record_source_option(
        struct fs_record_source *src, int c, const char *optarg, char **errmsg);

/* Hands the capture command an option of the analysis's own as it is
 * (name, and value unless NULL; both borrowed), in command-line order
 * among the shared ones: window's --flow-filter. It is a capture option
 * for fs_record_source_check(). */
void fs_record_source_pass_on(struct fs_record_source *src, const char *name, const char *value);

/* After the command line (who: the subcommand, for messages): exactly one
 * input form, and the capture options only with captures. FS_ERR_USAGE
 * with *errmsg otherwise. */
enum fs_status fs_record_source_check(
        const struct fs_record_source *src, const char *who, char **errmsg);

/* The help lines of the shared options; without --from-db and --db-run
 * for an analysis that reads no database (without_db). */
extern const char fs_record_source_help[];
extern const char fs_record_source_help_without_db[];

/* Capture input, step by step for an analysis that does more between
 * (flowshark window opens its output before reading): the capture
 * command's options (extra, NULL-terminated, before the source's own: e.g.
 * "--keep-empty"), then libwireshark set up as main() does. On FS_OK the
 * caller runs fs_run_into(opts, its sink) and then calls
 * fs_record_source_end_captures(opts). */
enum fs_status fs_record_source_begin_captures(const char *program,
        const struct fs_record_source *src, const char *const *extra, struct fs_options *opts,
        char **errmsg);
void fs_record_source_end_captures(struct fs_options *opts);

/* A sink for fs_run_into() that hands each record it is written to fn
 * (protocol, src, sport, dst, dport, ip_lengths, ip_timestamps, and
 * window_states when present). */
typedef struct fs_record_consumer fs_record_consumer;
fs_record_consumer *fs_record_consumer_new(fs_record_fn fn, void *data);
fs_sink *fs_record_consumer_sink(fs_record_consumer *c);
/* Records whose values could not be read (sequences of different
 * lengths, a timestamp that does not parse): not handed to fn. */
guint64 fs_record_consumer_rejected(const fs_record_consumer *c);
void fs_record_consumer_free(fs_record_consumer *c);

/* Every record of the source to fn, in input order. Capture input: as
 * flowshark -r ... --keep-empty (flows without payload are records too:
 * a scan's SYNs), plus extra capture options (NULL-terminated, may be
 * NULL); the run's own messages are reported by it. The status is the
 * worst of the run's (a capture cut short: its records are handed over
 * all the same); *errmsg is for this function's own errors (caller
 * g_free()s and reports). */
enum fs_status fs_record_source_run(const char *program, const struct fs_record_source *src,
        const char *const *extra, fs_record_fn fn, void *data, char **errmsg);

/* What every analysis subcommand's command line has besides its own
 * options: the input (above), -T (a format that writes bytes: jsonl,
 * csv; or the analysis's own file format), -w FILE and -h. A subcommand
 * puts FS_ANALYSIS_CLI_OPTIONS in its getopt_long table and
 * FS_ANALYSIS_CLI_SHORT before its own short options, handles its own
 * options and hands every other getopt value to fs_analysis_cli_option(). */
struct fs_analysis_cli {
    const char *who; /* the subcommand, for messages: "graph" */
    /* Set by the analysis after fs_analysis_cli_init(): a file format of
     * its own that -T also names (window's sqlite: a database written in
     * place, so -w FILE is required), or NULL. */
    const struct fs_sink_ops *file_format;
    struct fs_record_source source;
    const char *format; /* -T, default "jsonl" */
    const char *write;  /* -w, or NULL: standard output */
    gboolean help;      /* -h */
    /* Set by the analysis: capture options of its own for the capture
     * pass (NULL-terminated, e.g. "-e", "tcp.payload"), or NULL. */
    const char *const *capture_extra;
};
/* -T, -w and -h. */
#define FS_ANALYSIS_CLI_OUTPUT_OPTIONS                                                             \
    { "format", required_argument, NULL, 'T' }, { "write", required_argument, NULL, 'w' },         \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }
#define FS_ANALYSIS_CLI_OPTIONS FS_RECORD_SOURCE_OPTIONS, FS_ANALYSIS_CLI_OUTPUT_OPTIONS
/* For an analysis that reads no database (source.without_db): no
 * --from-db, no --db-run (not even as abbreviations). */
#define FS_ANALYSIS_CLI_OPTIONS_WITHOUT_DB                                                         \
    FS_RECORD_SOURCE_RECORDS_OPTIONS, FS_RECORD_SOURCE_CAPTURE_OPTIONS,                            \
            FS_ANALYSIS_CLI_OUTPUT_OPTIONS
/* "-": plain arguments come in order as option 1 (captures); ":": a
 * missing value is reported as such. */
#define FS_ANALYSIS_CLI_SHORT "-:T:w:h" FS_RECORD_SOURCE_SHORT

void fs_analysis_cli_init(struct fs_analysis_cli *cli, const char *who);
void fs_analysis_cli_clear(struct fs_analysis_cli *cli);

/* Takes getopt's value c (with optarg; argv for messages): FS_OK when it
 * is one of the shared options, FS_ERR_USAGE with *errmsg for a bad value,
 * a missing one or an unknown option. */
enum fs_status fs_analysis_cli_option(
        struct fs_analysis_cli *cli, int c, const char *optarg, char **argv, char **errmsg);

/* After getopt's loop: the arguments after "--" are captures, and the
 * input is checked (fs_record_source_check), then -T's file format
 * against -w. FS_OK with -h. */
enum fs_status fs_analysis_cli_finish(
        struct fs_analysis_cli *cli, int argc, char **argv, char **errmsg);

/* The format -T named: the analysis's file_format, or one of sink.c's
 * formats that write bytes. */
const struct fs_sink_ops *fs_analysis_cli_format(const struct fs_analysis_cli *cli);

/* Every record of the source to fn (fs_record_source_run), for an
 * analysis that then writes its output: TRUE when it should (the status
 * is FS_OK, or a capture run whose records are usable: a capture cut
 * short, one of several unreadable; its own message, if any, is reported
 * here and the status is kept in *status); FALSE with *status and, when
 * not yet reported, *errmsg (caller reports and frees) otherwise. */
gboolean fs_analysis_read(const char *program, const struct fs_analysis_cli *cli, fs_record_fn fn,
        void *data, enum fs_status *status, char **errmsg);

/* Whether the records of a capture run that ended with status are worth an
 * analysis's output: as the capture command keeps the records of what it
 * could read (a capture cut short, an interruption, one capture of
 * several missing, a worker that died), not after a bad command line or
 * when nothing could be set up. */
gboolean fs_record_source_usable(enum fs_status status);

#endif
