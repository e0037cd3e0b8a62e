/* test_options.c: unit tests of extractor/options.h (the command line) and of
 * fs_run_filter_text() from extractor/run.h (the display filter it gives). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "options.h"
#include "run.h"

/* ---- fixture: the parsed options and the error message of one test ---- */

struct parse_state {
    struct fs_options opts;
    char *errmsg;
    char *text;      /* anything else the test allocates */
    GPtrArray *kept; /* an argv kept alive after its parse, or NULL */
};

static int setup_parse(void **state)
{
    *state = g_new0(struct parse_state, 1);
    return 0;
}

static int teardown_parse(void **state)
{
    struct parse_state *s = *state;
    fs_options_free(&s->opts);
    g_free(s->errmsg);
    g_free(s->text);
    g_clear_pointer(&s->kept, g_ptr_array_unref);
    g_free(s);
    return 0;
}

#define PARSE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_parse, teardown_parse)

/* The arguments after the program name, NULL-terminated. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A writable "flowshark args..." argv (getopt permutes it), NULL-terminated;
 * g_ptr_array_free(argv, TRUE) frees the strings too. */
static GPtrArray *make_argv(const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup("flowshark"));
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* Parses "flowshark args..." into s->opts and s->errmsg, then frees the
 * argv: the options must not keep pointers into it (ASan would see them). */
static enum fs_status parse(struct parse_state *s, const char *const *args)
{
    GPtrArray *argv = make_argv(args);
    enum fs_status status =
            fs_options_parse((int)argv->len - 1, (char **)argv->pdata, &s->opts, &s->errmsg);
    g_ptr_array_free(argv, TRUE);
    return status;
}

/* Parses again into the same state, freeing the previous result first. */
static enum fs_status reparse(struct parse_state *s, const char *const *args)
{
    fs_options_free(&s->opts);
    g_free(s->errmsg);
    s->errmsg = NULL;
    return parse(s, args);
}

static const char *item(const GPtrArray *array, guint index)
{
    return g_ptr_array_index(array, index);
}

/* ---- valid command lines ---- */

static void defaults(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap")), FS_OK);
    assert_null(s->errmsg);
    assert_int_equal(s->opts.inputs->len, 1);
    assert_string_equal(item(s->opts.inputs, 0), "a.pcap");
    assert_null(s->opts.display_filter);
    assert_int_equal(s->opts.fields->len, 0);
    assert_int_equal(s->opts.prefs->len, 0);
    assert_int_equal(s->opts.decode_as->len, 0);
    assert_null(s->opts.output_path);
    assert_false(s->opts.two_pass);
    assert_int_equal(s->opts.main_seq, FS_MAIN_PAYLOAD);
    assert_false(s->opts.keep_empty);
    assert_false(s->opts.udp_data_length);
    assert_true(s->opts.default_exclusions);
    assert_false(s->opts.show_help);
    assert_false(s->opts.show_version);
}

static void read_file_repeated(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-r", "-", "--read-file", "b.pcapng",
                                      "--read-file=c.pcap", "-rd.pcap")),
            FS_OK);
    assert_int_equal(s->opts.inputs->len, 5);
    assert_string_equal(item(s->opts.inputs, 0), "a.pcap");
    assert_string_equal(item(s->opts.inputs, 1), "-");
    assert_string_equal(item(s->opts.inputs, 2), "b.pcapng");
    assert_string_equal(item(s->opts.inputs, 3), "c.pcap");
    assert_string_equal(item(s->opts.inputs, 4), "d.pcap");
}

static void fields_deduplicated_in_order(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(
            parse(s, ARGS("-r", "a.pcap", "-e", "tls.handshake.extensions_server_name", "-e",
                             "dns.qry.name", "-e", "tls.handshake.extensions_server_name",
                             "--field", "ip.src", "--field=dns.qry.name", "-e", "tls")),
            FS_OK);
    assert_int_equal(s->opts.fields->len, 4);
    assert_string_equal(item(s->opts.fields, 0), "tls.handshake.extensions_server_name");
    assert_string_equal(item(s->opts.fields, 1), "dns.qry.name");
    assert_string_equal(item(s->opts.fields, 2), "ip.src");
    assert_string_equal(item(s->opts.fields, 3), "tls");
}

