/* job.c: see job.h. */
#include <stdio.h>

#include "job.h"
#include "bounded.h"
#include "capture.h"
#include "flow_table.h"
#include "inputs.h"
#include "interrupt.h"
#include "live.h"
#include "output.h"
#include "progress.h"
#include "record.h"

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    fs_flow_table_add_packet(user_data, packet);
}

struct watch {
    fs_progress *progress;
    struct fs_capture_result *result;
};

/* How far the reading is: into the capture's slot, and the progress line
 * (drawn only by the process that started the run). */
static void on_progress(void *data, guint64 records, long long bytes)
{
    struct watch *w = data;
    w->result->packets = records;
    if (bytes >= 0)
        w->result->bytes = bytes;
    fs_progress_tick(w->progress);
}

/* Reports msg about the capture (once) and keeps it in its slot. */
static void report(struct fs_capture_result *result, const char *path, const char *msg)
{
    fs_progress_set_error(result, msg);
    fs_report(path, msg);
}

/* -i: the live capture (live.h) dissected here until dumpcap ends its
 * output (-c, -a, or a stop request passed on to it). */
static enum fs_status read_live(const struct fs_run_ctx *ctx, fs_dissector *dissector,
        fs_flow_table *flows, struct watch *watch, char **errmsg)
{
    fs_live *live = NULL;
    enum fs_status status = fs_live_start(ctx->opts, &live, errmsg);
    if (status != FS_OK)
        return status;
    fs_capture *cap = fs_live_capture(live);
    if (cap) {
        fs_capture_watch(cap, on_progress, watch);
        status = fs_dissector_run(dissector, cap, on_packet, flows, errmsg);
        watch->result->packets = fs_capture_records_read(cap);
    }
    char *why = NULL;
    enum fs_status ended = fs_live_finish(live, status == FS_OK, &why);
    if (ended != FS_OK) {
        /* dumpcap's reason comes first. Before any packet (a missing
         * interface, a bad capture filter: wiretap takes its empty output
         * for an empty capture) the capture failed; later (an interface
         * gone) its output ended early and the flows seen are written. */
        g_free(*errmsg);
        *errmsg = why;
        status = watch->result->packets ? FS_ERR_TRUNCATED : ended;
    }
    return status;
}

/* Fills flows from the capture: dissected here with the fresh session
 * `dissector` (exact mode), or, with --reset-every, chunk by chunk in
 * workers forked from it (it stays unused); a live input through live.h. */
static enum fs_status read_flows(const struct fs_run_ctx *ctx, const struct fs_input *in,
        fs_dissector *dissector, fs_flow_table *flows, struct watch *watch, char **errmsg)
{
    const char *path = in->path;
    guint64 records = 0;
    const char *format = NULL;
    enum fs_status status;
    if (in->live)
        return read_live(ctx, dissector, flows, watch, errmsg);
    if (ctx->opts->reset_every) {
        status = fs_bounded_read(
                ctx, path, dissector, flows, on_progress, watch, &records, &format, errmsg);
        if (status == FS_ERR_OPEN)
            return status;
    } else {
        fs_capture *cap = NULL;
        status = fs_capture_open(path, ctx->opts->two_pass, &cap, errmsg);
        if (status != FS_OK)
            return status;
        fs_capture_watch(cap, on_progress, watch);
        status = fs_dissector_run(dissector, cap, on_packet, flows, errmsg);
        records = fs_capture_records_read(cap);
        format = fs_capture_format(cap);
        fs_capture_close(cap);
    }
    watch->result->packets = records;
    /* wiretap takes a very short file for some other format (an empty file
     * for an empty ERF capture): say so rather than print nothing. */
    if (status == FS_OK && records == 0) {
        char *msg =
                g_strdup_printf("no packets (read as %s)", format ? format : "an unknown format");
        fs_progress_set_error(watch->result, msg);
        fprintf(stderr, "%sflowshark: warning: %s: %s\n", fs_report_start(), path, msg);
        g_free(msg);
    }
    return status;
}

struct write_state {
    const struct fs_record_context *record;
    fs_sink *sink;
    fs_writer *writer;
    guint written;
};

static void write_flow(const struct fs_flow *flow, void *user_data)
{
    struct write_state *state = user_data;
    if ((!state->writer || !fs_writer_failed(state->writer)) &&
            fs_flow_selected(flow, state->record->select) &&
            fs_record_write(flow, state->record, state->sink))
        state->written++;
}

/* The capture's own --output-dir file: opened before the records, kept
 * (renamed into place) only when the capture was read to its end. */
static enum fs_status open_own(const struct fs_run_ctx *ctx, const struct fs_input *in,
        struct fs_capture_result *result, fs_output **out)
{
    char *errmsg = NULL;
    enum fs_status status = fs_output_open_capture(ctx, in, out, &errmsg);
    if (status == FS_OK)
        status = fs_output_begin_capture(*out, in, &errmsg);
    if (status != FS_OK && errmsg)
        report(result, NULL, errmsg);
    g_free(errmsg);
    return status;
}

