/* window.h: time-window features (flowshark window, doc/windows.md). Entries
 * (one packet of a flow record, with its record's protocol and endpoints)
 * are added in any order; each falls in the window floor(t / T), and
 * fs_window_set_write() writes one row per window, in time order, through a
 * sink (any format of sink.h). Per window the set keeps the totals and one
 * counter per distinct flow key (protocol, src, sport, dst, dport): every
 * count and distribution of doc/windows.md is derived from those at write
 * time, so memory is (windows held) x (distinct flows per window), not
 * entries. Addresses and protocol names are interned once per set. */
#ifndef FS_WINDOW_H
#define FS_WINDOW_H

#include <glib.h>

#include "sink.h"

typedef struct fs_window_set fs_window_set;

/* The flow key an entry carries: its record's orientation (strings
 * borrowed for the call; the set copies them). */
struct fs_window_flow {
    const char *protocol;
    const char *src;
    gint64 sport;
    const char *dst;
    gint64 dport;
};

/* The number of flow states an entry may carry (enum fs_flow_state of
 * feature.h: new, connecting, established, closing, closed, reset). */
#define FS_WINDOW_STATES 6

/* A set of windows of seconds_ns nanoseconds each (> 0), aligned to the
 * epoch. with_states: entries carry their flow's state (capture input) and
 * rows end with the num_state_* keys. Free with fs_window_set_free(). */
fs_window_set *fs_window_set_new(gint64 seconds_ns, gboolean with_states);

/* Frees the set and everything in it; NULL does nothing. */
void fs_window_set_free(fs_window_set *set);

/* Adds one entry: a packet of flow at time_ns (epoch nanoseconds, may be
 * negative) with signed IP length (+ src->dst: up, - dst->src: down; its
 * absolute value counts as bytes); state: the flow's state after it
 * (0 .. FS_WINDOW_STATES - 1), or -1 when it has none (a set without
 * states ignores it). */
void fs_window_set_add(fs_window_set *set, const struct fs_window_flow *flow, gint64 time_ns,
        gint64 length, int state);

/* The number of windows holding entries. */
guint fs_window_set_size(const fs_window_set *set);

/* The window index of an instant: floor(time_ns / seconds_ns). */
gint64 fs_window_index(gint64 time_ns, gint64 seconds_ns);

/* The number of keys --score scores: num_entries and the six count_* keys. */
#define FS_WINDOW_SCORED 7

/* Writes one record per window holding entries, in order of window_start;
 * with empty_windows also a row for every window between the first and the
 * last that has none (counts 0, distributions null). score: each row ends
 * with the robust z-scores of its counts over all rows written (<key>_z)
 * and top_features (doc/windows.md, --score). Returns the number of rows
 * written. The set is left as it was. */
guint64 fs_window_set_write(
        const fs_window_set *set, fs_sink *sink, gboolean empty_windows, gboolean score);

/* Writes the row of a window without entries (window_start 0): the same
 * keys in the same order as every row of a set made with with_states (and
 * written with score), for the key collector that makes the CSV header. */
void fs_window_emit_empty(fs_sink *sink, gboolean with_states, gboolean score);

/* Linear interpolation between closest ranks, as numpy's (and so pandas')
 * default quantile computes it: sorted (ascending) holds n > 0 values, q in
 * [0, 1]. */
double fs_window_quantile(const double *sorted, guint n, double q);

#endif
