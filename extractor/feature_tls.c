/* feature_tls.c: --tls, the TLS handshake of a flow as data: the
 * negotiated version and cipher suite, SNI, ALPN, JA3/JA3S, and every
 * certificate of the server's (and the client's) chain, parsed with GnuTLS.
 *
 * The handshake values come from Wireshark's own fields (tls.handshake.*,
 * read from each packet like -e fields, QUIC's CRYPTO frames included): the
 * certificates are the DER bytes of the reassembled Certificate message.
 * GnuTLS parses them (libwireshark already links it; Debian's
 * libgnutls28-dev): it gives RFC 4514 names, the validity, the subject
 * alternative names, the key and the fingerprints; nothing here reads DER
 * by hand. The only file that includes GnuTLS. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "epan_session.h"
#include "feature.h"
#include "flow.h"

/* The Wireshark fields read from each packet, in this order. */
enum tls_field {
    F_TYPE = 0,
    F_VERSION,
    F_SUPPORTED_VERSION,
    F_CIPHER_SUITE,
    F_SERVER_NAME,
    F_ALPN,
    F_JA3,
    F_JA3S,
    F_CERTIFICATE,
    FIELD_COUNT,
};

static const char *const tls_fields[FIELD_COUNT + 1] = { "tls.handshake.type",
    "tls.handshake.version", "tls.handshake.extensions.supported_version",
    "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str", "tls.handshake.ja3", "tls.handshake.ja3s",
    "tls.handshake.certificate", NULL };

/* Handshake message types (RFC 8446 section 4). */
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_CERTIFICATE  11

/* One certificate, parsed. Strings owned. */
struct certificate {
    char *subject, *issuer, *serial, *not_before, *not_after;
    GPtrArray *san_dns, *san_ip; /* char * */
    char *public_key, *signature_algorithm, *sha1, *sha256;
    gboolean self_signed;
    guint packet;
};

struct tls_flow {
    gboolean client_seen, server_seen;
    gboolean client_forward; /* the ClientHello went src->dst */
    gboolean server_forward; /* the ServerHello went src->dst */
    char *version, *cipher_suite, *sni, *alpn_selected, *ja3, *ja3s;
    GPtrArray *alpn;                /* char *: the client's offer */
    GPtrArray *server_certificates; /* struct certificate * */
    GPtrArray *client_certificates;
    gboolean server_chain_done, client_chain_done;
};

static const struct fs_feature_option tls_options[] = {
    { .name = "tls", .help = "TLS version, cipher, SNI, ALPN, JA3 and certificates" },
    { .name = NULL },
};

static gboolean tls_enabled(const struct fs_options *opts)
{
    return fs_options_module_value(opts, "tls") != 0;
}

static void certificate_free(gpointer data)
{
    struct certificate *c = data;
    g_free(c->subject);
    g_free(c->issuer);
    g_free(c->serial);
    g_free(c->not_before);
    g_free(c->not_after);
    g_ptr_array_free(c->san_dns, TRUE);
    g_ptr_array_free(c->san_ip, TRUE);
    g_free(c->public_key);
    g_free(c->signature_algorithm);
    g_free(c->sha1);
    g_free(c->sha256);
    g_free(c);
}

static void *tls_flow_new(void *state)
{
    (void)state;
    struct tls_flow *f = g_new0(struct tls_flow, 1);
    f->alpn = g_ptr_array_new_with_free_func(g_free);
    f->server_certificates = g_ptr_array_new_with_free_func(certificate_free);
    f->client_certificates = g_ptr_array_new_with_free_func(certificate_free);
    return f;
}

static void tls_flow_free(void *data)
{
    struct tls_flow *f = data;
    if (!f)
        return;
    g_free(f->version);
    g_free(f->cipher_suite);
    g_free(f->sni);
    g_free(f->alpn_selected);
    g_free(f->ja3);
    g_free(f->ja3s);
    g_ptr_array_free(f->alpn, TRUE);
    g_ptr_array_free(f->server_certificates, TRUE);
    g_ptr_array_free(f->client_certificates, TRUE);
    g_free(f);
}

/* ---- field values ---- */

/* The occurrences of a field in a packet (tshark joins them with ","). */
static gchar **occurrences(const GString *value)
{
    if (value->len == 0)
        return g_new0(gchar *, 1);
    return g_strsplit(value->str, ",", -1);
}

