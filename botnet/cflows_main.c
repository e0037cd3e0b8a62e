/* cflows_main.c: see cflows_main.h. The command line (getopt_long, as
 * window_main.c), then every record of --from-records into the batch
 * (cflows.c), the batch finished, and one row per C-flow written through
 * the sink of -T on standard output or -w FILE. Nothing is written when the
 * records cannot be read. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cflows_main.h"
#include "cflows.h"
#include "hosts.h"
#include "record_source.h"
#include "sink.h"
#include "writer.h"

/* Fewer pooled samples than bins: the split points repeat (a warning). */
#define FEW_SAMPLES FS_CFLOWS_BINS

struct cflows_options {
    struct fs_analysis_cli cli; /* input, -T, -w, -h */
    const char *internal;       /* --internal, borrowed; NULL after --no-f1 */
    const char *whitelist;      /* --whitelist, borrowed */
    gboolean established;
    gint64 time_unit_ns;
    double eps;
    guint min_pts;
    gboolean verbose;
};

enum {
    OPT_FIRST = 256,
    OPT_INTERNAL,
    OPT_NO_F1,
    OPT_WHITELIST,
    OPT_ESTABLISHED,
    OPT_TIME_UNIT,
    OPT_EPS,
    OPT_MIN_PTS,
    OPT_VERBOSE,
};

static void print_help(FILE *out)
{
    fputs("Usage: flowshark cflows -r <capture> [options] [<capture>...]\n"
          "       flowshark cflows --from-records <file> | --from-db <file> [options]\n"
          "\n"
          "BotMiner's C-flows over one batch of flow records: the flows that pass\n"
          "F2 (>= 2 packets), F1 (internal src, external dst) and F3 (dst not\n"
          "whitelisted) grouped by (protocol, src, dst, dport); per C-flow the\n"
          "13-bin histograms of flows per time unit, packets per flow, bytes per\n"
          "packet and bytes per second (split points at percentiles of the batch,\n"
          "normalised), the mean and variance of each, and a DBSCAN cluster (-1:\n"
          "noise). One row per C-flow, in key order. Definitions:\n"
          "doc/botnet.md.\n"
          "\n"
          "  --internal <list>      F1's internal networks: addresses and CIDR\n"
          "                         prefixes, comma-separated (default\n"
          "                         " FS_HOST_INTERNAL_DEFAULT ");\n"
          "                         an empty list turns F1 off\n"
          "  --no-f1                no F1: every flow whatever its ends\n"
          "  --whitelist <list>     F3: drop flows to these addresses and CIDR\n"
          "                         prefixes (default: none)\n"
          "  --established          F2 also wants a packet each way\n"
          "  --time-unit <U>        fph's time unit in seconds (> 0, up to 9 decimals;\n"
          "                         default 3600)\n"
          "  --eps <E>              DBSCAN's radius (> 0; default 0.5)\n"
          "  --min-pts <n>          DBSCAN's core-point size, the point itself\n"
          "                         included (>= 1; default 2)\n"
          "  --verbose              the counts, time span and split points on standard\n"
          "                         error\n"
          "  -T, --format <format>  jsonl (default) or csv\n"
          "  -w, --write <file>     write to <file> (complete or not at all) instead of\n"
          "                         standard output\n"
          "  -h, --help             this help\n",
            out);
    fputs(fs_record_source_help, out);
}

