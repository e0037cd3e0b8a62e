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

#include "schedule.h"
#include "dissect.h"
#include "interrupt.h"
#include "worker.h"

static gboolean use_workers(const struct fs_options *opts)
{
    return opts->inputs->len > 1 && !opts->in_process;
}

guint fs_schedule_parallel(const struct fs_options *opts)
{
    if (!use_workers(opts))
        return 1;
    guint jobs = opts->jobs ? opts->jobs : (guint)g_get_num_processors();
    return MAX(1, MIN(jobs, opts->inputs->len));
}

/* What the captures of a run came to, for the summary of an interruption. */
struct tally {
    guint whole;  /* read to the end, records written */
    guint part;   /* interrupted while being read, records of the flows seen written */
    guint unread; /* not started */
};

static void report_interruption(const struct tally *t)
{
    fprintf(stderr,
            "flowshark: interrupted by %s: the records of %u capture%s read in full and %u "
            "read in part are written; %u capture%s not read\n",
            fs_interrupt_signal_name(fs_interrupt_signal()), t->whole, t->whole == 1 ? "" : "s",
            t->part, t->unread, t->unread == 1 ? " was" : "s were");
}

static void count(struct tally *t, enum fs_status status)
{
    if (status == FS_ERR_INTERRUPTED)
        t->part++;
    else if (status != FS_ERR_OPEN && status != FS_ERR_WORKER && status != FS_ERR_OUTPUT &&
             status != FS_ERR_INIT)
        t->whole++;
}

/* ---- one worker per capture ---- */

struct job_args {
    const struct fs_run_ctx *ctx;
    const char *path;
    fs_dissector *pristine;
    const fs_feature_set *features;
    fs_writer *writer;
};

static enum fs_status job_main(void *arg)
{
    const struct job_args *a = arg;
    return fs_job_run(a->ctx, a->path, a->pristine, a->features, a->writer);
}

static pid_t spawn_job(struct job_args *args)
{
    char *errmsg = NULL;
    pid_t pid = fs_worker_spawn(job_main, args, &errmsg);
    if (pid < 0) {
        fs_report(args->path, errmsg);
        g_free(errmsg);
    }
    return pid;
}

/* One capture at a time, each in a worker that writes straight to the
 * output. */
static enum fs_status run_one_at_a_time(const struct fs_run_ctx *ctx, fs_dissector *pristine,
        const fs_feature_set *features, fs_writer *writer, struct tally *tally)
{
    const GPtrArray *inputs = ctx->opts->inputs;
    enum fs_status status = FS_OK;
    for (guint i = 0; i < inputs->len; i++) {
        if (fs_interrupt_requested()) {
            tally->unread = inputs->len - i;
            break;
        }
        char *errmsg = NULL;
        if (fs_writer_flush(writer, &errmsg) != FS_OK) {
            if (errmsg)
                fs_report(NULL, errmsg);
            g_free(errmsg);
            return fs_status_worst(status, FS_ERR_OUTPUT);
        }
        struct job_args args = {
            .ctx = ctx,
            .path = g_ptr_array_index(inputs, i),
            .pristine = pristine,
            .features = features,
            .writer = writer,
        };
        pid_t pid = spawn_job(&args);
        enum fs_status one = pid < 0 ? FS_ERR_WORKER : fs_worker_wait(pid, args.path);
        count(tally, one);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT)
            break;
    }
    return status;
}

/* A worker of the parallel mode: its records go to a temporary file that
 * is copied to the output when every earlier capture's has been. */
struct running_job {
    struct job_args args;
    pid_t pid;
    FILE *records;
};

