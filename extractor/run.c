/* run.c: the run driver. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "run.h"
#include "bounded.h"
#include "capture.h"
#include "dissect.h"
#include "flow_table.h"
#include "interrupt.h"
#include "ndpi_label.h"
#include "record.h"
#include "worker.h"
#include "registry.h"
#include "writer.h"

char *fs_run_filter_text(const struct fs_options *opts)
{
    /* The same packets as flowcontainer's filter was meant to keep (see the
     * spec): exclusions apply at any protocol layer. */
    GString *text = g_string_new(NULL);
    if (opts->default_exclusions)
        g_string_append(text, "(ip or ipv6) and " FS_FILTER_EXCLUSIONS " and (tcp or udp)");
    else
        g_string_append(text, FS_FILTER_BASE);
    if (opts->display_filter && *opts->display_filter)
        g_string_append_printf(text, " and (%s)", opts->display_filter);
    return g_string_free(text, FALSE);
}

static void report(const char *what, const char *msg)
{
    fprintf(stderr, "flowshark: %s%s%s\n", what ? what : "", what ? ": " : "", msg);
}

/* Resolves every -e field; reports each unknown one. */
static enum fs_status build_registry(const struct fs_options *opts, fs_field_registry **out)
{
    enum fs_status status = FS_OK;
    fs_field_registry *reg = fs_field_registry_new();
    for (guint i = 0; i < opts->fields->len; i++) {
        char *errmsg = NULL;
        if (!fs_field_registry_add(reg, g_ptr_array_index(opts->fields, i), &errmsg)) {
            report(NULL, errmsg);
            status = FS_ERR_FIELD;
        }
        g_free(errmsg);
    }
    *out = reg;
    return status;
}

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    fs_flow_table_add_packet(user_data, packet);
}

struct write_state {
    const struct fs_record_context *ctx;
    fs_writer *writer;
    guint written;
};

static void write_flow(const struct fs_flow *flow, void *user_data)
{
    struct write_state *state = user_data;
    if (!fs_writer_failed(state->writer) && fs_record_write(flow, state->ctx, state->writer))
        state->written++;
}

/* The record settings the options give; features is filled in and must
 * outlive the context. path and fields may be NULL (the CSV header). */
static struct fs_record_context record_context(const struct fs_options *opts, const char *path,
        const fs_field_registry *fields, struct fs_features_config *features)
{
    *features = (struct fs_features_config){ opts->stats, opts->splt, opts->accounting };
    struct fs_record_context ctx = { path, fields, opts->main_seq, opts->keep_empty,
        opts->max_packets > 0, opts->format, features, opts->ndpi };
    return ctx;
}

static void write_header(const struct fs_options *opts, fs_writer *writer)
{
    struct fs_features_config features;
    struct fs_record_context ctx = record_context(opts, NULL, NULL, &features);
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    fs_record_keys(&ctx, keys);
    fs_sink_write_header(opts->format, writer, keys);
    g_ptr_array_free(keys, TRUE);
}

/* Whether captures report progress (fs_capture_report_progress): decided
 * once per run by process_captures() from the options, read by every
 * capture, worker processes included. */
static gboolean report_progress;

/* With --ndpi and forked workers: an nDPI module made once (its set-up costs
 * about as much as dissecting a small capture) and never used by this
 * process; each worker labels with its own copy of it. NULL otherwise. */
static fs_ndpi *pristine_ndpi;

/* Fills flows from one capture: dissected here with the fresh session
 * `dissector` (exact mode), or, with --reset-every, chunk by chunk in
 * workers forked from it (it stays unused). */
