/* live.h: live capture (-i, -D, -f, -c, -a) as tshark does it: Wireshark's
 * dumpcap captures (it alone needs capture rights; same interface names,
 * -D list, BPF filters and autostop conditions as tshark) and writes pcapng
 * on a pipe, which capture.c reads with wiretap like any capture. dumpcap
 * stops by itself (-c, -a) or when flowshark passes SIGINT/SIGTERM on to it
 * (interrupt.h); either way its output ends and every flow is written. This
 * header brings no wiretap header to its users. */
#ifndef FS_LIVE_H
#define FS_LIVE_H

#include <glib.h>

#include "options.h"
#include "status.h"

typedef struct fs_capture fs_capture;
typedef struct fs_live fs_live;

/* -D: dumpcap's list of interfaces on standard output. FS_ERR_OPEN with
 * *errmsg (caller g_free()s) when dumpcap cannot be run or fails;
 * FS_ERR_OUTPUT when standard output cannot be written. */
enum fs_status fs_live_list_interfaces(char **errmsg);

/* Starts dumpcap on opts' interfaces (-i, -f, -c, -a) writing pcapng on a
 * pipe, passes SIGINT/SIGTERM on to it from now on, and opens the pipe as
 * a capture (wiretap reads dumpcap's header first). On success *out is
 * ended with fs_live_finish(), whatever happens. On failure (dumpcap not
 * found, or it failed before writing: a missing interface, a bad capture
 * filter) dumpcap is reaped and the error is returned: FS_ERR_FILTER for a
 * capture filter dumpcap refused, FS_ERR_OPEN otherwise, with dumpcap's
 * own message in *errmsg (caller g_free()s). */
enum fs_status fs_live_start(const struct fs_options *opts, fs_live **out, char **errmsg);

/* The pipe read as a capture, or NULL when dumpcap was stopped before it
 * wrote anything (nothing to read). Borrowed: closed by fs_live_finish(). */
fs_capture *fs_live_capture(fs_live *live);

/* Ends the live capture: when the capture was not read to its end
 * (read_all FALSE: a read error) dumpcap is stopped (SIGTERM); the pipe is
 * closed and dumpcap reaped. Returns FS_OK when dumpcap ended well, else
 * FS_ERR_OPEN (or FS_ERR_FILTER) with dumpcap's message (or how it died) in
 * *errmsg (caller g_free()s). Messages dumpcap gives on success (dropped
 * packets) are reported on standard error. Frees live; NULL is FS_OK. */
enum fs_status fs_live_finish(fs_live *live, gboolean read_all, char **errmsg);

#endif