static void display_filter(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-Y", "tls.handshake.type == 1", "-r", "a.pcap")), FS_OK);
    assert_string_equal(s->opts.display_filter, "tls.handshake.type == 1");
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--display-filter", "dns")), FS_OK);
    assert_string_equal(s->opts.display_filter, "dns");
}

static void flow_selection(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap")), FS_OK);
    assert_null(s->opts.flow_filter);
    assert_false(s->opts.select.flow_filter);
    assert_int_equal(s->opts.select.min_packets, 0);
    assert_int_equal(s->opts.select.min_bytes, 0);
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "-Y", "tcp", "--flow-filter",
                                        "tls.handshake.certificate", "--min-packets", "3",
                                        "--min-bytes", "9223372036854775807")),
            FS_OK);
    assert_string_equal(s->opts.display_filter, "tcp");
    assert_string_equal(s->opts.flow_filter, "tls.handshake.certificate");
    assert_true(s->opts.select.flow_filter);
    assert_int_equal(s->opts.select.min_packets, 3);
    assert_int_equal(s->opts.select.min_bytes, G_MAXINT64);
    /* An empty expression selects every flow, as -Y "" keeps every packet. */
    assert_int_equal(
            reparse(s, ARGS("-r", "a.pcap", "--flow-filter", "", "--min-bytes", "0")), FS_OK);
    assert_string_equal(s->opts.flow_filter, "");
    assert_false(s->opts.select.flow_filter);
    assert_int_equal(s->opts.select.min_bytes, 0);
}

static void prefs_and_decode_as_in_order(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(
            parse(s, ARGS("-o", "tls.keylog_file:keys.log", "-d", "tcp.port==8443,tls", "-r",
                             "a.pcap", "--pref", "tcp.desegment_tcp_streams:FALSE", "--decode-as",
                             "udp.port==4000-4010,quic", "-o", "tls.keylog_file:other.log")),
            FS_OK);
    assert_int_equal(s->opts.prefs->len, 3);
    assert_string_equal(item(s->opts.prefs, 0), "tls.keylog_file:keys.log");
    assert_string_equal(item(s->opts.prefs, 1), "tcp.desegment_tcp_streams:FALSE");
    assert_string_equal(item(s->opts.prefs, 2), "tls.keylog_file:other.log");
    assert_int_equal(s->opts.decode_as->len, 2);
    assert_string_equal(item(s->opts.decode_as, 0), "tcp.port==8443,tls");
    assert_string_equal(item(s->opts.decode_as, 1), "udp.port==4000-4010,quic");
}

static void two_pass_and_write(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-2", "-r", "a.pcap", "-w", "out.jsonl")), FS_OK);
    assert_true(s->opts.two_pass);
    assert_string_equal(s->opts.output_path, "out.jsonl");
    assert_int_equal(reparse(s, ARGS("--two-pass", "--write", "-", "-r", "a.pcap")), FS_OK);
    assert_true(s->opts.two_pass);
    assert_string_equal(s->opts.output_path, "-");
}

static void main_sequence(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--main", "ip")), FS_OK);
    assert_int_equal(s->opts.main_seq, FS_MAIN_IP);
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--main=ip", "--main", "payload")), FS_OK);
    assert_int_equal(s->opts.main_seq, FS_MAIN_PAYLOAD);
    assert_null(s->errmsg);
}

static void record_switches(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(
            parse(s, ARGS("--keep-empty", "-r", "a.pcap", "--udp-data-length", "--no-exclusions")),
            FS_OK);
    assert_true(s->opts.keep_empty);
    assert_true(s->opts.udp_data_length);
    assert_false(s->opts.default_exclusions);
    assert_false(s->opts.two_pass);
    assert_int_equal(s->opts.main_seq, FS_MAIN_PAYLOAD);
}

