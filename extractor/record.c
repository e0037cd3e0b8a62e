/* record.c: the record format, built from small emitters over one JSON
 * dumper, in the key order the spec fixes. */
#include <inttypes.h>

#include "record.h"
#include "format.h"

static void emit_int(json_dumper *d, const char *key, gint64 value)
{
    json_dumper_set_member_name(d, key);
    json_dumper_value_anyf(d, "%" PRId64, value);
}

static void emit_string(json_dumper *d, const char *key, const char *value)
{
    json_dumper_set_member_name(d, key);
    fs_writer_string(d, value);
}

/* scratch: a buffer reused for every timestamp of a record. */
static void emit_timestamp_value(json_dumper *d, const struct fs_timestamp *ts, GString *scratch)
{
    g_string_truncate(scratch, 0);
    fs_format_timestamp(ts->secs, ts->nsecs, ts->decimals, scratch);
    json_dumper_value_anyf(d, "%s", scratch->str);
}

static void emit_endpoints(
        json_dumper *d, const struct fs_flow *flow, const struct fs_record_context *ctx)
{
    emit_string(d, "file", ctx->file);
    emit_string(d, "protocol", flow->transport == FS_TRANSPORT_TCP ? "tcp" : "udp");
    emit_int(d, "stream", flow->stream);
    emit_string(d, "src", flow->src);
    emit_int(d, "sport", flow->sport);
    emit_string(d, "dst", flow->dst);
    emit_int(d, "dport", flow->dport);
}

static void emit_protocols(json_dumper *d, const struct fs_flow *flow)
{
    json_dumper_set_member_name(d, "ext_protocols");
    json_dumper_begin_array(d);
    for (guint i = 0; i < flow->protocols->len; i++)
        fs_writer_string(d, g_ptr_array_index(flow->protocols, i));
    json_dumper_end_array(d);
}

static void emit_time_range(json_dumper *d, const struct fs_flow *flow,
        const struct fs_record_context *ctx, GString *scratch)
{
    struct fs_timestamp first, last;
    gboolean any = fs_flow_time_range(flow, ctx->main_seq == FS_MAIN_PAYLOAD, &first, &last);
    json_dumper_set_member_name(d, "time_start");
    if (any)
        emit_timestamp_value(d, &first, scratch);
    else
        json_dumper_value_anyf(d, "null");
    json_dumper_set_member_name(d, "time_end");
    if (any)
        emit_timestamp_value(d, &last, scratch);
    else
        json_dumper_value_anyf(d, "null");
}

static void emit_lengths(json_dumper *d, const char *key, const GArray *lengths)
{
    json_dumper_set_member_name(d, key);
    json_dumper_begin_array(d);
    for (guint i = 0; i < lengths->len; i++)
        json_dumper_value_anyf(d, "%" PRId32, g_array_index(lengths, gint32, i));
    json_dumper_end_array(d);
}

static void emit_times(json_dumper *d, const char *key, const struct fs_flow *flow,
        gboolean payload_only, GString *scratch)
{
    json_dumper_set_member_name(d, key);
    json_dumper_begin_array(d);
    guint count = payload_only ? flow->payload_lengths->len : flow->ip_lengths->len;
    for (guint i = 0; i < count; i++) {
        struct fs_timestamp t =
                payload_only ? fs_flow_payload_time(flow, i) : fs_flow_ip_time(flow, i);
        emit_timestamp_value(d, &t, scratch);
    }
    json_dumper_end_array(d);
}

static void emit_extensions(
        json_dumper *d, const struct fs_flow *flow, const struct fs_record_context *ctx)
{
    json_dumper_set_member_name(d, "extension");
    json_dumper_begin_object(d);
    for (guint f = 0; f < flow->ext_count; f++) {
        const GArray *values = flow->ext[f];
        if (values->len == 0)
            continue;
        json_dumper_set_member_name(d, fs_field_registry_name(ctx->fields, f));
        json_dumper_begin_array(d);
        for (guint i = 0; i < values->len; i++) {
            const struct fs_ext_value *value = &g_array_index(values, struct fs_ext_value, i);
            json_dumper_begin_array(d);
            fs_writer_string(d, value->text);
            json_dumper_value_anyf(d, "%u", value->index);
            json_dumper_end_array(d);
        }
        json_dumper_end_array(d);
    }
    json_dumper_end_object(d);
}

gboolean fs_record_write(
        const struct fs_flow *flow, const struct fs_record_context *ctx, fs_writer *writer)
{
    if (flow->payload_packets_total == 0 && !ctx->keep_empty)
        return FALSE;
    GString *scratch = g_string_sized_new(32);
    json_dumper *d = fs_writer_begin_record(writer);
    json_dumper_begin_object(d);
    emit_endpoints(d, flow, ctx);
    emit_protocols(d, flow);
    emit_time_range(d, flow, ctx, scratch);
    emit_lengths(d, "ip_lengths", flow->ip_lengths);
    emit_times(d, "ip_timestamps", flow, FALSE, scratch);
    emit_lengths(d, "payload_lengths", flow->payload_lengths);
    emit_times(d, "payload_timestamps", flow, TRUE, scratch);
    emit_extensions(d, flow, ctx);
    if (ctx->totals) {
        emit_int(d, "packets_total", (gint64)flow->packets_total);
        emit_int(d, "bytes_total", (gint64)flow->bytes_total);
        emit_int(d, "payload_packets_total", (gint64)flow->payload_packets_total);
        emit_int(d, "payload_bytes_total", (gint64)flow->payload_bytes_total);
    }
    json_dumper_end_object(d);
    g_string_free(scratch, TRUE);
    fs_writer_end_record(writer);
    return TRUE;
}
