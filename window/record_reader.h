/* record_reader.h: flowshark's JSON Lines records (doc/flow-record.md) read
 * back, one record at a time, for the analyses (flowshark window). Only the
 * keys an analysis needs are taken: protocol, src, sport, dst, dport, the
 * packet sequence ip_lengths/ip_timestamps and the extension's [value,
 * index] pairs (-e fields), timestamps read exactly
 * (epoch nanoseconds from their decimal text, never through a double).
 * Other keys are passed over. */
#ifndef FS_RECORD_READER_H
#define FS_RECORD_READER_H

#include <stdio.h>

#include <glib.h>

#include "status.h"

/* One [value, index] pair of the record's extension object: the value of
 * Wireshark field `field` (as -e writes it) on packet `index` (a position
 * in ip_lengths). */
struct fs_read_value {
    const char *field;
    const char *value;
    gint64 index;
};

/* One record as the reader hands it out. Everything is borrowed and valid
 * until the next fs_record_reader_next() call. */
struct fs_read_record {
    const char *protocol;
    const char *src;
    gint64 sport;
    const char *dst;
    gint64 dport;
    guint packets;                      /* elements of ip_lengths (= of ip_timestamps) */
    const gint64 *lengths;              /* ip_lengths, signed */
    const gint64 *times_ns;             /* ip_timestamps in epoch nanoseconds */
    guint n_values;                     /* the extension's pairs, field by field in the */
    const struct fs_read_value *values; /* record's order */
};

typedef struct fs_record_reader fs_record_reader;

/* A reader over path ("-": standard input). FS_ERR_OPEN with *errmsg
 * (caller g_free()s) when it cannot be opened. Free with
 * fs_record_reader_free(). */
enum fs_status fs_record_reader_open(const char *path, fs_record_reader **out, char **errmsg);

/* A reader over an open stream (borrowed: fs_record_reader_free() does not
 * close it); name is for messages. */
fs_record_reader *fs_record_reader_new_stream(FILE *file, const char *name);

/* The next record into *rec: FS_OK and *rec filled, FS_OK and rec->packets
 * untouched with *done TRUE at the end of the input (blank lines are passed
 * over), or FS_ERR_OPEN with *errmsg ("PATH:LINE: why") for a line that is
 * not a flow record or a read error. */
enum fs_status fs_record_reader_next(
        fs_record_reader *r, struct fs_read_record *rec, gboolean *done, char **errmsg);

/* Closes and frees the reader; NULL does nothing. */
void fs_record_reader_free(fs_record_reader *r);

/* Parses a record timestamp ("946739298.533748", "-1.500000", "12") into
 * epoch nanoseconds: an optional '-', digits, and optionally '.' and 1 to 9
 * digits. len: the text's length (it need not end with NUL). FALSE for
 * anything else or a value beyond gint64 nanoseconds. */
gboolean fs_record_parse_time(const char *text, gsize len, gint64 *ns);

/* The largest magnitude of a record's timestamp: 2^62 ns, about 146 years
 * either side of 1970 (pcap's unsigned 32-bit seconds end in 2106). Within
 * it the difference of any two timestamps fits in gint64, which the
 * analyses rely on. */
#define FS_RECORD_TIME_MAX_NS G_GINT64_CONSTANT(4611686018427387904)

/* fs_record_parse_time for a record's ip_timestamps: FALSE also for a
 * value beyond FS_RECORD_TIME_MAX_NS either way. */
gboolean fs_record_parse_timestamp(const char *text, gsize len, gint64 *ns);

#endif
