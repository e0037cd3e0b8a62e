/* packet_io.h: the one serialiser for what crosses a process boundary: a
 * worker's results as a stream of frames, each a packet (struct fs_packet
 * with its field values and optional values), a packet layer, or the
 * worker's end (its status and message). Both ends are the same binary, so
 * integers are written in host order. Hand-written: no library among our
 * dependencies serialises this struct more simply, and the format is
 * private to one run. */
#ifndef FS_PACKET_IO_H
#define FS_PACKET_IO_H

#include <stdio.h>

#include <glib.h>

#include "packet.h"
#include "status.h"

enum fs_frame_kind {
    FS_FRAME_PACKET = 'P', /* a packet that passed the filter */
    FS_FRAME_LAYER = 'L',  /* one TCP/UDP layer of any dissected packet (header only) */
    FS_FRAME_END = 'E',    /* the worker's status and message: the last frame */
};

/* Writes a packet or layer frame with packet->value_count field values.
 * Errors stick in out (check ferror()/fflush() at the end). */
void fs_frame_write_packet(FILE *out, enum fs_frame_kind kind, const struct fs_packet *packet);

/* Writes the end frame: status and message (NULL: none). */
void fs_frame_write_end(FILE *out, enum fs_status status, const char *message);

/* Reads frames back. Opaque; owns the texts the packets it hands out point
 * into. */
typedef struct fs_frame_reader fs_frame_reader;

/* A reader of in (borrowed). Free with fs_frame_reader_free(). */
fs_frame_reader *fs_frame_reader_new(FILE *in);
void fs_frame_reader_free(fs_frame_reader *reader);

/* What fs_frame_read() found. */
enum fs_frame_result {
    FS_FRAME_OK = 0,  /* a frame: *kind says which */
    FS_FRAME_EOF,     /* the end of the stream, between frames */
    FS_FRAME_DAMAGED, /* a cut or malformed frame (a worker died mid-write) */
};

/* Reads the next frame. For a packet or layer frame, fills *packet (its
 * strings borrowed from the reader until the next call); for the end
 * frame, *status and *message (borrowed likewise, NULL when none). */
enum fs_frame_result fs_frame_read(fs_frame_reader *reader, enum fs_frame_kind *kind,
        struct fs_packet *packet, enum fs_status *status, const char **message);

#endif
