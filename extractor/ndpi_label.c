/* ndpi_label.c: the nDPI 4.2 wrapper. */
#include <string.h>

#include <ndpi_api.h>

#include "ndpi_label.h"

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

fs_ndpi *fs_ndpi_new(guint max_packets)
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

void fs_ndpi_free(fs_ndpi *ndpi)
{
    if (!ndpi)
        return;
    ndpi_exit_detection_module(ndpi->module);
    g_free(ndpi);
}

fs_ndpi_flow *fs_ndpi_flow_new(void)
{
    return g_new0(fs_ndpi_flow, 1);
}

static void free_state(fs_ndpi_flow *f)
{
    if (f->state) {
        ndpi_free_flow(f->state);
        f->state = NULL;
    }
}

void fs_ndpi_flow_free(fs_ndpi_flow *f)
{
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
    } else if (is_protocol(f, NDPI_PROTOCOL_TLS) || is_protocol(f, NDPI_PROTOCOL_QUIC) ||
               s->protos.tls_quic.ja3_client[0] != '\0') {
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

void fs_ndpi_flow_packet(fs_ndpi *ndpi, fs_ndpi_flow *f, const struct fs_packet *packet)
{
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
        guint64 time_ms = (guint64)(packet->ts_secs * 1000 + packet->ts_nsecs / 1000000);
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

void fs_ndpi_flow_finish(fs_ndpi *ndpi, fs_ndpi_flow *f)
{
    finish(ndpi, f);
}

void fs_ndpi_keys(GPtrArray *keys)
{
    g_ptr_array_add(keys, g_strdup(label_keys[L_APPLICATION]));
    g_ptr_array_add(keys, g_strdup(label_keys[L_CATEGORY]));
    g_ptr_array_add(keys, g_strdup("application_is_guessed"));
    for (int i = L_SERVER_NAME; i < LABEL_COUNT; i++)
        g_ptr_array_add(keys, g_strdup(label_keys[i]));
}

static void emit_label(const fs_ndpi_flow *f, enum label which, fs_sink *sink)
{
    fs_sink_key(sink, label_keys[which]);
    fs_sink_string(sink, f->labels[which] ? f->labels[which] : "");
}

void fs_ndpi_flow_emit(const fs_ndpi_flow *f, fs_sink *sink)
{
    emit_label(f, L_APPLICATION, sink);
    emit_label(f, L_CATEGORY, sink);
    fs_sink_key(sink, "application_is_guessed");
    fs_sink_int(sink, f->guessed ? 1 : 0);
    for (int i = L_SERVER_NAME; i < LABEL_COUNT; i++)
        emit_label(f, (enum label)i, sink);
}
