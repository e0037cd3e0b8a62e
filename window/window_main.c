/* window_main.c: see window_main.h. The command line (getopt_long, as
 * options.c), then: records read one by one (record_reader.c), or made from
 * captures by the capture command's run in this process (-r and the other
 * input forms: window_capture.c), every packet of each added to the window
 * set (window.c), and every window written at the end through the sink of
 * -T on standard output or -w FILE (jsonl, csv), or into the database -w
 * FILE (sqlite: window_sqlite.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "window_main.h"
#include "epan_session.h"
#include "interrupt.h"
#include "options.h"
#include "record_reader.h"
#include "run.h"
#include "sink.h"
#include "window.h"
#include "window_capture.h"
#include "window_sqlite.h"
#include "writer.h"

struct window_options {
    gint64 seconds_ns;
    const char *from_records; /* borrowed from argv */
    const char *format;       /* -T */
    const char *write;        /* -w, or NULL */
    gboolean empty_windows;
    gboolean score; /* --score */
    gboolean help;
    /* Capture input: the capture command's arguments that name captures
     * and how to read them (-r, plain arguments, --files-from,
     * --no-exclusions, -j, --no-fork, --progress, -q), in order, borrowed
     * from argv; empty for records input. */
    GPtrArray *capture_args;
    gboolean captures; /* -r, a plain argument or --files-from given */
    gboolean progress; /* --progress given */
    /* The command line, for a database's window_runs row: the program
     * and the arguments from "window" on, borrowed. */
    const char *program;
    int argc;
    char **argv;
};

enum {
    OPT_SECONDS = 256,
    OPT_FROM_RECORDS,
    OPT_EMPTY_WINDOWS,
    OPT_SCORE,
    OPT_FILES_FROM,
    OPT_NO_EXCLUSIONS,
    OPT_NO_FORK,
    OPT_PROGRESS,
};

static void print_help(FILE *out)
{
    fputs("Usage: flowshark window --seconds <T> -r <capture> [options] [<capture>...]\n"
          "       flowshark window --seconds <T> --from-records <file> [options]\n"
          "\n"
          "One row per window of <T> seconds (aligned to the epoch: a packet at t\n"
          "falls in the window starting at floor(t / T) * T) of the packets of flows:\n"
          "entries, bytes and packets each way, distinct ports, addresses,\n"
          "connections and flows, distributions per connection, address and port,\n"
          "and (captures only) the entries by TCP/UDP flow state.\n"
          "Keys and definitions: doc/windows.md.\n"
          "\n"
          "  --seconds <T>              window length in seconds (> 0; up to 9 decimals)\n"
          "  -r, --read-file <path>     a capture or a folder of captures (repeatable;\n"
          "                             also as plain arguments), flows without payload\n"
          "                             kept (as flowshark --keep-empty)\n"
          "  --files-from <file>        captures and folders listed one per line (\"-\":\n"
          "                             standard input)\n"
          "  --no-exclusions            keep ICMP, retransmissions, mDNS and SSDP (as\n"
          "                             flowshark --no-exclusions)\n"
          "  -j, --jobs <n>, --no-fork  several captures: as flowshark\n"
          "  --progress, -q             the progress line: as flowshark (default: -q)\n"
          "  --from-records <file>      instead of captures: flowshark's JSON Lines\n"
          "                             records (\"-\": standard input), e.g. of\n"
          "                             flowshark -r CAPTURE --keep-empty\n"
          "  --empty-windows            also write the windows without entries between\n"
          "                             the first and the last (counts 0, the rest null)\n"
          "  --score                    also a robust z-score over the run of num_entries\n"
          "                             and each count_* key (<key>_z) and top_features,\n"
          "                             the three highest\n"
          "  -T, --format <format>      jsonl (default), csv, or sqlite: the windows\n"
          "                             added to the database -w <file> (a new one or\n"
          "                             flowshark's, as flowshark -T sqlite; tables\n"
          "                             window_runs and windows)\n"
          "  -w, --write <file>         write to <file> (complete or not at all) instead\n"
          "                             of standard output (required with -T sqlite)\n"
          "  -h, --help                 this help\n",
            out);
}

/* The format -T name gives: sink.c's formats that write bytes (jsonl,
 * csv), and sqlite, the windows' own database format (window_sqlite.c),
 * not the flows'. NULL for any other name. */
