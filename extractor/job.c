/* job.c: see job.h. */
#include <stdio.h>

#include "job.h"
#include "bounded.h"
#include "capture.h"
#include "flow_table.h"
#include "interrupt.h"
#include "record.h"

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    fs_flow_table_add_packet(user_data, packet);
}

/* Fills flows from the capture: dissected here with the fresh session
 * `dissector` (exact mode), or, with --reset-every, chunk by chunk in
 * workers forked from it (it stays unused). */
static enum fs_status read_flows(const struct fs_run_ctx *ctx, const char *path,
        fs_dissector *dissector, fs_flow_table *flows, char **errmsg)
{
    guint64 records = 0;
    const char *format = NULL;
    enum fs_status status;
    if (ctx->opts->reset_every) {
        status = fs_bounded_read(ctx, path, dissector, flows, &records, &format, errmsg);
        if (status == FS_ERR_OPEN)
            return status;
    } else {
        fs_capture *cap = NULL;
        status = fs_capture_open(path, ctx->opts->two_pass, &cap, errmsg);
        if (status != FS_OK)
            return status;
        if (ctx->progress)
            fs_capture_report_progress(cap, path, FS_PROGRESS_INTERVAL);
        status = fs_dissector_run(dissector, cap, on_packet, flows, errmsg);
        records = fs_capture_records_read(cap);
        format = fs_capture_format(cap);
        fs_capture_close(cap);
    }
    /* wiretap takes a very short file for some other format (an empty file
     * for an empty ERF capture): say so rather than print nothing. */
    if (status == FS_OK && records == 0)
        fprintf(stderr, "flowshark: warning: %s: no packets (read as %s)\n", path,
                format ? format : "an unknown format");
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
    if (!fs_writer_failed(state->writer) && fs_record_write(flow, state->record, state->sink))
        state->written++;
}

enum fs_status fs_job_run(const struct fs_run_ctx *ctx, const char *path, fs_dissector *dissector,
        const fs_feature_set *features, fs_writer *writer)
{
    const struct fs_options *opts = ctx->opts;
    char *errmsg = NULL;
    fs_feature_set *own = NULL;
    if (!features) {
        enum fs_status status = fs_feature_set_new(opts, &own, &errmsg);
        if (status != FS_OK) {
            fs_report(path, errmsg);
            g_free(errmsg);
            return status;
        }
        features = own;
    }
    const struct fs_flow_options flow_options = {
        .udp_data_length = opts->udp_data_length,
        .max_packets = opts->max_packets,
        .direction = opts->direction,
        .features = features,
    };
    fs_flow_table *flows = fs_flow_table_new(ctx->field_names->len, &flow_options);
    enum fs_status status = read_flows(ctx, path, dissector, flows, &errmsg);
    if (status == FS_ERR_OPEN) {
        fs_report(NULL, errmsg);
        g_free(errmsg);
        fs_flow_table_free(flows);
        fs_feature_set_free(own);
        return status;
    }
    if (status == FS_ERR_TRUNCATED)
        fprintf(stderr,
                "flowshark: warning: %s: %s; the records of every complete packet are "
                "written\n",
                path, errmsg);
    else if (status != FS_OK && status != FS_ERR_INTERRUPTED && errmsg)
        fs_report(path, errmsg);
    g_free(errmsg);
    errmsg = NULL;

    const struct fs_record_context record = {
        .file = path,
        .field_names = ctx->field_names,
        .main_seq = opts->main_seq,
        .keep_empty = opts->keep_empty,
        .features = features,
    };
    fs_sink *sink = fs_sink_new(ctx->format, writer);
    struct write_state state = { .record = &record, .sink = sink, .writer = writer };
    fs_flow_table_finish(flows);
    fs_flow_table_foreach(flows, write_flow, &state);
    fs_sink_free(sink);
    enum fs_status flushed = fs_writer_flush(writer, &errmsg);
    if (flushed != FS_OK) {
        if (errmsg)
            fs_report(NULL, errmsg);
        g_free(errmsg);
        status = FS_ERR_OUTPUT;
    } else if (status == FS_ERR_INTERRUPTED) {
        fprintf(stderr,
                "flowshark: interrupted by %s while reading %s: the records of the %u flows "
                "seen so far are written\n",
                fs_interrupt_signal_name(fs_interrupt_signal()), path, state.written);
    }
    fs_flow_table_free(flows);
    fs_feature_set_free(own);
    return status;
}
