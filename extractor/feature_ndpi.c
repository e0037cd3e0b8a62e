/* feature_ndpi.c: nDPI application labels (--ndpi), as NFStream obtains
 * them: the IP packets of a flow's first N packets go to nDPI 4.2 until it
 * has classified the flow and wants no more; a flow still unknown after N
 * packets, or at its end, gets nDPI's guess (ndpi_detection_giveup). The
 * only file that includes nDPI's headers. The detection module is set up
 * once per run, before workers fork (its set-up costs about as much as
 * dissecting a small capture). */
#include <string.h>

#include <ndpi_api.h>

#include "feature.h"

typedef struct fs_ndpi fs_ndpi;
typedef struct fs_ndpi_flow fs_ndpi_flow;

struct fs_ndpi {
    struct ndpi_detection_module_struct *module;
    guint max_packets;
};

/* The labels, each "" when nDPI gave nothing; owned. */
enum label {
    L_APPLICATION = 0,
    L_CATEGORY,
    L_SERVER_NAME,
    L_CLIENT_FP,
    L_SERVER_FP,
    L_USER_AGENT,
    L_CONTENT_TYPE,
    LABEL_COUNT,
};

static const char *const label_keys[LABEL_COUNT] = { "application_name",
    "application_category_name", "requested_server_name", "client_fingerprint",
    "server_fingerprint", "user_agent", "content_type" };

struct fs_ndpi_flow {
    struct ndpi_flow_struct *state; /* NULL once done */
    gboolean done;
    guint packets;
    ndpi_protocol protocol;
    guint8 guessed;
    char *labels[LABEL_COUNT];
};

static fs_ndpi *labels_module_new(guint max_packets)
{
    struct ndpi_detection_module_struct *module = ndpi_init_detection_module(ndpi_no_prefs);
    if (!module)
        return NULL;
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(module, &all);
    ndpi_finalize_initialization(module);
    fs_ndpi *ndpi = g_new0(fs_ndpi, 1);
    ndpi->module = module;
    ndpi->max_packets = max_packets;
    return ndpi;
}

static void labels_module_free(void *state)
{
    fs_ndpi *ndpi = state;
    if (!ndpi)
        return;
    ndpi_exit_detection_module(ndpi->module);
    g_free(ndpi);
}

static void *labels_flow_new(void *state)
{
    (void)state;
    return g_new0(fs_ndpi_flow, 1);
}

static void free_state(fs_ndpi_flow *f)
{
    if (f->state) {
        ndpi_free_flow(f->state);
        f->state = NULL;
    }
}

static void labels_flow_free(void *data)
{
    fs_ndpi_flow *f = data;
    if (!f)
        return;
    free_state(f);
    for (int i = 0; i < LABEL_COUNT; i++)
        g_free(f->labels[i]);
    g_free(f);
}

static gboolean is_protocol(const fs_ndpi_flow *f, u_int16_t id)
{
    return f->protocol.master_protocol == id || f->protocol.app_protocol == id;
}

/* Protocols whose flow state is nDPI's TLS/QUIC member. protos is a union:
 * for any other protocol those bytes are another member's (a Kerberos realm,
 * a Telnet password) and must not be read as fingerprints. */
static gboolean is_tls_like(const fs_ndpi_flow *f)
{
    static const u_int16_t ids[] = { NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_QUIC, NDPI_PROTOCOL_DTLS,
        NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS, NDPI_PROTOCOL_MAIL_SMTPS };
    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        if (is_protocol(f, ids[i]))
            return TRUE;
    }
    return FALSE;
}

static void set_label(fs_ndpi_flow *f, enum label which, const char *text)
{
    g_free(f->labels[which]);
    f->labels[which] = g_strdup(text ? text : "");
}

/* Copies what nDPI found out of its flow state, as NFStream does: the
 * fingerprints and HTTP headers that the detected protocol carries. */
static void collect(fs_ndpi *ndpi, fs_ndpi_flow *f)
{
    const struct ndpi_flow_struct *s = f->state;
    char name[64];
    set_label(f, L_APPLICATION, ndpi_protocol2name(ndpi->module, f->protocol, name, sizeof(name)));
    set_label(f, L_CATEGORY, ndpi_category_get_name(ndpi->module, f->protocol.category));
    set_label(f, L_SERVER_NAME, s->host_server_name);
    if (is_protocol(f, NDPI_PROTOCOL_DHCP)) {
        set_label(f, L_CLIENT_FP, s->protos.dhcp.fingerprint);
    } else if (is_protocol(f, NDPI_PROTOCOL_HTTP)) {
        set_label(f, L_CONTENT_TYPE, s->http.content_type);
        set_label(f, L_USER_AGENT, s->http.user_agent);
    } else if (is_protocol(f, NDPI_PROTOCOL_SSH)) {
        set_label(f, L_CLIENT_FP, s->protos.ssh.hassh_client);
        set_label(f, L_SERVER_FP, s->protos.ssh.hassh_server);
    } else if (is_tls_like(f)) {
        set_label(f, L_USER_AGENT, s->http.user_agent);
        set_label(f, L_CLIENT_FP, s->protos.tls_quic.ja3_client);
        set_label(f, L_SERVER_FP, s->protos.tls_quic.ja3_server);
    }
}

