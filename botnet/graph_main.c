/* graph_main.c: see graph_main.h. The command line (getopt_long, as
 * window_main.c), then every record of --from-records into the graph one
 * at a time (graph.c), the graph finished, and its outputs written: the
 * hosts table through -T's sink on standard output or -w FILE, --edges
 * FILE as CSV, --graphml FILE; every file complete or not at all. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "graph_main.h"
#include "graph.h"
#include "hosts.h"
#include "record_source.h"
#include "sink.h"
#include "writer.h"

struct graph_options {
    struct fs_analysis_cli cli; /* input, -T, -w, -h */
    const char *format;         /* -T */
    const char *write;          /* -w, or NULL */
    const char *edges;          /* --edges, or NULL */
    const char *graphml;        /* --graphml, or NULL */
    const char *internal;       /* --internal */
    gboolean established;
    double tau_g;
    double tau_g_z; /* --tau-g-z, 0: none */
    gboolean verbose;
};

enum {
    OPT_ESTABLISHED = 256,
    OPT_INTERNAL,
    OPT_TAU_G,
    OPT_TAU_G_Z,
    OPT_EDGES,
    OPT_GRAPHML,
};

static void print_help(FILE *out)
{
    fputs("Usage: flowshark graph -r <capture> [options] [<capture>...]\n"
          "       flowshark graph --from-records <file> | --from-db <file> [options]\n"
          "\n"
          "The host graph of a batch of flows (BotMiner's F2: flows of 2 packets or\n"
          "more): undirected, an edge between two hosts weighted by their flows. Per\n"
          "host its egonet (n neighbours, e edges, w flows), OddBall's power laws\n"
          "(e against n, w against e, least squares on logarithms), the out-line\n"
          "scores and g, their maximum, and robust z-scores of distinct peers and\n"
          "distinct destination ports; one row per host, by descending g.\n"
          "Keys and definitions: doc/botnet.md.\n"
          "\n"
          "  --established              F2 also demands a packet each way\n"
          "  --internal <list>          internal networks (addresses and CIDR prefixes,\n"
          "                             comma-separated; default " FS_HOST_INTERNAL_DEFAULT ")\n"
          "  --tau-g-z <z>              graph_anomalous also needs g_z >= z (g_z: the\n"
          "                             robust z-score of ln(1 + g) over the internal\n"
          "                             hosts; default: no such condition)\n"
          "  --tau-g <x>                an internal host with g >= x is graph_anomalous\n"
          "                             (default 1.5)\n"
          "  --edges <file>             also the edge list as CSV (u, v, weight)\n"
          "  --graphml <file>           also the graph as GraphML (vertex attributes host\n"
          "                             and g, edge attribute weight)\n"
          "  -v, --verbose              the graph's size and both laws on standard error\n"
          "  -T, --format <format>      jsonl (default) or csv\n"
          "  -w, --write <file>         write to <file> (complete or not at all) instead\n"
          "                             of standard output\n"
          "  -h, --help                 this help\n",
            out);
    fputs(fs_record_source_help, out);
}

