/* format.c: pure formatting helpers (no epan state), unit-tested. */
#include <string.h>

#include "format.h"

void fs_format_escape_tshark(const char *text, GString *out)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
            case '\b':
                g_string_append(out, "\\b");
                break;
            case '\f':
                g_string_append(out, "\\f");
                break;
            case '\n':
                g_string_append(out, "\\n");
                break;
            case '\r':
                g_string_append(out, "\\r");
                break;
            case '\t':
                g_string_append(out, "\\t");
                break;
            default:
                g_string_append_c(out, *p);
                break;
        }
    }
}

int fs_format_decimals_for_tsprec(int tsprec)
{
    /* WTAP_TSPREC_NSEC is 9; the coarser precisions (0, 1, 2, 3, 6) and the
     * unknown ones (-1, -2) print with microseconds, never fewer. */
    return tsprec > 6 ? 9 : 6;
}

void fs_format_normalise_time(gint64 *secs, gint32 *nsecs)
{
    /* A fraction out of [0, 1e9) is carried into the seconds (the instant
     * is kept); at the ends of gint64 the seconds saturate instead. */
    gint64 s = *secs;
    gint32 ns = *nsecs;
    gint32 carry = ns / 1000000000; /* -2 to 2 for a gint32 */
    ns %= 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        carry--;
    }
    if (carry > 0 && s > G_MAXINT64 - carry)
        s = G_MAXINT64;
    else if (carry < 0 && s < G_MININT64 - carry)
        s = G_MININT64;
    else
        s += carry;
    *secs = s;
    *nsecs = ns;
}

/* The decimal digits of value at the end of buf[0..end), most significant
 * first; returns where they start. */
static gsize put_digits(guint64 value, char *buf, gsize end)
{
    do {
        buf[--end] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    return end;
}

gsize fs_format_int64(gint64 value, char buf[FS_FORMAT_INT_SIZE])
{
    char digits[FS_FORMAT_INT_SIZE];
    /* |value| without overflow, also for G_MININT64. */
    guint64 magnitude = value < 0 ? (guint64)(-(value + 1)) + 1 : (guint64)value;
    gsize start = put_digits(magnitude, digits, sizeof(digits));
    gsize len = 0;
    if (value < 0)
        buf[len++] = '-';
    memcpy(buf + len, digits + start, sizeof(digits) - start);
    len += sizeof(digits) - start;
    buf[len] = '\0';
    return len;
}

void fs_format_timestamp(gint64 secs, gint32 nsecs, int decimals, GString *out)
{
    if (decimals < 6)
        decimals = 6;
    if (decimals > 9)
        decimals = 9;
    fs_format_normalise_time(&secs, &nsecs);

    gboolean negative = FALSE;
    guint64 whole;
    guint32 frac = (guint32)nsecs;
    if (secs < 0) {
        negative = TRUE;
        /* secs + frac/1e9 with secs < 0 is -(|secs| - frac/1e9). */
        whole = (guint64)(-(secs + 1)) + 1; /* |secs| without overflow */
        if (frac > 0) {
            whole -= 1;
            frac = 1000000000u - frac;
        }
    } else {
        whole = (guint64)secs;
    }
    guint32 divisor = 1;
    for (int i = decimals; i < 9; i++)
        divisor *= 10;
    /* "-whole.fraction", the fraction zero-padded to decimals digits;
     * without printf (once per packet of every record). */
    char text[FS_FORMAT_INT_SIZE + 1 + 9];
    gsize end = sizeof(text);
    guint32 fraction = frac / divisor;
    for (int i = 0; i < decimals; i++) {
        text[--end] = (char)('0' + fraction % 10);
        fraction /= 10;
    }
    text[--end] = '.';
    end = put_digits(whole, text, end);
    if (negative)
        text[--end] = '-';
    g_string_append_len(out, text + end, (gssize)(sizeof(text) - end));
}

guint fs_format_edit_distance(const char *a, const char *b, guint limit)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t diff = la > lb ? la - lb : lb - la;
    if (diff > limit)
        return limit + 1;

    guint *row = g_new(guint, lb + 1);
    for (size_t j = 0; j <= lb; j++)
        row[j] = (guint)j;
    for (size_t i = 1; i <= la; i++) {
        guint diagonal = row[0];
        guint row_min = (guint)i;
        row[0] = (guint)i;
        for (size_t j = 1; j <= lb; j++) {
            guint above = row[j];
            guint best = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
            if (best < row_min)
                row_min = best;
        }
        if (row_min > limit) {
            g_free(row);
            return limit + 1;
        }
    }
    guint result = row[lb];
    g_free(row);
    return result > limit ? limit + 1 : result;
}
