/* test_cflows_cli.c: unit tests of botnet/cflows_cli.c, the C-flows'
 * options shared by flowshark cflows and flowshark botnet: the defaults,
 * each option through a getopt_long table of FS_CFLOWS_CLI_OPTIONS, bad
 * values refused with the subcommand's name (both --min-pts rules), and
 * the ranges and struct fs_cflows_options built from them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <string.h>

#include <glib.h>

#include "cflows_cli.h"

#define HOUR_NS G_GINT64_CONSTANT(3600000000000)

/* Runs getopt_long over args (NULL-terminated, after a program name) with
 * the shared table alone; every value goes to fs_cflows_cli_option().
 * Returns the first message (caller frees), or NULL. */
static char *parse(struct fs_cflows_cli *cli, const char *const *args)
{
    static const struct option options[] = {
        FS_CFLOWS_CLI_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    char *argv[16] = { (char *)"test" };
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    optind = 0; /* a full re-initialisation of getopt (glibc) */
    opterr = 0;
    int c;
    char *errmsg = NULL;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1 &&
            fs_cflows_cli_option(cli, c, optarg, &errmsg))
        continue;
    /* Every value of this table is one of the shared options: the loop
     * stops early only on a bad value, with its message. */
    assert_int_equal(c != -1, errmsg != NULL);
    return errmsg;
}

static void defaults(void **state)
{
    (void)state;
    struct fs_cflows_cli cli;
    fs_cflows_cli_init(&cli, "cflows");
    assert_string_equal(cli.who, "cflows");
    assert_string_equal(cli.internal, FS_HOST_INTERNAL_DEFAULT);
    assert_false(cli.no_f1);
    assert_string_equal(cli.whitelist, "");
    assert_false(cli.established);
    assert_true(cli.time_unit_ns == HOUR_NS);
    assert_true(cli.eps == 0.5);
    assert_int_equal(cli.min_pts, 2);
}

static void options_taken(void **state)
{
    (void)state;
    struct fs_cflows_cli cli;
    fs_cflows_cli_init(&cli, "cflows");
    const char *const args[] = { "--internal", "10.0.0.0/8", "--no-f1", "--whitelist=192.0.2.1",
        "--established", "--time-unit", "0.5", "--eps", "1.25", "--min-pts", "3", NULL };
    assert_null(parse(&cli, args));
    assert_string_equal(cli.internal, "10.0.0.0/8");
    assert_true(cli.no_f1);
    assert_string_equal(cli.whitelist, "192.0.2.1");
    assert_true(cli.established);
    assert_true(cli.time_unit_ns == 500000000);
    assert_true(cli.eps == 1.25);
    assert_int_equal(cli.min_pts, 3);
    /* Not one of them: FALSE, no message. */
    char *errmsg = NULL;
    assert_false(fs_cflows_cli_option(&cli, 'T', "csv", &errmsg));
    assert_false(fs_cflows_cli_option(&cli, 1, "capture.pcap", &errmsg));
    assert_null(errmsg);
}

/* One bad value: the message, and the option's field as it was. */
static void assert_refused(
        const char *who, const char *option, const char *value, const char *message)
{
    struct fs_cflows_cli cli;
    fs_cflows_cli_init(&cli, who);
    const char *const args[] = { option, value, NULL };
    char *errmsg = parse(&cli, args);
    assert_non_null(errmsg);
    assert_string_equal(errmsg, message);
    g_free(errmsg);
    assert_true(cli.time_unit_ns == HOUR_NS);
    assert_true(cli.eps == 0.5);
    assert_int_equal(cli.min_pts, 2);
}

static void bad_values_refused(void **state)
{
    (void)state;
    assert_refused("cflows", "--time-unit", "0",
            "cflows: --time-unit 0: not a number of seconds above 0 (at most 9 decimals)");
    assert_refused("botnet", "--time-unit", "1.0000000001",
            "botnet: --time-unit 1.0000000001: not a number of seconds above 0 (at most 9 "
            "decimals)");
    assert_refused("cflows", "--eps", "0", "cflows: --eps 0: not a number above 0");
    assert_refused("botnet", "--eps", "nan", "botnet: --eps nan: not a number above 0");
    assert_refused("cflows", "--eps", "1x", "cflows: --eps 1x: not a number above 0");
}