static gboolean has_type(const GString *types, guint type)
{
    gchar **all = occurrences(types);
    gboolean found = FALSE;
    for (gchar **t = all; *t && !found; t++)
        found = g_ascii_strtoull(*t, NULL, 10) == type;
    g_strfreev(all);
    return found;
}

/* The first (or last) occurrence, or NULL. Caller g_free()s. */
static char *occurrence(const GString *value, gboolean last)
{
    gchar **all = occurrences(value);
    guint n = g_strv_length(all);
    char *one = n ? g_strdup(all[last ? n - 1 : 0]) : NULL;
    g_strfreev(all);
    return one;
}

/* "TLS 1.2" for 0x0303 and so on; the number for anything else. */
static char *version_name(const char *text)
{
    guint64 v = g_ascii_strtoull(text, NULL, 16);
    switch (v) {
        case 0x0300:
            return g_strdup("SSL 3.0");
        case 0x0301:
            return g_strdup("TLS 1.0");
        case 0x0302:
            return g_strdup("TLS 1.1");
        case 0x0303:
            return g_strdup("TLS 1.2");
        case 0x0304:
            return g_strdup("TLS 1.3");
        default:
            return g_strdup(text);
    }
}

/* ---- certificates (GnuTLS) ---- */

static char *hex(const guint8 *bytes, gsize len)
{
    GString *out = g_string_sized_new(len * 2);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(out, "%02x", bytes[i]);
    return g_string_free(out, FALSE);
}

static char *iso_time(time_t t)
{
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm))
        return g_strdup("");
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return g_strdup(buf);
}

static char *datum_string(int ret, gnutls_datum_t *d)
{
    if (ret < 0)
        return g_strdup("");
    char *s = g_strndup((const char *)d->data, d->size);
    gnutls_free(d->data);
    return s;
}

/* The serial number as OpenSSL prints it, in lower case: its bytes without
 * the leading zero bytes of DER's sign padding. */
static char *serial_text(gnutls_x509_crt_t crt)
{
    guint8 serial[64];
    size_t len = sizeof(serial);
    if (gnutls_x509_crt_get_serial(crt, serial, &len) < 0 || len == 0)
        return g_strdup("");
    size_t skip = 0;
    while (skip + 1 < len && serial[skip] == 0)
        skip++;
    return hex(serial + skip, len - skip);
}

static void read_sans(gnutls_x509_crt_t crt, struct certificate *c)
{
    for (unsigned seq = 0;; seq++) {
        guint8 buf[1024];
        size_t size = sizeof(buf) - 1;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type == GNUTLS_SAN_DNSNAME) {
            g_ptr_array_add(c->san_dns, g_strndup((const char *)buf, size));
        } else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof(text)))
                g_ptr_array_add(c->san_ip, g_strdup(text));
        } else if (type < 0 && type != GNUTLS_E_SHORT_MEMORY_BUFFER) {
            break; /* a damaged extension: the names read so far */
        }
    }
}

/* "RSA 2048", "EC P-256", "Ed25519"... */
static char *public_key_text(gnutls_x509_crt_t crt)
{
    unsigned int bits = 0;
    int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    if (pk < 0)
        return g_strdup("");
    if (pk == GNUTLS_PK_ECDSA) {
        gnutls_ecc_curve_t curve;
        gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
        const char *name = NULL;
        if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) >= 0) {
            gnutls_free(x.data);
            gnutls_free(y.data);
            static const struct {
                gnutls_ecc_curve_t curve;
                const char *nist;
            } nist[] = {
                { GNUTLS_ECC_CURVE_SECP192R1, "P-192" },
                { GNUTLS_ECC_CURVE_SECP224R1, "P-224" },
                { GNUTLS_ECC_CURVE_SECP256R1, "P-256" },
                { GNUTLS_ECC_CURVE_SECP384R1, "P-384" },
                { GNUTLS_ECC_CURVE_SECP521R1, "P-521" },
            };
            for (gsize i = 0; i < G_N_ELEMENTS(nist) && !name; i++)
                name = nist[i].curve == curve ? nist[i].nist : NULL;
            if (!name)
                name = gnutls_ecc_curve_get_name(curve);
        }
        return g_strdup_printf("EC %s", name ? name : "unknown");
    }
    if (pk == GNUTLS_PK_EDDSA_ED25519)
        return g_strdup("Ed25519");
    if (pk == GNUTLS_PK_EDDSA_ED448)
        return g_strdup("Ed448");
    const char *name = gnutls_pk_algorithm_get_name(pk);
    if (pk == GNUTLS_PK_RSA_PSS)
        name = "RSA-PSS";
    return g_strdup_printf("%s %u", name ? name : "unknown", bits);
}

