/* status.h: the one status enum of flowshark and the one table that maps a
 * status to the process exit code. Only main() turns a status into an exit
 * code; every other function returns an enum fs_status. */
#ifndef FS_STATUS_H
#define FS_STATUS_H

#include <glib.h>

enum fs_status {
    FS_OK = 0,
    FS_ERR_USAGE,       /* bad command line: unknown option, bad -o or -d value */
    FS_ERR_INIT,        /* libwireshark could not be initialised */
    FS_ERR_OPEN,        /* capture missing, unreadable, or not a capture */
    FS_ERR_FILTER,      /* display filter does not compile */
    FS_ERR_FIELD,       /* unknown field name */
    FS_ERR_TRUNCATED,   /* capture cut short or damaged after its header; records written */
    FS_ERR_OUTPUT,      /* writing the records failed (disk full, closed pipe...) */
    FS_ERR_INTERRUPTED, /* SIGINT/SIGTERM: records of the flows seen so far written */
    FS_ERR_WORKER,      /* the worker process of a capture died; its records are missing */
    FS_ERR_VERIFY,      /* --verify: fast mode's records differ beyond the documented causes */
};

/* The last status: statuses are FS_OK .. FS_STATUS_LAST. */
#define FS_STATUS_LAST FS_ERR_VERIFY

/* Exit statuses, documented in doc/flowshark.1 and README.md. */
#define FS_EXIT_OK          0
#define FS_EXIT_USAGE       1
#define FS_EXIT_TRUNCATED   2 /* as tshark: the capture was cut short or damaged */
#define FS_EXIT_OPEN        3
#define FS_EXIT_FILTER      4
#define FS_EXIT_FIELD       5
#define FS_EXIT_OUTPUT      6
#define FS_EXIT_INIT        7
#define FS_EXIT_INTERRUPTED 8
#define FS_EXIT_WORKER      9
#define FS_EXIT_VERIFY      10

/* Prints one message on standard error: "flowshark: WHAT: MSG", or
 * "flowshark: MSG" when what is NULL. */
void fs_report(const char *what, const char *msg);

/* Messages begin with "\r\033[K" (erasing a progress line that stands on
 * the terminal) once on is set: the progress module sets it when it draws
 * on a terminal, and forked workers inherit it, so that no message lands
 * after the progress text. fs_report_start() is that prefix, or "". */
void fs_report_set_clear_line(gboolean on);
const char *fs_report_start(void);

/* A short English description of a status (static storage). */
const char *fs_status_str(enum fs_status status);

/* What became of one capture, in one word (summary, SQLite captures
 * table): "ok", "truncated" (cut short or damaged; records of its complete
 * packets written), "interrupted" (records of the flows seen written), or
 * "failed" (no records). */
const char *fs_status_capture_word(enum fs_status status);

/* The process exit code for a status. */
int fs_status_exit_code(enum fs_status status);

/* The status a process exit code stands for (the inverse of
 * fs_status_exit_code); FS_ERR_WORKER for a code no status maps to. Used to
 * read a forked worker's result. */
enum fs_status fs_status_from_exit_code(int code);

/* The more serious of two statuses: an error beats FS_OK, and anything beats
 * FS_ERR_TRUNCATED (which still produced output); FS_ERR_INTERRUPTED beats
 * every other error except FS_ERR_OUTPUT (the run was stopped on purpose). Used when several
 * captures are processed in one run. */
enum fs_status fs_status_worst(enum fs_status a, enum fs_status b);

#endif
