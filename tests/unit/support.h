/* support.h: helpers shared by the cmocka unit tests: libwireshark set up
 * once per test group, and packets built field by field. */
#ifndef FS_TEST_SUPPORT_H
#define FS_TEST_SUPPORT_H

#include <glib.h>

#include "packet.h"

/* Name passed to epan's init as argv[0]; main() of each test sets it. */
void fs_test_set_argv0(const char *argv0);

/* cmocka group setup/teardown: fs_epan_session_init, default preferences;
 * fs_epan_session_cleanup. */
int fs_test_setup_epan(void **state);
int fs_test_teardown_epan(void **state);

/* A packet as the dissector hands it over. The strings are copied (src, dst)
 * or borrowed (protocol); values is borrowed, one per registry field. */
struct fs_packet fs_test_packet(enum fs_transport transport, guint32 stream, const char *src,
        guint32 sport, const char *dst, guint32 dport, guint32 ip_len, guint32 transport_len,
        gint64 secs, gint32 nsecs, int decimals, const char *protocol, GString *const *values);

#endif