static const struct fs_sink_ops *window_format(const char *name)
{
    if (strcmp(name, fs_window_sqlite.name) == 0)
        return &fs_window_sqlite;
    const struct fs_sink_ops *ops = fs_sink_format_find(name);
    return ops && !fs_sink_format_is_file(ops) ? ops : NULL;
}

static enum fs_status parse(int argc, char **argv, struct window_options *o, char **errmsg)
{
    static const struct option options[] = {
        { "seconds", required_argument, NULL, OPT_SECONDS },
        { "from-records", required_argument, NULL, OPT_FROM_RECORDS },
        { "empty-windows", no_argument, NULL, OPT_EMPTY_WINDOWS },
        { "score", no_argument, NULL, OPT_SCORE },
        { "format", required_argument, NULL, 'T' },
        { "write", required_argument, NULL, 'w' },
        { "read-file", required_argument, NULL, 'r' },
        { "files-from", required_argument, NULL, OPT_FILES_FROM },
        { "no-exclusions", no_argument, NULL, OPT_NO_EXCLUSIONS },
        { "jobs", required_argument, NULL, 'j' },
        { "no-fork", no_argument, NULL, OPT_NO_FORK },
        { "progress", no_argument, NULL, OPT_PROGRESS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->format = "jsonl";
    o->capture_args = g_ptr_array_new();
    o->argc = argc;
    o->argv = argv;
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    /* "-": plain arguments come in order as option 1 (captures). */
    while ((c = getopt_long(argc, argv, "-:T:w:r:j:qh", options, NULL)) != -1) {
        switch (c) {
            case OPT_SECONDS:
                if (!fs_record_parse_time(optarg, strlen(optarg), &o->seconds_ns) ||
                        o->seconds_ns <= 0) {
                    *errmsg =
                            g_strdup_printf("window: --seconds %s: not a number of seconds above 0 "
                                            "(at most 9 decimals)",
                                    optarg);
                    return FS_ERR_USAGE;
                }
                break;
            case OPT_FROM_RECORDS:
                o->from_records = optarg;
                break;
            case OPT_EMPTY_WINDOWS:
                o->empty_windows = TRUE;
                break;
            case OPT_SCORE:
                o->score = TRUE;
                break;
            case 'T':
                if (!window_format(optarg)) {
                    *errmsg = g_strdup_printf("window: -T %s: not a format of flowshark window "
                                              "(jsonl, csv or sqlite)",
                            optarg);
                    return FS_ERR_USAGE;
                }
                o->format = optarg;
                break;
            case 'w':
                o->write = optarg;
                break;
            case 1: /* a plain argument: a capture */
            case 'r':
                g_ptr_array_add(o->capture_args, (gpointer) "-r");
                g_ptr_array_add(o->capture_args, optarg);
                o->captures = TRUE;
                break;
            case OPT_FILES_FROM:
                g_ptr_array_add(o->capture_args, (gpointer) "--files-from");
                g_ptr_array_add(o->capture_args, optarg);
                o->captures = TRUE;
                break;
            case OPT_NO_EXCLUSIONS:
                g_ptr_array_add(o->capture_args, (gpointer) "--no-exclusions");
                break;
            case 'j':
                g_ptr_array_add(o->capture_args, (gpointer) "-j");
                g_ptr_array_add(o->capture_args, optarg);
                break;
            case OPT_NO_FORK:
                g_ptr_array_add(o->capture_args, (gpointer) "--no-fork");
                break;
            case OPT_PROGRESS:
                g_ptr_array_add(o->capture_args, (gpointer) "--progress");
                o->progress = TRUE;
                break;
            case 'q':
                g_ptr_array_add(o->capture_args, (gpointer) "-q");
                break;
            case 'h':
                o->help = TRUE;
                break;
            case ':':
                *errmsg = g_strdup_printf("window: %s needs a value", argv[optind - 1]);
                return FS_ERR_USAGE;
            default:
                *errmsg = g_strdup_printf("window: unknown option %s", argv[optind - 1]);
                return FS_ERR_USAGE;
        }
    }
    if (o->help)
        return FS_OK;
    for (; optind < argc; optind++) { /* after "--": captures */
        g_ptr_array_add(o->capture_args, (gpointer) "-r");
        g_ptr_array_add(o->capture_args, argv[optind]);
        o->captures = TRUE;
    }
    if (o->seconds_ns == 0) {
        *errmsg = g_strdup("window: --seconds T is required");
        return FS_ERR_USAGE;
    }
    if (o->from_records && o->captures) {
        *errmsg = g_strdup("window: --from-records and captures (-r, --files-from, plain "
                           "arguments) cannot be combined");
        return FS_ERR_USAGE;
    }
    if (!o->from_records && !o->captures) {
        *errmsg = g_strdup("window: captures (-r CAPTURE, --files-from, plain arguments) or "
                           "--from-records FILE (\"-\": standard input) are required");
        return FS_ERR_USAGE;
    }
    if (o->from_records && o->capture_args->len > 0) {
        *errmsg = g_strdup_printf("window: %s is for captures, not --from-records",
                (const char *)g_ptr_array_index(o->capture_args, 0));
        return FS_ERR_USAGE;
    }
    if (fs_sink_format_is_file(window_format(o->format)) &&
            (!o->write || strcmp(o->write, "-") == 0)) {
        *errmsg =
                g_strdup_printf("window: -T %s writes a database: give it with -w FILE", o->format);
        return FS_ERR_USAGE;
    }
    return FS_OK;
}

/* Every packet of every record into set. */
static enum fs_status read_records(const char *path, fs_window_set *set, char **errmsg)
{
    fs_record_reader *reader = NULL;
    enum fs_status status = fs_record_reader_open(path, &reader, errmsg);
    gboolean done = FALSE;
    while (status == FS_OK && !done) {
        struct fs_read_record rec;
        status = fs_record_reader_next(reader, &rec, &done, errmsg);
        if (status != FS_OK || done)
            break;
        const struct fs_window_flow flow = {
            .protocol = rec.protocol,
            .src = rec.src,
            .sport = rec.sport,
            .dst = rec.dst,
            .dport = rec.dport,
        };
        for (guint i = 0; i < rec.packets; i++)
            fs_window_set_add(set, &flow, rec.times_ns[i], rec.lengths[i], -1);
    }
    fs_record_reader_free(reader);
    return status;
}

/* Captures: the capture command's run over the same inputs, its flows
 * without payload kept and each packet's flow state recorded, in this
 * process; its records go into set. */
static enum fs_status read_captures(
        const char *program, const struct window_options *o, fs_window_set *set, char **errmsg)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer)program);
    g_ptr_array_add(args, (gpointer) "--keep-empty");
    if (!o->progress)
        g_ptr_array_add(args, (gpointer) "-q");
    for (guint i = 0; i < o->capture_args->len; i++)
        g_ptr_array_add(args, g_ptr_array_index(o->capture_args, i));
    g_ptr_array_add(args, NULL);
    struct fs_options opts;
    char *why = NULL;
    enum fs_status status = fs_options_parse((int)args->len - 1, (char **)args->pdata, &opts, &why);
    g_ptr_array_free(args, TRUE);
    if (status != FS_OK) {
        *errmsg = g_strdup_printf("window: %s", why);
        g_free(why);
        fs_options_free(&opts);
        return status;
    }
    opts.packet_states = TRUE;

    status = fs_epan_session_init(program, &why);
    if (status != FS_OK) {
        *errmsg = why;
        fs_options_free(&opts);
        return status;
    }
    /* As main() sets up the capture command. */
    status = fs_epan_session_configure(opts.prefs, opts.decode_as, &why);
    if (status != FS_OK) {
        *errmsg = why;
        fs_epan_session_cleanup();
        fs_options_free(&opts);
        return status;
    }
    fs_interrupt_install();
    fs_window_consumer *consumer = fs_window_consumer_new(set);
    /* fs_run_into() reports its own messages. */
    status = fs_run_into(&opts, fs_window_consumer_sink(consumer));
    if (fs_window_consumer_rejected(consumer) > 0 && status == FS_OK) {
        *errmsg = g_strdup_printf("window: %" G_GUINT64_FORMAT " records could not be read",
                fs_window_consumer_rejected(consumer));
        status = FS_ERR_OPEN;
    }
    fs_window_consumer_free(consumer);
    fs_epan_session_cleanup();
    fs_options_free(&opts);
    return status;
}

