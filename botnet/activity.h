/* activity.h: the A-plane detectors of flowshark botnet that flow records
 * support (../shared/spec/botcapturer.md §3.1; doc/botnet.md). One
 * so far, the scan rule of BotCapturer's det_scan.py: for a source, (src,
 * dst) is flagged when the number of distinct destination ports towards
 * dst, or the number of distinct destinations of the source, divided by
 * the source's active time exceeds a rate (6 per second by default). The
 * sources with a flagged pair make the "scan" A-set of the vote (vote.h).
 *
 * What counts, from flow records (doc/flow-record.md):
 * - Every record, whatever its packet count: a SYN scan's flows have one
 *   packet (no answer) or two (SYN, RST), so F2's ">= 2 packets" would
 *   hide the scan. Run flowshark with --keep-empty, or the flows without
 *   payload (all of a SYN scan) are not written.
 * - A record counts for its `src` (the side with the higher port of its
 *   first packet: the client, the scanner), towards its `dst` and `dport`.
 *   Answers never make their sender a scanner (det_scan.py grouped every
 *   packet by its sender, so a target answering probes from many source
 *   ports could be flagged).
 * - The source's active time is last - first of the packets (both
 *   directions) of its records; 99999 s when that is 0 (det_scan.py's
 *   rule for a single packet, which also replaces its division by zero for
 *   several packets at one instant).
 * - TCP and UDP alike (det_scan.py read TCP only).
 * - With a window W > 0 the rule is applied per source and window of W
 *   seconds (floor(t / W)), each packet in its own window: BotCapturer's
 *   batches were small pieces of a capture (editcap -c 1000), while over a
 *   long batch a source's active time grows with everything it did. */
#ifndef FS_ACTIVITY_H
#define FS_ACTIVITY_H

#include <glib.h>

#include "hosts.h"
#include "record_reader.h"

/* det_scan.py's threshold, per second. */
#define FS_ACTIVITY_SCAN_RATE_DEFAULT 6.0

/* det_scan.py's active time for a single packet, in seconds. */
#define FS_ACTIVITY_SINGLE_PACKET_SECONDS 99999.0

struct fs_activity_options {
    double scan_rate;              /* flagged when a rate is above it, per second */
    gint64 window_ns;              /* 0: the whole input as one window */
    const fs_host_ranges *sources; /* borrowed: only records whose src matches
                                    * count; NULL: every record */
};

/* A flagged source (in one window). Callers may read every field. */
struct fs_activity_scan {
    char *src;
    gint64 window_start_ns; /* the window's start (0 without windows) */
    guint destinations;     /* distinct dst of its records */
    guint max_ports;        /* the most distinct dport towards one dst */
    double active_seconds;  /* last - first packet, or 99999 */
    guint pairs;            /* flagged (src, dst) pairs */
};

/* The state of the detectors over one batch of records. Opaque. */
typedef struct fs_activity fs_activity;

/* Detectors with options o (copied; o->sources is borrowed and must
 * outlive the detectors). Free with fs_activity_free(). */
fs_activity *fs_activity_new(const struct fs_activity_options *o);

/* Takes one record into account (rec is borrowed for the call only). */
void fs_activity_add(fs_activity *a, const struct fs_read_record *rec);

/* Applies the rules to what was added; after it, the results below are
 * valid and fs_activity_add() must not be called. */
void fs_activity_finish(fs_activity *a);

/* The "scan" A-set: the distinct flagged sources, by address (char *,
 * borrowed until fs_activity_free()). */
const GPtrArray *fs_activity_scan_hosts(const fs_activity *a);

/* The flagged sources with their numbers, by address then window
 * (struct fs_activity_scan *, borrowed until fs_activity_free()). */
const GPtrArray *fs_activity_scans(const fs_activity *a);

/* Frees the detectors; NULL does nothing. */
void fs_activity_free(fs_activity *a);

#endif