static enum fs_status read_flows(const char *path, const struct fs_options *opts,
        fs_dissector *dissector, fs_flow_table *flows, char **errmsg)
{
    if (opts->reset_every)
        return fs_bounded_read(path, opts, dissector, flows, report_progress, errmsg);
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(path, opts->two_pass, &cap, errmsg);
    if (status != FS_OK)
        return status;
    if (report_progress)
        fs_capture_report_progress(cap, path, FS_PROGRESS_INTERVAL);
    status = fs_dissector_run(dissector, cap, on_packet, flows, errmsg);
    /* wiretap takes a very short file for some other format (an empty file
     * for an empty ERF capture): say so rather than print nothing. */
    if (status == FS_OK && fs_capture_records_read(cap) == 0)
        fprintf(stderr, "flowshark: warning: %s: no packets (read as %s)\n", path,
                fs_capture_format(cap));
    fs_capture_close(cap);
    return status;
}

/* Reads one capture, then writes the records of its flows. Reports its
 * own messages. */
static enum fs_status process_capture(const char *path, const struct fs_options *opts,
        const fs_field_registry *fields, fs_dissector *dissector, fs_writer *writer)
{
    char *errmsg = NULL;
    struct fs_features_config features;
    struct fs_record_context ctx = record_context(opts, path, fields, &features);
    fs_ndpi *own_ndpi = NULL;
    fs_ndpi *ndpi = pristine_ndpi;
    if (opts->ndpi && !ndpi) {
        ndpi = own_ndpi = fs_ndpi_new(opts->ndpi_packets);
        if (!ndpi) {
            report(path, "nDPI could not be initialised");
            return FS_ERR_INIT;
        }
    }
    struct fs_flow_options flow_options = { opts->udp_data_length, opts->max_packets,
        opts->direction, &features, ndpi };
    fs_flow_table *flows = fs_flow_table_new(fs_field_registry_count(fields), &flow_options);
    enum fs_status status = read_flows(path, opts, dissector, flows, &errmsg);
    if (status == FS_ERR_OPEN) {
        report(NULL, errmsg);
        g_free(errmsg);
        fs_flow_table_free(flows);
        fs_ndpi_free(own_ndpi);
        return status;
    }
    if (status == FS_ERR_TRUNCATED)
        fprintf(stderr,
                "flowshark: warning: %s: %s; the records of every complete packet are "
                "written\n",
                path, errmsg);
    else if (status != FS_OK && status != FS_ERR_INTERRUPTED && errmsg)
        report(path, errmsg);
    g_free(errmsg);

    struct write_state state = { &ctx, writer, 0 };
    fs_flow_table_finish(flows);
    fs_flow_table_foreach(flows, write_flow, &state);
    if (status == FS_ERR_INTERRUPTED)
        fprintf(stderr,
                "flowshark: interrupted by signal %d while reading %s: the records of the %u "
                "flows seen so far are written\n",
                fs_interrupt_signal(), path, state.written);
    if (fs_writer_flush(writer, &errmsg) != FS_OK) {
        if (errmsg)
            report(NULL, errmsg);
        g_free(errmsg);
        status = FS_ERR_OUTPUT;
    }
    fs_flow_table_free(flows);
    fs_ndpi_free(own_ndpi);
    return status;
}

/* Forks a worker that processes one capture with `pristine`, a session
 * made once after start-up and never used by this process, so every
 * capture starts from the same state and nothing one leaves behind reaches
 * the next. The worker writes its records to `writer`, then exits with the
 * status's exit code. Returns the pid, or -1 (reported). */
static pid_t start_worker(const char *path, const struct fs_options *opts,
        const fs_field_registry *fields, fs_dissector *pristine, fs_writer *writer)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        report(path, g_strerror(errno));
        return -1;
    }
    if (pid == 0) {
        enum fs_status status = process_capture(path, opts, fields, pristine, writer);
        /* No atexit handlers, no stdio flush of the parent's state: the
         * records are already flushed. */
        _exit(fs_status_exit_code(status));
    }
    return pid;
}

