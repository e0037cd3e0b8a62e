/* options.c: command-line parsing with getopt_long. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "feature.h"
#include "sink.h"

enum {
    OPT_MAIN = 256,
    OPT_KEEP_EMPTY,
    OPT_UDP_DATA_LENGTH,
    OPT_NO_EXCLUSIONS,
    OPT_MAX_PACKETS,
    OPT_NO_FORK,
    OPT_RESET_EVERY,
    OPT_PROGRESS,
    OPT_ACCOUNTING_MODE,
    OPT_DIRECTION,
    OPT_FILES_FROM,
    OPT_ROOT,
    OPT_LABEL,
    OPT_LABEL_FROM_DIR,
    OPT_OUTPUT_DIR,
    OPT_RESUME,
    OPT_NOTE,
    OPT_SCHEMA,
    OPT_LIST,
    OPT_IDLE_TIMEOUT,
    OPT_ACTIVE_TIMEOUT,
    OPT_ALL_PROTOCOLS,
    OPT_NFSTREAM,
    OPT_FLOW_FILTER,
    OPT_MIN_PACKETS,
    OPT_MIN_BYTES,
    OPT_FAST,
    OPT_FAST_LIMIT,
    OPT_VERIFY,
    OPT_MODULE, /* the feature modules' options: OPT_MODULE + their index */
};

