/* window_main.c: see window_main.h. The command line (getopt_long: the
 * options of its own, then the input, -T, -w and -h that the analyses share,
 * record_source.h), then: records read one by one (record_reader.c), or made from
 * captures by the capture command's run in this process (-r and the other
 * input forms: window_capture.c), every packet of each added to the window
 * set (window.c), and every window written at the end through the sink of
 * -T on standard output or -w FILE (jsonl, csv), or into the database -w
 * FILE (sqlite: window_sqlite.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "window_main.h"
#include "options.h"
#include "record_reader.h"
#include "record_source.h"
#include "run.h"
#include "sink.h"
#include "window.h"
#include "window_capture.h"
#include "window_sqlite.h"
#include "writer.h"

struct window_options {
    /* The input (captures, with --flow-filter among their options, or
     * --from-records; no --from-db), -T (jsonl, csv or sqlite), -w, -h. */
    struct fs_analysis_cli cli;
    gint64 seconds_ns;
    gboolean empty_windows;
    gboolean score; /* --score */
    /* The flow meter's timeouts in seconds (--idle-timeout,
     * --active-timeout; 0 when not given) and --hold. */
    guint64 idle_timeout, active_timeout;
    gboolean hold;
    /* The command line, for a database's window_runs row: the program
     * and the arguments from "window" on, borrowed. */
    const char *program;
    int argc;
    char **argv;
};

/* The flow meter's timeouts of window -r unless --hold: NFStream's. */
#define WINDOW_IDLE_TIMEOUT   120
#define WINDOW_ACTIVE_TIMEOUT 1800
/* Added to the horizon for the meter's whole milliseconds and packets a
 * little out of time order. */
#define HORIZON_MARGIN_NS G_GINT64_CONSTANT(1000000000)

enum {
    OPT_SECONDS = 256,
    OPT_EMPTY_WINDOWS,
    OPT_SCORE,
    OPT_IDLE_TIMEOUT,
    OPT_ACTIVE_TIMEOUT,
    OPT_HOLD,
    OPT_FLOW_FILTER,
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
          "  --idle-timeout <s>, --active-timeout <s>\n"
          "                             captures: the flow meter's timeouts (default 120\n"
          "                             and 1800, NFStream's): a window is written once\n"
          "                             the capture is past it by both and 1 s\n"
          "  --hold                     captures: no default timeouts and every window\n"
          "                             kept to the end (captures that overlap in time)\n"
          "  --flow-filter <filter>     captures: as flowshark\n"
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
    fputs(fs_record_source_help_without_db, out);
}

static enum fs_status parse(int argc, char **argv, struct window_options *o, char **errmsg)
{
    static const struct option options[] = {
        FS_ANALYSIS_CLI_OPTIONS_WITHOUT_DB,
        { "seconds", required_argument, NULL, OPT_SECONDS },
        { "empty-windows", no_argument, NULL, OPT_EMPTY_WINDOWS },
        { "score", no_argument, NULL, OPT_SCORE },
        { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
        { "active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT },
        { "hold", no_argument, NULL, OPT_HOLD },
        { "flow-filter", required_argument, NULL, OPT_FLOW_FILTER },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    fs_analysis_cli_init(&o->cli, "window");
    o->cli.source.without_db = TRUE;
    o->cli.file_format = &fs_window_sqlite;
    o->argc = argc;
    o->argv = argv;
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, FS_ANALYSIS_CLI_SHORT, options, NULL)) != -1) {
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
            case OPT_EMPTY_WINDOWS:
                o->empty_windows = TRUE;
                break;
            case OPT_SCORE:
                o->score = TRUE;
                break;
            case OPT_IDLE_TIMEOUT:
            case OPT_ACTIVE_TIMEOUT: {
                /* Checked by the capture command's options; kept here for
                 * the horizon. */
                char *end = NULL;
                guint64 v = g_ascii_strtoull(optarg, &end, 10);
                if (!end || end == optarg || *end || v == 0 || v > G_MAXINT32) {
                    *errmsg = g_strdup_printf("window: %s %s: not a number of seconds "
                                              "(1-2147483647)",
                            c == OPT_IDLE_TIMEOUT ? "--idle-timeout" : "--active-timeout", optarg);
                    return FS_ERR_USAGE;
                }
                if (c == OPT_IDLE_TIMEOUT)
                    o->idle_timeout = v;
                else
                    o->active_timeout = v;
                break;
            }
            case OPT_HOLD:
                o->hold = TRUE;
                break;
            case OPT_FLOW_FILTER:
                /* The capture command's, handed on with the shared ones. */
                fs_record_source_pass_on(&o->cli.source, "--flow-filter", optarg);
                break;
            default: {
                enum fs_status taken = fs_analysis_cli_option(&o->cli, c, optarg, argv, errmsg);
                if (taken != FS_OK)
                    return taken;
                break;
            }
        }
    }
    const struct fs_record_source *src = &o->cli.source;
    if (!o->cli.help) {
        if (o->seconds_ns == 0) {
            *errmsg = g_strdup("window: --seconds T is required");
            return FS_ERR_USAGE;
        }
        /* Before the shared checks (fs_analysis_cli_finish()), as
         * always: with --from-records and no captures (none given, none
         * after "--", which it takes next), this message comes before
         * theirs of a capture option or of -T sqlite without -w. */
        if (src->from_records && !src->captures && optind >= argc &&
                (o->idle_timeout || o->active_timeout || o->hold)) {
            *errmsg = g_strdup("window: --idle-timeout, --active-timeout and --hold are for "
                               "captures, not --from-records");
            return FS_ERR_USAGE;
        }
    }
    enum fs_status status = fs_analysis_cli_finish(&o->cli, argc, argv, errmsg);
    if (status != FS_OK || o->cli.help)
        return status;
    if (!o->hold) {
        if (!o->idle_timeout)
            o->idle_timeout = WINDOW_IDLE_TIMEOUT;
        if (!o->active_timeout)
            o->active_timeout = WINDOW_ACTIVE_TIMEOUT;
    }
    return FS_OK;
}

