/* payload.h: the A-plane detectors of flowshark botnet that need payload
 * bytes (../shared/spec/botcapturer.md §1.1 and §3.1; doc/botnet.md). They
 * read the payload of each packet from the Wireshark fields tcp.payload
 * and udp.payload (plain hex, as -e writes them) in the records'
 * extension, and apply BotCapturer's rules packet by packet:
 *
 * - "mirai", Mirai's keep-alive (the loader's rule): a payload of exactly
 *   the two bytes 00 00 flags its sender;
 * - "mirai", Mirai's telnet login (det_mirai.py): among the TCP packets to
 *   port 23 from one host to another, in time order (packets without
 *   payload count), a payload starting with "system" when the packet two
 *   places earlier starts with "enable" flags the sender;
 * - "ares", the Ares RAT's poll (the loader's rule): a payload containing
 *   "api/pop" flags its sender;
 * - "bindl", an executable download (det_bin.py): a payload in which some
 *   line (the bytes split at \n) starts with "MZ" (PE) or has "ELF" at
 *   offset 1 (7f 45 4c 46) flags its receiver, who downloads it.
 *
 * In the capture pass only the payloads one of these rules can use are
 * kept (fs_payload_keep(), the capture pass's value filter): a flow does
 * not hold its whole payload as hex. */
#ifndef FS_PAYLOAD_H
#define FS_PAYLOAD_H

#include <glib.h>

#include "record_reader.h"

/* The capture command's options that ask for the fields, in the order of
 * fs_payload_keep()'s field numbers (NULL-terminated). */
extern const char *const fs_payload_capture_options[];

/* The A-sets, in the order of fs_payload_hosts(). */
enum fs_payload_set {
    FS_PAYLOAD_MIRAI,
    FS_PAYLOAD_ARES,
    FS_PAYLOAD_BINDL,
    FS_PAYLOAD_SETS
};

/* Their names, the vote's A-set types: "mirai", "ares", "bindl". */
extern const char *const fs_payload_set_names[FS_PAYLOAD_SETS];

/* What a payload holds for the rules: a bit per rule. */
enum {
    FS_PAYLOAD_KEEPALIVE = 1 << 0, /* exactly 00 00 */
    FS_PAYLOAD_ENABLE = 1 << 1,    /* starts with "enable" */
    FS_PAYLOAD_SYSTEM = 1 << 2,    /* starts with "system" */
    FS_PAYLOAD_POLL = 1 << 3,      /* contains "api/pop" */
    FS_PAYLOAD_BINARY = 1 << 4,    /* a line starts with MZ or has ELF at 1 */
};

/* The rule bits of n payload bytes. */
guint fs_payload_classify(const guint8 *bytes, gsize n);

/* The rule bits of a payload written as hex (len characters); 0 for text
 * that is not hex. */
guint fs_payload_classify_hex(const char *hex, gsize len);

/* The capture pass's value filter (fs_value_keep_fn): TRUE when a rule can
 * use the value (its rule bits are not 0). data is not used. */
gboolean fs_payload_keep(guint field, const char *text, gsize len, void *data);

/* The detectors over one batch of records. Opaque. */
typedef struct fs_payload fs_payload;

fs_payload *fs_payload_new(void);

/* Takes one record into account (borrowed for the call only): its
 * tcp.payload and udp.payload values. */
void fs_payload_add(fs_payload *p, const struct fs_read_record *rec);

/* Applies the telnet rule to what was added; after it the results are
 * valid and fs_payload_add() must not be called. */
void fs_payload_finish(fs_payload *p);

/* The flagged hosts of one A-set, in address order (char *, borrowed until
 * fs_payload_free()). */
const GPtrArray *fs_payload_hosts(const fs_payload *p, enum fs_payload_set set);

/* The payload values the detectors looked at (0: the records had none,
 * e.g. records written without -e tcp.payload). */
guint64 fs_payload_values(const fs_payload *p);

void fs_payload_free(fs_payload *p);

#endif
