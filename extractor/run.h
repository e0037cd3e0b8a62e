/* run.h: one flowshark run: fields, filter, output, then each capture in
 * turn (dissect, group into flows, write the records). */
#ifndef FS_RUN_H
#define FS_RUN_H

#include "options.h"
#include "sink.h"
#include "status.h"

/* The default filter's parts, joined by "and" in this order: IPv4/IPv6
 * packets, the exclusions that --no-exclusions turns off, and TCP/UDP
 * (which --all-protocols drops). */
#define FS_FILTER_IP        "(ip or ipv6)"
#define FS_FILTER_TRANSPORT "(tcp or udp)"
#define FS_FILTER_EXCLUSIONS                                                                       \
    "not icmp and not icmpv6 and not tcp.analysis.retransmission and not mdns and not ssdp"

/* The complete display filter for the options: the default filter, and the
 * user's -Y in parentheses. Caller g_free()s. */
char *fs_run_filter_text(const struct fs_options *opts);

/* Runs everything the options ask for, after fs_epan_session_init() and
 * the preference set-up. Messages go to standard error as they happen.
 * Returns the most serious status met. */
enum fs_status fs_run(const struct fs_options *opts);

/* fs_run(), the records going to consumer (borrowed, not freed) instead of
 * -T/-w: an analysis reading captures in this process (flowshark window
 * -r). Workers hand their records over on tapes replayed on it, in capture
 * order. Not with --output-dir. consumer NULL: fs_run(). */
enum fs_status fs_run_into(const struct fs_options *opts, fs_sink *consumer);

/* fs_run_into(); *fast_applied (when not NULL) tells whether --fast served
 * the run (FALSE without --fast and when the run needs every packet
 * dissected: the message says why). --verify's runs. */
enum fs_status fs_run_into_fast(
        const struct fs_options *opts, fs_sink *consumer, gboolean *fast_applied);

#endif