static enum fs_status close_own(fs_output *own, const struct fs_input *in,
        struct fs_capture_result *result, enum fs_status status)
{
    char *errmsg = NULL;
    result->status = status;
    enum fs_status ended = fs_output_end_capture(own, in, result, &errmsg);
    gboolean whole = ended == FS_OK && (status == FS_OK || status == FS_ERR_TRUNCATED);
    if (ended != FS_OK && errmsg)
        report(result, NULL, errmsg);
    g_free(errmsg);
    errmsg = NULL;
    enum fs_status closed = fs_output_close(own, status, whole, &errmsg);
    if (closed != FS_OK && errmsg)
        report(result, NULL, errmsg);
    g_free(errmsg);
    if (ended != FS_OK || closed != FS_OK)
        return FS_ERR_OUTPUT;
    return status;
}

enum fs_status fs_job_run(const struct fs_run_ctx *ctx, guint index, fs_dissector *dissector,
        const fs_feature_set *features, fs_sink *sink, fs_writer *writer)
{
    const struct fs_options *opts = ctx->opts;
    const struct fs_input *in = g_ptr_array_index(ctx->inputs->captures, index);
    const char *path = in->path;
    struct fs_capture_result *result = fs_progress_result(ctx->progress, index);
    struct watch watch = { .progress = ctx->progress, .result = result };
    char *errmsg = NULL;
    fs_feature_set *own_features = NULL;
    if (!features) {
        enum fs_status status = fs_feature_set_new(opts, &own_features, &errmsg);
        if (status != FS_OK) {
            report(result, path, errmsg);
            g_free(errmsg);
            return result->status = status;
        }
        features = own_features;
    }
    fs_output *own = NULL;
    if (!sink) {
        enum fs_status status = open_own(ctx, in, result, &own);
        if (status != FS_OK) {
            fs_output_close(own, status, FALSE, &errmsg);
            g_free(errmsg);
            fs_feature_set_free(own_features);
            return result->status = status;
        }
        sink = fs_output_sink(own);
        writer = fs_output_writer(own);
    }
    const struct fs_flow_options flow_options = {
        .udp_data_length = opts->udp_data_length,
        .max_packets = opts->max_packets,
        .direction = opts->direction,
        .features = features,
        .idle_timeout_ms = (gint64)opts->idle_timeout * 1000,
        .active_timeout_ms = (gint64)opts->active_timeout * 1000,
        .vlan_key = opts->vlan_key,
        .keep_value = opts->keep_value,
        .keep_value_data = opts->keep_value_data,
    };
    fs_flow_table *flows = fs_flow_table_new(ctx->field_names->len, &flow_options);
    const struct fs_record_context record = {
        .file = path,
        .label = in->label,
        .field_names = ctx->field_names,
        .main_seq = opts->main_seq,
        .keep_empty = opts->keep_empty,
        .meter_keys = opts->idle_timeout || opts->active_timeout,
        .label_key = opts->label || opts->label_from_dir,
        .features = features,
        .select = &opts->select,
    };
    /* Records are written as the meter ends flows, the others at the end.
     * The run's output pushes each one out at once (output.c). */
    struct write_state state = { .record = &record, .sink = sink, .writer = writer };
    fs_flow_table_set_expired_cb(flows, write_flow, &state);
    enum fs_status status = read_flows(ctx, in, dissector, flows, &watch, &errmsg);
    if (status == FS_ERR_OPEN || (in->live && status == FS_ERR_FILTER)) {
        report(result, NULL, errmsg);
        g_free(errmsg);
        fs_flow_table_free(flows);
        if (own)
            close_own(own, in, result, status);
        fs_feature_set_free(own_features);
        return result->status = status;
    }
    if (status == FS_ERR_TRUNCATED) {
        char *msg = g_strdup_printf("%s; the records of every complete packet are written", errmsg);
        fs_progress_set_error(result, msg);
        fprintf(stderr, "%sflowshark: warning: %s: %s\n", fs_report_start(), path, msg);
        g_free(msg);
    } else if (status != FS_OK && status != FS_ERR_INTERRUPTED && errmsg) {
        report(result, path, errmsg);
    }
    g_free(errmsg);
    errmsg = NULL;

    fs_flow_table_finish(flows);
    fs_flow_table_foreach(flows, write_flow, &state);
    result->flows = state.written;
    enum fs_status flushed = writer ? fs_writer_flush(writer, &errmsg) : FS_OK;
    if (flushed != FS_OK) {
        if (errmsg)
            report(result, NULL, errmsg);
        g_free(errmsg);
        status = FS_ERR_OUTPUT;
    } else if (status == FS_ERR_INTERRUPTED) {
        /* Its own --output-dir file is not kept: a file that is there is
         * complete, and --resume reads the capture again. */
        const char *signame = fs_interrupt_signal_name(fs_interrupt_signal());
        char *what = own ? g_strdup("its output file is not kept (--resume reads it again)")
                         : g_strdup_printf("the records of the %u flows seen so far are written",
                                   state.written);
        char *msg = g_strdup_printf("interrupted by %s: %s", signame, what);
        fs_progress_set_error(result, msg);
        fprintf(stderr, "%sflowshark: interrupted by %s while reading %s: %s\n", fs_report_start(),
                signame, path, what);
        g_free(what);
        g_free(msg);
    }
    if (own)
        status = close_own(own, in, result, status);
    fs_flow_table_free(flows);
    fs_feature_set_free(own_features);
    return result->status = status;
}
