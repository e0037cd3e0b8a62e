/* cflows_cli.c: see cflows_cli.h. The C-flows' options of flowshark
 * cflows and flowshark botnet: defaults, values checked as each option
 * comes, the help lines, and the ranges and struct fs_cflows_options
 * built from them. */
#include <math.h>
#include <string.h>

#include "cflows_cli.h"
#include "record_reader.h"

/* fph's time unit by default: an hour. */
#define TIME_UNIT_DEFAULT_NS G_GINT64_CONSTANT(3600000000000)
#define EPS_DEFAULT          0.5
#define MIN_PTS_DEFAULT      2

void fs_cflows_cli_init(struct fs_cflows_cli *cli, const char *who)
{
    memset(cli, 0, sizeof(*cli));
    cli->who = who;
    cli->internal = FS_HOST_INTERNAL_DEFAULT;
    cli->whitelist = "";
    cli->time_unit_ns = TIME_UNIT_DEFAULT_NS;
    cli->eps = EPS_DEFAULT;
    cli->min_pts = MIN_PTS_DEFAULT;
}

/* --min-pts as flowshark cflows reads it: a decimal whole number
 * 1-2147483647. */
static gboolean parse_min_pts(
        const struct fs_cflows_cli *cli, const char *text, guint *out, char **errmsg)
{
    char *end = NULL;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (!end || end == text || *end || v == 0 || v > G_MAXINT32) {
        *errmsg = g_strdup_printf(
                "%s: --min-pts %s: not a whole number (1-2147483647)", cli->who, text);
        return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

gboolean fs_cflows_cli_option(struct fs_cflows_cli *cli, int c, const char *optarg, char **errmsg)
{
    switch (c) {
        case FS_CFLOWS_OPT_INTERNAL:
            cli->internal = optarg;
            return TRUE;
        case FS_CFLOWS_OPT_NO_F1:
            cli->no_f1 = TRUE;
            return TRUE;
        case FS_CFLOWS_OPT_WHITELIST:
            cli->whitelist = optarg;
            return TRUE;
        case FS_CFLOWS_OPT_ESTABLISHED:
            cli->established = TRUE;
            return TRUE;
        case FS_CFLOWS_OPT_TIME_UNIT: {
            gint64 ns = 0;
            if (!fs_record_parse_time(optarg, strlen(optarg), &ns) || ns <= 0) {
                *errmsg = g_strdup_printf("%s: --time-unit %s: not a number of seconds above 0 "
                                          "(at most 9 decimals)",
                        cli->who, optarg);
                return FALSE;
            }
            cli->time_unit_ns = ns;
            return TRUE;
        }
        case FS_CFLOWS_OPT_EPS: {
            char *end = NULL;
            double eps = g_ascii_strtod(optarg, &end);
            if (!end || end == optarg || *end || !isfinite(eps) || eps <= 0) {
                *errmsg = g_strdup_printf("%s: --eps %s: not a number above 0", cli->who, optarg);
                return FALSE;
            }
            cli->eps = eps;
            return TRUE;
        }
        case FS_CFLOWS_OPT_MIN_PTS:
            return parse_min_pts(cli, optarg, &cli->min_pts, errmsg);
        default:
            return FALSE;
    }
}

const char fs_cflows_cli_help[] =
        "  --no-f1                    no F1: every flow whatever its ends\n"
        "  --whitelist <list>         F3: drop flows to these addresses and CIDR\n"
        "                             prefixes (default: none)\n"
        "  --established              F2 also wants a packet each way\n"
        "  --time-unit <U>            fph's time unit in seconds (> 0, up to 9\n"
        "                             decimals; default 3600)\n"
        "  --eps <E>                  DBSCAN's radius (> 0; default 0.5)\n"
        "  --min-pts <n>              DBSCAN's core-point size, the point itself\n"
        "                             included (>= 1; default 2)\n";

/* The ranges of list for option into *out. */
static enum fs_status parse_ranges(const struct fs_cflows_cli *cli, const char *option,
        const char *list, fs_host_ranges **out, char **errmsg)
{
    char *why = NULL;
    *out = fs_host_ranges_parse(list, &why);
    if (*out)
        return FS_OK;
    *errmsg = g_strdup_printf("%s: %s: %s", cli->who, option, why);
    g_free(why);
    return FS_ERR_USAGE;
}

enum fs_status fs_cflows_cli_setup(const struct fs_cflows_cli *cli, gboolean keep_internal,
        fs_host_ranges **internal, fs_host_ranges **whitelist, struct fs_cflows_options *opts,
        char **errmsg)
{
    *internal = NULL;
    *whitelist = NULL;
    enum fs_status status = FS_OK;
    if (!cli->no_f1 || keep_internal)
        status = parse_ranges(cli, "--internal", cli->internal, internal, errmsg);
    if (status == FS_OK)
        status = parse_ranges(cli, "--whitelist", cli->whitelist, whitelist, errmsg);
    if (status != FS_OK)
        return status;
    memset(opts, 0, sizeof(*opts));
    opts->internal = cli->no_f1 || fs_host_ranges_size(*internal) == 0 ? NULL : *internal;
    opts->whitelist = *whitelist;
    opts->established = cli->established;
    opts->time_unit_ns = cli->time_unit_ns;
    opts->eps = cli->eps;
    opts->min_pts = cli->min_pts;
    return FS_OK;
}