/* Guesses if still unknown, keeps the labels and frees nDPI's state. */
static void finish(fs_ndpi *ndpi, fs_ndpi_flow *f)
{
    if (f->done)
        return;
    f->done = TRUE;
    if (!f->state) {
        /* No packet reached nDPI: its names for an unknown protocol. */
        char name[64];
        set_label(f, L_APPLICATION,
                ndpi_protocol2name(ndpi->module, f->protocol, name, sizeof(name)));
        set_label(f, L_CATEGORY, ndpi_category_get_name(ndpi->module, f->protocol.category));
        return;
    }
    if (f->protocol.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        f->protocol = ndpi_detection_giveup(ndpi->module, f->state, 1, &f->guessed);
    collect(ndpi, f);
    free_state(f);
}

static void labels_packet(void *state, void *data, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward)
{
    (void)flow;
    (void)forward;
    fs_ndpi *ndpi = state;
    fs_ndpi_flow *f = data;
    if (f->done)
        return;
    f->packets++;
    if (packet->ip_bytes && packet->ip_bytes_len > 0) {
        if (!f->state) {
            f->state = ndpi_flow_malloc(ndpi_detection_get_sizeof_ndpi_flow_struct());
            if (!f->state) {
                f->done = TRUE;
                return;
            }
            memset(f->state, 0, ndpi_detection_get_sizeof_ndpi_flow_struct());
        }
        guint64 time_ms = (guint64)fs_packet_time_ms(packet);
        f->protocol = ndpi_detection_process_packet(ndpi->module, f->state, packet->ip_bytes,
                (unsigned short)MIN(packet->ip_bytes_len, G_MAXUINT16), time_ms);
        if (f->protocol.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
                !ndpi_extra_dissection_possible(ndpi->module, f->state)) {
            finish(ndpi, f);
            return;
        }
    }
    if (f->packets >= ndpi->max_packets)
        finish(ndpi, f);
}

static void labels_finish(void *state, void *data)
{
    finish(state, data);
}

static const char *label_text(const fs_ndpi_flow *f, enum label which)
{
    return f->labels[which] ? f->labels[which] : "";
}

static void labels_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)state;
    (void)flow;
    const fs_ndpi_flow *f = data;
    fs_sink_key_string(sink, label_keys[L_APPLICATION], label_text(f, L_APPLICATION));
    fs_sink_key_string(sink, label_keys[L_CATEGORY], label_text(f, L_CATEGORY));
    fs_sink_key_int(sink, "application_is_guessed", f->guessed ? 1 : 0);
    for (int i = L_SERVER_NAME; i < LABEL_COUNT; i++)
        fs_sink_key_string(sink, label_keys[i], label_text(f, (enum label)i));
}

static const struct fs_feature_option labels_options[] = {
    { .name = "ndpi", .help = "nDPI application labels (application_name ...)" },
    /* NFStream's n_dissections range. */
    { .name = "ndpi-packets",
            .metavar = "n",
            .min = 1,
            .max = 255,
            .fallback = 20,
            .help = "packets per flow given to nDPI" },
    { .name = NULL },
};

static gboolean labels_enabled(const struct fs_options *opts)
{
    return fs_options_module_value(opts, "ndpi") != 0;
}

static enum fs_status labels_setup(const struct fs_options *opts, void **state, char **errmsg)
{
    *state = labels_module_new(fs_options_module_value(opts, "ndpi-packets"));
    if (*state)
        return FS_OK;
    *errmsg = g_strdup("nDPI could not be initialised");
    return FS_ERR_INIT;
}

const struct fs_feature_ops fs_feature_ndpi = {
    .name = "ndpi",
    .options = labels_options,
    .enabled = labels_enabled,
    .extras = FS_EXTRA_IP_BYTES,
    .setup = labels_setup,
    .cleanup = labels_module_free,
    .flow_new = labels_flow_new,
    .packet = labels_packet,
    .finish = labels_finish,
    .emit = labels_emit,
    .flow_free = labels_flow_free,
};
