/* capture.h: reading a capture with wiretap (every format Wireshark reads,
 * compressed files, "-" for standard input). The only module that opens
 * captures. */
#ifndef FS_CAPTURE_H
#define FS_CAPTURE_H

#include <glib.h>
#include <wiretap/wtap.h>

#include "status.h"

typedef struct fs_capture fs_capture;

/* Opens path ("-" = standard input). random_access must be TRUE to call
 * fs_capture_seek() later. On failure returns FS_ERR_OPEN and sets *errmsg
 * (caller g_free()s). On success *out is freed with fs_capture_close(). */
enum fs_status fs_capture_open(
        const char *path, gboolean random_access, fs_capture **out, char **errmsg);

/* Reads the next record into the capture's record and buffer. Returns TRUE
 * with a record; FALSE at the end, with *status FS_OK at a clean end of file
 * or FS_ERR_TRUNCATED and *errmsg (caller g_free()s) when the file is cut
 * short or damaged. *offset receives the record's offset for fs_capture_seek(). */
gboolean fs_capture_next(fs_capture *cap, gint64 *offset, enum fs_status *status, char **errmsg);

/* A watcher of the reading: told the records read so far and the bytes
 * of the file read so far (-1 when unknown) every 1024 records and at the
 * end. */
typedef void (*fs_capture_watch_fn)(void *data, guint64 records, long long bytes);

/* From now on fs_capture_next() tells fn(data, ...) how far it is. */
void fs_capture_watch(fs_capture *cap, fs_capture_watch_fn fn, void *data);

/* TRUE when wiretap recognises path as a capture (it opens it, then closes
 * it): how the files of a folder are told apart (inputs.h). */
gboolean fs_capture_probe(const char *path);

/* The time of the first packet of the capture at path (epoch seconds and
 * nanoseconds, normalised) in *secs and *nsecs: FALSE when it cannot be
 * opened or holds no packet with a time. */
gboolean fs_capture_first_time(const char *path, gint64 *secs, gint32 *nsecs);

/* Re-reads the record at offset (two-pass mode). Returns FALSE and sets
 * *errmsg on failure. */
gboolean fs_capture_seek(fs_capture *cap, gint64 offset, char **errmsg);

/* Ends sequential reading (between the passes of a two-pass run). */
void fs_capture_end_sequential(fs_capture *cap);

/* The current record and its bytes, valid until the next read. Borrowed. */
wtap_rec *fs_capture_record(fs_capture *cap);
const guint8 *fs_capture_data(fs_capture *cap);

/* wiretap's file type, as epan_dissect_run() wants it. */
int fs_capture_file_type(const fs_capture *cap);

/* Name and description of interface `id` (pcapng), or NULL. Borrowed. */
const char *fs_capture_interface_name(const fs_capture *cap, guint32 id);
const char *fs_capture_interface_description(const fs_capture *cap, guint32 id);

/* Closes the capture; NULL does nothing. */
void fs_capture_close(fs_capture *cap);

/* Records read so far by fs_capture_next(). */
guint64 fs_capture_records_read(const fs_capture *cap);

/* The file format wiretap read the capture as ("Wireshark/tcpdump/... -
 * pcap", "Endace ERF capture"...). Static storage. */
const char *fs_capture_format(const fs_capture *cap);

/* A pcapng file that receives copies of a capture's records with their
 * interfaces, encapsulations and time precision (the bounded-memory mode
 * hands chunks of a capture to workers this way). */
typedef struct fs_capture_chunk fs_capture_chunk;

/* Creates path for records of cap. FS_ERR_OUTPUT with *errmsg (caller
 * g_free()s) on failure; on success close *out with fs_capture_chunk_close(). */
enum fs_status fs_capture_chunk_open(
        fs_capture *cap, const char *path, fs_capture_chunk **out, char **errmsg);

/* Appends cap's current record. FALSE with *errmsg on a write error. */
gboolean fs_capture_chunk_add(fs_capture_chunk *chunk, fs_capture *cap, char **errmsg);

/* Finishes the file and frees chunk. FS_ERR_OUTPUT with *errmsg on error. */
enum fs_status fs_capture_chunk_close(fs_capture_chunk *chunk, char **errmsg);

#endif