static void help_without_capture(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("--help")), FS_OK);
    assert_null(s->errmsg);
    assert_true(s->opts.show_help);
    assert_false(s->opts.show_version);
    assert_int_equal(s->opts.inputs->len, 0);
    assert_int_equal(reparse(s, ARGS("-h")), FS_OK);
    assert_true(s->opts.show_help);
}

static void version_without_capture(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("--version")), FS_OK);
    assert_null(s->errmsg);
    assert_true(s->opts.show_version);
    assert_false(s->opts.show_help);
    assert_int_equal(reparse(s, ARGS("-v")), FS_OK);
    assert_true(s->opts.show_version);
}

static void two_pass_with_relative_path_to_dash(void **state)
{
    struct parse_state *s = *state;
    /* Only "-" itself is standard input. */
    assert_int_equal(parse(s, ARGS("-2", "-r", "./-")), FS_OK);
    assert_true(s->opts.two_pass);
    assert_string_equal(item(s->opts.inputs, 0), "./-");
}

/* ---- errors ---- */

static void main_bad_value(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--main", "tcp")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "--main takes \"payload\" or \"ip\", not \"tcp\"");
}

static void flow_selection_bad_values(void **state)
{
    struct parse_state *s = *state;
    const char *const bad[] = { "-1", "", "1e3", "12x", "9223372036854775808",
        "99999999999999999999" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--min-packets", bad[i])), FS_ERR_USAGE);
        char *want = g_strdup_printf(
                "--min-packets takes a whole number from 0 to 9223372036854775807, not \"%s\"",
                bad[i]);
        assert_string_equal(s->errmsg, want);
        g_free(want);
    }
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--min-bytes", "many")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg,
            "--min-bytes takes a whole number from 0 to 9223372036854775807, not \"many\"");
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--flow-filter")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "option --flow-filter needs a value");
}

static void no_capture(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-e", "dns.qry.name")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg,
            "no capture given: use -r FILE or DIRECTORY, plain arguments or --files-from LIST (see "
            "flowshark --help)");
}

static void no_arguments(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, (const char *const[]){ NULL }), FS_ERR_USAGE);
    assert_string_equal(s->errmsg,
            "no capture given: use -r FILE or DIRECTORY, plain arguments or --files-from LIST (see "
            "flowshark --help)");
}

static void unknown_long_option(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--bogus")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "unknown option --bogus (see flowshark --help)");
}

static void unknown_short_option(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-x")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "unknown option -x (see flowshark --help)");
}

static void unknown_short_option_in_cluster(void **state)
{
    struct parse_state *s = *state;
    /* -x is unknown; the message names it, not the argument before. */
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-x2")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "unknown option -x (see flowshark --help)");
}

static void missing_value(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-e", "dns.qry.name", "-r")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "option -r needs a value");
    assert_int_equal(reparse(s, ARGS("-r", "a.pcap", "--main")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "option --main needs a value");
}

/* Plain arguments are captures too, before or after the options. */
static void plain_arguments_are_captures(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("b.pcap", "-r", "a.pcap", "c.pcap", "-q")), FS_OK);
    assert_int_equal(s->opts.inputs->len, 3);
    assert_string_equal(g_ptr_array_index(s->opts.inputs, 0), "a.pcap");
    assert_string_equal(g_ptr_array_index(s->opts.inputs, 1), "b.pcap");
    assert_string_equal(g_ptr_array_index(s->opts.inputs, 2), "c.pcap");
    assert_int_equal(s->opts.progress, FS_PROGRESS_NEVER);
}

