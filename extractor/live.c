/* live.c: see live.h. dumpcap is started with its standard output on a
 * pipe (pcapng: the interfaces' names and link types come with the
 * packets) and its standard error on a temporary file, read once it has
 * ended: its messages reach flowshark's standard error once, as one
 * flowshark message, and "Capturing on ..." and the packet counts that
 * dumpcap prints even with -q are left out. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"
#include "capture.h"
#include "interrupt.h"

/* Found on PATH, as tshark finds it beside itself. */
#define DUMPCAP "dumpcap"

struct fs_live {
    GPid pid;
    FILE *errors;    /* dumpcap's standard error */
    fs_capture *cap; /* its standard output, or NULL */
};

/* dumpcap's command line: -f before every -i applies to all of them. */
static GPtrArray *dumpcap_argv(const struct fs_options *opts)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(DUMPCAP));
    if (opts->capture_filter) {
        g_ptr_array_add(argv, g_strdup("-f"));
        g_ptr_array_add(argv, g_strdup(opts->capture_filter));
    }
    for (guint i = 0; i < opts->interfaces->len; i++) {
        g_ptr_array_add(argv, g_strdup("-i"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(opts->interfaces, i)));
    }
    if (opts->packet_count) {
        g_ptr_array_add(argv, g_strdup("-c"));
        g_ptr_array_add(argv, g_strdup_printf("%u", opts->packet_count));
    }
    for (guint i = 0; i < opts->autostop->len; i++) {
        g_ptr_array_add(argv, g_strdup("-a"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(opts->autostop, i)));
    }
    /* pcapng on standard output; no packet count on standard error. */
    const char *const tail[] = { "-n", "-w", "-", "-q" };
    for (guint i = 0; i < G_N_ELEMENTS(tail); i++)
        g_ptr_array_add(argv, g_strdup(tail[i]));
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* TRUE for a line of dumpcap's that says nothing worth repeating: what it
 * captures on, where it writes, how many packets, none dropped. */
static gboolean routine_line(const char *line)
{
    if (g_str_has_prefix(line, "Capturing on ") || g_str_has_prefix(line, "File: ") ||
            g_str_has_prefix(line, "Packets captured: "))
        return TRUE;
    /* "Packets received/dropped on interface 'eth0': 120/0 (pcap:0/...) (0.0%)" */
    if (!g_str_has_prefix(line, "Packets received/dropped on interface "))
        return FALSE;
    const char *counts = g_strrstr(line, "': ");
    if (!counts)
        return FALSE;
    char *end = NULL;
    g_ascii_strtoull(counts + 3, &end, 10);
    if (!end || *end != '/')
        return FALSE;
    guint64 dropped = g_ascii_strtoull(end + 1, &end, 10);
    return dropped == 0;
}

/* What dumpcap said on standard error, its routine lines left out and its
 * "dumpcap: " prefix dropped, on one line; "" when nothing else. Caller
 * g_free()s. */
static char *dumpcap_messages(FILE *errors)
{
    GString *text = g_string_new(NULL);
    char buffer[4096];
    size_t n;
    rewind(errors);
    while ((n = fread(buffer, 1, sizeof(buffer), errors)) > 0)
        g_string_append_len(text, buffer, (gssize)n);
    char **lines = g_strsplit(text->str, "\n", -1);
    g_string_truncate(text, 0);
    for (char **line = lines; *line; line++) {
        char *stripped = g_strstrip(*line);
        if (g_str_has_prefix(stripped, DUMPCAP ": "))
            stripped += strlen(DUMPCAP ": ");
        if (!*stripped || routine_line(stripped))
            continue;
        if (text->len)
            g_string_append_c(text, ' ');
        g_string_append(text, stripped);
    }
    g_strfreev(lines);
    return g_string_free(text, FALSE);
}

/* Waits for dumpcap (after a SIGTERM when stop is TRUE) and reaps it; the
 * forwarding of signals ends before the process is reaped, so that no
 * signal reaches a process that takes its number later. */