static const struct option long_options[] = {
    { "read-file", required_argument, NULL, 'r' },
    { "display-filter", required_argument, NULL, 'Y' },
    { "field", required_argument, NULL, 'e' },
    { "pref", required_argument, NULL, 'o' },
    { "decode-as", required_argument, NULL, 'd' },
    { "write", required_argument, NULL, 'w' },
    { "two-pass", no_argument, NULL, '2' },
    { "main", required_argument, NULL, OPT_MAIN },
    { "keep-empty", no_argument, NULL, OPT_KEEP_EMPTY },
    { "udp-data-length", no_argument, NULL, OPT_UDP_DATA_LENGTH },
    { "no-exclusions", no_argument, NULL, OPT_NO_EXCLUSIONS },
    { "max-packets", required_argument, NULL, OPT_MAX_PACKETS },
    { "no-fork", no_argument, NULL, OPT_NO_FORK },
    { "jobs", required_argument, NULL, 'j' },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "quiet", no_argument, NULL, 'q' },
    { "reset-every", required_argument, NULL, OPT_RESET_EVERY },
    { "output-format", required_argument, NULL, 'T' },
    { "accounting-mode", required_argument, NULL, OPT_ACCOUNTING_MODE },
    { "direction", required_argument, NULL, OPT_DIRECTION },
    { "files-from", required_argument, NULL, OPT_FILES_FROM },
    { "root", required_argument, NULL, OPT_ROOT },
    { "label", required_argument, NULL, OPT_LABEL },
    { "label-from-dir", no_argument, NULL, OPT_LABEL_FROM_DIR },
    { "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
    { "resume", no_argument, NULL, OPT_RESUME },
    { "note", required_argument, NULL, OPT_NOTE },
    { "schema", no_argument, NULL, OPT_SCHEMA },
    { "list", no_argument, NULL, OPT_LIST },
    { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
    { "active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT },
    { "all-protocols", no_argument, NULL, OPT_ALL_PROTOCOLS },
    { "nfstream", no_argument, NULL, OPT_NFSTREAM },
    { "interface", required_argument, NULL, 'i' },
    { "list-interfaces", no_argument, NULL, 'D' },
    { "capture-filter", required_argument, NULL, 'f' },
    { "packet-count", required_argument, NULL, 'c' },
    { "autostop", required_argument, NULL, 'a' },
    { "flow-filter", required_argument, NULL, OPT_FLOW_FILTER },
    { "min-packets", required_argument, NULL, OPT_MIN_PACKETS },
    { "min-bytes", required_argument, NULL, OPT_MIN_BYTES },
    { "fast", no_argument, NULL, OPT_FAST },
    { "fast-limit", required_argument, NULL, OPT_FAST_LIMIT },
    { "verify", no_argument, NULL, OPT_VERIFY },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
};

/* One of a fixed set of words: names[i] stands for values[i]. The first
 * `shown` names are the ones the error message lists (later ones are
 * accepted aliases). */
static gboolean parse_choice(const char *text, const char *option, const char *const names[],
        const int values[], guint count, guint shown, int *out, char **errmsg)
{
    for (guint i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = values[i];
            return TRUE;
        }
    }
    GString *msg = g_string_new(NULL);
    g_string_append_printf(msg, "%s takes ", option);
    for (guint i = 0; i < shown; i++)
        g_string_append_printf(msg, "%s\"%s\"",
                i == 0           ? ""
                : i + 1 == shown ? " or "
                                 : ", ",
                names[i]);
    g_string_append_printf(msg, ", not \"%s\"", text);
    *errmsg = g_string_free(msg, FALSE);
    return FALSE;
}

/* The range of each numeric option (documented in --help and flowshark(1)). */
#define FS_MAX_PACKETS_MAX G_MAXINT32 /* sequence indices are 32-bit */
#define FS_RESET_EVERY_MAX G_MAXINT32
#define FS_JOBS_MAX        1024       /* worker processes at once */
#define FS_TIMEOUT_MAX     G_MAXINT32 /* seconds */
/* NFStream's default timeouts (NFStreamer's idle_timeout, active_timeout). */
#define FS_NFSTREAM_IDLE_TIMEOUT   120
#define FS_NFSTREAM_ACTIVE_TIMEOUT 1800
#define FS_COUNT_MAX               G_MAXINT32 /* -c and -a packets:N, as dumpcap's int */
/* --fast-limit: NFStream's n_dissections by default (its own range is 0-255). */
#define FS_FAST_LIMIT_DEFAULT 20
#define FS_FAST_LIMIT_MAX     65535
/* The feature modules' options carry their ranges (feature_*.c). */

/* A whole number from min to max. */
static gboolean parse_number(
        const char *text, const char *option, guint min, guint max, guint *out, char **errmsg)
{
    char *end = NULL;
    guint64 n = g_ascii_isdigit(text[0]) ? g_ascii_strtoull(text, &end, 10) : 0;
    if (!end || *end || n < min || n > max) {
        *errmsg = g_strdup_printf(
                "%s takes a whole number from %u to %u, not \"%s\"", option, min, max, text);
        return FALSE;
    }
    *out = (guint)n;
    return TRUE;
}

/* A whole number from 1 to max. */
static gboolean parse_count(
        const char *text, const char *option, guint max, guint *out, char **errmsg)
{
    return parse_number(text, option, 1, max, out, errmsg);
}

static guint module_option_count(void)
{
    guint n = 0;
    while (fs_feature_option_at(n))
        n++;
    return n;
}

/* The getopt table: the options above, then the modules'. Caller g_free()s. */
static struct option *all_long_options(void)
{
    guint core = G_N_ELEMENTS(long_options) - 1; /* without the terminator */
    guint modules = module_option_count();
    struct option *all = g_new0(struct option, core + modules + 1);
    memcpy(all, long_options, core * sizeof(*all));
    for (guint i = 0; i < modules; i++) {
        const struct fs_feature_option *o = fs_feature_option_at(i);
        all[core + i] = (struct option){
            .name = o->name,
            .has_arg = o->metavar ? required_argument : no_argument,
            .val = OPT_MODULE + (int)i,
        };
    }
    return all;
}

/* Parses the value of module option i into opts. */
static gboolean parse_module_option(
        struct fs_options *opts, guint i, const char *text, char **errmsg)
{
    const struct fs_feature_option *o = fs_feature_option_at(i);
    opts->module_given[i] = TRUE;
    if (!o->metavar) {
        opts->module_values[i] = 1;
        return TRUE;
    }
    char *option = g_strconcat("--", o->name, NULL);
    gboolean ok = parse_number(text, option, o->min, o->max, &opts->module_values[i], errmsg);
    g_free(option);
    return ok;
}

/* The index of the module option --name (fs_feature_option_at()), or -1
 * when no module declares it. */
static int module_option_index(const char *name)
{
    for (guint i = 0; fs_feature_option_at(i); i++) {
        if (strcmp(fs_feature_option_at(i)->name, name) == 0)
            return (int)i;
    }
    return -1;
}

guint fs_options_module_value(const struct fs_options *opts, const char *name)
{
    int i = module_option_index(name);
    if (i < 0)
        return 0;
    if (opts->module_given && opts->module_given[i])
        return opts->module_values[i];
    const struct fs_feature_option *o = fs_feature_option_at((guint)i);
    return o->metavar ? o->fallback : 0;
}

/* The --help lines of the modules' options. */
static void module_help(FILE *out)
{
    for (guint i = 0; fs_feature_option_at(i); i++) {
        const struct fs_feature_option *o = fs_feature_option_at(i);
        char *left = o->metavar ? g_strdup_printf("--%s <%s>", o->name, o->metavar)
                                : g_strdup_printf("--%s", o->name);
        char *range = o->metavar ? (o->fallback ? g_strdup_printf(" (%u-%u, default %u)", o->min,
                                                          o->max, o->fallback)
                                                : g_strdup_printf(" (%u-%u)", o->min, o->max))
                                 : g_strdup("");
        fprintf(out, "  %-26s %s%s\n", left, o->help, range);
        g_free(left);
        g_free(range);
    }
}

static gboolean contains_string(const GPtrArray *array, const char *text)
{
    for (guint i = 0; i < array->len; i++) {
        if (strcmp(g_ptr_array_index(array, i), text) == 0)
            return TRUE;
    }
    return FALSE;
}

static void replace_string(char **slot, const char *text)
{
    g_free(*slot);
    *slot = g_strdup(text);
}

/* ---- flow-level selection (flow_select.h) ---- */

/* The range of --min-packets and --min-bytes: the flow's counts are 64-bit. */
#define FS_MIN_COUNT_MAX G_MAXINT64

static gboolean is_select_option(int c)
{
    return c == OPT_FLOW_FILTER || c == OPT_MIN_PACKETS || c == OPT_MIN_BYTES;
}

/* --flow-filter, --min-packets or --min-bytes (c) with its value, into
 * opts->flow_filter and opts->select. */
static gboolean parse_select_option(struct fs_options *opts, int c, const char *text, char **errmsg)
{
    if (c == OPT_FLOW_FILTER) {
        replace_string(&opts->flow_filter, text);
        opts->select.flow_filter = *text != '\0';
        return TRUE;
    }
    const char *option = c == OPT_MIN_PACKETS ? "--min-packets" : "--min-bytes";
    char *end = NULL;
    errno = 0;
    guint64 n = g_ascii_isdigit(text[0]) ? g_ascii_strtoull(text, &end, 10) : 0;
    if (!end || *end || errno == ERANGE || n > FS_MIN_COUNT_MAX) {
        *errmsg = g_strdup_printf("%s takes a whole number from 0 to %" G_GINT64_FORMAT
                                  ", not \"%s\"",
                option, (gint64)FS_MIN_COUNT_MAX, text);
        return FALSE;
    }
    if (c == OPT_MIN_PACKETS)
        opts->select.min_packets = n;
    else
        opts->select.min_bytes = n;
    return TRUE;
}

static void select_help(FILE *out)
{
    fputs("Flow selection (after the records' own rules; a flow left out is not counted):\n"
          "  --flow-filter <f>          keep the flows with at least one packet matching\n"
          "                             the display filter <f>, with all their packets\n"
          "                             (-Y removes packets; with both, <f> is tried on\n"
          "                             the packets that -Y kept)\n"
          "  --min-packets <n>          keep the flows of at least n packets\n"
          "                             (0-9223372036854775807)\n"
          "  --min-bytes <n>            keep the flows of at least n bytes: the sum of the\n"
          "                             IP lengths of all their packets (bytes_total)\n"
          "                             (0-9223372036854775807)\n"
          "\n",
            out);
}

void fs_options_print_help(FILE *out)
{
    fputs("Usage: flowshark [options] [-r] <capture or folder> ...\n"
          "       flowshark [options] -i <interface> ...   (live capture)\n"
          "\n"
          "Prints one JSON object per TCP/UDP flow of a capture (JSON Lines),\n"
          "dissected by Wireshark's engine (libwireshark). Record format: flowshark(1).\n"
          "\n"
          "Input:\n"
          "  -r, --read-file <path>     a capture (any format Wireshark reads; \"-\" reads\n"
          "                             standard input) or a folder, walked recursively:\n"
          "                             its files that Wireshark reads are captures, the\n"
          "                             others are counted in the summary; repeatable;\n"
          "                             plain arguments are read the same way\n"
          "  --files-from <list>        read the paths in <list>, one a line (\"-\": from\n"
          "                             standard input); repeatable\n"
          "  --root <folder>            captures named directly that lie below <folder>\n"
          "                             are placed as if found by walking -r <folder>\n"
          "                             (--output-dir paths, --label-from-dir labels)\n"
          "  --label <text>             add a key \"label\" with <text> to every record\n"
          "  --label-from-dir           add a key \"label\": the first folder below the\n"
          "                             folder given to -r (a capture named directly:\n"
          "                             its own folder's name)\n"
          "\n"
          "Output:\n"
          "  -w, --write <file>         write the records to <file> instead of standard\n"
          "                             output (written whole, then renamed into place)\n"
          "  --output-dir <folder>      one output file per capture, <folder>/<path below\n"
          "                             its -r folder, or its name>.<jsonl|csv|db>, each\n"
          "                             written whole, then renamed into place\n"
          "  --resume                   with --output-dir: skip the captures whose output\n"
          "                             file is there (a run stopped half way goes on)\n"
          "  --note <text>              -T sqlite: the note of this run (runs table)\n"
          "  --list                     print the captures the inputs name, one a line,\n"
          "                             in the order they would be read, and exit\n"
          "\n"
          "Live capture (as tshark: through Wireshark's dumpcap):\n"
          "  -i, --interface <iface>    capture on <iface> (a name or number of -D) until\n"
          "                             Ctrl-C, SIGTERM, -c or -a; repeatable; the records'\n"
          "                             \"file\" is the interfaces as given, joined by \",\"\n"
          "  -D, --list-interfaces      print the interfaces dumpcap can capture on, and exit\n"
          "  -f, --capture-filter <f>   capture filter (BPF, libpcap syntax) on every -i\n"
          "  -c, --packet-count <n>     stop after n packets (1-2147483647)\n"
          "  -a, --autostop <cond>      stop after duration:<seconds> or packets:<n>;\n"
          "                             repeatable: the first condition met stops\n"
          "\n"
          "Dissection (as in tshark):\n"
          "  -Y, --display-filter <f>   keep only packets matching this display filter\n"
          "                             (combined with the default filter by \"and\")\n"
          "  -e, --field <field>        add a field to each record's \"extension\";\n"
          "                             repeatable (e.g. tls.handshake.extensions_server_name)\n"
          "  -o, --pref <name>:<value>  override a preference (e.g. tls.keylog_file:keys.log)\n"
          "  -d, --decode-as <layer>==<selector>,<protocol>\n"
          "                             decode traffic as a protocol (e.g. tcp.port==8443,tls)\n"
          "  -2, --two-pass             two-pass analysis, as tshark -2\n"
          "\n"
          "Fast mode (see flowshark(1) and doc/fast-mode.md):\n"
          "  --fast                     libwireshark dissects each flow's first packets\n"
          "                             and those with SYN, FIN or RST; flowshark's own\n"
          "                             parser accounts for the rest. Runs that need every\n"
          "                             packet dissected (-Y, --flow-filter, -2,\n"
          "                             --all-protocols, --nfstream, --reset-every, fields\n"
          "                             of the frame, link, IP or TCP/UDP layers) say so and\n"
          "                             use the exact mode\n"
          "  --fast-limit <n>           the packets of a flow libwireshark sees (1-65535,\n"
          "                             default 20, as NFStream's n_dissections)\n"
          "  --verify                   run fast mode and the exact mode, write no records,\n"
          "                             and report on standard error how many records are\n"
          "                             identical and which keys differ (exit status 10\n"
          "                             when they differ beyond the documented causes)\n"
          "\n"
          "Records:\n"
          "  --main payload|ip          sequence that time_start/time_end come from\n"
          "                             (default: payload)\n"
          "  --keep-empty               keep flows that carry no payload\n"
          "  --udp-data-length          UDP payload length without the 8-byte header\n"
          "                             (default: the UDP length field, as flowcontainer)\n"
          "  --no-exclusions            do not exclude ICMP, retransmissions, mDNS, SSDP\n"
          "  --max-packets <n>          keep only each flow's first n packets in the\n"
          "                             sequences (1-2147483647); adds packets_total,\n"
          "                             bytes_total, payload_packets_total,\n"
          "                             payload_bytes_total\n"
          "  --direction port|first     which end is src: the greater port (default, the\n"
          "                             record format's rule) or the sender of the first\n"
          "                             packet (as NFStream)\n"
          "\n"
          "Flow meter (as NFStream; off by default: a record is one Wireshark stream):\n"
          "  --idle-timeout <s>         end a flow idle for s seconds (1-2147483647);\n"
          "                             its next packet begins a new one; records are\n"
          "                             written as flows end and gain expiration_id\n"
          "                             and stream_piece\n"
          "  --active-timeout <s>       end a flow that has lasted s seconds\n"
          "                             (1-2147483647), likewise\n"
          "  --all-protocols            flows of every IP protocol (ICMP, IGMP...: keyed\n"
          "                             by protocol and addresses, ports 0)\n"
          "  --nfstream                 NFStream's flows and keys: --direction first\n"
          "                             --no-exclusions --keep-empty --stats --ndpi\n"
          "                             --idle-timeout 120 --active-timeout 1800\n"
          "                             --all-protocols, the VLAN id in the flow key,\n"
          "                             the first fragment of a datagram counted\n"
          "\n",
            out);
    select_help(out);
    fputs("Added keys (after the record's own; see flowshark(1)):\n", out);
    module_help(out);
    fputs("  --accounting-mode <m>      packet sizes of --stats/--splt: 0 frame (default),\n"
          "                             1 IP, 2 transport, 3 payload\n"
          "\n"
          "Output format:\n"
          "  -T, --output-format <format>\n",
            out);
    GString *formats = g_string_new(NULL);
    fs_sink_format_help(formats);
    fputs(formats->str, out);
    g_string_free(formats, TRUE);
    fputs("\n"
          "Memory:\n"
          "  --reset-every <n>          bounded memory: dissect each run of n records\n"
          "                             (1-2147483647) in a fresh session (a forked\n"
          "                             worker), continuing flows across sessions by\n"
          "                             addresses and ports; records\n"
          "                             may differ from tshark's at the seams (see\n"
          "                             flowshark(1))\n"
          "\n"
          "Several captures:\n"
          "  -j, --jobs <n>             workers at once (1-1024, default: one per processor);\n"
          "                             records still come out in capture order\n"
          "  --no-fork                  read them all in this process (by default each is\n"
          "                             read by a worker process forked after start-up)\n"
          "\n"
          "Other:\n"
          "  --progress                 a progress line on standard error (captures,\n"
          "                             packets, MB read of all, MB/s, elapsed, ETA); by\n"
          "                             default only when standard error is a terminal\n"
          "  -q, --quiet                no progress line and no summary line at the end\n"
          "  --schema                   print the records' JSON Schema (2020-12) and exit\n"
          "  -h, --help                 show this help and exit\n"
          "  -v, --version              show the version and the libwireshark version\n"
          "\n"
          "Exit status: 0 success (a live capture stopped by Ctrl-C, SIGTERM, -c or -a\n"
          "too), 1 bad command line, 2 capture cut short or damaged (records of its\n"
          "complete packets written), 3 capture not readable or interface not\n"
          "captured, 4 bad display or capture filter, 5 unknown field, 6 output not\n"
          "written, 7 initialisation failed, 8 interrupted by SIGINT/SIGTERM (records\n"
          "of the flows seen so far written), 9 a capture's worker process died (no\n"
          "records for that capture).\n",
            out);
}

/* ---- live capture (-i -D -f -c -a) ---- */

/* -a duration:S (S seconds, a positive decimal number, as dumpcap takes it)
 * or packets:N; kept as given for dumpcap's command line. */
static gboolean parse_autostop(const char *text, GPtrArray *autostop, char **errmsg)
{
    const char *seconds = g_str_has_prefix(text, "duration:") ? text + strlen("duration:") : NULL;
    const char *packets = g_str_has_prefix(text, "packets:") ? text + strlen("packets:") : NULL;
    gboolean ok = FALSE;
    if (seconds && g_ascii_isdigit(seconds[0])) {
        char *end = NULL;
        double value = g_ascii_strtod(seconds, &end);
        ok = *end == '\0' && value > 0 && value <= G_MAXINT32;
    } else if (packets && g_ascii_isdigit(packets[0])) {
        char *end = NULL;
        guint64 value = g_ascii_strtoull(packets, &end, 10);
        ok = *end == '\0' && value >= 1 && value <= FS_COUNT_MAX;
    }
    if (!ok) {
        *errmsg = g_strdup_printf("-a takes duration:<seconds> (more than 0) or packets:<n> "
                                  "(1-%u), not \"%s\"",
                FS_COUNT_MAX, text);
        return FALSE;
    }
    g_ptr_array_add(autostop, g_strdup(text));
    return TRUE;
}

/* Live capture is one input read in this process, as it arrives. */
static enum fs_status check_live(const struct fs_options *opts, char **errmsg)
{
    if (opts->interfaces->len == 0) {
        if (opts->capture_filter || opts->packet_count || opts->autostop->len)
            *errmsg = g_strdup("-f, -c and -a apply to a live capture: give it with -i IFACE");
    } else if (opts->inputs->len || opts->files_from->len) {
        *errmsg = g_strdup("-i captures live: it cannot be combined with captures to read (-r, "
                           "plain arguments, --files-from)");
    } else if (opts->output_dir || opts->resume) {
        *errmsg = g_strdup("-i captures live: --output-dir and --resume need capture files");
    } else if (opts->jobs > 1 || opts->reset_every) {
        *errmsg = g_strdup("-i captures live in this process: -j (above 1) and --reset-every "
                           "need capture files");
    } else if (opts->two_pass) {
        *errmsg = g_strdup("-2 needs a capture file it can read twice, not a live capture (-i)");
    } else if (opts->list_only || opts->root || opts->label_from_dir) {
        *errmsg = g_strdup("-i captures live: --list, --root and --label-from-dir need capture "
                           "files");
    }
    return *errmsg ? FS_ERR_USAGE : FS_OK;
}

/* The checks of options that depend on each other. */
static enum fs_status check_combinations(const struct fs_options *opts, char **errmsg)
{
    const struct fs_sink_ops *format = fs_sink_format_find(opts->format);
    gboolean stdin_capture = contains_string(opts->inputs, "-");
    if (opts->list_interfaces)
        return FS_OK;
    if (check_live(opts, errmsg) != FS_OK)
        return FS_ERR_USAGE;
    if (opts->interfaces->len == 0 && opts->inputs->len == 0 && opts->files_from->len == 0)
        *errmsg = g_strdup("no capture given: use -r FILE or DIRECTORY, plain arguments or "
                           "--files-from LIST (see flowshark --help)");
    else if (opts->two_pass && stdin_capture)
        *errmsg = g_strdup("-2 needs a capture file it can read twice, not standard input");
    else if (stdin_capture && contains_string(opts->files_from, "-"))
        *errmsg = g_strdup("standard input cannot be both a capture (-r -) and a list "
                           "(--files-from -)");
    else if (opts->resume && !opts->output_dir)
        *errmsg = g_strdup("--resume needs --output-dir (it skips captures whose output file "
                           "is there)");
    else if (opts->output_dir && opts->output_path)
        *errmsg = g_strdup("-w and --output-dir exclude each other (one file for the run, or "
                           "one per capture)");
    else if (opts->output_dir && stdin_capture)
        *errmsg = g_strdup("--output-dir needs capture files; standard input has no name to "
                           "name its output after");
    else if (opts->label && opts->label_from_dir)
        *errmsg = g_strdup("--label and --label-from-dir exclude each other");
    else if (fs_sink_format_is_file(format) && !opts->output_dir &&
             (!opts->output_path || strcmp(opts->output_path, "-") == 0))
        *errmsg = g_strdup_printf("-T %s writes a file: give it with -w FILE", opts->format);
    else if (opts->verify && (opts->interfaces->len || stdin_capture))
        *errmsg = g_strdup("--verify reads the captures twice: it needs capture files, not -i "
                           "or standard input");
    else if (opts->verify && (opts->output_path || opts->output_dir || opts->resume ||
                                     fs_sink_format_is_file(format)))
        *errmsg = g_strdup("--verify writes no records (its report goes to standard error): "
                           "not with -w, --output-dir, --resume or -T sqlite");
    else if (opts->note && !fs_sink_format_is_file(format))
        *errmsg = g_strdup("--note is stored in a database's runs table: use it with -T sqlite");
    return *errmsg ? FS_ERR_USAGE : FS_OK;
}

/* --nfstream: NFStream's flows (NFStreamer's defaults) and its keys. The
 * timeouts and --direction given on the command line win. */
static void apply_nfstream(struct fs_options *opts, gboolean direction_given)
{
    if (!direction_given)
        opts->direction = FS_DIRECTION_FIRST;
    opts->default_exclusions = FALSE;
    opts->keep_empty = TRUE;
    if (!opts->idle_timeout)
        opts->idle_timeout = FS_NFSTREAM_IDLE_TIMEOUT;
    if (!opts->active_timeout)
        opts->active_timeout = FS_NFSTREAM_ACTIVE_TIMEOUT;
    opts->all_protocols = TRUE;
    opts->vlan_key = TRUE;
    opts->no_defragment = TRUE;
    /* Before the user's -o, which win. */
    g_ptr_array_insert(opts->prefs, 0, g_strdup("ipv6.defragment:FALSE"));
    g_ptr_array_insert(opts->prefs, 0, g_strdup("ip.defragment:FALSE"));
    static const char *const modules[] = { "stats", "ndpi" };
    for (guint m = 0; m < G_N_ELEMENTS(modules); m++) {
        int i = module_option_index(modules[m]);
        if (i >= 0) {
            opts->module_given[i] = TRUE;
            opts->module_values[i] = 1;
        }
    }
}

/* The getopt loop and the checks after it, into opts (already set up). */
static enum fs_status parse_argv(int argc, char **argv, struct fs_options *opts,
        const struct option *options, guint modules, char **errmsg)
{
    /* getopt keeps global state; 0 asks glibc for a full re-initialisation. */
    optind = 0;
    opterr = 0;
    int c;
    gboolean direction_given = FALSE;
    static const char short_options[] = ":r:Y:e:o:d:w:j:T:q2hvi:Df:c:a:";
    while ((c = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
        if (is_select_option(c)) {
            if (!parse_select_option(opts, c, optarg, errmsg))
                return FS_ERR_USAGE;
            continue;
        }
        if (c >= OPT_MODULE && c < OPT_MODULE + (int)modules) {
            if (!parse_module_option(opts, (guint)(c - OPT_MODULE), optarg, errmsg))
                return FS_ERR_USAGE;
            continue;
        }
        switch (c) {
            case 'r':
                g_ptr_array_add(opts->inputs, g_strdup(optarg));
                break;
            case 'Y':
                replace_string(&opts->display_filter, optarg);
                break;
            case 'e':
                if (!contains_string(opts->fields, optarg))
                    g_ptr_array_add(opts->fields, g_strdup(optarg));
                break;
            case 'o':
                g_ptr_array_add(opts->prefs, g_strdup(optarg));
                break;
            case 'd':
                g_ptr_array_add(opts->decode_as, g_strdup(optarg));
                break;
            case 'w':
                replace_string(&opts->output_path, optarg);
                break;
            case '2':
                opts->two_pass = TRUE;
                break;
            case OPT_MAIN: {
                static const char *const names[] = { "payload", "ip" };
                static const int values[] = { FS_MAIN_PAYLOAD, FS_MAIN_IP };
                int value;
                if (!parse_choice(optarg, "--main", names, values, 2, 2, &value, errmsg))
                    return FS_ERR_USAGE;
                opts->main_seq = (enum fs_main_seq)value;
                break;
            }
            case OPT_KEEP_EMPTY:
                opts->keep_empty = TRUE;
                break;
            case OPT_UDP_DATA_LENGTH:
                opts->udp_data_length = TRUE;
                break;
            case OPT_NO_EXCLUSIONS:
                opts->default_exclusions = FALSE;
                break;
            case OPT_MAX_PACKETS:
                if (!parse_count(optarg, "--max-packets", FS_MAX_PACKETS_MAX, &opts->max_packets,
                            errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_FAST:
                opts->fast = TRUE;
                break;
            case OPT_VERIFY:
                opts->verify = TRUE;
                opts->fast = TRUE;
                break;
            case OPT_FAST_LIMIT:
                if (!parse_count(
                            optarg, "--fast-limit", FS_FAST_LIMIT_MAX, &opts->fast_limit, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_RESET_EVERY:
                if (!parse_count(optarg, "--reset-every", FS_RESET_EVERY_MAX, &opts->reset_every,
                            errmsg))
                    return FS_ERR_USAGE;
                break;
            case 'j':
                if (!parse_count(optarg, "-j", FS_JOBS_MAX, &opts->jobs, errmsg))
                    return FS_ERR_USAGE;
                break;
            case 'T':
                if (!fs_sink_format_find(optarg)) {
                    char *names = fs_sink_format_names();
                    *errmsg = g_strdup_printf("-T takes %s, not \"%s\"", names, optarg);
                    g_free(names);
                    return FS_ERR_USAGE;
                }
                replace_string(&opts->format, optarg);
                break;
            case OPT_ACCOUNTING_MODE:
                if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '3') {
                    *errmsg = g_strdup_printf(
                            "--accounting-mode takes 0, 1, 2 or 3, not \"%s\"", optarg);
                    return FS_ERR_USAGE;
                }
                opts->accounting = (enum fs_accounting)(optarg[0] - '0');
                break;
            case OPT_DIRECTION: {
                static const char *const names[] = { "port", "first" };
                static const int values[] = { FS_DIRECTION_PORT, FS_DIRECTION_FIRST };
                int value;
                if (!parse_choice(optarg, "--direction", names, values, 2, 2, &value, errmsg))
                    return FS_ERR_USAGE;
                opts->direction = (enum fs_direction)value;
                direction_given = TRUE;
                break;
            }
            case OPT_PROGRESS:
                opts->progress = FS_PROGRESS_ALWAYS;
                break;
            case 'q':
                opts->progress = FS_PROGRESS_NEVER;
                break;
            case OPT_NO_FORK:
                opts->in_process = TRUE;
                break;
            case OPT_FILES_FROM:
                g_ptr_array_add(opts->files_from, g_strdup(optarg));
                break;
            case OPT_ROOT:
                replace_string(&opts->root, optarg);
                break;
            case OPT_LABEL:
                replace_string(&opts->label, optarg);
                break;
            case OPT_LABEL_FROM_DIR:
                opts->label_from_dir = TRUE;
                break;
            case OPT_OUTPUT_DIR:
                replace_string(&opts->output_dir, optarg);
                break;
            case OPT_RESUME:
                opts->resume = TRUE;
                break;
            case OPT_NOTE:
                replace_string(&opts->note, optarg);
                break;
            case OPT_SCHEMA:
                opts->show_schema = TRUE;
                break;
            case OPT_LIST:
                opts->list_only = TRUE;
                break;
            case OPT_IDLE_TIMEOUT:
                if (!parse_count(
                            optarg, "--idle-timeout", FS_TIMEOUT_MAX, &opts->idle_timeout, errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_ACTIVE_TIMEOUT:
                if (!parse_count(optarg, "--active-timeout", FS_TIMEOUT_MAX, &opts->active_timeout,
                            errmsg))
                    return FS_ERR_USAGE;
                break;
            case OPT_ALL_PROTOCOLS:
                opts->all_protocols = TRUE;
                break;
            case OPT_NFSTREAM:
                opts->nfstream = TRUE;
                break;
            case 'i':
                g_ptr_array_add(opts->interfaces, g_strdup(optarg));
                break;
            case 'D':
                opts->list_interfaces = TRUE;
                break;
            case 'f':
                replace_string(&opts->capture_filter, optarg);
                break;
            case 'c':
                if (!parse_count(optarg, "-c", FS_COUNT_MAX, &opts->packet_count, errmsg))
                    return FS_ERR_USAGE;
                break;
            case 'a':
                if (!parse_autostop(optarg, opts->autostop, errmsg))
                    return FS_ERR_USAGE;
                break;
            case 'h':
                opts->show_help = TRUE;
                break;
            case 'v':
                opts->show_version = TRUE;
                break;
            case ':':
                *errmsg = g_strdup_printf("option %s needs a value", argv[optind - 1]);
                return FS_ERR_USAGE;
            default:
                /* A short option inside a cluster (-2x) is named by optopt;
                 * argv[optind - 1] would name the whole cluster. */
                if (optopt > 0 && optopt < 256 && (optopt == ':' || !strchr(short_options, optopt)))
                    *errmsg = g_strdup_printf("unknown option -%c (see flowshark --help)", optopt);
                else
                    *errmsg = g_strdup_printf(
                            "unknown option %s (see flowshark --help)", argv[optind - 1]);
                return FS_ERR_USAGE;
        }
    }
    /* Plain arguments are captures too (flowshark -r a.pcap b.pcap, globs). */
    for (int i = optind; i < argc; i++)
        g_ptr_array_add(opts->inputs, g_strdup(argv[i]));
    if (opts->nfstream)
        apply_nfstream(opts, direction_given);
    if (opts->show_help || opts->show_version || opts->show_schema)
        return FS_OK;
    return check_combinations(opts, errmsg);
}

char *fs_options_quote_command_line(int argc, char **argv)
{
    GString *line = g_string_new(NULL);
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            g_string_append_c(line, ' ');
        const char *arg = argv[i];
        gboolean plain = *arg != '\0';
        for (const char *p = arg; *p && plain; p++)
            plain = g_ascii_isalnum(*p) || strchr("-_./:=,+@%", *p);
        if (plain) {
            g_string_append(line, arg);
        } else {
            char *quoted = g_shell_quote(arg);
            g_string_append(line, quoted);
            g_free(quoted);
        }
    }
    return g_string_free(line, FALSE);
}

enum fs_status fs_options_parse(int argc, char **argv, struct fs_options *opts, char **errmsg)
{
    memset(opts, 0, sizeof(*opts));
    opts->inputs = g_ptr_array_new_with_free_func(g_free);
    opts->files_from = g_ptr_array_new_with_free_func(g_free);
    opts->fields = g_ptr_array_new_with_free_func(g_free);
    opts->prefs = g_ptr_array_new_with_free_func(g_free);
    opts->decode_as = g_ptr_array_new_with_free_func(g_free);
    opts->interfaces = g_ptr_array_new_with_free_func(g_free);
    opts->autostop = g_ptr_array_new_with_free_func(g_free);
    opts->main_seq = FS_MAIN_PAYLOAD;
    opts->default_exclusions = TRUE;
    opts->fast_limit = FS_FAST_LIMIT_DEFAULT;
    opts->format = g_strdup("jsonl");
    guint modules = module_option_count();
    opts->module_values = g_new0(guint, modules + 1);
    opts->module_given = g_new0(gboolean, modules + 1);
    *errmsg = NULL;
    opts->command_line = fs_options_quote_command_line(argc, argv);
    struct option *options = all_long_options();
    enum fs_status status = parse_argv(argc, argv, opts, options, modules, errmsg);
    g_free(options);
    return status;
}

void fs_options_free(struct fs_options *opts)
{
    if (opts->inputs)
        g_ptr_array_free(opts->inputs, TRUE);
    if (opts->files_from)
        g_ptr_array_free(opts->files_from, TRUE);
    g_free(opts->root);
    g_free(opts->label);
    g_free(opts->output_dir);
    g_free(opts->note);
    g_free(opts->command_line);
    if (opts->fields)
        g_ptr_array_free(opts->fields, TRUE);
    if (opts->prefs)
        g_ptr_array_free(opts->prefs, TRUE);
    if (opts->decode_as)
        g_ptr_array_free(opts->decode_as, TRUE);
    g_free(opts->display_filter);
    g_free(opts->flow_filter);
    g_free(opts->output_path);
    g_free(opts->format);
    g_free(opts->module_values);
    g_free(opts->module_given);
    if (opts->interfaces)
        g_ptr_array_free(opts->interfaces, TRUE);
    if (opts->autostop)
        g_ptr_array_free(opts->autostop, TRUE);
    g_free(opts->capture_filter);
    memset(opts, 0, sizeof(*opts));
}