/* The dataset options that depend on each other. */
static void dataset_combinations(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "d", "--resume")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg,
            "--resume needs --output-dir (it skips captures whose output file is there)");
    assert_int_equal(reparse(s, ARGS("-r", "d", "--output-dir", "o", "-w", "x")), FS_ERR_USAGE);
    assert_int_equal(reparse(s, ARGS("-r", "d", "--label", "a", "--label-from-dir")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "--label and --label-from-dir exclude each other");
    assert_int_equal(reparse(s, ARGS("-r", "-", "--files-from", "-")), FS_ERR_USAGE);
    assert_int_equal(reparse(s, ARGS("-r", "d", "--note", "batch 1")), FS_ERR_USAGE);
    assert_int_equal(reparse(s, ARGS("--files-from", "list", "--output-dir", "o", "--resume",
                                        "--root", "d", "--label-from-dir")),
            FS_OK);
    assert_string_equal(s->opts.output_dir, "o");
    assert_string_equal(s->opts.root, "d");
    assert_true(s->opts.resume && s->opts.label_from_dir);
    assert_string_equal(g_ptr_array_index(s->opts.files_from, 0), "list");
}

/* The command line as a shell reads it back (the runs table). */
static void command_line_is_quoted(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "my dir", "-Y", "tcp.port == 443")), FS_OK);
    assert_string_equal(s->opts.command_line, "flowshark -r 'my dir' -Y 'tcp.port == 443'");
}

/* ... and reads back to the arguments as given, in their order, whatever
 * their bytes: the runs table keeps it for a user to run again. */
static void command_line_reads_back(void **state)
{
    struct parse_state *s = *state;
    const char *const *args = ARGS("-q", "--label", "#it's \"a\"\nb\t$x `y` \\", "-Y",
            "frame contains \"a b\"", "--label", "caf\xc3\xa9 \xff", "--", "-r x", "");
    assert_int_equal(parse(s, args), FS_OK);
    gchar **back = NULL;
    assert_true(g_shell_parse_argv(s->opts.command_line, NULL, &back, NULL));
    assert_string_equal(back[0], "flowshark");
    guint n = 0;
    for (; args[n]; n++)
        assert_string_equal(back[n + 1], args[n]);
    assert_null(back[n + 1]);
    g_strfreev(back);
}

static void two_pass_with_standard_input(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-r", "-", "-2")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "-2 needs a capture file it can read twice, not standard input");
}

/* ---- state between calls ---- */

static void parse_twice(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-2", "-e", "ip.src")), FS_OK);
    assert_int_equal(reparse(s, ARGS("-r", "b.pcap")), FS_OK);
    assert_int_equal(s->opts.inputs->len, 1);
    assert_string_equal(item(s->opts.inputs, 0), "b.pcap");
    assert_false(s->opts.two_pass);
    assert_int_equal(s->opts.fields->len, 0);
}

static void parse_after_error_in_cluster(void **state)
{
    struct parse_state *s = *state;
    /* The first parse stops inside "-x2v", where getopt's own state still
     * points at "2v" (that argv stays alive): the next parse must start
     * over instead of reading -2 and -v from it. */
    s->kept = make_argv(ARGS("-x2v", "-r", "a.pcap"));
    assert_int_equal(
            fs_options_parse((int)s->kept->len - 1, (char **)s->kept->pdata, &s->opts, &s->errmsg),
            FS_ERR_USAGE);
    assert_int_equal(reparse(s, ARGS("-r", "b.pcap")), FS_OK);
    assert_null(s->errmsg);
    assert_string_equal(item(s->opts.inputs, 0), "b.pcap");
    assert_false(s->opts.two_pass);
    assert_false(s->opts.show_version);
}

static void free_zeroed_and_twice(void **state)
{
    struct parse_state *s = *state;
    struct fs_options zeroed;
    memset(&zeroed, 0, sizeof(zeroed));
    fs_options_free(&zeroed);
    assert_null(zeroed.inputs);
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-Y", "dns", "-w", "out")), FS_OK);
    fs_options_free(&s->opts);
    assert_null(s->opts.inputs);
    assert_null(s->opts.display_filter);
    assert_null(s->opts.output_path);
    fs_options_free(&s->opts); /* and once more in the teardown */
    assert_null(s->opts.fields);
}

