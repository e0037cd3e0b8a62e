/* schedule.c: see schedule.h. Every capture is read with a session made
 * for it: in this process a fresh one each time; with workers, one
 * pristine session made once after start-up and never used here, which
 * each forked worker inherits, so every capture starts from the same state
 * and nothing one leaves behind reaches the next. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "schedule.h"
#include "dissect.h"
#include "inputs.h"
#include "interrupt.h"
#include "output.h"
#include "progress.h"
#include "worker.h"

static gboolean use_workers(const struct fs_options *opts, guint captures)
{
    return captures > 1 && !opts->in_process;
}

guint fs_schedule_parallel(const struct fs_options *opts, guint captures)
{
    if (!use_workers(opts, captures))
        return 1;
    guint jobs = opts->jobs ? opts->jobs : (guint)g_get_num_processors();
    return MAX(1, MIN(jobs, captures));
}

/* One run's scheduling state. */
struct schedule {
    const struct fs_run_ctx *ctx;
    const fs_feature_set *features;
    fs_output *output;      /* the run's output, or NULL (--output-dir) */
    fs_dissector *pristine; /* for forked workers, or NULL */
    guint whole;            /* captures read to the end, records written */
    guint part;             /* interrupted while being read, records of the flows seen written */
    guint unread;           /* not started */
};

static void report_interruption(const struct schedule *s)
{
    /* With --output-dir a capture read in part leaves no file. */
    gboolean own = s->output == NULL;
    fprintf(stderr,
            "%sflowshark: interrupted by %s: the records of %u capture%s read in full and %u "
            "read in part %s; %u capture%s not read\n",
            fs_report_start(), fs_interrupt_signal_name(fs_interrupt_signal()), s->whole,
            s->whole == 1 ? "" : "s", s->part,
            own ? "(not kept) are in --output-dir" : "are written", s->unread,
            s->unread == 1 ? " was" : "s were");
}

static const struct fs_input *input_at(const struct schedule *s, guint i)
{
    return g_ptr_array_index(s->ctx->inputs->captures, i);
}

static guint capture_count(const struct schedule *s)
{
    return s->ctx->inputs->captures->len;
}

/* --resume: TRUE (the capture is marked skipped) when its output is there. */
static gboolean skip_done(const struct schedule *s, guint i)
{
    if (!s->ctx->opts->resume)
        return FALSE;
    char *path = fs_output_capture_path(s->ctx, input_at(s, i));
    gboolean there = g_file_test(path, G_FILE_TEST_IS_REGULAR);
    g_free(path);
    if (there) {
        struct fs_capture_result *r = fs_progress_result(s->ctx->progress, i);
        r->skipped = TRUE;
        r->status = FS_OK;
        r->done = TRUE;
    }
    return there;
}

/* Capture i ended with status (as its process exited). */
static void finish(struct schedule *s, guint i, enum fs_status status)
{
    struct fs_capture_result *r = fs_progress_result(s->ctx->progress, i);
    r->status = status;
    r->done = TRUE;
    if (status == FS_ERR_WORKER)
        fs_progress_set_error(r, "the worker process reading it died; no records were written");
    if (status == FS_ERR_INTERRUPTED)
        s->part++;
    else if (status != FS_ERR_OPEN && status != FS_ERR_WORKER && status != FS_ERR_OUTPUT &&
             status != FS_ERR_INIT)
        s->whole++;
    fs_progress_tick(s->ctx->progress);
}

static void report_output_error(char *errmsg)
{
    if (errmsg)
        fs_report(NULL, errmsg);
    g_free(errmsg);
}

static void tick(void *data)
{
    fs_progress_tick(data);
}

/* Waits for the worker of capture `what`, redrawing the progress line
 * meanwhile when there is one. */
static enum fs_status wait_worker(const struct schedule *s, pid_t pid, const char *what)
{
    fs_progress *p = s->ctx->progress;
    return fs_worker_wait_ticking(pid, what, fs_progress_draws(p) ? tick : NULL, p);
}

/* ---- in this process ---- */

/* Every capture in turn in this process: each with a fresh session, or,
 * with --reset-every (s->pristine set), each handing chunks to workers
 * forked from the one pristine session. */
