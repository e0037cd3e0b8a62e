/* support.c: see support.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "epan_session.h"
#include "support.h"

static const char *test_argv0 = "flowshark-unit-test";

void fs_test_set_argv0(const char *argv0)
{
    test_argv0 = argv0;
}

int fs_test_setup_epan(void **state)
{
    (void)state;
    char *errmsg = NULL;
    if (fs_epan_session_init(test_argv0, &errmsg) != FS_OK) {
        print_error("fs_epan_session_init: %s\n", errmsg);
        g_free(errmsg);
        return -1;
    }
    GPtrArray *prefs = g_ptr_array_new();
    enum fs_status status = fs_epan_session_set_prefs(prefs, &errmsg);
    g_ptr_array_free(prefs, TRUE);
    if (status != FS_OK) {
        print_error("fs_epan_session_set_prefs: %s\n", errmsg);
        g_free(errmsg);
        return -1;
    }
    return 0;
}

int fs_test_teardown_epan(void **state)
{
    (void)state;
    fs_epan_session_cleanup();
    return 0;
}

struct fs_packet fs_test_packet(enum fs_transport transport, guint32 stream, const char *src,
        guint32 sport, const char *dst, guint32 dport, guint32 ip_len, guint32 transport_len,
        gint64 secs, gint32 nsecs, int decimals, const char *protocol, GString *const *values)
{
    struct fs_packet p = { 0 };
    p.transport = transport;
    p.stream = stream;
    g_strlcpy(p.src, src, sizeof(p.src));
    g_strlcpy(p.dst, dst, sizeof(p.dst));
    p.sport = sport;
    p.dport = dport;
    p.ip_len = ip_len;
    p.transport_len = transport_len;
    p.ts_secs = secs;
    p.ts_nsecs = nsecs;
    p.ts_decimals = decimals;
    p.protocol_column = protocol;
    p.values = values;
    return p;
}
