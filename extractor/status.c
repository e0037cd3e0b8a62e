/* status.c: status names, the exit-code table, and the one way messages
 * reach standard error. */
#include <glib.h>

#include "status.h"

#include <stdio.h>

const char *fs_status_str(enum fs_status status)
{
    switch (status) {
        case FS_OK:
            return "success";
        case FS_ERR_USAGE:
            return "bad command line";
        case FS_ERR_INIT:
            return "libwireshark initialisation failed";
        case FS_ERR_OPEN:
            return "capture could not be opened";
        case FS_ERR_FILTER:
            return "bad display filter";
        case FS_ERR_FIELD:
            return "unknown field";
        case FS_ERR_TRUNCATED:
            return "capture cut short or damaged";
        case FS_ERR_OUTPUT:
            return "output could not be written";
        case FS_ERR_INTERRUPTED:
            return "interrupted";
        case FS_ERR_WORKER:
            return "worker process died";
        case FS_ERR_VERIFY:
            return "fast mode's records differ from the exact mode's";
    }
    return "unknown status";
}

int fs_status_exit_code(enum fs_status status)
{
    switch (status) {
        case FS_OK:
            return FS_EXIT_OK;
        case FS_ERR_USAGE:
            return FS_EXIT_USAGE;
        case FS_ERR_INIT:
            return FS_EXIT_INIT;
        case FS_ERR_OPEN:
            return FS_EXIT_OPEN;
        case FS_ERR_FILTER:
            return FS_EXIT_FILTER;
        case FS_ERR_FIELD:
            return FS_EXIT_FIELD;
        case FS_ERR_TRUNCATED:
            return FS_EXIT_TRUNCATED;
        case FS_ERR_OUTPUT:
            return FS_EXIT_OUTPUT;
        case FS_ERR_INTERRUPTED:
            return FS_EXIT_INTERRUPTED;
        case FS_ERR_WORKER:
            return FS_EXIT_WORKER;
        case FS_ERR_VERIFY:
            return FS_EXIT_VERIFY;
    }
    return FS_EXIT_USAGE;
}

enum fs_status fs_status_from_exit_code(int code)
{
    for (int s = FS_OK; s <= FS_STATUS_LAST; s++)
        if (fs_status_exit_code((enum fs_status)s) == code)
            return (enum fs_status)s;
    return FS_ERR_WORKER;
}

enum fs_status fs_status_worst(enum fs_status a, enum fs_status b)
{
    if (a == FS_OK)
        return b;
    if (b == FS_OK)
        return a;
    if (a == FS_ERR_TRUNCATED)
        return b;
    if (a == FS_ERR_OUTPUT || b == FS_ERR_OUTPUT)
        return FS_ERR_OUTPUT;
    if (b == FS_ERR_INTERRUPTED)
        return b;
    return a;
}

/* Set while a progress line stands on a terminal (inherited by workers). */
static gboolean clear_line;

void fs_report_set_clear_line(gboolean on)
{
    clear_line = on;
}

const char *fs_report_start(void)
{
    return clear_line ? "\r\033[K" : "";
}

void fs_report(const char *what, const char *msg)
{
    fprintf(stderr, "%sflowshark: %s%s%s\n", fs_report_start(), what ? what : "", what ? ": " : "",
            msg);
}

const char *fs_status_capture_word(enum fs_status status)
{
    switch (status) {
        case FS_OK:
            return "ok";
        case FS_ERR_TRUNCATED:
            return "truncated";
        case FS_ERR_INTERRUPTED:
            return "interrupted";
        default:
            return "failed";
    }
}
