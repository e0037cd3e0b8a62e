/* test_record_source.c: unit tests of the command line the analyses share
 * (window/record_source.h): the capture options handed on in command-line
 * order (the analysis's own among them), the input checks and their
 * messages, an analysis that reads no database (window: --from-db unknown,
 * even abbreviated), and -T with an analysis's own file format (window's
 * sqlite, which needs -w FILE). No epan needed: nothing is read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <string.h>

#include <glib.h>

#include "record_source.h"
#include "window_sqlite.h"

#define OPT_OWN 256 /* an option of the analysis's own, handed on */
/* The words of a command line after the analysis's name. */
#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })
static const char *const no_words[] = { NULL };

/* The command line of a made-up analysis "t", parsed as window_main.c and
 * graph_main.c parse theirs: words after "t"; without_db: window's table
 * and settings (no database, -T sqlite its own); its one option --own X
 * is handed on as "--flow-filter X". */
struct parsed {
    struct fs_analysis_cli cli;
    enum fs_status status;
    char *errmsg;
};

static void parse(struct parsed *p, gboolean without_db, const char *const *words)
{
    static const struct option with_db_options[] = {
        FS_ANALYSIS_CLI_OPTIONS,
        { "own", required_argument, NULL, OPT_OWN },
        { NULL, 0, NULL, 0 },
    };
    static const struct option without_db_options[] = {
        FS_ANALYSIS_CLI_OPTIONS_WITHOUT_DB,
        { "own", required_argument, NULL, OPT_OWN },
        { NULL, 0, NULL, 0 },
    };
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) "t");
    for (const char *const *w = words; *w; w++)
        g_ptr_array_add(argv, (gpointer)*w);
    g_ptr_array_add(argv, NULL);
    int argc = (int)argv->len - 1;
    char **args = (char **)argv->pdata;

    memset(p, 0, sizeof(*p));
    fs_analysis_cli_init(&p->cli, "t");
    if (without_db) {
        p->cli.source.without_db = TRUE;
        p->cli.file_format = &fs_window_sqlite;
    }
    optind = 0;
    opterr = 0;
    int c;
    p->status = FS_OK;
    while (p->status == FS_OK &&
            (c = getopt_long(argc, args, FS_ANALYSIS_CLI_SHORT,
                     without_db ? without_db_options : with_db_options, NULL)) != -1) {
        if (c == OPT_OWN)
            fs_record_source_pass_on(&p->cli.source, "--flow-filter", optarg);
        else
            p->status = fs_analysis_cli_option(&p->cli, c, optarg, args, &p->errmsg);
    }
    if (p->status == FS_OK)
        p->status = fs_analysis_cli_finish(&p->cli, argc, args, &p->errmsg);
    g_ptr_array_free(argv, TRUE);
}

static void parsed_clear(struct parsed *p)
{
    fs_analysis_cli_clear(&p->cli);
    g_free(p->errmsg);
}

/* The capture arguments joined by spaces (caller g_free()s). */
static char *capture_args(const struct parsed *p)
{
    GPtrArray *words = g_ptr_array_new();
    for (guint i = 0; i < p->cli.source.capture_args->len; i++)
        g_ptr_array_add(words, g_ptr_array_index(p->cli.source.capture_args, i));
    g_ptr_array_add(words, NULL);
    char *joined = g_strjoinv(" ", (char **)words->pdata);
    g_ptr_array_free(words, TRUE);
    return joined;
}

/* The message of a refused command line. */
static void assert_refused(gboolean without_db, const char *const *words, const char *message)
{
    struct parsed p;
    parse(&p, without_db, words);
    assert_int_equal(p.status, FS_ERR_USAGE);
    assert_non_null(p.errmsg);
    assert_string_equal(p.errmsg, message);
    parsed_clear(&p);
}

static void captures_handed_on_in_order(void **state)
{
    (void)state;
    for (int without_db = 0; without_db < 2; without_db++) {
        const char *const words[] = { "a.pcap", "--own", "tcp", "-j", "2", "-r", "b.pcap",
            "--progress", "-Y", "udp", "--all-protocols", "--files-from", "-", "--", "-c.pcap",
            NULL };
        struct parsed p;
        parse(&p, without_db, words);
        assert_int_equal(p.status, FS_OK);
        assert_true(p.cli.source.captures);
        assert_true(p.cli.source.progress);
        char *args = capture_args(&p);
        assert_string_equal(args, "-r a.pcap --flow-filter tcp -j 2 -r b.pcap --progress "
                                  "-Y udp --all-protocols --files-from - -r -c.pcap");
        g_free(args);
        assert_ptr_equal(fs_analysis_cli_format(&p.cli), fs_sink_format_find("jsonl"));
        parsed_clear(&p);
    }
}