static enum fs_status parse(int argc, char **argv, struct graph_options *o, char **errmsg)
{
    static const struct option options[] = {
        FS_ANALYSIS_CLI_OPTIONS,
        { "established", no_argument, NULL, OPT_ESTABLISHED },
        { "internal", required_argument, NULL, OPT_INTERNAL },
        { "tau-g", required_argument, NULL, OPT_TAU_G },
        { "tau-g-z", required_argument, NULL, OPT_TAU_G_Z },
        { "edges", required_argument, NULL, OPT_EDGES },
        { "graphml", required_argument, NULL, OPT_GRAPHML },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    fs_analysis_cli_init(&o->cli, "graph");
    o->internal = FS_HOST_INTERNAL_DEFAULT;
    o->tau_g = FS_GRAPH_TAU_G_DEFAULT;
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    /* "-": plain arguments come in order as option 1 (captures). */
    while ((c = getopt_long(argc, argv, FS_ANALYSIS_CLI_SHORT "v", options, NULL)) != -1) {
        switch (c) {
            case OPT_ESTABLISHED:
                o->established = TRUE;
                break;
            case OPT_INTERNAL:
                o->internal = optarg;
                break;
            case OPT_TAU_G:
            case OPT_TAU_G_Z: {
                char *end = NULL;
                double *into = c == OPT_TAU_G ? &o->tau_g : &o->tau_g_z;
                *into = g_ascii_strtod(optarg, &end);
                if (!end || end == optarg || *end || !isfinite(*into) ||
                        (c == OPT_TAU_G_Z && *into <= 0)) {
                    *errmsg = g_strdup_printf("graph: %s %s: not a number%s",
                            c == OPT_TAU_G ? "--tau-g" : "--tau-g-z", optarg,
                            c == OPT_TAU_G ? "" : " above 0");
                    return FS_ERR_USAGE;
                }
                break;
            }
            case OPT_EDGES:
                o->edges = optarg;
                break;
            case OPT_GRAPHML:
                o->graphml = optarg;
                break;
            case 'v':
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
    return fs_analysis_cli_finish(&o->cli, argc, argv, errmsg);
}

/* One record into the graph (data). */
static void add_record(const struct fs_read_record *rec, const int *states, void *data)
{
    (void)states;
    fs_graph_add_record(data, rec);
}

/* -v: the graph's size and its laws on standard error. */
static void report_laws(const fs_graph *g)
{
    struct fs_graph_law laws[2];
    fs_graph_laws(g, &laws[0], &laws[1]);
    const char *names[2] = { "EDPL", "EWPL" };
    GString *line = g_string_new(NULL);
    g_string_printf(line, "graph: %u hosts, %u edges", fs_graph_hosts(g), fs_graph_edges(g));
    for (int i = 0; i < 2; i++) {
        g_string_append_printf(line, "; %s ", names[i]);
        if (laws[i].skipped)
            g_string_append(line, "skipped (x values all equal)");
        else
            g_string_append_printf(line, "%c = %.4f*%c^%.4f", i == 0 ? 'e' : 'w',
                    exp(laws[i].intercept), i == 0 ? 'n' : 'e', laws[i].slope);
    }
    fs_report(NULL, line->str);
    g_string_free(line, TRUE);
}

/* One output file (or standard output) in one sink format. */
struct graph_output {
    fs_writer *writer;
    fs_sink *sink;
};

/* Opens path (NULL: standard output) for the rows emit_keys declares, in
 * the format called format. */
static enum fs_status output_open(const char *path, const char *format,
        void (*emit_keys)(fs_sink *), struct graph_output *out, char **errmsg)
{
    enum fs_status status = fs_writer_open(path, &out->writer, errmsg);
    if (status != FS_OK || !emit_keys)
        return status;
    fs_sink *collector = fs_sink_new_key_collector();
    emit_keys(collector);
    out->sink = fs_sink_new(fs_sink_format_find(format), out->writer);
    fs_sink_begin_output(out->sink, fs_sink_collected_keys(collector));
    fs_sink_free(collector);
    return FS_OK;
}

/* Ends the output: with complete, a -w file is put in place; otherwise it
 * is removed. NULL writers are FS_OK. */
static enum fs_status output_close(struct graph_output *out, gboolean complete, char **errmsg)
{
    fs_sink_free(out->sink);
    out->sink = NULL;
    enum fs_status status = fs_writer_close(out->writer, complete, errmsg);
    out->writer = NULL;
    return status;
}

/* The hosts table, --edges and --graphml, all written or none. */
static enum fs_status write_outputs(const struct graph_options *o, const fs_graph *g, char **errmsg)
{
    struct graph_output rows = { 0 }, edges = { 0 }, graphml = { 0 };
    enum fs_status status =
            output_open(o->cli.write, o->cli.format, fs_graph_emit_keys, &rows, errmsg);
    if (status == FS_OK && o->edges)
        status = output_open(o->edges, "csv", fs_graph_emit_edge_keys, &edges, errmsg);
    if (status == FS_OK && o->graphml)
        status = output_open(o->graphml, NULL, NULL, &graphml, errmsg);
    if (status == FS_OK) {
        fs_graph_emit(g, rows.sink);
        if (edges.sink)
            fs_graph_emit_edges(g, edges.sink);
        if (graphml.writer)
            status = fs_graph_write_graphml(g, graphml.writer, errmsg);
    }
    /* Errors of writing stick in each writer until its flush. */
    struct graph_output *all[] = { &graphml, &edges, &rows };
    for (gsize i = 0; i < G_N_ELEMENTS(all) && status == FS_OK; i++)
        if (all[i]->writer)
            status = fs_writer_flush(all[i]->writer, errmsg);
    /* An error message already handed out (a closed pipe) still fails. */
    if (status == FS_OK &&
            (fs_writer_failed(rows.writer) || (edges.writer && fs_writer_failed(edges.writer)) ||
                    (graphml.writer && fs_writer_failed(graphml.writer))))
        status = FS_ERR_OUTPUT;
    gboolean complete = status == FS_OK;
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        char *why = NULL;
        enum fs_status closed = output_close(all[i], complete, &why);
        if (why && !*errmsg)
            *errmsg = why;
        else
            g_free(why);
        status = fs_status_worst(status, closed);
    }
    return status;
}

enum fs_status fs_graph_main(const char *program, int argc, char **argv)
{
    struct graph_options o;
    char *errmsg = NULL;
    fs_host_ranges *internal = NULL;
    fs_graph *g = NULL;
    enum fs_status status = parse(argc, argv, &o, &errmsg);
    if (status != FS_OK)
        goto out;
    if (o.cli.help) {
        print_help(stdout);
        goto out;
    }
    char *why = NULL;
    internal = fs_host_ranges_parse(o.internal, &why);
    if (!internal) {
        errmsg = g_strdup_printf("graph: --internal: %s", why);
        g_free(why);
        status = FS_ERR_USAGE;
        goto out;
    }
    const struct fs_graph_options gopts = {
        .established = o.established,
        .internal = internal,
        .tau_g = o.tau_g,
        .tau_g_z = o.tau_g_z,
    };
    g = fs_graph_new(&gopts);
    /* A capture cut short, or one of several unreadable: the output of what
     * was read is written, and the status stays. */
    if (!fs_analysis_read(program, &o.cli, add_record, g, &status, &errmsg))
        goto out;
    enum fs_status finished = fs_graph_finish(g, &errmsg);
    if (finished != FS_OK) {
        status = finished;
        goto out;
    }
    if (o.verbose)
        report_laws(g);
    status = fs_status_worst(status, write_outputs(&o, g, &errmsg));
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_graph_free(g);
    fs_host_ranges_free(internal);
    fs_analysis_cli_clear(&o.cli);
    return status;
}
