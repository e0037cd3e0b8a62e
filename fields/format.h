/* format.h: values formatted exactly as tshark -T fields prints them, and
 * timestamps printed from integer seconds and nanoseconds. */
#ifndef FS_FORMAT_H
#define FS_FORMAT_H

#include <glib.h>

/* Appends text to out with tshark 4.0's escaping for -T fields: backspace,
 * form feed, newline, carriage return and tab become \b \f \n \r \t; every
 * other byte (backslash included) is copied unchanged. */
void fs_format_escape_tshark(const char *text, GString *out);

/* Appends the epoch time secs + nsecs/1e9 with `decimals` digits after the
 * point (6 or 9; other values are raised to 6 or lowered to 9). Digits are
 * truncated, never rounded, and no binary floating point is involved.
 * The time is normalised first: an nsecs out of [0, 1e9) (a crafted
 * capture's record) is carried into the seconds, so 1 and 1500000000 print
 * as 2.500000 and 5 and -1000 as 4.999999. A negative secs with a positive
 * nsecs is the time secs + nsecs/1e9 (e.g. -1 and 500000000 print as
 * -0.500000). */
void fs_format_timestamp(gint64 secs, gint32 nsecs, int decimals, GString *out);

/* Room for any gint64 or guint64 in decimal, with its sign and NUL. */
#define FS_FORMAT_INT_SIZE 21

/* Writes value in decimal (as printf's %" PRId64 ") into buf, which has
 * FS_FORMAT_INT_SIZE bytes, NUL-terminated; returns the length. Without
 * printf: record writing calls it for every number of every packet. */
gsize fs_format_int64(gint64 value, char buf[FS_FORMAT_INT_SIZE]);

/* Carries a fraction out of [0, 1e9) into the seconds so that *nsecs ends
 * in [0, 1e9) and the instant is kept; the seconds saturate at the ends of
 * gint64. */
void fs_format_normalise_time(gint64 *secs, gint32 *nsecs);

/* The number of decimals the record uses for a wiretap timestamp precision
 * (WTAP_TSPREC_*): 9 for nanosecond captures, else 6. */
int fs_format_decimals_for_tsprec(int tsprec);

/* Levenshtein distance between a and b, or limit + 1 when it is larger than
 * limit (computed in O(len(a) * len(b)) time at most). */
guint fs_format_edit_distance(const char *a, const char *b, guint limit);

#endif
