/* epan_session.h: process-wide libwireshark set-up, in tshark's order
 * (logging, privileges, configuration directories, wiretap, epan,
 * preferences), plus the -o and -d options. Once per process. */
#ifndef FS_EPAN_SESSION_H
#define FS_EPAN_SESSION_H

#include <glib.h>

#include "status.h"

/* Initialises wiretap and epan with plugins and the user's preferences.
 * Returns FS_ERR_INIT with *errmsg (caller g_free()s) on failure. */
enum fs_status fs_epan_session_init(const char *argv0, char **errmsg);

/* Applies -o name:value overrides in order, then sets the column
 * preferences flowshark needs, then runs the modules' apply callbacks.
 * FS_ERR_USAGE with *errmsg naming the bad preference on failure. */
enum fs_status fs_epan_session_set_prefs(const GPtrArray *overrides, char **errmsg);

/* Applies one -d "table==selector,protocol" (tshark's syntax), e.g.
 * "tcp.port==8443,tls" or "udp.port==4000-4010,quic". FS_ERR_USAGE with
 * *errmsg on failure. */
enum fs_status fs_epan_session_decode_as(const char *spec, char **errmsg);

/* The dissection set-up of a run after fs_epan_session_init(): the -o
 * overrides and flowshark's column (fs_epan_session_set_prefs), then every
 * -d in order. Used by main() and by flowshark window -r. */
enum fs_status fs_epan_session_configure(
        const GPtrArray *prefs, const GPtrArray *decode_as, char **errmsg);

/* The version string of the libwireshark in use (static storage). */
const char *fs_epan_session_version(void);

/* The label Wireshark gives value of the integer field named field (its
 * value string: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" for
 * tls.handshake.ciphersuite 0xc02f), or NULL when the field has no label
 * for it. Static storage. */
const char *fs_epan_field_value_label(const char *field, guint32 value);

/* Releases what fs_epan_session_init() set up. */
void fs_epan_session_cleanup(void);

#endif
