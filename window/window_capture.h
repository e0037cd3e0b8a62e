/* window_capture.h: flowshark window -r. The capture command's run
 * (run.h, fs_run_into) in this process, its records handed, as sink calls,
 * to a consumer that adds every packet of each record to a window set with
 * its flow state (the "window_states" key of the states module,
 * extractor/feature_states.c). The records themselves are never written. */
#ifndef FS_WINDOW_CAPTURE_H
#define FS_WINDOW_CAPTURE_H

#include <glib.h>

#include "sink.h"
#include "window.h"

typedef struct fs_window_consumer fs_window_consumer;

/* How a consumer writes windows while the records come. */
struct fs_window_stream {
    /* The flow-expiry horizon in nanoseconds: once a record has a packet
     * at t, no later record of the run has one before t - horizon_ns (the
     * flow meter's idle plus active timeout, and a margin), so the windows
     * that end before it are closed and, unless score, written to output
     * at once. 0: no horizon, every window waits for the end. */
    gint64 horizon_ns;
    fs_sink *output; /* borrowed */
    gboolean empty_windows;
    gboolean score;
};

/* A consumer of flowshark records into set (borrowed: it must outlive the
 * consumer): each record's protocol, src, sport, dst, dport, ip_lengths,
 * ip_timestamps and, when present, window_states. stream (copied) says
 * when and where closed windows are written. */
fs_window_consumer *fs_window_consumer_new(
        fs_window_set *set, const struct fs_window_stream *stream);

/* The sink records are written on (borrowed from the consumer). */
fs_sink *fs_window_consumer_sink(fs_window_consumer *c);

/* Records the consumer could not use (a timestamp that does not parse,
 * sequences of different lengths): 0 when every packet went into the set. */
guint64 fs_window_consumer_rejected(const fs_window_consumer *c);

/* Frees the consumer and its sink; NULL does nothing. */
void fs_window_consumer_free(fs_window_consumer *c);

#endif