/* One capture in a worker that writes straight to the output. */
static enum fs_status process_in_worker(const char *path, const struct fs_options *opts,
        const fs_field_registry *fields, fs_dissector *pristine, fs_writer *writer)
{
    char *errmsg = NULL;
    if (fs_writer_flush(writer, &errmsg) != FS_OK) {
        if (errmsg)
            report(NULL, errmsg);
        g_free(errmsg);
        return FS_ERR_OUTPUT;
    }
    pid_t pid = start_worker(path, opts, fields, pristine, writer);
    return pid < 0 ? FS_ERR_WORKER : fs_worker_wait(pid, path);
}

/* A worker of the parallel mode: its records go to a temporary file that
 * is copied to the output when every earlier capture's has been. */
struct job {
    const char *path;
    pid_t pid;
    FILE *records;
};

static void stop_jobs(GQueue *running)
{
    for (GList *l = running->head; l; l = l->next)
        kill(((struct job *)l->data)->pid, SIGTERM);
}

/* Captures in up to `jobs` workers at once; records in capture order. */
static enum fs_status process_in_parallel(const struct fs_options *opts,
        const fs_field_registry *fields, fs_dissector *pristine, fs_writer *writer, guint jobs)
{
    GQueue running = G_QUEUE_INIT;
    enum fs_status status = FS_OK;
    guint next = 0;
    gboolean stopping = FALSE;
    while (TRUE) {
        while (!stopping && next < opts->inputs->len && running.length < jobs &&
                !fs_interrupt_requested()) {
            struct job *job = g_new0(struct job, 1);
            job->path = g_ptr_array_index(opts->inputs, next++);
            job->records = tmpfile();
            fs_writer *job_writer = job->records ? fs_writer_over(job->records) : NULL;
            job->pid =
                    job_writer ? start_worker(job->path, opts, fields, pristine, job_writer) : -1;
            if (job_writer) {
                char *ignored = NULL;
                fs_writer_close(job_writer, FALSE, &ignored);
                g_free(ignored);
            }
            if (job->pid < 0) {
                if (!job->records)
                    report(job->path, "cannot create a temporary file for its records");
                status = fs_status_worst(status, FS_ERR_WORKER);
                if (job->records)
                    fclose(job->records);
                g_free(job);
                continue;
            }
            g_queue_push_tail(&running, job);
        }
        struct job *job = g_queue_pop_head(&running);
        if (!job)
            break;
        enum fs_status one = fs_worker_wait(job->pid, job->path);
        if (one != FS_ERR_WORKER && !stopping) {
            char *errmsg = NULL;
            if (fs_writer_append(writer, job->records, &errmsg) != FS_OK) {
                if (errmsg)
                    report(NULL, errmsg);
                g_free(errmsg);
                one = FS_ERR_OUTPUT;
            }
        }
        fclose(job->records);
        g_free(job);
        status = fs_status_worst(status, one);
        if (!stopping && (one == FS_ERR_OUTPUT || fs_interrupt_requested())) {
            stopping = TRUE;
            stop_jobs(&running);
        }
    }
    if (next < opts->inputs->len && fs_interrupt_requested()) {
        fprintf(stderr, "flowshark: interrupted by signal %d: %u captures not read\n",
                fs_interrupt_signal(), opts->inputs->len - next);
        status = fs_status_worst(status, FS_ERR_INTERRUPTED);
    }
    return status;
}

/* Processes every capture in turn; stops early on an output error or an
 * interruption. */