static void min_pts_rules(void **state)
{
    (void)state;
    /* Decimal whole numbers 1-2147483647. */
    assert_refused(
            "cflows", "--min-pts", "0", "cflows: --min-pts 0: not a whole number (1-2147483647)");
    assert_refused("cflows", "--min-pts", "2.0",
            "cflows: --min-pts 2.0: not a whole number (1-2147483647)");
    assert_refused("cflows", "--min-pts", "2147483648",
            "cflows: --min-pts 2147483648: not a whole number (1-2147483647)");
    /* botnet: the same rule, its own name. */
    assert_refused("botnet", "--min-pts", "2.5",
            "botnet: --min-pts 2.5: not a whole number (1-2147483647)");
    struct fs_cflows_cli cli;
    fs_cflows_cli_init(&cli, "cflows");
    const char *const most[] = { "--min-pts", "2147483647", NULL };
    assert_null(parse(&cli, most));
    assert_int_equal(cli.min_pts, 2147483647);
}

static void setup_defaults(void **state)
{
    (void)state;
    struct fs_cflows_cli cli;
    fs_cflows_cli_init(&cli, "cflows");
    cli.established = TRUE;
    cli.min_pts = 4;
    fs_host_ranges *internal = NULL, *whitelist = NULL;
    struct fs_cflows_options opts;
    char *errmsg = NULL;
    assert_int_equal(
            fs_cflows_cli_setup(&cli, FALSE, &internal, &whitelist, &opts, &errmsg), FS_OK);
    assert_null(errmsg);
    assert_int_equal(fs_host_ranges_size(internal), 4);
    assert_non_null(whitelist);
    assert_int_equal(fs_host_ranges_size(whitelist), 0);
    assert_ptr_equal(opts.internal, internal);
    assert_ptr_equal(opts.whitelist, whitelist);
    assert_true(opts.established);
    assert_true(opts.time_unit_ns == HOUR_NS);
    assert_true(opts.eps == 0.5);
    assert_int_equal(opts.min_pts, 4);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
}

static void setup_f1_off(void **state)
{
    (void)state;
    struct fs_cflows_cli cli;
    fs_host_ranges *internal = NULL, *whitelist = NULL;
    struct fs_cflows_options opts;
    char *errmsg = NULL;
    /* --no-f1 (cflows): --internal is not even read. */
    fs_cflows_cli_init(&cli, "cflows");
    cli.no_f1 = TRUE;
    cli.internal = "nope";
    assert_int_equal(
            fs_cflows_cli_setup(&cli, FALSE, &internal, &whitelist, &opts, &errmsg), FS_OK);
    assert_null(internal);
    assert_null(opts.internal);
    fs_host_ranges_free(whitelist);
    /* --no-f1 with keep_internal (botnet): read, F1 off all the same. */
    cli.internal = "192.0.2.0/24";
    assert_int_equal(fs_cflows_cli_setup(&cli, TRUE, &internal, &whitelist, &opts, &errmsg), FS_OK);
    assert_int_equal(fs_host_ranges_size(internal), 1);
    assert_null(opts.internal);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
    /* An empty --internal: an empty list, F1 off. */
    fs_cflows_cli_init(&cli, "botnet");
    cli.internal = "";
    assert_int_equal(fs_cflows_cli_setup(&cli, TRUE, &internal, &whitelist, &opts, &errmsg), FS_OK);
    assert_non_null(internal);
    assert_int_equal(fs_host_ranges_size(internal), 0);
    assert_null(opts.internal);
    fs_host_ranges_free(whitelist);
    fs_host_ranges_free(internal);
    assert_null(errmsg);
}

static void setup_bad_lists(void **state)
{
    (void)state;
    struct fs_cflows_cli cli;
    fs_host_ranges *internal = NULL, *whitelist = NULL;
    struct fs_cflows_options opts;
    char *errmsg = NULL;
    /* Both bad: --internal is named, the whitelist not read. */
    fs_cflows_cli_init(&cli, "botnet");
    cli.internal = "10.0.0.0/33";
    cli.whitelist = "nope";
    assert_int_equal(
            fs_cflows_cli_setup(&cli, TRUE, &internal, &whitelist, &opts, &errmsg), FS_ERR_USAGE);
    assert_null(internal);
    assert_null(whitelist);
    assert_true(g_str_has_prefix(errmsg, "botnet: --internal: "));
    g_free(errmsg);
    errmsg = NULL;
    /* A bad whitelist: the internal list read is the caller's to free. */
    fs_cflows_cli_init(&cli, "cflows");
    cli.whitelist = "nope";
    assert_int_equal(
            fs_cflows_cli_setup(&cli, FALSE, &internal, &whitelist, &opts, &errmsg), FS_ERR_USAGE);
    assert_int_equal(fs_host_ranges_size(internal), 4);
    assert_null(whitelist);
    assert_true(g_str_has_prefix(errmsg, "cflows: --whitelist: "));
    g_free(errmsg);
    fs_host_ranges_free(internal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(options_taken),
        cmocka_unit_test(bad_values_refused),
        cmocka_unit_test(min_pts_rules),
        cmocka_unit_test(setup_defaults),
        cmocka_unit_test(setup_f1_off),
        cmocka_unit_test(setup_bad_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
