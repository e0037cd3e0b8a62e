/* botnet_main.c: see botnet_main.h. The command line (getopt_long, the
 * input options shared through record_source.h, the C-flows' through
 * cflows_cli.h), every record into the three analyses, then the A-sets
 * ("graph": the graph-anomalous internal hosts; "scan": the scan rule's
 * sources), the C-sets (the DBSCAN clusters' sources) and the vote; the
 * hosts table through -T's sink on standard output or -w FILE, the groups
 * table to --groups FILE. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "botnet_main.h"
#include "activity.h"
#include "cflows.h"
#include "cflows_cli.h"
#include "graph.h"
#include "hosts.h"
#include "payload.h"
#include "record_source.h"
#include "sink.h"
#include "vote.h"
#include "writer.h"

/* The vote's threshold by default (spec §5.3). */
#define BOTNET_THETA_DEFAULT 0.5
/* The A-set types and their option names: the graph's, the scan rule's,
 * then the payload detectors' in the order of enum fs_payload_set. */
static const char *const aset_types[] = { "graph", "scan", "mirai", "ares", "bindl" };
#define ASET_PAYLOAD 2 /* the first payload A-set */
#define ASET_TYPES   G_N_ELEMENTS(aset_types)

struct botnet_options {
    struct fs_analysis_cli cli; /* input, -T, -w, -h */
    /* --internal (also the graph's, the scan rule's and the hosts
     * table's), --established (also the graph's) and the C-flows' own. */
    struct fs_cflows_cli cflows;
    const char *groups; /* --groups, or NULL */
    double tau_g;
    double tau_g_z; /* --tau-g-z, 0: none */
    double scan_rate;
    gboolean no_payload; /* --no-payload */
    double theta;
    double weights[ASET_TYPES];
};

enum {
    OPT_GROUPS = 256,
    OPT_TAU_G,
    OPT_TAU_G_Z,
    OPT_SCAN_RATE,
    OPT_NO_PAYLOAD,
    OPT_THETA,
    OPT_WEIGHT,
};

static void print_help(FILE *out)
{
    fputs("Usage: flowshark botnet -r <capture> [options] [<capture>...]\n"
          "       flowshark botnet --from-records <file> | --from-db <file> [options]\n"
          "\n"
          "BotCapturer's botnet detection over one batch of flows (doc/botnet.md):\n"
          "the host graph's anomaly score g (as flowshark graph), BotMiner's C-flows\n"
          "clustered by DBSCAN (as flowshark cflows), the scan rule, the payload\n"
          "rules (Mirai, Ares, executable downloads) and the vote: per internal\n"
          "host the score s from the A-sets (graph, scan, mirai, ares, bindl) and\n"
          "the C-sets,\n"
          "suspicious when s >= theta, and the groups of suspicious hosts that\n"
          "share a C-set. One row per internal host, by descending s.\n"
          "\n"
          "  --internal <list>          internal networks (default\n"
          "                             " FS_HOST_INTERNAL_DEFAULT ");\n"
          "                             the graph's, F1's for the C-flows, the scan\n"
          "                             rule's sources and the hosts table's\n",
            out);
    /* The C-flows' options, as flowshark cflows; --established is the
     * graph's F2 too. */
    fputs(fs_cflows_cli_help, out);
    fputs("  --tau-g <x>                graph-anomalous: internal and g >= x (1.5)\n"
          "  --tau-g-z <z>              ... and g_z >= z (as flowshark graph; default: no\n"
          "                             such condition)\n"
          "  --scan-rate <r>            the scan rule's threshold per second (6)\n"
          "  --no-payload               no payload rules (captures: no tcp.payload and\n"
          "                             udp.payload fields; records: their values unread)\n"
          "  --theta <x>                suspicious: s >= x (0.5)\n"
          "  --weight <type>=<w>        an A-set type's weight (graph, scan, mirai, ares,\n"
          "                             bindl; 1.0)\n"
          "  --groups <file>            also the groups table (id, members, mean s)\n"
          "  -T, --format <format>      jsonl (default) or csv, for both tables\n"
          "  -w, --write <file>         the hosts table to <file> (complete or not at\n"
          "                             all) instead of standard output\n"
          "  -h, --help                 this help\n",
            out);
    fputs(fs_record_source_help, out);
}