static enum fs_status run_in_process(struct schedule *s)
{
    const struct fs_run_ctx *ctx = s->ctx;
    enum fs_status status = FS_OK;
    for (guint i = 0; i < capture_count(s); i++) {
        if (fs_interrupt_requested()) {
            s->unread = capture_count(s) - i;
            break;
        }
        if (skip_done(s, i))
            continue;
        fs_dissector *session = s->pristine;
        char *errmsg = NULL;
        enum fs_status one =
                s->pristine ? FS_OK : fs_dissector_new(ctx->dissect, &session, &errmsg);
        if (one != FS_OK) {
            fs_report(NULL, errmsg);
            g_free(errmsg);
            return fs_status_worst(status, one);
        }
        const struct fs_input *in = input_at(s, i);
        if (s->output && fs_output_begin_capture(s->output, in, &errmsg) != FS_OK) {
            report_output_error(errmsg);
            one = FS_ERR_OUTPUT;
        } else {
            one = fs_job_run(ctx, i, session, i == 0 ? s->features : NULL,
                    s->output ? fs_output_sink(s->output) : NULL,
                    s->output ? fs_output_writer(s->output) : NULL);
            if (s->output && fs_output_end_capture(s->output, in,
                                     fs_progress_result(ctx->progress, i), &errmsg) != FS_OK) {
                report_output_error(errmsg);
                one = FS_ERR_OUTPUT;
            }
        }
        if (!s->pristine)
            fs_dissector_free(session);
        finish(s, i, one);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT || one == FS_ERR_INIT)
            break;
    }
    return status;
}

/* ---- in forked workers ---- */

struct job_args {
    const struct schedule *s;
    guint index;
    fs_writer *writer; /* the run's output or a temporary file; NULL: --output-dir */
    gboolean tape;     /* write a tape (a file format's records) on writer */
};

static enum fs_status job_main(void *arg)
{
    const struct job_args *a = arg;
    const struct fs_run_ctx *ctx = a->s->ctx;
    fs_sink *sink = NULL;
    if (a->writer)
        sink = a->tape ? fs_sink_new_tape(a->writer) : fs_sink_new(ctx->format, a->writer);
    enum fs_status status =
            fs_job_run(ctx, a->index, a->s->pristine, a->s->features, sink, a->writer);
    fs_sink_free(sink);
    return status;
}

static pid_t spawn_job(struct job_args *args)
{
    char *errmsg = NULL;
    pid_t pid = fs_worker_spawn(job_main, args, &errmsg);
    if (pid < 0) {
        fs_report(input_at(args->s, args->index)->path, errmsg);
        g_free(errmsg);
    }
    return pid;
}

/* One capture at a time, each in a worker that writes straight to the
 * run's output (a byte format) or to its own --output-dir file. */
static enum fs_status run_one_at_a_time(struct schedule *s)
{
    enum fs_status status = FS_OK;
    fs_writer *writer = s->output ? fs_output_writer(s->output) : NULL;
    for (guint i = 0; i < capture_count(s); i++) {
        if (fs_interrupt_requested()) {
            s->unread = capture_count(s) - i;
            break;
        }
        if (skip_done(s, i))
            continue;
        char *errmsg = NULL;
        if (writer && fs_writer_flush(writer, &errmsg) != FS_OK) {
            report_output_error(errmsg);
            return fs_status_worst(status, FS_ERR_OUTPUT);
        }
        struct job_args args = { .s = s, .index = i, .writer = writer };
        pid_t pid = spawn_job(&args);
        enum fs_status one = pid < 0 ? FS_ERR_WORKER : wait_worker(s, pid, input_at(s, i)->path);
        finish(s, i, one);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT)
            break;
    }
    return status;
}

/* A worker of the parallel mode: its records go to a temporary file that
 * is handed to the output when every earlier capture's has been (none with
 * --output-dir: it writes its own file). */
struct running_job {
    struct job_args args;
    pid_t pid;
    FILE *records;
};

/* Starts the job of capture i; NULL (reported) when it cannot start. */
static struct running_job *start_parallel_job(const struct schedule *s, guint i)
{
    struct running_job *job = g_new0(struct running_job, 1);
    const char *path = input_at(s, i)->path;
    job->args = (struct job_args){ .s = s, .index = i };
    if (s->output) {
        job->records = tmpfile();
        if (!job->records) {
            fs_report(path, "cannot create a temporary file for its records");
            g_free(job);
            return NULL;
        }
        job->args.writer = fs_writer_over(job->records);
        job->args.tape = fs_output_writer(s->output) == NULL;
    }
    job->pid = spawn_job(&job->args);
    if (job->args.writer) {
        char *ignored = NULL;
        fs_writer_close(job->args.writer, FALSE, &ignored); /* the worker has its own copy */
        g_free(ignored);
        job->args.writer = NULL;
    }
    if (job->pid < 0) {
        if (job->records)
            fclose(job->records);
        g_free(job);
        return NULL;
    }
    return job;
}