/* Every packet of a record into the set (data). */
static void add_record(const struct fs_read_record *rec, const int *states, void *data)
{
    (void)states; /* records carry none */
    const struct fs_window_flow flow = {
        .protocol = rec->protocol,
        .src = rec->src,
        .sport = rec->sport,
        .dst = rec->dst,
        .dport = rec->dport,
    };
    for (guint i = 0; i < rec->packets; i++)
        fs_window_set_add(data, &flow, rec->times_ns[i], rec->lengths[i], -1);
}

/* Every packet of every record of --from-records into set. */
static enum fs_status read_records(
        const struct window_options *o, fs_window_set *set, char **errmsg)
{
    return fs_record_source_run(NULL, &o->cli.source, NULL, add_record, set, errmsg);
}

/* The output of the rows: -T's format over a writer (standard output, or
 * -w FILE written whole), or, for sqlite, a database of its own; its keys
 * (the CSV header, the database's columns) from a dry run of an empty row
 * into a key collector. */
struct window_output {
    fs_writer *writer; /* NULL for sqlite */
    fs_sink *sink;
};

/* The database's window_runs row: the command line, --seconds and the
 * rest; then the sink of that format. */
static enum fs_status open_database(const struct window_options *o,
        const struct fs_sink_ops *format, struct window_output *out, char **errmsg)
{
    const struct fs_record_source *src = &o->cli.source;
    GPtrArray *sources = g_ptr_array_new();
    if (src->from_records)
        g_ptr_array_add(sources, (gpointer)src->from_records);
    for (guint i = 0; i + 1 < src->capture_args->len; i++) {
        const char *arg = g_ptr_array_index(src->capture_args, i);
        if (strcmp(arg, "-r") == 0 || strcmp(arg, "--files-from") == 0)
            g_ptr_array_add(sources, g_ptr_array_index(src->capture_args, ++i));
    }
    GPtrArray *words = g_ptr_array_new();
    g_ptr_array_add(words, (gpointer)o->program);
    for (int i = 0; i < o->argc; i++)
        g_ptr_array_add(words, o->argv[i]);
    char *command_line = fs_options_quote_command_line((int)words->len, (char **)words->pdata);
    const struct fs_window_sqlite_run window = {
        .seconds_ns = o->seconds_ns,
        .empty_windows = o->empty_windows,
        .input = src->captures ? "captures" : "records",
        .sources = sources,
    };
    const struct fs_run_info run = {
        .command_line = command_line,
        .version = FS_VERSION,
        .command = &window,
    };
    enum fs_status status = fs_sink_open_file(format, o->cli.write, &run, &out->sink, errmsg);
    g_free(command_line);
    g_ptr_array_free(words, TRUE);
    g_ptr_array_free(sources, TRUE);
    return status;
}

static enum fs_status output_open(
        const struct window_options *o, struct window_output *out, char **errmsg)
{
    const struct fs_sink_ops *format = fs_analysis_cli_format(&o->cli);
    memset(out, 0, sizeof(*out));
    enum fs_status status;
    if (fs_sink_format_is_file(format)) {
        status = open_database(o, format, out, errmsg);
        if (status != FS_OK)
            return status;
    } else {
        status = fs_writer_open(o->cli.write, &out->writer, errmsg);
        if (status != FS_OK)
            return status;
        /* Rows written before the end (capture input past the horizon) are
         * seen at once, as a live capture's records: one row is T seconds
         * of capture. */
        if (o->cli.source.captures && !o->hold)
            fs_writer_flush_each(out->writer);
        out->sink = fs_sink_new(format, out->writer);
    }
    fs_sink *collector = fs_sink_new_key_collector();
    fs_window_emit_empty(collector, o->cli.source.captures, o->score);
    fs_sink_begin_output(out->sink, fs_sink_collected_keys(collector));
    fs_sink_free(collector);
    return FS_OK;
}

/* Ends the output: with complete, what was written is stored (the
 * writer's file renamed into place, the database's transaction committed
 * with run_status as its run's status); otherwise a -w file is removed. */