static void help_text_lists_every_option(void **state)
{
    struct parse_state *s = *state;
    size_t size = 0;
    FILE *out = open_memstream(&s->text, &size);
    assert_non_null(out);
    fs_options_print_help(out);
    assert_int_equal(fclose(out), 0);
    assert_true(
            g_str_has_prefix(s->text, "Usage: flowshark [options] [-r] <capture or folder> ..."));
    const char *const names[] = { "-r, --read-file", "-w, --write", "-Y, --display-filter",
        "-e, --field", "-o, --pref", "-d, --decode-as", "-2, --two-pass", "--main payload|ip",
        "--keep-empty", "--udp-data-length", "--no-exclusions", "--flow-filter <f>",
        "--min-packets <n>", "--min-bytes <n>", "-h, --help", "-v, --version" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        assert_non_null(strstr(s->text, names[i]));
}

/* ---- fs_run_filter_text ---- */

static void filter_default(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text,
            "(ip or ipv6) and not icmp and not icmpv6 and not tcp.analysis.retransmission "
            "and not mdns and not ssdp and (tcp or udp)");
}

static void filter_no_exclusions(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--no-exclusions")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text, "(ip or ipv6) and (tcp or udp)");
}

static void filter_with_display_filter(void **state)
{
    struct parse_state *s = *state;
    /* The user's filter is parenthesised: its "or" must not escape. */
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "-Y", "dns or tls")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text,
            "(ip or ipv6) and not icmp and not icmpv6 and not tcp.analysis.retransmission "
            "and not mdns and not ssdp and (tcp or udp) and (dns or tls)");
}

static void filter_no_exclusions_with_display_filter(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(
            parse(s, ARGS("-r", "a.pcap", "--no-exclusions", "-Y", "udp.port == 53")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text, "(ip or ipv6) and (tcp or udp) and (udp.port == 53)");
}

static void filter_with_empty_display_filter(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--no-exclusions", "-Y", "")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text, "(ip or ipv6) and (tcp or udp)");
}

static void filter_all_protocols(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-r", "a.pcap", "--all-protocols")), FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text,
            "(ip or ipv6) and not icmp and not icmpv6 and not tcp.analysis.retransmission "
            "and not mdns and not ssdp");
}

static void filter_all_protocols_no_exclusions(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(
            parse(s, ARGS("-r", "a.pcap", "--all-protocols", "--no-exclusions", "-Y", "dns")),
            FS_OK);
    s->text = fs_run_filter_text(&s->opts);
    assert_string_equal(s->text, "(ip or ipv6) and (dns)");
}

/* ---- live capture (-i -D -f -c -a) ---- */

static void live_options(void **state)
{
    struct parse_state *s = *state;
    assert_int_equal(parse(s, ARGS("-i", "veth0", "--interface=eth1", "-f", "tcp port 80", "-c",
                                      "500", "-a", "duration:2.5", "--autostop", "packets:9")),
            FS_OK);
    assert_int_equal(s->opts.interfaces->len, 2);
    assert_string_equal(item(s->opts.interfaces, 0), "veth0");
    assert_string_equal(item(s->opts.interfaces, 1), "eth1");
    assert_string_equal(s->opts.capture_filter, "tcp port 80");
    assert_int_equal(s->opts.packet_count, 500);
    assert_int_equal(s->opts.autostop->len, 2);
    assert_string_equal(item(s->opts.autostop, 0), "duration:2.5");
    assert_string_equal(item(s->opts.autostop, 1), "packets:9");
    assert_int_equal(s->opts.inputs->len, 0);
    /* -D needs nothing else; -w and -q go with -i. */
    assert_int_equal(reparse(s, ARGS("-D")), FS_OK);
    assert_true(s->opts.list_interfaces);
    assert_int_equal(reparse(s, ARGS("-i", "lo", "-w", "out.jsonl", "-q", "-j", "1")), FS_OK);
}

