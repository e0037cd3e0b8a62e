/* window_main.c: see window_main.h. The command line (getopt_long, as
 * options.c), then: records read one by one (record_reader.c), every packet
 * of each added to the window set (window.c), and every window written at
 * the end through the sink of -T on standard output or -w FILE. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "window_main.h"
#include "record_reader.h"
#include "sink.h"
#include "window.h"
#include "writer.h"

struct window_options {
    gint64 seconds_ns;
    const char *from_records; /* borrowed from argv */
    const char *format;       /* -T */
    const char *write;        /* -w, or NULL */
    gboolean empty_windows;
    gboolean help;
};

enum {
    OPT_SECONDS = 256,
    OPT_FROM_RECORDS,
    OPT_EMPTY_WINDOWS,
};

static void print_help(FILE *out)
{
    fputs("Usage: flowshark window --seconds <T> --from-records <file> [options]\n"
          "\n"
          "One row per window of <T> seconds (aligned to the epoch: a packet at t\n"
          "falls in the window starting at floor(t / T) * T) of the packets of flow\n"
          "records: entries, bytes and packets each way, distinct ports, addresses,\n"
          "connections and flows, and distributions per connection, address and port.\n"
          "Keys and definitions: doc/windows.md.\n"
          "\n"
          "  --seconds <T>              window length in seconds (> 0; up to 9 decimals)\n"
          "  --from-records <file>      flowshark's JSON Lines records (\"-\": standard\n"
          "                             input), e.g. of flowshark -r CAPTURE --keep-empty\n"
          "  --empty-windows            also write the windows without entries between\n"
          "                             the first and the last (counts 0, the rest null)\n"
          "  -T, --format <format>      jsonl (default) or csv\n"
          "  -w, --write <file>         write to <file> (complete or not at all) instead\n"
          "                             of standard output\n"
          "  -h, --help                 this help\n",
            out);
}

static enum fs_status parse(int argc, char **argv, struct window_options *o, char **errmsg)
{
    static const struct option options[] = {
        { "seconds", required_argument, NULL, OPT_SECONDS },
        { "from-records", required_argument, NULL, OPT_FROM_RECORDS },
        { "empty-windows", no_argument, NULL, OPT_EMPTY_WINDOWS },
        { "format", required_argument, NULL, 'T' },
        { "write", required_argument, NULL, 'w' },
        { "read-file", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->format = "jsonl";
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":T:w:r:h", options, NULL)) != -1) {
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
            case 'T': {
                const struct fs_sink_ops *ops = fs_sink_format_find(optarg);
                if (!ops || fs_sink_format_is_file(ops)) {
                    *errmsg = g_strdup_printf(
                            "window: -T %s: not a format of flowshark window (jsonl or csv)",
                            optarg);
                    return FS_ERR_USAGE;
                }
                o->format = optarg;
                break;
            }
            case 'w':
                o->write = optarg;
                break;
            case 'r':
                *errmsg = g_strdup("window: -r (captures) is not supported yet; make records "
                                   "with flowshark -r CAPTURE --keep-empty and give them to "
                                   "--from-records");
                return FS_ERR_USAGE;
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
    if (optind < argc) {
        *errmsg = g_strdup_printf("window: unexpected argument %s", argv[optind]);
        return FS_ERR_USAGE;
    }
    if (o->seconds_ns == 0) {
        *errmsg = g_strdup("window: --seconds T is required");
        return FS_ERR_USAGE;
    }
    if (!o->from_records) {
        *errmsg = g_strdup("window: --from-records FILE is required (\"-\": standard input)");
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
            fs_window_set_add(set, &flow, rec.times_ns[i], rec.lengths[i]);
    }
    fs_record_reader_free(reader);
    return status;
}

/* The header keys (a dry run of an empty row into a key collector), then
 * every window. */
static enum fs_status write_windows(
        const struct window_options *o, const fs_window_set *set, char **errmsg)
{
    fs_writer *writer = NULL;
    fs_sink *sink = NULL;
    fs_sink *collector = fs_sink_new_key_collector();
    fs_window_emit_empty(collector);
    enum fs_status status = fs_writer_open(o->write, &writer, errmsg);
    if (status != FS_OK)
        goto out;
    sink = fs_sink_new(fs_sink_format_find(o->format), writer);
    fs_sink_begin_output(sink, fs_sink_collected_keys(collector));
    fs_window_set_write(set, sink, o->empty_windows);
    fs_sink_free(sink);
    status = fs_writer_close(writer, TRUE, errmsg);
out:
    fs_sink_free(collector);
    return status;
}

enum fs_status fs_window_main(int argc, char **argv)
{
    struct window_options o;
    char *errmsg = NULL;
    fs_window_set *set = NULL;
    enum fs_status status = parse(argc, argv, &o, &errmsg);
    if (status != FS_OK)
        goto out;
    if (o.help) {
        print_help(stdout);
        goto out;
    }
    set = fs_window_set_new(o.seconds_ns);
    status = read_records(o.from_records, set, &errmsg);
    if (status == FS_OK)
        status = write_windows(&o, set, &errmsg);
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_window_set_free(set);
    return status;
}