static enum fs_status process_captures(
        const struct fs_options *opts, const struct fs_dissect_config *config, fs_writer *writer)
{
    gboolean workers = opts->inputs->len > 1 && !opts->in_process;
    char *errmsg = NULL;
    fs_dissector *pristine = NULL;
    enum fs_status status = FS_OK;
    guint jobs = MIN(opts->jobs ? opts->jobs : (guint)g_get_num_processors(), opts->inputs->len);
    /* Parallel workers would overwrite each other's progress line. */
    report_progress = opts->progress == FS_PROGRESS_ALWAYS ||
                      (opts->progress == FS_PROGRESS_AUTO && isatty(STDERR_FILENO) &&
                              (jobs <= 1 || !workers));
    if (workers && jobs > 1) {
        status = fs_dissector_new(config, &pristine, &errmsg);
        if (status != FS_OK) {
            report(NULL, errmsg);
            g_free(errmsg);
            return status;
        }
        status = process_in_parallel(opts, config->fields, pristine, writer, jobs);
        fs_dissector_free(pristine);
        return status;
    }
    for (guint i = 0; i < opts->inputs->len; i++) {
        const char *path = g_ptr_array_index(opts->inputs, i);
        if (fs_interrupt_requested()) {
            fprintf(stderr, "flowshark: interrupted by signal %d before %s: not read\n",
                    fs_interrupt_signal(), path);
            /* The session must go before epan_cleanup(). */
            fs_dissector_free(pristine);
            return fs_status_worst(status, FS_ERR_INTERRUPTED);
        }
        enum fs_status one;
        /* A session serves one capture, unless only forked workers use it. */
        if (!pristine || (!workers && !opts->reset_every)) {
            fs_dissector_free(pristine);
            one = fs_dissector_new(config, &pristine, &errmsg);
            if (one != FS_OK) {
                report(NULL, errmsg);
                g_free(errmsg);
                return one;
            }
        }
        if (workers) {
            one = process_in_worker(path, opts, config->fields, pristine, writer);
        } else {
            one = process_capture(path, opts, config->fields, pristine, writer);
        }
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT || one == FS_ERR_INTERRUPTED)
            break;
    }
    fs_dissector_free(pristine);
    return status;
}

enum fs_status fs_run(const struct fs_options *opts)
{
    char *errmsg = NULL;
    char *filter = NULL;
    fs_writer *writer = NULL;
    fs_field_registry *fields = NULL;

    /* Everything that can be wrong with the command line is reported before
     * any capture is read. */
    enum fs_status status = build_registry(opts, &fields);
    if (status != FS_OK)
        goto out;
    if (opts->display_filter && *opts->display_filter) {
        status = fs_dissect_check_filter(opts->display_filter, &errmsg);
        if (status != FS_OK) {
            report(NULL, errmsg);
            goto out;
        }
    }
    filter = fs_run_filter_text(opts);
    status = fs_dissect_check_filter(filter, &errmsg);
    if (status != FS_OK) {
        report(NULL, errmsg);
        goto out;
    }
    status = fs_writer_open(opts->output_path, &writer, &errmsg);
    if (status != FS_OK) {
        report(NULL, errmsg);
        goto out;
    }

    /* The CSV header, once, before any worker writes a row. */
    write_header(opts, writer);
    guint extras =
            (opts->stats || opts->splt ? FS_EXTRA_LINK : 0) | (opts->ndpi ? FS_EXTRA_IP_BYTES : 0);
    struct fs_dissect_config config = { filter, fields, opts->two_pass, extras };
    if (opts->ndpi && opts->inputs->len > 1 && !opts->in_process)
        pristine_ndpi = fs_ndpi_new(opts->ndpi_packets); /* NULL: each capture reports it */
    status = process_captures(opts, &config, writer);
    fs_ndpi_free(pristine_ndpi);
    pristine_ndpi = NULL;

    /* Records of readable captures are kept even when another capture
     * failed; only a failed write discards the -w file. */
    enum fs_status closed = fs_writer_close(writer, status != FS_ERR_OUTPUT, &errmsg);
    writer = NULL;
    if (closed != FS_OK) {
        if (errmsg)
            report(NULL, errmsg);
        status = closed;
    }

out:
    if (writer) {
        char *ignored = NULL;
        fs_writer_close(writer, FALSE, &ignored);
        g_free(ignored);
    }
    g_free(errmsg);
    g_free(filter);
    fs_field_registry_free(fields);
    return status;
}
