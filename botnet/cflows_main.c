/* cflows_main.c: see cflows_main.h. The command line (getopt_long, as
 * window_main.c; the C-flows' options through cflows_cli.h), then every
 * record of the input into the batch (cflows.c), the batch finished, and
 * one row per C-flow written through the sink of -T on standard output or
 * -w FILE. Nothing is written when the records cannot be read. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cflows_main.h"
#include "cflows.h"
#include "cflows_cli.h"
#include "hosts.h"
#include "record_source.h"
#include "sink.h"
#include "writer.h"

/* Fewer pooled samples than bins: the split points repeat (a warning). */
#define FEW_SAMPLES FS_CFLOWS_BINS

struct cflows_options {
    struct fs_analysis_cli cli;  /* input, -T, -w, -h */
    struct fs_cflows_cli cflows; /* --internal ... --min-pts */
    gboolean verbose;
};

enum {
    OPT_VERBOSE = 256,
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
          "  --internal <list>          F1's internal networks: addresses and CIDR\n"
          "                             prefixes, comma-separated (default\n"
          "                             " FS_HOST_INTERNAL_DEFAULT ");\n"
          "                             an empty list turns F1 off\n",
            out);
    fputs(fs_cflows_cli_help, out);
    fputs("  --verbose                  the counts, time span and split points on\n"
          "                             standard error\n"
          "  -T, --format <format>      jsonl (default) or csv\n"
          "  -w, --write <file>         write to <file> (complete or not at all) instead\n"
          "                             of standard output\n"
          "  -h, --help                 this help\n",
            out);
    fputs(fs_record_source_help, out);
}

static enum fs_status parse(int argc, char **argv, struct cflows_options *o, char **errmsg)
{
    static const struct option options[] = {
        FS_ANALYSIS_CLI_OPTIONS,
        FS_CFLOWS_CLI_OPTIONS,
        { "verbose", no_argument, NULL, OPT_VERBOSE },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    fs_analysis_cli_init(&o->cli, "cflows");
    fs_cflows_cli_init(&o->cflows, "cflows");
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    /* "-": plain arguments come in order as option 1 (captures). */
    while ((c = getopt_long(argc, argv, FS_ANALYSIS_CLI_SHORT, options, NULL)) != -1) {
        switch (c) {
            case OPT_VERBOSE:
                o->verbose = TRUE;
                break;
            default: {
                if (fs_cflows_cli_option(&o->cflows, c, optarg, errmsg))
                    break;
                if (*errmsg)
                    return FS_ERR_USAGE;
                enum fs_status taken = fs_analysis_cli_option(&o->cli, c, optarg, argv, errmsg);
                if (taken != FS_OK)
                    return taken;
                break;
            }
        }
    }
    return fs_analysis_cli_finish(&o->cli, argc, argv, errmsg);
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
    char *a = format_ns(t0), *b = format_ns(t1), *u = format_ns(o->cflows.time_unit_ns);
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
    /* With --no-f1 the --internal list is not even read. */
    struct fs_cflows_options copts;
    status = fs_cflows_cli_setup(&o.cflows, FALSE, &internal, &whitelist, &copts, &errmsg);
    if (status != FS_OK)
        goto out;
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