static enum fs_status output_close(
        struct window_output *out, gboolean complete, enum fs_status run_status, char **errmsg)
{
    enum fs_status status;
    if (!out->writer) {
        status = fs_sink_close_file(out->sink, run_status, errmsg);
    } else {
        fs_sink_free(out->sink);
        status = fs_writer_close(out->writer, complete, errmsg);
    }
    out->sink = NULL;
    out->writer = NULL;
    return status;
}

/* Captures: the capture command's run over the same inputs, its flows
 * without payload kept, ended by the flow meter's timeouts (unless
 * --hold), and each packet's flow state recorded, in this process; its
 * records go into set, and the windows are written to the output as they
 * close (past the horizon) and at the end. Messages of the run are
 * reported by it; *errmsg is this function's own. */
static enum fs_status read_captures(
        const char *program, const struct window_options *o, fs_window_set *set, char **errmsg)
{
    char idle[32], active[32];
    const char *extra[5] = { NULL };
    int n_extra = 0;
    if (o->idle_timeout) {
        g_snprintf(idle, sizeof(idle), "%" G_GUINT64_FORMAT, o->idle_timeout);
        extra[n_extra++] = "--idle-timeout";
        extra[n_extra++] = idle;
    }
    if (o->active_timeout) {
        g_snprintf(active, sizeof(active), "%" G_GUINT64_FORMAT, o->active_timeout);
        extra[n_extra++] = "--active-timeout";
        extra[n_extra++] = active;
    }
    struct fs_options opts;
    char *why = NULL;
    enum fs_status status =
            fs_record_source_begin_captures(program, &o->cli.source, extra, &opts, &why);
    if (status != FS_OK) {
        *errmsg = g_strdup_printf("window: %s", why);
        g_free(why);
        return status;
    }
    opts.packet_states = TRUE;
    /* The horizon holds across captures read in time order. */
    opts.inputs_by_time = !o->hold;
    struct window_output out = { 0 };
    status = output_open(o, &out, &why);
    if (status != FS_OK) {
        *errmsg = why;
        fs_record_source_end_captures(&opts);
        return status;
    }
    /* A flow's packets lie within active of its first, and a flow still
     * open has had a packet within idle: once a record has a packet at t,
     * every later record's packets are after t - idle - active. */
    struct fs_window_stream stream = {
        .horizon_ns = o->hold ? 0
                              : (gint64)(o->idle_timeout + o->active_timeout) * 1000000000 +
                                        HORIZON_MARGIN_NS,
        .output = out.sink,
        .empty_windows = o->empty_windows,
        .score = o->score,
    };
    fs_window_consumer *consumer = fs_window_consumer_new(set, &stream);
    /* fs_run_into() reports its own messages. */
    status = fs_run_into(&opts, fs_window_consumer_sink(consumer));
    if (fs_window_consumer_rejected(consumer) > 0 && status == FS_OK) {
        fs_report(NULL,
                why = g_strdup_printf("window: %" G_GUINT64_FORMAT " records could not be read",
                        fs_window_consumer_rejected(consumer)));
        g_free(why);
        why = NULL;
        status = FS_ERR_OPEN;
    }
    if (fs_window_set_late(set) > 0) {
        fs_report(NULL, why = g_strdup_printf("window: %" G_GUINT64_FORMAT
                                              " packets are not counted: their windows were "
                                              "already written (the captures overlap in time, "
                                              "or packets are out of time order by more than "
                                              "the horizon, %" G_GUINT64_FORMAT
                                              " s); --hold keeps every window to the end",
                                fs_window_set_late(set), o->idle_timeout + o->active_timeout + 1));
        g_free(why);
        why = NULL;
        status = fs_status_worst(status, FS_ERR_TRUNCATED);
    }
    fs_window_consumer_free(consumer);
    gboolean complete = fs_record_source_usable(status);
    if (complete)
        fs_window_set_finish(set, out.sink, o->empty_windows, o->score);
    status = fs_status_worst(status, output_close(&out, complete, status, errmsg));
    fs_record_source_end_captures(&opts);
    return status;
}

/* Records: every window at the end, nothing written when the records
 * cannot be read. */
static enum fs_status window_records(
        const struct window_options *o, fs_window_set *set, char **errmsg)
{
    enum fs_status status = read_records(o, set, errmsg);
    if (status != FS_OK)
        return status;
    struct window_output out;
    status = output_open(o, &out, errmsg);
    if (status != FS_OK)
        return status;
    fs_window_set_finish(set, out.sink, o->empty_windows, o->score);
    return output_close(&out, TRUE, FS_OK, errmsg);
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
    if (o.cli.help) {
        print_help(stdout);
        goto out;
    }
    set = fs_window_set_new(o.seconds_ns, o.cli.source.captures);
    if (o.cli.source.captures)
        status = read_captures(program, &o, set, &errmsg);
    else
        status = window_records(&o, set, &errmsg);
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_window_set_free(set);
    fs_analysis_cli_clear(&o.cli);
    return status;
}