static enum fs_status reap(fs_live *live, gboolean stop, char **errmsg)
{
    if (stop)
        kill(live->pid, SIGTERM);
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    while (waitid(P_PID, (id_t)live->pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    fs_interrupt_forward(0);
    int wait_status = 0;
    while (waitpid(live->pid, &wait_status, 0) < 0 && errno == EINTR)
        ;
    g_spawn_close_pid(live->pid);

    char *said = dumpcap_messages(live->errors);
    enum fs_status status = FS_OK;
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
        if (*said)
            fs_report(DUMPCAP, said);
    } else if (WIFSIGNALED(wait_status) && (stop || fs_interrupt_forwarded()) &&
               (WTERMSIG(wait_status) == SIGTERM || WTERMSIG(wait_status) == SIGINT ||
                       WTERMSIG(wait_status) == SIGPIPE)) {
        /* Stopped as asked before its own handlers were in place. */
    } else {
        status = strstr(said, "capture filter") ? FS_ERR_FILTER : FS_ERR_OPEN;
        if (*said)
            *errmsg = g_strdup_printf(DUMPCAP ": %s", said);
        else if (WIFSIGNALED(wait_status))
            *errmsg = g_strdup_printf(
                    DUMPCAP " was killed by %s", fs_interrupt_signal_name(WTERMSIG(wait_status)));
        else
            *errmsg = g_strdup_printf(DUMPCAP " failed (exit status %d)", WEXITSTATUS(wait_status));
    }
    g_free(said);
    return status;
}

static void live_free(fs_live *live)
{
    fclose(live->errors);
    g_free(live);
}

enum fs_status fs_live_start(const struct fs_options *opts, fs_live **out, char **errmsg)
{
    *out = NULL;
    *errmsg = NULL;
    fs_live *live = g_new0(fs_live, 1);
    if (!(live->errors = tmpfile())) {
        *errmsg = g_strdup_printf(
                "cannot create a temporary file for dumpcap's messages: %s", g_strerror(errno));
        g_free(live);
        return FS_ERR_OPEN;
    }
    GPtrArray *argv = dumpcap_argv(opts);
    GError *error = NULL;
    int pipe_fd = -1;
    gboolean started = g_spawn_async_with_pipes_and_fds(NULL, (const gchar *const *)argv->pdata,
            NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
            NULL, NULL, -1, -1, fileno(live->errors), NULL, NULL, 0, &live->pid, NULL, &pipe_fd,
            NULL, &error);
    g_ptr_array_free(argv, TRUE);
    if (!started) {
        *errmsg = g_strdup_printf("cannot start " DUMPCAP
                                  " (Wireshark's capture program; Debian: wireshark-common): %s",
                error->message);
        g_error_free(error);
        live_free(live);
        return FS_ERR_OPEN;
    }
    /* From here a stop request goes to dumpcap, which ends its output. */
    fs_interrupt_forward(live->pid);

    /* wiretap reads the pipe as a file: /dev/fd/N is a new descriptor of
     * the same pipe (a FIFO, read sequentially). */
    char *path = g_strdup_printf("/dev/fd/%d", pipe_fd);
    char *open_error = NULL;
    enum fs_status status = fs_capture_open(path, FALSE, &live->cap, &open_error);
    close(pipe_fd);
    g_free(path);
    if (status == FS_OK) {
        *out = live;
        return FS_OK;
    }
    /* dumpcap failed before it wrote (its reason is the one to give), or
     * was stopped before it wrote anything (nothing to read). */
    status = reap(live, TRUE, errmsg);
    if (status == FS_OK && !fs_interrupt_forwarded()) {
        *errmsg = g_strdup_printf("reading " DUMPCAP "'s output: %s", open_error);
        status = FS_ERR_OPEN;
    }
    g_free(open_error);
    if (status == FS_OK) {
        *out = live; /* no capture: a stop came first */
        return FS_OK;
    }
    live_free(live);
    return status;
}

fs_capture *fs_live_capture(fs_live *live)
{
    return live->cap;
}

enum fs_status fs_live_finish(fs_live *live, gboolean read_all, char **errmsg)
{
    *errmsg = NULL;
    if (!live)
        return FS_OK;
    enum fs_status status = FS_OK;
    if (live->cap) {
        /* Closing the pipe first: a dumpcap still writing gets EPIPE. */
        fs_capture_close(live->cap);
        live->cap = NULL;
        status = reap(live, !read_all, errmsg);
    }
    live_free(live);
    return status;
}

enum fs_status fs_live_list_interfaces(char **errmsg)
{
    *errmsg = NULL;
    const char *argv[] = { DUMPCAP, "-D", NULL };
    char *out = NULL, *err = NULL;
    int wait_status = 0;
    GError *error = NULL;
    enum fs_status status = FS_OK;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL,
                NULL, NULL, &out, &err, &wait_status, &error)) {
        *errmsg = g_strdup_printf("cannot start " DUMPCAP
                                  " (Wireshark's capture program; Debian: wireshark-common): %s",
                error->message);
        g_error_free(error);
        return FS_ERR_OPEN;
    }
    if (!g_spawn_check_wait_status(wait_status, NULL)) {
        char *said = g_strstrip(g_strdup(err));
        *errmsg = *said ? g_strdup_printf("%s", said)
                        : g_strdup(DUMPCAP " -D failed: no interfaces listed");
        g_free(said);
        status = FS_ERR_OPEN;
    } else if (fputs(out, stdout) == EOF || fflush(stdout) != 0) {
        *errmsg = g_strdup_printf("cannot write standard output: %s", g_strerror(errno));
        status = FS_ERR_OUTPUT;
    }
    g_free(out);
    g_free(err);
    return status;
}
