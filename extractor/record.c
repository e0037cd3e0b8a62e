/* record.c: the record format, built from small emitters over one sink
 * (any output format), in the key order the spec fixes, then the keys of
 * the feature modules. */
#include <string.h>

#include "record.h"
#include "format.h"

/* scratch: a buffer reused for every timestamp of a record. */
static void emit_timestamp_value(fs_sink *s, const struct fs_timestamp *ts, GString *scratch)
{
    g_string_truncate(scratch, 0);
    fs_format_timestamp(ts->secs, ts->nsecs, ts->decimals, scratch);
    fs_sink_number_text(s, scratch->str);
}

static void emit_endpoints(
        fs_sink *s, const struct fs_flow *flow, const struct fs_record_context *ctx)
{
    fs_sink_key_string(s, "file", ctx->file);
    fs_sink_key_string(s, "protocol",
            flow->transport == FS_TRANSPORT_TCP   ? "tcp"
            : flow->transport == FS_TRANSPORT_UDP ? "udp"
                                                  : fs_packet_protocol_name(flow->ip_proto));
    fs_sink_key_int(s, "stream", flow->stream);
    fs_sink_key_string(s, "src", flow->src);
    fs_sink_key_int(s, "sport", flow->sport);
    fs_sink_key_string(s, "dst", flow->dst);
    fs_sink_key_int(s, "dport", flow->dport);
}

static void emit_protocols(fs_sink *s, const struct fs_flow *flow)
{
    fs_sink_key(s, "ext_protocols");
    fs_sink_begin_array(s);
    for (guint i = 0; i < flow->protocols->len; i++)
        fs_sink_string(s, g_ptr_array_index(flow->protocols, i));
    fs_sink_end_array(s);
}

static void emit_time_range(fs_sink *s, const struct fs_flow *flow,
        const struct fs_record_context *ctx, GString *scratch)
{
    struct fs_timestamp first, last;
    gboolean any = fs_flow_time_range(flow, ctx->main_seq == FS_MAIN_PAYLOAD, &first, &last);
    fs_sink_key(s, "time_start");
    if (any)
        emit_timestamp_value(s, &first, scratch);
    else
        fs_sink_null(s);
    fs_sink_key(s, "time_end");
    if (any)
        emit_timestamp_value(s, &last, scratch);
    else
        fs_sink_null(s);
}

static void emit_lengths(fs_sink *s, const char *key, const GArray *lengths)
{
    fs_sink_key(s, key);
    fs_sink_begin_array(s);
    for (guint i = 0; i < lengths->len; i++)
        fs_sink_int(s, g_array_index(lengths, gint32, i));
    fs_sink_end_array(s);
}

static void emit_times(fs_sink *s, const char *key, const struct fs_flow *flow,
        gboolean payload_only, GString *scratch)
{
    fs_sink_key(s, key);
    fs_sink_begin_array(s);
    guint count = payload_only ? flow->payload_lengths->len : flow->ip_lengths->len;
    for (guint i = 0; i < count; i++) {
        struct fs_timestamp t =
                payload_only ? fs_flow_payload_time(flow, i) : fs_flow_ip_time(flow, i);
        emit_timestamp_value(s, &t, scratch);
    }
    fs_sink_end_array(s);
}

static void emit_extensions(
        fs_sink *s, const struct fs_flow *flow, const struct fs_record_context *ctx)
{
    fs_sink_key(s, "extension");
    fs_sink_begin_object(s);
    for (guint f = 0; f < flow->ext_count; f++) {
        const GArray *values = flow->ext[f];
        if (values->len == 0)
            continue;
        fs_sink_key(s, g_ptr_array_index(ctx->field_names, f));
        fs_sink_begin_array(s);
        for (guint i = 0; i < values->len; i++) {
            const struct fs_ext_value *value = &g_array_index(values, struct fs_ext_value, i);
            fs_sink_begin_array(s);
            fs_sink_string(s, value->text);
            fs_sink_int(s, value->index);
            fs_sink_end_array(s);
        }
        fs_sink_end_array(s);
    }
    fs_sink_end_object(s);
}

gboolean fs_record_write(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_sink *s)
{
    if (flow->payload_packets_total == 0 && !ctx->keep_empty &&
            flow->transport != FS_TRANSPORT_OTHER)
        return FALSE;
    GString *scratch = g_string_sized_new(32);
    fs_sink_begin_record(s);
    emit_endpoints(s, flow, ctx);
    emit_protocols(s, flow);
    emit_time_range(s, flow, ctx, scratch);
    emit_lengths(s, "ip_lengths", flow->ip_lengths);
    emit_times(s, "ip_timestamps", flow, FALSE, scratch);
    emit_lengths(s, "payload_lengths", flow->payload_lengths);
    emit_times(s, "payload_timestamps", flow, TRUE, scratch);
    emit_extensions(s, flow, ctx);
    if (ctx->meter_keys) {
        fs_sink_key_int(s, "expiration_id", flow->expiration);
        fs_sink_key_int(s, "stream_piece", flow->piece);
    }
    fs_feature_set_emit(ctx->features, flow->features, flow, s);
    if (ctx->label_key) {
        fs_sink_key(s, "label");
        if (ctx->label)
            fs_sink_string(s, ctx->label);
        else
            fs_sink_null(s);
    }
    fs_sink_end_record(s);
    g_string_free(scratch, TRUE);
    return TRUE;
}

void fs_record_keys(const struct fs_record_context *ctx, GPtrArray *keys)
{
    /* A flow without packets, with the same modules. */
    struct fs_packet none;
    memset(&none, 0, sizeof(none));
    const struct fs_flow_options options = { .features = ctx->features };
    struct fs_flow *flow = fs_flow_new_with(&none, 0, &options);
    struct fs_record_context dry = *ctx;
    dry.file = "";
    dry.keep_empty = TRUE;
    fs_sink *collector = fs_sink_new_key_collector();
    fs_record_write(flow, &dry, collector);
    const GPtrArray *found = fs_sink_collected_keys(collector);
    for (guint i = 0; i < found->len; i++)
        g_ptr_array_add(keys, g_strdup(g_ptr_array_index(found, i)));
    fs_sink_free(collector);
    fs_flow_free(flow, &options);
}