/* Ends a worker whose records can no longer be written, without a word:
 * asked to stop, it would report the flows it has seen as written. */
static void discard_job(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Hands a finished worker's records to the run's output. */
static enum fs_status take_records(struct schedule *s, struct running_job *job)
{
    const struct fs_input *in = input_at(s, job->args.index);
    struct fs_capture_result *r = fs_progress_result(s->ctx->progress, job->args.index);
    char *errmsg = NULL;
    enum fs_status status = fs_output_begin_capture(s->output, in, &errmsg);
    if (status == FS_OK)
        status = fs_output_take(s->output, job->records, &errmsg);
    if (status == FS_OK)
        status = fs_output_end_capture(s->output, in, r, &errmsg);
    if (status != FS_OK)
        report_output_error(errmsg);
    else
        g_free(errmsg);
    return status;
}

/* Up to `jobs` workers at once; records in capture order. On an
 * interruption the running workers are stopped as this process was; each
 * writes the flows it has seen, and every worker's records are handed over
 * in order. On an output error the others are discarded and nothing more
 * is written. */
static enum fs_status run_in_parallel(struct schedule *s, guint jobs)
{
    GQueue running = G_QUEUE_INIT;
    enum fs_status status = FS_OK;
    guint next = 0;
    gboolean output_failed = FALSE, stopped = FALSE;
    while (TRUE) {
        while (!output_failed && next < capture_count(s) && running.length < jobs &&
                !fs_interrupt_requested()) {
            guint i = next++;
            if (skip_done(s, i))
                continue;
            struct running_job *job = start_parallel_job(s, i);
            if (job) {
                g_queue_push_tail(&running, job);
            } else {
                finish(s, i, FS_ERR_WORKER);
                status = fs_status_worst(status, FS_ERR_WORKER);
            }
        }
        if (!stopped && fs_interrupt_requested()) {
            stopped = TRUE;
            for (GList *l = running.head; l; l = l->next)
                fs_worker_stop(((struct running_job *)l->data)->pid);
        }
        struct running_job *job = g_queue_pop_head(&running);
        if (!job)
            break;
        const char *path = input_at(s, job->args.index)->path;
        enum fs_status one = FS_ERR_OUTPUT;
        if (output_failed)
            discard_job(job->pid);
        else
            one = wait_worker(s, job->pid, path);
        if (s->output && one != FS_ERR_WORKER && one != FS_ERR_OUTPUT &&
                take_records(s, job) != FS_OK)
            one = FS_ERR_OUTPUT;
        if (job->records)
            fclose(job->records);
        finish(s, job->args.index, one);
        g_free(job);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT)
            output_failed = TRUE;
    }
    if (fs_interrupt_requested())
        s->unread = capture_count(s) - next;
    return status;
}

enum fs_status fs_schedule_run(
        const struct fs_run_ctx *ctx, const fs_feature_set *features, fs_output *output)
{
    const struct fs_options *opts = ctx->opts;
    guint captures = ctx->inputs->captures->len;
    struct schedule s = { .ctx = ctx, .features = features, .output = output };
    enum fs_status status;
    if (!use_workers(opts, captures) && !opts->reset_every) {
        status = run_in_process(&s);
    } else {
        /* The pristine session is made once and only ever used by forked
         * processes. */
        char *errmsg = NULL;
        status = fs_dissector_new(ctx->dissect, &s.pristine, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            g_free(errmsg);
            fs_dissector_free(s.pristine);
            return status;
        }
        guint jobs = fs_schedule_parallel(opts, captures);
        /* A file format is written by this process only: its workers hand
         * their records over on tapes, as the parallel mode does. */
        gboolean shared_output = output && !fs_output_writer(output);
        if (!use_workers(opts, captures))
            status = run_in_process(&s); /* --reset-every in this process */
        else if (jobs > 1 || shared_output)
            status = run_in_parallel(&s, jobs);
        else
            status = run_one_at_a_time(&s);
        fs_dissector_free(s.pristine);
    }
    if (fs_interrupt_requested()) {
        status = fs_status_worst(status, FS_ERR_INTERRUPTED);
        if (captures > 1) {
            fs_progress_clear(ctx->progress);
            report_interruption(&s);
        }
    }
    return status;
}