static enum fs_status parse(int argc, char **argv, struct cflows_options *o, char **errmsg)
{
    static const struct option options[] = {
        FS_ANALYSIS_CLI_OPTIONS,
        { "internal", required_argument, NULL, OPT_INTERNAL },
        { "no-f1", no_argument, NULL, OPT_NO_F1 },
        { "whitelist", required_argument, NULL, OPT_WHITELIST },
        { "established", no_argument, NULL, OPT_ESTABLISHED },
        { "time-unit", required_argument, NULL, OPT_TIME_UNIT },
        { "eps", required_argument, NULL, OPT_EPS },
        { "min-pts", required_argument, NULL, OPT_MIN_PTS },
        { "verbose", no_argument, NULL, OPT_VERBOSE },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    fs_analysis_cli_init(&o->cli, "cflows");
    o->internal = FS_HOST_INTERNAL_DEFAULT;
    o->whitelist = "";
    o->time_unit_ns = G_GINT64_CONSTANT(3600000000000);
    o->eps = 0.5;
    o->min_pts = 2;
    gboolean no_f1 = FALSE;
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    /* "-": plain arguments come in order as option 1 (captures). */
    while ((c = getopt_long(argc, argv, FS_ANALYSIS_CLI_SHORT, options, NULL)) != -1) {
        switch (c) {
            case OPT_INTERNAL:
                o->internal = optarg;
                break;
            case OPT_NO_F1:
                no_f1 = TRUE;
                break;
            case OPT_WHITELIST:
                o->whitelist = optarg;
                break;
            case OPT_ESTABLISHED:
                o->established = TRUE;
                break;
            case OPT_TIME_UNIT:
                if (!fs_record_parse_time(optarg, strlen(optarg), &o->time_unit_ns) ||
                        o->time_unit_ns <= 0) {
                    *errmsg = g_strdup_printf("cflows: --time-unit %s: not a number of seconds "
                                              "above 0 (at most 9 decimals)",
                            optarg);
                    return FS_ERR_USAGE;
                }
                break;
            case OPT_EPS: {
                char *end = NULL;
                o->eps = g_ascii_strtod(optarg, &end);
                if (!end || end == optarg || *end || !isfinite(o->eps) || o->eps <= 0) {
                    *errmsg = g_strdup_printf("cflows: --eps %s: not a number above 0", optarg);
                    return FS_ERR_USAGE;
                }
                break;
            }
            case OPT_MIN_PTS: {
                char *end = NULL;
                guint64 v = g_ascii_strtoull(optarg, &end, 10);
                if (!end || end == optarg || *end || v == 0 || v > G_MAXINT32) {
                    *errmsg = g_strdup_printf(
                            "cflows: --min-pts %s: not a whole number (1-2147483647)", optarg);
                    return FS_ERR_USAGE;
                }
                o->min_pts = (guint)v;
                break;
            }
            case OPT_VERBOSE:
                o->verbose = TRUE;
                break;
            default: {
                enum fs_status taken = fs_analysis_cli_option(&o->cli, c, optarg, argv, errmsg);
                if (taken != FS_OK)
                    return taken;
                break;
            }
        }
    }
    enum fs_status finished = fs_analysis_cli_finish(&o->cli, argc, argv, errmsg);
    if (finished != FS_OK || o->cli.help)
        return finished;
    if (no_f1)
        o->internal = NULL;
    return FS_OK;
}

/* The ranges of list for option (NULL list: no ranges). */
static enum fs_status parse_ranges(
        const char *option, const char *list, fs_host_ranges **out, char **errmsg)
{
    *out = NULL;
    if (!list)
        return FS_OK;
    char *why = NULL;
    *out = fs_host_ranges_parse(list, &why);
    if (*out)
        return FS_OK;
    *errmsg = g_strdup_printf("cflows: %s: %s", option, why);
    g_free(why);
    return FS_ERR_USAGE;
}

/* One record into the batch (data). */
static void add_record(const struct fs_read_record *rec, const int *states, void *data)
{
    (void)states;
    fs_cflows_add_record(data, rec);
}

/* The warning for pools of fewer samples than bins, once for the batch. */
static void warn_few_samples(const fs_cflows *c)
{
    GString *few = g_string_new(NULL);
    for (guint f = 0; f < FS_CFLOWS_FEATURES; f++) {
        guint64 n = 0;
        if (fs_cflows_get_splits(c, f, &n) && n < FEW_SAMPLES)
            g_string_append_printf(few, "%s%s (N = %" G_GUINT64_FORMAT ")", few->len ? ", " : "",
                    fs_cflows_feature_name(f), n);
    }
    if (few->len) {
        char *msg = g_strdup_printf("cflows: warning: fewer than %d pooled samples for %s: "
                                    "split points repeat and bins stay empty",
                FEW_SAMPLES, few->str);
        fs_report(NULL, msg);
        g_free(msg);
    }
    g_string_free(few, TRUE);
}

/* A time in epoch ns as decimal seconds. */
static char *format_ns(gint64 ns)
{
    gint64 s = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        s--;
        frac += 1000000000;
    }
    return g_strdup_printf("%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT, s, frac);
}

/* --verbose: the counts, the span and the split points, one line each. */
static void report_batch(const fs_cflows *c, const struct cflows_options *o)
{
    const struct fs_cflows_counts *n = fs_cflows_get_counts(c);
    fprintf(stderr,
            "%sflowshark: cflows: records %" G_GUINT64_FORMAT ", dropped by F2 %" G_GUINT64_FORMAT
            ", F1 %" G_GUINT64_FORMAT ", F3 %" G_GUINT64_FORMAT ", kept %" G_GUINT64_FORMAT
            ", C-flows %u\n",
            fs_report_start(), n->records, n->dropped_f2, n->dropped_f1, n->dropped_f3, n->kept,
            fs_cflows_size(c));
    gint64 t0, t1;
    guint64 slots;
    fs_cflows_get_span(c, &t0, &t1, &slots);
    char *a = format_ns(t0), *b = format_ns(t1), *u = format_ns(o->time_unit_ns);
    fprintf(stderr, "%sflowshark: cflows: T0 %s, T1 %s, U %s, S %" G_GUINT64_FORMAT "\n",
            fs_report_start(), a, b, u, slots);
    g_free(a);
    g_free(b);
    g_free(u);
    for (guint f = 0; f < FS_CFLOWS_FEATURES; f++) {
        guint64 count = 0;
        const double *splits = fs_cflows_get_splits(c, f, &count);
        if (!splits)
            continue;
        GString *line = g_string_new(NULL);
        for (guint i = 0; i < FS_CFLOWS_SPLITS; i++) {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append_printf(line, " %s", fs_sink_format_double(buf, splits[i]));
        }
        fprintf(stderr, "%sflowshark: cflows: split %s N %" G_GUINT64_FORMAT ":%s\n",
                fs_report_start(), fs_cflows_feature_name(f), count, line->str);
        g_string_free(line, TRUE);
    }
    for (guint k = 0; k < fs_cflows_clusters(c); k++) {
        const GPtrArray *hosts = fs_cflows_cluster_hosts(c, k);
        GString *line = g_string_new(NULL);
        for (guint i = 0; i < hosts->len; i++)
            g_string_append_printf(line, " %s", (const char *)g_ptr_array_index(hosts, i));
        fprintf(stderr, "%sflowshark: cflows: cluster %u hosts:%s\n", fs_report_start(), k,
                line->str);
        g_string_free(line, TRUE);
    }
}

/* The rows: -T's format on standard output or -w FILE, its keys (the CSV
 * header) from a dry run of an empty row into a key collector; the file
 * put in place only when everything was written. */
static enum fs_status write_rows(const struct cflows_options *o, const fs_cflows *c, char **errmsg)
{
    fs_writer *writer = NULL;
    enum fs_status status = fs_writer_open(o->cli.write, &writer, errmsg);
    if (status != FS_OK)
        return status;
    fs_sink *collector = fs_sink_new_key_collector();
    fs_cflows_emit_empty(collector);
    fs_sink *sink = fs_sink_new(fs_sink_format_find(o->cli.format), writer);
    fs_sink_begin_output(sink, fs_sink_collected_keys(collector));
    fs_sink_free(collector);
    fs_cflows_emit_rows(c, sink);
    fs_sink_free(sink);
    return fs_writer_close(writer, TRUE, errmsg);
}

enum fs_status fs_cflows_main(const char *program, int argc, char **argv)
{
    struct cflows_options o;
    char *errmsg = NULL;
    fs_host_ranges *internal = NULL, *whitelist = NULL;
    fs_cflows *c = NULL;
    enum fs_status status = parse(argc, argv, &o, &errmsg);
    if (status != FS_OK)
        goto out;
    if (o.cli.help) {
        print_help(stdout);
        goto out;
    }
    status = parse_ranges("--internal", o.internal, &internal, &errmsg);
    if (status == FS_OK)
        status = parse_ranges("--whitelist", o.whitelist, &whitelist, &errmsg);
    if (status != FS_OK)
        goto out;
    const struct fs_cflows_options copts = {
        .internal = internal,
        .whitelist = whitelist,
        .established = o.established,
        .time_unit_ns = o.time_unit_ns,
        .eps = o.eps,
        .min_pts = o.min_pts,
    };
    c = fs_cflows_new(&copts);
    /* A capture cut short, or one of several unreadable: the output of what
     * was read is written, and the status stays. */
    if (!fs_analysis_read(program, &o.cli, add_record, c, &status, &errmsg))
        goto out;
    fs_cflows_finish(c);
    warn_few_samples(c);
    if (o.verbose)
        report_batch(c, &o);
    status = fs_status_worst(status, write_rows(&o, c, &errmsg));
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_cflows_free(c);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
    fs_analysis_cli_clear(&o.cli);
    return status;
}
