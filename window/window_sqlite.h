/* window_sqlite.h: the SQLite format of flowshark window (-T sqlite -w
 * FILE), a file format of sink.h private to the window command: its rows
 * go into the tables window_runs and windows of a flowshark database (a new
 * one, or one the main command or earlier window runs made), the whole
 * run's in one transaction. Schema: doc/windows.md ("SQLite") and
 * doc/sqlite.md. */
#ifndef FS_WINDOW_SQLITE_H
#define FS_WINDOW_SQLITE_H

#include <glib.h>

#include "sink.h"

/* What the window_runs row records besides struct fs_run_info: given to
 * fs_sink_open_file() as its run's `command` (borrowed for the call; the
 * format copies what it keeps). */
struct fs_window_sqlite_run {
    gint64 seconds_ns;        /* --seconds */
    gboolean empty_windows;   /* --empty-windows */
    const char *input;        /* "captures" or "records" */
    const GPtrArray *sources; /* of const char *: the paths named, as given */
};

/* The format, named "sqlite" as -T gives it. Open it with
 * fs_sink_open_file() (run->command a struct fs_window_sqlite_run; NULL
 * fails) and end it with fs_sink_close_file(): the run's rows are stored
 * (committed) only then, and none of them when it fails or is never
 * reached. */
extern const struct fs_sink_ops fs_window_sqlite;

#endif
