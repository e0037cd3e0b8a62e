/* output.c: see output.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "output.h"
#include "epan_session.h"

#ifndef FS_VERSION
#define FS_VERSION "unknown"
#endif

struct fs_output {
    const struct fs_sink_ops *format;
    fs_writer *writer; /* byte formats */
    fs_sink *sink;
    char *path;        /* a file format's final path when written under temp_path */
    char *temp_path;   /* or NULL: written in place */
    gboolean borrowed; /* sink is the run's consumer (fs_run_into()): not closed here */
};

static void begin(const struct fs_run_ctx *ctx, fs_output *o)
{
    fs_sink_begin_output(o->sink, ctx->keys);
}

/* A file format's output at path (in place), or at a temporary name
 * beside it renamed by a committing close (whole = TRUE). */
static enum fs_status open_file(
        const struct fs_run_ctx *ctx, const char *path, gboolean whole, fs_output *o, char **errmsg)
{
    const struct fs_run_info run = {
        .command_line = ctx->opts->command_line,
        .note = ctx->opts->note,
        .version = FS_VERSION,
        .library_version = fs_epan_session_version(),
    };
    const char *target = path;
    if (whole) {
        o->path = g_strdup(path);
        o->temp_path = g_strdup_printf("%s.tmp-%ld", path, (long)getpid());
        g_unlink(o->temp_path);
        target = o->temp_path;
    }
    return fs_sink_open_file(o->format, target, &run, &o->sink, errmsg);
}

/* The run's output pushes each record out as soon as it is written (its
 * reader sees it now) for a live capture and for flows the meter ends
 * while reading (--idle-timeout, --active-timeout). */
static gboolean records_at_once(const struct fs_options *opts)
{
    return (opts->interfaces && opts->interfaces->len) || opts->idle_timeout ||
           opts->active_timeout;
}

static enum fs_status open_output(const struct fs_run_ctx *ctx, const char *path, gboolean whole,
        fs_output **out, char **errmsg)
{
    *errmsg = NULL;
    fs_output *o = g_new0(fs_output, 1);
    o->format = ctx->format;
    enum fs_status status;
    if (ctx->consumer && !whole) {
        /* No writer: workers hand their records over on tapes, replayed
         * here on the consumer, as for a file format. */
        o->sink = ctx->consumer;
        o->borrowed = TRUE;
        status = FS_OK;
    } else if (fs_sink_format_is_file(o->format)) {
        status = open_file(ctx, path, whole, o, errmsg);
    } else {
        status = fs_writer_open(path, &o->writer, errmsg);
        if (status == FS_OK)
            o->sink = fs_sink_new(o->format, o->writer);
        if (status == FS_OK && !whole && records_at_once(ctx->opts))
            fs_writer_flush_each(o->writer);
    }
    if (status != FS_OK) {
        g_free(o->path);
        g_free(o->temp_path);
        g_free(o);
        *out = NULL;
        return status;
    }
    begin(ctx, o);
    *out = o;
    return FS_OK;
}

enum fs_status fs_output_open(
        const struct fs_run_ctx *ctx, const char *path, fs_output **out, char **errmsg)
{
    return open_output(ctx, path, FALSE, out, errmsg);
}

char *fs_output_capture_path(const struct fs_run_ctx *ctx, const struct fs_input *in)
{
    char *name = g_strconcat(in->rel, ".", ctx->format->extension, NULL);
    char *path = g_build_filename(ctx->opts->output_dir, name, NULL);
    g_free(name);
    return path;
}

enum fs_status fs_output_open_capture(
        const struct fs_run_ctx *ctx, const struct fs_input *in, fs_output **out, char **errmsg)
{
    char *path = fs_output_capture_path(ctx, in);
    char *dir = g_path_get_dirname(path);
    enum fs_status status = FS_OK;
    if (g_mkdir_with_parents(dir, 0777) != 0) {
        *errmsg = g_strdup_printf("cannot make the folder %s: %s", dir, g_strerror(errno));
        status = FS_ERR_OUTPUT;
    } else {
        status = open_output(ctx, path, TRUE, out, errmsg);
    }
    g_free(dir);
    g_free(path);
    return status;
}

fs_sink *fs_output_sink(fs_output *o)
{
    return o->sink;
}

fs_writer *fs_output_writer(fs_output *o)
{
    return o->writer;
}

enum fs_status fs_output_begin_capture(fs_output *o, const struct fs_input *in, char **errmsg)
{
    const struct fs_capture_info info = {
        .path = in->path,
        .label = in->label,
        .size = in->size,
    };
    return fs_sink_begin_capture(o->sink, &info, errmsg);
}

enum fs_status fs_output_end_capture(fs_output *o, const struct fs_input *in,
        const struct fs_capture_result *result, char **errmsg)
{
    const struct fs_capture_info info = {
        .path = in->path,
        .label = in->label,
        .size = in->size,
        .packets = result->packets,
        .flows = result->flows,
        .status = fs_status_capture_word((enum fs_status)result->status),
        .error = result->error[0] ? result->error : NULL,
    };
    enum fs_status status = fs_sink_end_capture(o->sink, &info, errmsg);
    if (status == FS_OK && o->writer)
        status = fs_writer_flush(o->writer, errmsg);
    return status;
}

enum fs_status fs_output_take(fs_output *o, FILE *records, char **errmsg)
{
    *errmsg = NULL;
    if (o->writer)
        return fs_writer_append(o->writer, records, errmsg);
    return fs_sink_replay(o->sink, records, errmsg);
}

enum fs_status fs_output_close(
        fs_output *o, enum fs_status run_status, gboolean commit, char **errmsg)
{
    *errmsg = NULL;
    if (!o)
        return FS_OK;
    enum fs_status status;
    if (o->borrowed) {
        status = FS_OK;
    } else if (o->writer) {
        fs_sink_free(o->sink);
        status = fs_writer_close(o->writer, commit, errmsg);
    } else {
        status = fs_sink_close_file(o->sink, run_status, errmsg);
        if (o->temp_path) {
            if (status == FS_OK && commit && g_rename(o->temp_path, o->path) != 0) {
                *errmsg = g_strdup_printf("cannot write %s: %s", o->path, g_strerror(errno));
                status = FS_ERR_OUTPUT;
            }
            /* What SQLite leaves beside a database (-wal, -shm) goes too. */
            const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
            for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
                char *leftover = g_strconcat(o->temp_path, suffixes[i], NULL);
                g_unlink(leftover);
                g_free(leftover);
            }
        }
    }
    g_free(o->path);
    g_free(o->temp_path);
    g_free(o);
    return status;
}
