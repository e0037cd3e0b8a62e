/* cflows_cli.h: the command-line options of BotMiner's C-flows
 * (doc/botnet.md), shared by `flowshark cflows` and `flowshark botnet`:
 * --internal, --no-f1, --whitelist, --established, --time-unit, --eps and
 * --min-pts. As record_source.h does for the input: a subcommand puts
 * FS_CFLOWS_CLI_OPTIONS in its getopt_long table, hands each getopt value
 * to fs_cflows_cli_option() before its own cases, prints
 * fs_cflows_cli_help after its own --internal line, and after the command
 * line turns the options into address ranges and a struct
 * fs_cflows_options with fs_cflows_cli_setup(). */
#ifndef FS_CFLOWS_CLI_H
#define FS_CFLOWS_CLI_H

#include <getopt.h>

#include <glib.h>

#include "cflows.h"
#include "hosts.h"
#include "status.h"

/* The options as given. A plain record of values: fs_cflows_cli_init()
 * sets the defaults, fs_cflows_cli_option() the rest; the subcommand
 * reads any field (botnet: established and internal for its graph too)
 * and changes nothing else. It
 * owns nothing: the strings are borrowed from argv. */
struct fs_cflows_cli {
    const char *who;       /* the subcommand, for messages: "cflows" */
    const char *internal;  /* --internal (default FS_HOST_INTERNAL_DEFAULT) */
    gboolean no_f1;        /* --no-f1 */
    const char *whitelist; /* --whitelist (default "": none) */
    gboolean established;  /* --established */
    gint64 time_unit_ns;   /* --time-unit (> 0; default 3600 s) */
    double eps;            /* --eps (> 0; default 0.5) */
    guint min_pts;         /* --min-pts (a decimal whole number 1-2147483647; default 2) */
};

/* The getopt_long values of these options (above any single character and
 * apart from record_source.h's), and the table entries to put in a
 * subcommand's own table. */
enum {
    FS_CFLOWS_OPT_INTERNAL = 0x1100,
    FS_CFLOWS_OPT_NO_F1,
    FS_CFLOWS_OPT_WHITELIST,
    FS_CFLOWS_OPT_ESTABLISHED,
    FS_CFLOWS_OPT_TIME_UNIT,
    FS_CFLOWS_OPT_EPS,
    FS_CFLOWS_OPT_MIN_PTS,
};
#define FS_CFLOWS_CLI_OPTIONS                                                                      \
    { "internal", required_argument, NULL, FS_CFLOWS_OPT_INTERNAL },                               \
            { "no-f1", no_argument, NULL, FS_CFLOWS_OPT_NO_F1 },                                   \
            { "whitelist", required_argument, NULL, FS_CFLOWS_OPT_WHITELIST },                     \
            { "established", no_argument, NULL, FS_CFLOWS_OPT_ESTABLISHED },                       \
            { "time-unit", required_argument, NULL, FS_CFLOWS_OPT_TIME_UNIT },                     \
            { "eps", required_argument, NULL, FS_CFLOWS_OPT_EPS },                                 \
    {                                                                                              \
        "min-pts", required_argument, NULL, FS_CFLOWS_OPT_MIN_PTS                                  \
    }

/* The defaults (who: the subcommand, for messages; borrowed). */
void fs_cflows_cli_init(struct fs_cflows_cli *cli, const char *who);

/* Takes getopt's value c with optarg: TRUE when it is one of these
 * options, FALSE otherwise. FALSE with *errmsg set (caller g_free()s;
 * "who: --eps 0: not a number above 0") for a bad value, which leaves the
 * option's field as it was. */
gboolean fs_cflows_cli_option(struct fs_cflows_cli *cli, int c, const char *optarg, char **errmsg);

/* The help lines of --no-f1, --whitelist, --established, --time-unit,
 * --eps and --min-pts, in the column of fs_record_source_help; each
 * subcommand describes --internal itself. */
extern const char fs_cflows_cli_help[];

/* After the command line: the ranges of --internal and --whitelist and the
 * C-flows' options over them. *internal: --internal's ranges; with --no-f1
 * NULL (the list is not read) unless keep_internal (botnet: its graph, scan
 * rule and hosts table use them whatever F1). *whitelist: --whitelist's
 * (an empty list by default). opts->internal is *internal, or NULL (F1
 * off) with --no-f1 or an empty list; the ranges opts points to are
 * *internal and *whitelist. Caller frees both lists with
 * fs_host_ranges_free(), on failure too (NULL then, or the one read).
 * FS_ERR_USAGE with *errmsg ("who: --internal: ...", --internal read
 * first) for a list item that is neither an address nor a prefix. */
enum fs_status fs_cflows_cli_setup(const struct fs_cflows_cli *cli, gboolean keep_internal,
        fs_host_ranges **internal, fs_host_ranges **whitelist, struct fs_cflows_options *opts,
        char **errmsg);

#endif