static void input_forms_checked(void **state)
{
    (void)state;
    assert_refused(TRUE, no_words,
            "t: captures (-r CAPTURE, --files-from, plain arguments) or --from-records FILE "
            "(\"-\": standard input) are required");
    assert_refused(FALSE, no_words,
            "t: captures (-r CAPTURE, --files-from, plain arguments), --from-records FILE or "
            "--from-db FILE are required");
    assert_refused(TRUE, WORDS("--from-records", "f", "x.pcap"),
            "t: --from-records and captures (-r, --files-from, plain arguments) cannot be "
            "combined");
    assert_refused(FALSE, WORDS("--from-records", "f", "--from-db", "d"),
            "t: captures, --from-records and --from-db cannot be combined");
    /* The analysis's own capture option too. */
    assert_refused(TRUE, WORDS("--own", "tcp", "--from-records", "f"),
            "t: --flow-filter is for captures, not --from-records");
    assert_refused(FALSE, WORDS("--from-db", "d", "-q"), "t: -q is for captures, not --from-db");
    assert_refused(
            FALSE, WORDS("--from-records", "f", "--db-run", "2"), "t: --db-run is for --from-db");
    assert_refused(FALSE, WORDS("--from-db", "d", "--db-run", "0"),
            "t: --db-run 0: not a run id (1 or more)");
    assert_refused(TRUE, WORDS("--from-records"), "t: --from-records needs a value");
}

static void without_db_no_database_options(void **state)
{
    (void)state;
    assert_refused(TRUE, WORDS("--from-db", "d"), "t: unknown option --from-db");
    assert_refused(
            TRUE, WORDS("--from-records", "f", "--db-run", "2"), "t: unknown option --db-run");
    /* Abbreviations stand for the options that are there: --from is
     * --from-records without the database, ambiguous with it. */
    struct parsed p;
    parse(&p, TRUE, WORDS("--from", "f"));
    assert_int_equal(p.status, FS_OK);
    assert_string_equal(p.cli.source.from_records, "f");
    parsed_clear(&p);
    assert_refused(FALSE, WORDS("--from", "f"), "t: unknown option --from");
}

static void own_file_format(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, TRUE, WORDS("-T", "sqlite", "-w", "w.db", "x.pcap"));
    assert_int_equal(p.status, FS_OK);
    assert_ptr_equal(fs_analysis_cli_format(&p.cli), &fs_window_sqlite);
    parsed_clear(&p);
    parse(&p, TRUE, WORDS("-T", "csv", "x.pcap"));
    assert_int_equal(p.status, FS_OK);
    assert_ptr_equal(fs_analysis_cli_format(&p.cli), fs_sink_format_find("csv"));
    parsed_clear(&p);
    assert_refused(TRUE, WORDS("-T", "sqlite", "x.pcap"),
            "t: -T sqlite writes a database: give it with -w FILE");
    assert_refused(TRUE, WORDS("-T", "sqlite", "-w", "-", "x.pcap"),
            "t: -T sqlite writes a database: give it with -w FILE");
    assert_refused(TRUE, WORDS("-T", "xml"),
            "t: -T xml: not a format of flowshark t (jsonl, csv or sqlite)");
    /* Without a file format of its own, the flows' sqlite is not one. */
    assert_refused(FALSE, WORDS("-T", "sqlite", "-w", "w.db"),
            "t: -T sqlite: not a format of flowshark t (jsonl or csv)");
}

static void help_without_db(void **state)
{
    (void)state;
    assert_non_null(strstr(fs_record_source_help, "--from-db"));
    assert_null(strstr(fs_record_source_help_without_db, "--from-db"));
    assert_null(strstr(fs_record_source_help_without_db, "--db-run"));
    assert_non_null(strstr(fs_record_source_help_without_db, "--from-records"));
    /* -h: no input needed. */
    struct parsed p;
    parse(&p, TRUE, WORDS("-h"));
    assert_int_equal(p.status, FS_OK);
    assert_true(p.cli.help);
    parsed_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captures_handed_on_in_order),
        cmocka_unit_test(input_forms_checked),
        cmocka_unit_test(without_db_no_database_options),
        cmocka_unit_test(own_file_format),
        cmocka_unit_test(help_without_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
