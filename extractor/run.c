/* run.c: the run driver. */
#include <stdio.h>

#include "run.h"
#include "capture.h"
#include "dissect.h"
#include "flow_table.h"
#include "record.h"
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

struct capture_run {
    fs_flow_table *flows;
};

static void on_packet(const struct fs_packet *packet, void *user_data)
{
    struct capture_run *run = user_data;
    fs_flow_table_add_packet(run->flows, packet);
}

struct write_state {
    const struct fs_record_context *ctx;
    fs_writer *writer;
};

static void write_flow(const struct fs_flow *flow, void *user_data)
{
    struct write_state *state = user_data;
    if (!fs_writer_failed(state->writer))
        fs_record_write(flow, state->ctx, state->writer);
}

static enum fs_status run_capture(const char *path, const struct fs_options *opts,
        const struct fs_dissect_config *config, fs_writer *writer)
{
    char *errmsg = NULL;
    fs_capture *cap = NULL;
    enum fs_status status = fs_capture_open(path, opts->two_pass, &cap, &errmsg);
    if (status != FS_OK) {
        report(NULL, errmsg);
        g_free(errmsg);
        return status;
    }
    struct fs_flow_options flow_options = { opts->udp_data_length };
    struct capture_run run = { fs_flow_table_new(
            fs_field_registry_count(config->fields), &flow_options) };
    status = fs_dissect_capture(cap, config, on_packet, &run, &errmsg);
    if (status == FS_ERR_TRUNCATED)
        fprintf(stderr,
                "flowshark: warning: %s: %s; the records of every complete packet are "
                "written\n",
                path, errmsg);
    else if (status != FS_OK)
        report(path, errmsg);
    g_free(errmsg);

    if (status == FS_OK || status == FS_ERR_TRUNCATED) {
        struct fs_record_context ctx = { path, config->fields, opts->main_seq, opts->keep_empty };
        struct write_state state = { &ctx, writer };
        fs_flow_table_foreach(run.flows, write_flow, &state);
        if (fs_writer_failed(writer))
            status = FS_ERR_OUTPUT;
    }
    fs_flow_table_free(run.flows);
    fs_capture_close(cap);
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

    struct fs_dissect_config config = { filter, fields, opts->two_pass };
    for (guint i = 0; i < opts->inputs->len; i++) {
        enum fs_status one = run_capture(g_ptr_array_index(opts->inputs, i), opts, &config, writer);
        status = fs_status_worst(status, one);
        if (one == FS_ERR_OUTPUT)
            break;
    }

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