static char *fingerprint(gnutls_digest_algorithm_t algo, const gnutls_datum_t *der)
{
    guint8 digest[64];
    size_t size = sizeof(digest);
    if (gnutls_fingerprint(algo, der, digest, &size) < 0)
        return g_strdup("");
    return hex(digest, size);
}

/* Parses one certificate; NULL when GnuTLS cannot read it. */
static struct certificate *parse_certificate(const guint8 *der, gsize len, guint packet)
{
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return NULL;
    gnutls_datum_t datum = { (unsigned char *)der, (unsigned int)len };
    if (gnutls_x509_crt_import(crt, &datum, GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return NULL;
    }
    struct certificate *c = g_new0(struct certificate, 1);
    gnutls_datum_t d = { NULL, 0 };
    c->subject = datum_string(gnutls_x509_crt_get_dn3(crt, &d, 0), &d);
    c->issuer = datum_string(gnutls_x509_crt_get_issuer_dn3(crt, &d, 0), &d);
    c->serial = serial_text(crt);
    c->not_before = iso_time(gnutls_x509_crt_get_activation_time(crt));
    c->not_after = iso_time(gnutls_x509_crt_get_expiration_time(crt));
    c->san_dns = g_ptr_array_new_with_free_func(g_free);
    c->san_ip = g_ptr_array_new_with_free_func(g_free);
    read_sans(crt, c);
    c->public_key = public_key_text(crt);
    int sign = gnutls_x509_crt_get_signature_algorithm(crt);
    const char *sign_name = sign >= 0 ? gnutls_sign_get_name(sign) : NULL;
    if (sign_name) {
        c->signature_algorithm = g_strdup(sign_name);
    } else {
        char oid[128];
        size_t size = sizeof(oid);
        c->signature_algorithm = gnutls_x509_crt_get_signature_oid(crt, oid, &size) >= 0
                                         ? g_strndup(oid, size)
                                         : g_strdup("");
    }
    c->sha1 = fingerprint(GNUTLS_DIG_SHA1, &datum);
    c->sha256 = fingerprint(GNUTLS_DIG_SHA256, &datum);
    c->self_signed = gnutls_x509_crt_check_issuer(crt, crt) != 0;
    c->packet = packet;
    gnutls_x509_crt_deinit(crt);
    return c;
}

/* The certificates of one packet's Certificate message(s), as the hex text
 * of each DER, into chain. */
static void add_chain(GPtrArray *chain, const GString *value, guint packet)
{
    gchar **all = occurrences(value);
    for (gchar **h = all; *h; h++) {
        gsize n = strlen(*h) / 2;
        guint8 *der = g_malloc(n + 1);
        gboolean ok = strlen(*h) % 2 == 0;
        for (gsize i = 0; ok && i < n; i++) {
            int hi = g_ascii_xdigit_value((*h)[2 * i]), lo = g_ascii_xdigit_value((*h)[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            der[i] = (guint8)(hi << 4 | lo);
        }
        struct certificate *c = ok ? parse_certificate(der, n, packet) : NULL;
        if (c)
            g_ptr_array_add(chain, c);
        g_free(der);
    }
    g_strfreev(all);
}

/* ---- per packet ---- */

static void set_once(char **slot, char *value)
{
    if (!*slot && value && *value)
        *slot = value;
    else
        g_free(value);
}

static void tls_packet_values(void *state, void *data, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward, const GString *const *values)
{
    (void)state;
    (void)packet;
    struct tls_flow *f = data;
    const GString *types = values[F_TYPE];
    if (types->len == 0)
        return;
    guint index = flow->packets_total ? (guint)(flow->packets_total - 1) : 0;
    if (!f->client_seen && has_type(types, HS_CLIENT_HELLO)) {
        f->client_seen = TRUE;
        f->client_forward = forward;
        set_once(&f->sni, occurrence(values[F_SERVER_NAME], FALSE));
        set_once(&f->ja3, occurrence(values[F_JA3], FALSE));
        gchar **alpn = occurrences(values[F_ALPN]);
        for (gchar **a = alpn; *a; a++)
            g_ptr_array_add(f->alpn, g_strdup(*a));
        g_strfreev(alpn);
    } else if (!f->server_seen && has_type(types, HS_SERVER_HELLO)) {
        f->server_seen = TRUE;
        f->server_forward = forward;
        /* TLS 1.3 says its version in supported_versions. */
        char *version = occurrence(values[F_SUPPORTED_VERSION], TRUE);
        if (!version)
            version = occurrence(values[F_VERSION], FALSE);
        if (version) {
            set_once(&f->version, version_name(version));
            g_free(version);
        }
        char *suite = occurrence(values[F_CIPHER_SUITE], FALSE);
        if (suite) {
            guint64 id = g_ascii_strtoull(suite, NULL, 16);
            const char *name = fs_epan_field_value_label("tls.handshake.ciphersuite", (guint32)id);
            set_once(&f->cipher_suite, g_strdup(name ? name : suite));
            g_free(suite);
        }
        set_once(&f->alpn_selected, occurrence(values[F_ALPN], FALSE));
        set_once(&f->ja3s, occurrence(values[F_JA3S], FALSE));
    }
    if (values[F_CERTIFICATE]->len > 0 && has_type(types, HS_CERTIFICATE)) {
        /* Whose: the ClientHello's sender is the client; without it, the
         * ServerHello's sender is the server; without either, the server. */
        gboolean from_client = f->client_seen   ? forward == f->client_forward
                               : f->server_seen ? forward != f->server_forward
                                                : FALSE;
        if (from_client && !f->client_chain_done) {
            f->client_chain_done = TRUE;
            add_chain(f->client_certificates, values[F_CERTIFICATE], index);
        } else if (!from_client && !f->server_chain_done) {
            f->server_chain_done = TRUE;
            add_chain(f->server_certificates, values[F_CERTIFICATE], index);
        }
    }
}

/* ---- keys ---- */

static void emit_strings(fs_sink *sink, const char *key, const GPtrArray *list)
{
    fs_sink_key(sink, key);
    fs_sink_begin_array(sink);
    for (guint i = 0; list && i < list->len; i++)
        fs_sink_string(sink, g_ptr_array_index(list, i));
    fs_sink_end_array(sink);
}

static void emit_chain(fs_sink *sink, const char *key, const GPtrArray *chain)
{
    fs_sink_key(sink, key);
    fs_sink_begin_array(sink);
    for (guint i = 0; chain && i < chain->len; i++) {
        const struct certificate *c = g_ptr_array_index(chain, i);
        fs_sink_begin_object(sink);
        fs_sink_key_string(sink, "subject", c->subject);
        fs_sink_key_string(sink, "issuer", c->issuer);
        fs_sink_key_string(sink, "serial", c->serial);
        fs_sink_key_string(sink, "not_before", c->not_before);
        fs_sink_key_string(sink, "not_after", c->not_after);
        emit_strings(sink, "san_dns", c->san_dns);
        emit_strings(sink, "san_ip", c->san_ip);
        fs_sink_key_string(sink, "public_key", c->public_key);
        fs_sink_key_string(sink, "signature_algorithm", c->signature_algorithm);
        fs_sink_key_string(sink, "sha1", c->sha1);
        fs_sink_key_string(sink, "sha256", c->sha256);
        fs_sink_key(sink, "self_signed");
        fs_sink_number_text(sink, c->self_signed ? "true" : "false");
        fs_sink_key_int(sink, "packet", c->packet);
        fs_sink_end_object(sink);
    }
    fs_sink_end_array(sink);
}

static const char *text(const char *s)
{
    return s ? s : "";
}

static void tls_emit(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink)
{
    (void)state;
    (void)flow;
    const struct tls_flow *f = data;
    fs_sink_key_string(sink, "tls_version", text(f ? f->version : NULL));
    fs_sink_key_string(sink, "tls_cipher_suite", text(f ? f->cipher_suite : NULL));
    fs_sink_key_string(sink, "tls_sni", text(f ? f->sni : NULL));
    emit_strings(sink, "tls_alpn", f ? f->alpn : NULL);
    fs_sink_key_string(sink, "tls_alpn_selected", text(f ? f->alpn_selected : NULL));
    fs_sink_key_string(sink, "ja3", text(f ? f->ja3 : NULL));
    fs_sink_key_string(sink, "ja3s", text(f ? f->ja3s : NULL));
    emit_chain(sink, "certificates", f ? f->server_certificates : NULL);
    emit_chain(sink, "client_certificates", f ? f->client_certificates : NULL);
}

const struct fs_feature_ops fs_feature_tls = {
    .name = "tls",
    .options = tls_options,
    .enabled = tls_enabled,
    .fields = tls_fields,
    .flow_new = tls_flow_new,
    .packet_values = tls_packet_values,
    .emit = tls_emit,
    .flow_free = tls_flow_free,
};