/* Starts the job of one capture; NULL (reported) when it cannot start. */
static struct running_job *start_parallel_job(const struct fs_run_ctx *ctx, const char *path,
        fs_dissector *pristine, const fs_feature_set *features)
{
    struct running_job *job = g_new0(struct running_job, 1);
    job->records = tmpfile();
    if (!job->records) {
        fs_report(path, "cannot create a temporary file for its records");
        g_free(job);
        return NULL;
    }
    fs_writer *job_writer = fs_writer_over(job->records);
    job->args = (struct job_args){
        .ctx = ctx,
        .path = path,
        .pristine = pristine,
        .features = features,
        .writer = job_writer,
    };
    job->pid = spawn_job(&job->args);
    char *ignored = NULL;
    fs_writer_close(job_writer, FALSE, &ignored); /* the worker has its own copy */
    g_free(ignored);
    job->args.writer = NULL;
    if (job->pid < 0) {
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

/* Up to `jobs` workers at once; records in capture order. On an
 * interruption the running workers are stopped as this process was; each
 * writes the flows it has seen, and every worker's records are appended
 * in order. On an output error the others are discarded and nothing more
 * is written. */
static enum fs_status run_in_parallel(const struct fs_run_ctx *ctx, fs_dissector *pristine,
        const fs_feature_set *features, fs_writer *writer, guint jobs, struct tally *tally)
{
    const GPtrArray *inputs = ctx->opts->inputs;
    GQueue running = G_QUEUE_INIT;
    enum fs_status status = FS_OK;
    guint next = 0;
    gboolean output_failed = FALSE, stopped = FALSE;
    while (TRUE) {
        while (!output_failed && next < inputs->len && running.length < jobs &&
                !fs_interrupt_requested()) {
            const char *path = g_ptr_array_index(inputs, next++);
            struct running_job *job = start_parallel_job(ctx, path, pristine, features);
            if (job)
                g_queue_push_tail(&running, job);
            else
                status = fs_status_worst(status, FS_ERR_WORKER);
        }
        if (!stopped && fs_interrupt_requested()) {
            stopped = TRUE;
            for (GList *l = running.head; l; l = l->next)
                fs_worker_stop(((struct running_job *)l->data)->pid);
        }
        struct running_job *job = g_queue_pop_head(&running);
        if (!job)
            break;
        enum fs_status one = FS_ERR_OUTPUT;
        if (output_failed)
            discard_job(job->pid);
        else
            one = fs_worker_wait(job->pid, job->args.path);
        if (one != FS_ERR_WORKER && one != FS_ERR_OUTPUT) {
            char *errmsg = NULL;
            if (fs_writer_append(writer, job->records, &errmsg) != FS_OK) {
                if (errmsg)
                    fs_report(NULL, errmsg);
                g_free(errmsg);
                one = FS_ERR_OUTPUT;
            }
        }
        fclose(job->records);
        g_free(job);
        count(tally, one);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT)
            output_failed = TRUE;
    }
    if (fs_interrupt_requested())
        tally->unread = inputs->len - next;
    return status;
}

/* ---- in this process ---- */

/* Every capture in turn in this process: each with a fresh session, or,
 * with --reset-every (pristine not NULL), each handing chunks to workers
 * forked from the one pristine session. */
static enum fs_status run_in_process(const struct fs_run_ctx *ctx, fs_dissector *pristine,
        const fs_feature_set *features, fs_writer *writer, struct tally *tally)
{
    const GPtrArray *inputs = ctx->opts->inputs;
    enum fs_status status = FS_OK;
    for (guint i = 0; i < inputs->len; i++) {
        if (fs_interrupt_requested()) {
            tally->unread = inputs->len - i;
            break;
        }
        fs_dissector *session = pristine;
        char *errmsg = NULL;
        enum fs_status one = pristine ? FS_OK : fs_dissector_new(ctx->dissect, &session, &errmsg);
        if (one != FS_OK) {
            fs_report(NULL, errmsg);
            g_free(errmsg);
            return fs_status_worst(status, one);
        }
        one = fs_job_run(
                ctx, g_ptr_array_index(inputs, i), session, i == 0 ? features : NULL, writer);
        if (!pristine)
            fs_dissector_free(session);
        count(tally, one);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT || one == FS_ERR_INIT)
            break;
    }
    return status;
}

enum fs_status fs_schedule_run(
        const struct fs_run_ctx *ctx, const fs_feature_set *features, fs_writer *writer)
{
    const struct fs_options *opts = ctx->opts;
    struct tally tally = { 0 };
    enum fs_status status;
    if (!use_workers(opts) && !opts->reset_every) {
        status = run_in_process(ctx, NULL, features, writer, &tally);
    } else {
        /* The pristine session is made once and only ever used by forked
         * processes. */
        char *errmsg = NULL;
        fs_dissector *pristine = NULL;
        status = fs_dissector_new(ctx->dissect, &pristine, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            g_free(errmsg);
            fs_dissector_free(pristine);
            return status;
        }
        guint jobs = fs_schedule_parallel(opts);
        if (!use_workers(opts)) {
            /* --reset-every in this process. */
            status = run_in_process(ctx, pristine, features, writer, &tally);
        } else if (jobs > 1) {
            status = run_in_parallel(ctx, pristine, features, writer, jobs, &tally);
        } else {
            status = run_one_at_a_time(ctx, pristine, features, writer, &tally);
        }
        fs_dissector_free(pristine);
    }
    if (fs_interrupt_requested()) {
        status = fs_status_worst(status, FS_ERR_INTERRUPTED);
        if (opts->inputs->len > 1)
            report_interruption(&tally);
    }
    return status;
}
