/* run.c: one run: check everything the command line names (fields,
 * filter, output, feature modules) before any capture is read, open the
 * output, write its header, then hand the captures to the scheduler. */
#include <stdio.h>
#include <unistd.h>

#include "run.h"
#include "dissect.h"
#include "feature.h"
#include "record.h"
#include "registry.h"
#include "schedule.h"
#include "sink.h"
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

/* Resolves every -e field; reports each unknown one. */
static enum fs_status build_registry(const struct fs_options *opts, fs_field_registry **out)
{
    enum fs_status status = FS_OK;
    fs_field_registry *reg = fs_field_registry_new();
    for (guint i = 0; i < opts->fields->len; i++) {
        char *errmsg = NULL;
        if (!fs_field_registry_add(reg, g_ptr_array_index(opts->fields, i), &errmsg)) {
            fs_report(NULL, errmsg);
            status = FS_ERR_FIELD;
        }
        g_free(errmsg);
    }
    *out = reg;
    return status;
}

/* The output's header: the record keys (a dry run of the record code). */
static void begin_output(
        const struct fs_run_ctx *ctx, const fs_feature_set *features, fs_writer *writer)
{
    const struct fs_record_context record = {
        .field_names = ctx->field_names,
        .main_seq = ctx->opts->main_seq,
        .keep_empty = ctx->opts->keep_empty,
        .features = features,
    };
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    fs_record_keys(&record, keys);
    fs_sink *sink = fs_sink_new(ctx->format, writer);
    fs_sink_begin_output(sink, keys);
    fs_sink_free(sink);
    g_ptr_array_free(keys, TRUE);
}

/* Progress lines, unless several captures are read at once (they would
 * overwrite each other's line). */
static gboolean want_progress(const struct fs_options *opts)
{
    return opts->progress == FS_PROGRESS_ALWAYS ||
           (opts->progress == FS_PROGRESS_AUTO && isatty(STDERR_FILENO) &&
                   fs_schedule_parallel(opts) <= 1);
}

enum fs_status fs_run(const struct fs_options *opts)
{
    char *errmsg = NULL;
    char *filter = NULL;
    fs_writer *writer = NULL;
    fs_field_registry *fields = NULL;
    fs_feature_set *features = NULL;
    GPtrArray *field_names = g_ptr_array_new();

    /* Everything that can be wrong with the command line is reported before
     * any capture is read. */
    const struct fs_sink_ops *format = fs_sink_format_find(opts->format);
    g_assert(format); /* checked by fs_options_parse() */
    enum fs_status status = build_registry(opts, &fields);
    if (status != FS_OK)
        goto out;
    for (guint i = 0; i < fs_field_registry_count(fields); i++)
        g_ptr_array_add(field_names, (gpointer)fs_field_registry_name(fields, i));
    if (opts->display_filter && *opts->display_filter) {
        status = fs_dissect_check_filter(opts->display_filter, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            goto out;
        }
    }
    filter = fs_run_filter_text(opts);
    status = fs_dissect_check_filter(filter, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        goto out;
    }
    /* The feature modules are set up once, before any worker forks. */
    status = fs_feature_set_new(opts, &features, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        goto out;
    }
    status = fs_writer_open(opts->output_path, &writer, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        goto out;
    }

    const struct fs_dissect_config dissect = {
        .display_filter = filter,
        .fields = fields,
        .two_pass = opts->two_pass,
        .extras = fs_feature_set_extras(features),
    };
    const struct fs_run_ctx ctx = {
        .opts = opts,
        .dissect = &dissect,
        .field_names = field_names,
        .format = format,
        .progress = want_progress(opts),
    };
    /* The header, once, before any worker writes a record. */
    begin_output(&ctx, features, writer);
    status = fs_schedule_run(&ctx, features, writer);

    /* Records of readable captures are kept even when another capture
     * failed; only a failed write discards the -w file. */
    enum fs_status closed = fs_writer_close(writer, status != FS_ERR_OUTPUT, &errmsg);
    writer = NULL;
    if (closed != FS_OK) {
        if (errmsg)
            fs_report(NULL, errmsg);
        status = closed;
    }

out:
    if (writer) {
        char *ignored = NULL;
        fs_writer_close(writer, FALSE, &ignored);
        g_free(ignored);
    }
    fs_feature_set_free(features);
    g_free(errmsg);
    g_free(filter);
    g_ptr_array_free(field_names, TRUE);
    fs_field_registry_free(fields);
    return status;
}