/* A finite number of at least min (exclusive: above it) for option. */
static gboolean parse_number(const char *option, const char *text, double min, gboolean above,
        double *out, char **errmsg)
{
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (!end || end == text || *end || !isfinite(v) || v < min || (above && v == min)) {
        *errmsg = g_strdup_printf("botnet: %s %s: not a number %s %g", option, text,
                above ? "above" : "of at least", min);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

static gboolean parse_weight(struct botnet_options *o, const char *text, char **errmsg)
{
    const char *eq = strchr(text, '=');
    for (guint t = 0; eq && t < ASET_TYPES; t++) {
        if (strlen(aset_types[t]) == (gsize)(eq - text) &&
                strncmp(text, aset_types[t], (gsize)(eq - text)) == 0)
            return parse_number("--weight", eq + 1, 0, TRUE, &o->weights[t], errmsg);
    }
    *errmsg = g_strdup_printf("botnet: --weight %s: not TYPE=WEIGHT with TYPE graph, scan, "
                              "mirai, ares or bindl",
            text);
    return FALSE;
}

static enum fs_status parse(int argc, char **argv, struct botnet_options *o, char **errmsg)
{
    static const struct option options[] = {
        FS_ANALYSIS_CLI_OPTIONS,
        FS_CFLOWS_CLI_OPTIONS,
        { "groups", required_argument, NULL, OPT_GROUPS },
        { "tau-g", required_argument, NULL, OPT_TAU_G },
        { "tau-g-z", required_argument, NULL, OPT_TAU_G_Z },
        { "scan-rate", required_argument, NULL, OPT_SCAN_RATE },
        { "no-payload", no_argument, NULL, OPT_NO_PAYLOAD },
        { "theta", required_argument, NULL, OPT_THETA },
        { "weight", required_argument, NULL, OPT_WEIGHT },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    fs_analysis_cli_init(&o->cli, "botnet");
    fs_cflows_cli_init(&o->cflows, "botnet");
    o->tau_g = FS_GRAPH_TAU_G_DEFAULT;
    o->scan_rate = FS_ACTIVITY_SCAN_RATE_DEFAULT;
    o->theta = BOTNET_THETA_DEFAULT;
    for (guint t = 0; t < ASET_TYPES; t++)
        o->weights[t] = 1.0;
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    /* "-": plain arguments come in order as option 1 (captures). */
    while ((c = getopt_long(argc, argv, FS_ANALYSIS_CLI_SHORT, options, NULL)) != -1) {
        switch (c) {
            case OPT_GROUPS:
                o->groups = optarg;
                break;
            case OPT_TAU_G:
                if (!parse_number("--tau-g", optarg, -G_MAXDOUBLE, FALSE, &o->tau_g, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_TAU_G_Z:
                if (!parse_number("--tau-g-z", optarg, 0, TRUE, &o->tau_g_z, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_SCAN_RATE:
                if (!parse_number("--scan-rate", optarg, 0, TRUE, &o->scan_rate, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_NO_PAYLOAD:
                o->no_payload = TRUE;
                break;
            case OPT_THETA:
                if (!parse_number("--theta", optarg, 0, FALSE, &o->theta, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_WEIGHT:
                if (!parse_weight(o, optarg, errmsg))
                    return FS_ERR_USAGE;
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

/* The analyses a record feeds. */
struct analyses {
    fs_graph *graph;
    fs_cflows *cflows;
    fs_activity *activity;
    fs_payload *payload; /* NULL with --no-payload */
};

static void add_record(const struct fs_read_record *rec, const int *states, void *data)
{
    (void)states;
    struct analyses *a = data;
    fs_graph_add_record(a->graph, rec);
    fs_cflows_add_record(a->cflows, rec);
    fs_activity_add(a->activity, rec);
    if (a->payload)
        fs_payload_add(a->payload, rec);
}

/* The vote of the finished analyses. Caller frees the result. */
static struct fs_vote_result *vote(
        const struct botnet_options *o, const struct analyses *a, const fs_host_ranges *internal)
{
    fs_vote *v = fs_vote_new();
    GPtrArray *anomalous = g_ptr_array_new();
    for (guint i = 0; i < fs_graph_hosts(a->graph); i++) {
        const struct fs_graph_host *h = fs_graph_host(a->graph, i);
        if (h->internal)
            fs_vote_add_host(v, h->host, &h->g);
        if (h->anomalous)
            g_ptr_array_add(anomalous, (gpointer)h->host);
    }
    fs_vote_add_aset(
            v, aset_types[0], o->weights[0], (const char *const *)anomalous->pdata, anomalous->len);
    g_ptr_array_free(anomalous, TRUE);
    const GPtrArray *scans = fs_activity_scan_hosts(a->activity);
    fs_vote_add_aset(
            v, aset_types[1], o->weights[1], (const char *const *)scans->pdata, scans->len);
    for (guint s = 0; a->payload && s < FS_PAYLOAD_SETS; s++) {
        const GPtrArray *hosts = fs_payload_hosts(a->payload, s);
        fs_vote_add_aset(v, aset_types[ASET_PAYLOAD + s], o->weights[ASET_PAYLOAD + s],
                (const char *const *)hosts->pdata, hosts->len);
    }
    for (guint k = 0; k < fs_cflows_clusters(a->cflows); k++) {
        const GPtrArray *hosts = fs_cflows_cluster_hosts(a->cflows, k);
        fs_vote_add_cset(v, k, (const char *const *)hosts->pdata, hosts->len);
    }
    struct fs_vote_result *r = fs_vote_run(v, internal, o->theta);
    fs_vote_free(v);
    return r;
}

/* One table to path (NULL: standard output) in format, complete or not at
 * all. */
static enum fs_status write_table(const char *path, const char *format,
        const struct fs_vote_result *r, gboolean groups, char **errmsg)
{
    fs_writer *writer = NULL;
    enum fs_status status = fs_writer_open(path, &writer, errmsg);
    if (status != FS_OK)
        return status;
    fs_sink *collector = fs_sink_new_key_collector();
    if (groups)
        fs_vote_emit_groups_keys(collector);
    else
        fs_vote_emit_hosts_keys(r, collector);
    fs_sink *sink = fs_sink_new(fs_sink_format_find(format), writer);
    fs_sink_begin_output(sink, fs_sink_collected_keys(collector));
    fs_sink_free(collector);
    if (groups)
        fs_vote_write_groups(r, sink);
    else
        fs_vote_write_hosts(r, sink);
    fs_sink_free(sink);
    return fs_writer_close(writer, TRUE, errmsg);
}

enum fs_status fs_botnet_main(const char *program, int argc, char **argv)
{
    struct botnet_options o;
    char *errmsg = NULL;
    fs_host_ranges *internal = NULL, *whitelist = NULL;
    struct analyses a = { 0 };
    struct fs_vote_result *result = NULL;
    enum fs_status status = parse(argc, argv, &o, &errmsg);
    if (status != FS_OK)
        goto out;
    if (o.cli.help) {
        print_help(stdout);
        goto out;
    }
    /* --internal is read even with --no-f1: the graph, the scan rule and
     * the hosts table use it. */
    struct fs_cflows_options copts;
    status = fs_cflows_cli_setup(&o.cflows, TRUE, &internal, &whitelist, &copts, &errmsg);
    if (status != FS_OK)
        goto out;
    const struct fs_graph_options gopts = {
        .established = o.cflows.established,
        .internal = internal,
        .tau_g = o.tau_g,
        .tau_g_z = o.tau_g_z,
    };
    const struct fs_activity_options aopts = {
        .scan_rate = o.scan_rate,
        .window_ns = 0,
        .sources = internal,
    };
    a.graph = fs_graph_new(&gopts);
    a.cflows = fs_cflows_new(&copts);
    a.activity = fs_activity_new(&aopts);
    if (!o.no_payload) {
        /* The capture pass asks for the payload fields and keeps only the
         * values a rule can use. */
        a.payload = fs_payload_new();
        o.cli.capture_extra = fs_payload_capture_options;
        o.cli.source.keep_value = fs_payload_keep;
    }
    /* A capture cut short, or one of several unreadable: the output of what
     * was read is written, and the status stays. */
    if (!fs_analysis_read(program, &o.cli, add_record, &a, &status, &errmsg))
        goto out;
    enum fs_status finished = fs_graph_finish(a.graph, &errmsg);
    if (finished != FS_OK) {
        status = finished;
        goto out;
    }
    fs_cflows_finish(a.cflows);
    fs_activity_finish(a.activity);
    if (a.payload) {
        fs_payload_finish(a.payload);
        if (!o.cli.source.captures && fs_payload_values(a.payload) == 0)
            fs_report(NULL,
                    "botnet: the records hold no tcp.payload or udp.payload values: "
                    "the payload rules (mirai, ares, bindl) had nothing to read (write "
                    "the records with -e tcp.payload -e udp.payload, or give --no-payload)");
    }
    result = vote(&o, &a, internal);
    enum fs_status written = write_table(o.cli.write, o.cli.format, result, FALSE, &errmsg);
    if (written == FS_OK && o.groups)
        written = write_table(o.groups, o.cli.format, result, TRUE, &errmsg);
    status = fs_status_worst(status, written);
out:
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
    fs_vote_result_free(result);
    fs_activity_free(a.activity);
    fs_payload_free(a.payload);
    fs_cflows_free(a.cflows);
    fs_graph_free(a.graph);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
    fs_analysis_cli_clear(&o.cli);
    return status;
}
