/* fuzz_capture.c: libFuzzer target. Each input is taken as a whole capture
 * file (any format wiretap recognises) and goes through flowshark's own path
 * to records: the job of one capture (job.h) opens it, dissects it, groups
 * the packets into flows with the feature modules and writes the records.
 *
 * Everything a run makes once is made once per process, in
 * LLVMFuzzerInitialize(), as fs_run() would for
 *   flowshark -r INPUT -e tls.handshake.extensions_server_name
 *       -e dns.qry.name -e http.host --stats --splt 10 --ndpi --no-fork
 * : libwireshark's set-up, the field registry, the filter text, the feature
 * set (so that the NFStream and nDPI modules are fuzzed too) and the output
 * format. Each input then runs fs_job_run() writing to a memory stream.
 *
 * The dissection session is reused across inputs (fs_dissector_continue():
 * epan reads them as one long capture, frame numbers and streams going on):
 * a fresh epan session costs 200-300 ms under ASan (epan_new() rereads
 * manuf, services...), twenty times the job itself. A session serves
 * FS_FUZZ_SESSION_INPUTS inputs (default 64), then a fresh one is made, so
 * that the session's memory (it keeps every packet's state) stays bounded.
 * The feature set is shared as a run's first capture uses it: the nDPI
 * module's caches (hosts seen, certificates) outlive an input, so a finding
 * that needs them shows when the inputs before it are replayed too.
 *
 * With FS_FUZZ_FAST=1 in the environment the dissection runs in fast mode
 * with --fast-limit 2 (fastpath.h): flowshark's own parser reads most
 * packets of each flow (ctest "fuzz_replay_fast").
 *
 * Besides the sanitizers, two checks make a finding: the job must return
 * one of the statuses a capture can cause (OK, truncated, not a capture),
 * and the records written must be valid UTF-8, one JSON object per line.
 *
 * The same file builds with standalone_main.c instead of libFuzzer (any
 * compiler; the ctest "fuzz_replay" replays the samples and tests/regress/
 * with it).
 *
 * Environment: FS_FUZZ_VERBOSE=1 keeps flowshark's own messages (one or
 * more per input) on standard error; by default they are discarded, while
 * libFuzzer's and the sanitizers' reports still reach standard error. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "dissect.h"
#include "epan_session.h"
#include "feature.h"
#include "inputs.h"
#include "job.h"
#include "options.h"
#include "progress.h"
#include "registry.h"
#include "run.h"
#include "sink.h"
#include "status.h"
#include "writer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Made once by LLVMFuzzerInitialize(), used by every input. */
static struct fs_options fuzz_opts;
static int capture_fd = -1; /* memfd holding the current input */
static char *capture_path;  /* its /proc/self/fd path */
static fs_field_registry *fuzz_fields;
static GPtrArray *fuzz_field_names;
static char *fuzz_filter;
static fs_feature_set *fuzz_features;
static struct fs_dissect_config fuzz_dissect;
static struct fs_run_ctx fuzz_ctx;
static struct fs_input_list *fuzz_inputs; /* the one capture */
static fs_progress *fuzz_progress;        /* its result slot */
static fs_dissector *session;             /* reused across inputs */
static guint session_inputs;              /* inputs the session has read */
static guint session_capacity;            /* then a fresh session */