/* Whether the windows of a run that ended with status are written: as the
 * capture command keeps the records of what it could read (a capture cut
 * short, an interruption, one capture of several missing), not after a
 * bad command line. */
static gboolean windows_wanted(enum fs_status status)
{
    return status == FS_OK || status == FS_ERR_TRUNCATED || status == FS_ERR_INTERRUPTED ||
           status == FS_ERR_WORKER || status == FS_ERR_OPEN;
}

/* The output of -T and -w: a sink over a writer (standard output, or -w
 * FILE written whole), or, for sqlite, over a database of its own. */
struct window_output {
    fs_writer *writer; /* NULL for sqlite */
    fs_sink *sink;
};

/* The database's window_runs row: the command line, --seconds and the
 * rest; then the sink of that format. */
static enum fs_status open_database(const struct window_options *o,
        const struct fs_sink_ops *format, struct window_output *out, char **errmsg)
{
    GPtrArray *sources = g_ptr_array_new();
    if (o->from_records)
        g_ptr_array_add(sources, (gpointer)o->from_records);
    for (guint i = 0; i + 1 < o->capture_args->len; i++) {
        const char *arg = g_ptr_array_index(o->capture_args, i);
        if (strcmp(arg, "-r") == 0 || strcmp(arg, "--files-from") == 0)
            g_ptr_array_add(sources, g_ptr_array_index(o->capture_args, ++i));
    }
    GPtrArray *words = g_ptr_array_new();
    g_ptr_array_add(words, (gpointer)o->program);
    for (int i = 0; i < o->argc; i++)
        g_ptr_array_add(words, o->argv[i]);
    char *command_line = fs_options_quote_command_line((int)words->len, (char **)words->pdata);
    const struct fs_window_sqlite_run window = {
        .seconds_ns = o->seconds_ns,
        .empty_windows = o->empty_windows,
        .input = o->captures ? "captures" : "records",
        .sources = sources,
    };
    const struct fs_run_info run = {
        .command_line = command_line,
        .version = FS_VERSION,
        .command = &window,
    };
    enum fs_status status = fs_sink_open_file(format, o->write, &run, &out->sink, errmsg);
    g_free(command_line);
    g_ptr_array_free(words, TRUE);
    g_ptr_array_free(sources, TRUE);
    return status;
}