static void live_combinations(void **state)
{
    struct parse_state *s = *state;
    const char *const *const refused[] = {
        ARGS("-i", "lo", "-r", "a.pcap"),
        ARGS("-i", "lo", "a.pcap"),
        ARGS("-i", "lo", "--files-from", "list.txt"),
        ARGS("-i", "lo", "--output-dir", "out"),
        ARGS("-i", "lo", "-j", "2"),
        ARGS("-i", "lo", "--reset-every", "1000"),
        ARGS("-i", "lo", "-2"),
        ARGS("-i", "lo", "--list"),
        ARGS("-r", "a.pcap", "-c", "10"),
        ARGS("-r", "a.pcap", "-f", "tcp"),
        ARGS("-r", "a.pcap", "-a", "duration:1"),
    };
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        assert_int_equal(reparse(s, refused[i]), FS_ERR_USAGE);
        assert_non_null(s->errmsg);
    }
    assert_int_equal(reparse(s, ARGS("-i", "lo", "-r", "a.pcap")), FS_ERR_USAGE);
    assert_string_equal(s->errmsg, "-i captures live: it cannot be combined with captures to "
                                   "read (-r, plain arguments, --files-from)");
    static const char *const bad_autostop[] = { "duration:0", "duration:", "duration:x",
        "packets:0", "packets:1.5", "filesize:10", "10" };
    for (guint i = 0; i < G_N_ELEMENTS(bad_autostop); i++) {
        assert_int_equal(reparse(s, ARGS("-i", "lo", "-a", bad_autostop[i])), FS_ERR_USAGE);
        assert_non_null(strstr(s->errmsg, bad_autostop[i]));
    }
}

int main(void)
{
    const struct CMUnitTest valid_tests[] = {
        PARSE_TEST(defaults),
        PARSE_TEST(read_file_repeated),
        PARSE_TEST(fields_deduplicated_in_order),
        PARSE_TEST(display_filter),
        PARSE_TEST(prefs_and_decode_as_in_order),
        PARSE_TEST(two_pass_and_write),
        PARSE_TEST(main_sequence),
        PARSE_TEST(record_switches),
        PARSE_TEST(help_without_capture),
        PARSE_TEST(version_without_capture),
        PARSE_TEST(two_pass_with_relative_path_to_dash),
        PARSE_TEST(live_options),
        PARSE_TEST(flow_selection),
    };
    const struct CMUnitTest error_tests[] = {
        PARSE_TEST(main_bad_value),
        PARSE_TEST(flow_selection_bad_values),
        PARSE_TEST(no_capture),
        PARSE_TEST(no_arguments),
        PARSE_TEST(unknown_long_option),
        PARSE_TEST(unknown_short_option),
        PARSE_TEST(unknown_short_option_in_cluster),
        PARSE_TEST(missing_value),
        PARSE_TEST(plain_arguments_are_captures),
        PARSE_TEST(dataset_combinations),
        PARSE_TEST(command_line_is_quoted),
        PARSE_TEST(command_line_reads_back),
        PARSE_TEST(two_pass_with_standard_input),
        PARSE_TEST(live_combinations),
    };
    const struct CMUnitTest state_tests[] = {
        PARSE_TEST(parse_twice),
        PARSE_TEST(parse_after_error_in_cluster),
        PARSE_TEST(free_zeroed_and_twice),
        PARSE_TEST(help_text_lists_every_option),
    };
    const struct CMUnitTest filter_tests[] = {
        PARSE_TEST(filter_default),
        PARSE_TEST(filter_no_exclusions),
        PARSE_TEST(filter_with_display_filter),
        PARSE_TEST(filter_no_exclusions_with_display_filter),
        PARSE_TEST(filter_with_empty_display_filter),
        PARSE_TEST(filter_all_protocols),
        PARSE_TEST(filter_all_protocols_no_exclusions),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("valid command lines", valid_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("errors", error_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("state between calls", state_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("fs_run_filter_text", filter_tests, NULL, NULL);
    return failed;
}