/* To file descriptor 2: the C stream stderr may be silenced (below). */
static void fail(const char *what, const char *detail)
{
    dprintf(STDERR_FILENO, "fuzz_capture: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

static void parse_options(void)
{
    /* The options come from the parser, so every member has its command-line
     * default. --no-fork: a crash in a forked worker would be invisible to
     * the sanitizers and to libFuzzer's coverage. */
    const char *args[] = { "flowshark", "-r", capture_path, "-e",
        "tls.handshake.extensions_server_name", "-e", "dns.qry.name", "-e", "http.host", "--stats",
        "--splt", "10", "--ndpi", "--no-fork" };
    char *argv_copy[G_N_ELEMENTS(args) + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(args); i++)
        argv_copy[i] = g_strdup(args[i]);
    argv_copy[G_N_ELEMENTS(args)] = NULL;
    char *errmsg = NULL;
    if (fs_options_parse((int)G_N_ELEMENTS(args), argv_copy, &fuzz_opts, &errmsg) != FS_OK)
        fail("fs_options_parse", errmsg);
    for (size_t i = 0; i < G_N_ELEMENTS(args); i++)
        g_free(argv_copy[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    char *errmsg = NULL;

    /* The capture is a memfd, named by its /proc path so that wiretap opens
     * it like any file. */
    capture_fd = memfd_create("fuzz-capture", 0);
    if (capture_fd < 0)
        fail("memfd_create", g_strerror(errno));
    capture_path = g_strdup_printf("/proc/self/fd/%d", capture_fd);
    parse_options();

    if (fs_epan_session_init((*argv)[0], &errmsg) != FS_OK)
        fail("fs_epan_session_init", errmsg);
    GPtrArray *no_prefs = g_ptr_array_new();
    if (fs_epan_session_set_prefs(no_prefs, &errmsg) != FS_OK)
        fail("fs_epan_session_set_prefs", errmsg);
    g_ptr_array_free(no_prefs, TRUE);

    /* What fs_run() makes before the first capture. */
    fuzz_fields = fs_field_registry_new();
    fuzz_field_names = g_ptr_array_new();
    for (guint i = 0; i < fuzz_opts.fields->len; i++) {
        if (!fs_field_registry_add(fuzz_fields, g_ptr_array_index(fuzz_opts.fields, i), &errmsg))
            fail("fs_field_registry_add", errmsg);
        g_ptr_array_add(fuzz_field_names, (gpointer)fs_field_registry_name(fuzz_fields, i));
    }
    fuzz_filter = fs_run_filter_text(&fuzz_opts);
    if (fs_dissect_check_filter(fuzz_filter, &errmsg) != FS_OK)
        fail("fs_dissect_check_filter", errmsg);
    if (fs_feature_set_new(&fuzz_opts, &fuzz_features, &errmsg) != FS_OK)
        fail("fs_feature_set_new", errmsg);
    fuzz_dissect = (struct fs_dissect_config){
        .display_filter = fuzz_filter,
        .fields = fuzz_fields,
        .two_pass = fuzz_opts.two_pass,
        .extras = fs_feature_set_extras(fuzz_features),
        .fast_limit = g_strcmp0(getenv("FS_FUZZ_FAST"), "1") == 0 ? 2 : 0,
    };
    if (fs_inputs_collect(&fuzz_opts, NULL, &fuzz_inputs, &errmsg) != FS_OK ||
            fuzz_inputs->captures->len != 1)
        fail("fs_inputs_collect", errmsg);
    fuzz_progress = fs_progress_new(fuzz_inputs, FALSE);
    fuzz_ctx = (struct fs_run_ctx){
        .opts = &fuzz_opts,
        .dissect = &fuzz_dissect,
        .field_names = fuzz_field_names,
        .format = fs_sink_format_find(fuzz_opts.format),
        .inputs = fuzz_inputs,
        .progress = fuzz_progress,
    };
    if (!fuzz_ctx.format)
        fail("fs_sink_format_find", fuzz_opts.format);

    /* flowshark reports every damaged input on stderr (the C stream); the
     * sanitizers and libFuzzer write to file descriptor 2 directly. */
    const char *verbose = getenv("FS_FUZZ_VERBOSE");
    if (!verbose || strcmp(verbose, "1") != 0) {
        FILE *null_stream = fopen("/dev/null", "w");
        if (null_stream)
            stderr = null_stream;
    }
    return 0;
}

/* The records must be valid UTF-8, each line one JSON object. */
static void check_records(const char *text, size_t length)
{
    if (!g_utf8_validate(text, (gssize)length, NULL))
        fail("records are not valid UTF-8", NULL);
    const char *line = text;
    const char *end = text + length;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            fail("the last record has no newline", NULL);
        if (nl - line < 2 || line[0] != '{' || nl[-1] != '}')
            fail("a line is not a JSON object", NULL);
        line = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(capture_fd, 0) != 0 || pwrite(capture_fd, data, size, 0) != (ssize_t)size)
        fail("cannot write the input to the memfd", g_strerror(errno));

    char *errmsg = NULL;
    if (session && session_inputs >= session_capacity) {
        fs_dissector_free(session);
        session = NULL;
    }
    if (!session) {
        if (fs_dissector_new(&fuzz_dissect, &session, &errmsg) != FS_OK)
            fail("fs_dissector_new", errmsg);
        session_inputs = 0;
        const char *capacity = getenv("FS_FUZZ_SESSION_INPUTS");
        session_capacity = capacity ? (guint)g_ascii_strtoull(capacity, NULL, 10) : 64;
        if (session_capacity == 0)
            session_capacity = 1;
    } else {
        fs_dissector_continue(session);
    }
    session_inputs++;
    char *text = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&text, &length);
    if (!memory)
        fail("open_memstream", g_strerror(errno));
    fs_writer *writer = fs_writer_over(memory);
    fs_sink *sink = fs_sink_new(fuzz_ctx.format, writer);
    memset(fs_progress_result(fuzz_progress, 0), 0, sizeof(struct fs_capture_result));

    enum fs_status status = fs_job_run(&fuzz_ctx, 0, session, fuzz_features, sink, writer);
    fs_sink_free(sink);
    switch (status) {
        case FS_OK:
        case FS_ERR_TRUNCATED: /* cut short or damaged: records of complete packets */
        case FS_ERR_OPEN:      /* not a capture, or its header is cut short */
            break;
        default:
            fail("the job returned a status no capture should cause", fs_status_str(status));
    }
    if (fs_writer_close(writer, TRUE, &errmsg) != FS_OK)
        fail("fs_writer_close", errmsg);
    if (fclose(memory) != 0)
        fail("fclose", g_strerror(errno));
    check_records(text, length);
    free(text);
    return 0;
}
