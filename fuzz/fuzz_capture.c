/* fuzz_capture.c: libFuzzer target. Each input is taken as a whole capture
 * file (any format wiretap recognises) and goes through flowshark's own path
 * to records: fs_run() opens it, dissects it, groups the packets into flows
 * and writes the records. libwireshark is initialised once per process.
 *
 * Besides the sanitizers, two checks make a finding: fs_run() must return
 * one of the statuses a capture can cause (OK, truncated, not a capture),
 * and the records written must be valid UTF-8, one JSON object per line.
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
#include <glib/gstdio.h>

#include "epan_session.h"
#include "options.h"
#include "run.h"
#include "status.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set once by LLVMFuzzerInitialize(), used by every input. */
static struct fs_options fuzz_opts;
static int capture_fd = -1; /* memfd holding the current input */
static char *output_path;   /* -w target in a private temporary directory */

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_capture: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
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
    char *capture_path = g_strdup_printf("/proc/self/fd/%d", capture_fd);

    /* Not -w /dev/null: the writer writes a temporary file next to its
     * target and renames it over the target. */
    GError *error = NULL;
    char *out_dir = g_dir_make_tmp("fs-fuzz-XXXXXX", &error);
    if (!out_dir)
        fail("cannot make a temporary directory", error->message);
    output_path = g_build_filename(out_dir, "records.jsonl", NULL);
    g_free(out_dir);

    /* The options come from the parser, so every member has its command-line
     * default. */
    const char *args[] = { "flowshark", "-r", capture_path, "-e",
        "tls.handshake.extensions_server_name", "-e", "dns.qry.name", "-e", "http.host", "-w",
        output_path };
    char *argv_copy[G_N_ELEMENTS(args) + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(args); i++)
        argv_copy[i] = g_strdup(args[i]);
    argv_copy[G_N_ELEMENTS(args)] = NULL;
    if (fs_options_parse((int)G_N_ELEMENTS(args), argv_copy, &fuzz_opts, &errmsg) != FS_OK)
        fail("fs_options_parse", errmsg);
    for (size_t i = 0; i < G_N_ELEMENTS(args); i++)
        g_free(argv_copy[i]);
    g_free(capture_path);

    /* In this process, never in a forked worker (--no-fork): a crash in a
     * worker would be invisible to the sanitizers and to libFuzzer's
     * coverage, and the harness would only see FS_ERR_WORKER (which it
     * still reports as a finding). */
    fuzz_opts.in_process = TRUE;

    if (fs_epan_session_init((*argv)[0], &errmsg) != FS_OK)
        fail("fs_epan_session_init", errmsg);
    GPtrArray *no_prefs = g_ptr_array_new();
    if (fs_epan_session_set_prefs(no_prefs, &errmsg) != FS_OK)
        fail("fs_epan_session_set_prefs", errmsg);
    g_ptr_array_free(no_prefs, TRUE);

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
static void check_records(void)
{
    char *text = NULL;
    gsize length = 0;
    GError *error = NULL;
    if (!g_file_get_contents(output_path, &text, &length, &error)) {
        if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(error);
            return; /* nothing committed: the capture could not be opened */
        }
        fail("cannot read the records back", error->message);
    }
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
    g_free(text);
    g_unlink(output_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(capture_fd, 0) != 0 || pwrite(capture_fd, data, size, 0) != (ssize_t)size)
        fail("cannot write the input to the memfd", g_strerror(errno));

    enum fs_status status = fs_run(&fuzz_opts);
    switch (status) {
        case FS_OK:
        case FS_ERR_TRUNCATED: /* cut short or damaged: records of complete packets */
        case FS_ERR_OPEN:      /* not a capture, or its header is cut short */
            break;
        default:
            fail("fs_run returned a status no capture should cause", fs_status_str(status));
    }
    check_records();
    return 0;
}
