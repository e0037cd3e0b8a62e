/* feature_splt.c: NFStream's early packet sequence (--splt N): the
 * direction (0 src->dst, 1 dst->src), size (in the accounting mode) and
 * time since the previous packet (ms, 0 for the first) of a flow's first N
 * packets, padded with -1. */
#include "feature.h"
#include "feature_stats.h"

struct splt_config {
    guint n;
    enum fs_accounting accounting;
};

struct splt {
    guint count;
    gint64 last_ms;
    gint64 *direction, *ps, *piat_ms; /* n entries each */
};

static const struct fs_feature_option splt_options[] = {
    /* At most 1024: three 8-byte values per entry and flow. */
    { .name = "splt",
            .metavar = "n",
            .min = 1,
            .max = 1024,
            .help = "direction, size, piat of the first n packets" },
    { .name = NULL },
};

static gboolean splt_enabled(const struct fs_options *opts)
{
    return fs_options_module_value(opts, "splt") > 0;
}

static enum fs_status splt_setup(const struct fs_options *opts, void **state, char **errmsg)
{
    (void)errmsg;
    struct splt_config *config = g_new0(struct splt_config, 1);
    config->n = fs_options_module_value(opts, "splt");
    config->accounting = opts->accounting;
    *state = config;
    return FS_OK;
}

static void *splt_flow_new(void *state)
{
    const struct splt_config *config = state;
    struct splt *f = g_new0(struct splt, 1);
    f->direction = g_new(gint64, config->n);
    f->ps = g_new(gint64, config->n);
    f->piat_ms = g_new(gint64, config->n);
    for (guint i = 0; i < config->n; i++)
        f->direction[i] = f->ps[i] = f->piat_ms[i] = -1;
    return f;
}

static void splt_flow_free(void *data)
{
    struct splt *f = data;
    if (!f)
        return;
    g_free(f->direction);
    g_free(f->ps);
    g_free(f->piat_ms);
    g_free(f);
}

static void splt_packet(void *state, void *data, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward)
{
    (void)flow;
    const struct splt_config *config = state;
    struct splt *f = data;
    gint64 time_ms = fs_packet_time_ms(packet);
    if (f->count < config->n) {
        f->direction[f->count] = forward ? 0 : 1;
        f->ps[f->count] = fs_feature_packet_size(packet, config->accounting);
        f->piat_ms[f->count] = f->count ? time_ms - f->last_ms : 0;
        f->count++;
    }
    f->last_ms = time_ms;
}

static void emit_sequence(fs_sink *sink, const char *key, const gint64 *values, guint n)
{
    fs_sink_key(sink, key);
    fs_sink_begin_array(sink);
    for (guint i = 0; i < n; i++)
        fs_sink_int(sink, values[i]);
    fs_sink_end_array(sink);
}

static void splt_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)flow;
    const struct splt_config *config = state;
    const struct splt *f = data;
    emit_sequence(sink, "splt_direction", f->direction, config->n);
    emit_sequence(sink, "splt_ps", f->ps, config->n);
    emit_sequence(sink, "splt_piat_ms", f->piat_ms, config->n);
}

const struct fs_feature_ops fs_feature_splt = {
    .name = "splt",
    .options = splt_options,
    .enabled = splt_enabled,
    .extras = FS_EXTRA_LINK,
    .setup = splt_setup,
    .cleanup = g_free,
    .flow_new = splt_flow_new,
    .packet = splt_packet,
    .emit = splt_emit,
    .flow_free = splt_flow_free,
};