static enum fs_status open_output(
        const struct window_options *o, struct window_output *out, char **errmsg)
{
    const struct fs_sink_ops *format = window_format(o->format);
    memset(out, 0, sizeof(*out));
    if (fs_sink_format_is_file(format))
        return open_database(o, format, out, errmsg);
    enum fs_status status = fs_writer_open(o->write, &out->writer, errmsg);
    if (status == FS_OK)
        out->sink = fs_sink_new(format, out->writer);
    return status;
}

/* Ends the output: what was written is stored (the writer's file renamed
 * into place, the database's transaction committed, run_status its run's
 * status) unless writing failed. */
static enum fs_status close_output(
        struct window_output *out, enum fs_status run_status, char **errmsg)
{
    if (!out->writer)
        return fs_sink_close_file(out->sink, run_status, errmsg);
    fs_sink_free(out->sink);
    return fs_writer_close(out->writer, TRUE, errmsg);
}

/* The header keys (a dry run of an empty row into a key collector), then
 * every window; run_status: how reading ended (a database's run status). */
static enum fs_status write_windows(const struct window_options *o, const fs_window_set *set,
        enum fs_status run_status, char **errmsg)
{
    struct window_output output;
    fs_sink *collector = fs_sink_new_key_collector();
    fs_window_emit_empty(collector, o->captures, o->score);
    enum fs_status status = open_output(o, &output, errmsg);
    if (status != FS_OK)
        goto out;
    fs_sink_begin_output(output.sink, fs_sink_collected_keys(collector));
    fs_window_set_write(set, output.sink, o->empty_windows, o->score);
    status = close_output(&output, run_status, errmsg);
out:
    fs_sink_free(collector);
    return status;
}

enum fs_status fs_window_main(const char *program, int argc, char **argv)
{
    struct window_options o;
    char *errmsg = NULL;
    fs_window_set *set = NULL;
    enum fs_status status = parse(argc, argv, &o, &errmsg);
    if (status != FS_OK)
        goto out;
    o.program = program;
    if (o.help) {
        print_help(stdout);
        goto out;
    }
    set = fs_window_set_new(o.seconds_ns, o.captures);
    if (o.captures) {
        status = read_captures(program, &o, set, &errmsg);
        if (windows_wanted(status)) {
            if (errmsg)
                fs_report(NULL, errmsg);
            g_free(errmsg);
            errmsg = NULL;
            status = fs_status_worst(status, write_windows(&o, set, status, &errmsg));
        }
    } else {
        status = read_records(o.from_records, set, &errmsg);
        if (status == FS_OK)
            status = write_windows(&o, set, status, &errmsg);
    }
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_window_set_free(set);
    g_ptr_array_free(o.capture_args, TRUE);
    return status;
}
