/* feature_totals.c: the totals of --max-packets: every packet of the flow,
 * also those beyond the first N kept in the sequences. The flow counts them
 * (it needs them to drop flows without payload); this module writes them. */
#include "feature.h"
#include "flow.h"

static gboolean totals_enabled(const struct fs_options *opts)
{
    return opts->max_packets > 0;
}

static void totals_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)state;
    (void)data;
    fs_sink_key_int(sink, "packets_total", (gint64)flow->packets_total);
    fs_sink_key_int(sink, "bytes_total", (gint64)flow->bytes_total);
    fs_sink_key_int(sink, "payload_packets_total", (gint64)flow->payload_packets_total);
    fs_sink_key_int(sink, "payload_bytes_total", (gint64)flow->payload_bytes_total);
}

const struct fs_feature_ops fs_feature_totals = {
    .name = "totals",
    .enabled = totals_enabled,
    .emit = totals_emit,
};
