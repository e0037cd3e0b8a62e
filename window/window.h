/* window.h: time-window features (flowshark window, doc/windows.md). Entries
 * (one packet of a flow record, with its record's protocol and endpoints)
 * are added in any order; each falls in the window floor(t / T). Per open
 * window the set keeps the totals and one counter per distinct flow key
 * (protocol, src, sport, dst, dport): every count and distribution of
 * doc/windows.md is derived from those when the window is closed, so
 * memory is (open windows) x (distinct flows per window), not entries.
 * Windows are closed when their caller knows no entry can come for them
 * any more (fs_window_set_close_before: capture input past a horizon) or
 * at the end (fs_window_set_finish), and their rows written through a sink
 * (any format of sink.h) in time order. Addresses and protocol names are
 * interned once per set. */
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
 * states ignores it). FALSE, and the entry is not counted, when its window
 * was already closed (fs_window_set_close_before): a late entry. */
gboolean fs_window_set_add(fs_window_set *set, const struct fs_window_flow *flow, gint64 time_ns,
        gint64 length, int state);

/* The number of late entries refused so far. */
guint64 fs_window_set_late(const fs_window_set *set);

/* The window length the set was made with. */
gint64 fs_window_set_seconds(const fs_window_set *set);

/* The number of windows holding entries. */
guint fs_window_set_size(const fs_window_set *set);

/* The window index of an instant: floor(time_ns / seconds_ns). */
gint64 fs_window_index(gint64 time_ns, gint64 seconds_ns);

/* The number of keys --score scores: num_entries and the six count_* keys. */
#define FS_WINDOW_SCORED 7

/* Closes every window below index limit: its row (every count and
 * distribution, a few hundred bytes) is computed and its flow keys freed;
 * entries for it are then refused as late. Rows of closed windows wait,
 * in window order, for fs_window_set_write_closed() or
 * fs_window_set_finish(). */
void fs_window_set_close_before(fs_window_set *set, gint64 limit);

/* Writes the rows of the closed windows not written yet, in order, each
 * after (with empty_windows) a row for every window without entries since
 * the last row written (counts 0, distributions null). Not with --score,
 * whose rows all wait for fs_window_set_finish(). */
void fs_window_set_write_closed(fs_window_set *set, fs_sink *sink, gboolean empty_windows);

/* Closes every window and writes every row not written yet, as
 * fs_window_set_write_closed() does. score: the rows (all of them: with
 * score none was written before) each end with the robust z-scores of
 * their counts over all rows (<key>_z) and top_features (doc/windows.md,
 * --score), the empty rows of empty_windows included. Returns the number
 * of rows written by the set in all. */
guint64 fs_window_set_finish(
        fs_window_set *set, fs_sink *sink, gboolean empty_windows, gboolean score);

/* Writes the row of a window without entries (window_start 0): the same
 * keys in the same order as every row of a set made with with_states (and
 * written with score), for the key collector that makes the CSV header. */
void fs_window_emit_empty(fs_sink *sink, gboolean with_states, gboolean score);

/* Linear interpolation between closest ranks, as numpy's (and so pandas')
 * default quantile computes it: sorted (ascending) holds n > 0 values, q in
 * [0, 1]. */
double fs_window_quantile(const double *sorted, guint n, double q);

#endif
