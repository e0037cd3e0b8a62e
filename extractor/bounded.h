/* bounded.h: the bounded-memory mode (--reset-every N). libwireshark keeps
 * the state of every packet until its session ends, so one session per
 * capture grows with the capture. Here this process only reads: it copies
 * each run of N records into a chunk file and forks a worker from a pristine
 * session to dissect it; the worker sends every packet back as frames
 * (packet_io.h) and exits, taking its dissection state with it. Flows that
 * go on across chunks are joined by protocol, addresses and ports, and
 * numbered in order of first appearance, as Wireshark numbers streams.
 *
 * What can differ from the exact mode, at chunk seams only: reassembly
 * across a seam (a TLS record split over two chunks gives no fields and a
 * "TCP" Protocol column), TCP analysis (a retransmission of a segment sent
 * before the seam is not recognised, so it is not excluded), and a TCP
 * connection that reuses a closed connection's ports across a seam is
 * joined to it instead of getting a new stream. */
#ifndef FS_BOUNDED_H
#define FS_BOUNDED_H

#include "capture.h"
#include "dissect.h"
#include "flow_table.h"
#include "job.h"
#include "status.h"

/* Reads path chunk by chunk (ctx->opts->reset_every records each), with
 * workers forked from `pristine` (never used here), adding every packet to
 * flows. Returns FS_OK, FS_ERR_OPEN, FS_ERR_TRUNCATED (flows of every
 * complete packet added), FS_ERR_INTERRUPTED, FS_ERR_WORKER (a chunk was
 * lost) or FS_ERR_OUTPUT (chunk files could not be written); *errmsg
 * (caller g_free()s) explains, or is NULL when the message was already
 * reported. *records: the records read from the capture. */
enum fs_status fs_bounded_read(const struct fs_run_ctx *ctx, const char *path,
        fs_dissector *pristine, fs_flow_table *flows, fs_capture_watch_fn watch, void *watch_data,
        guint64 *records, const char **format, char **errmsg);

#endif
