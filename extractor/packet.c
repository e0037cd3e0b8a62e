/* packet.c: the small pure helpers of packet.h. */
#include "packet.h"

#define NSECS_PER_SEC 1000000000

gint64 fs_packet_time_ms(const struct fs_packet *packet)
{
    /* Normalised here too, so that the statistics count the time the
     * record prints whoever made the packet. */
    gint64 secs = packet->ts_secs;
    gint32 nsecs = packet->ts_nsecs;
    fs_packet_normalise_time(&secs, &nsecs);
    return secs * 1000 + nsecs / 1000000;
}

void fs_packet_normalise_time(gint64 *secs, gint32 *nsecs)
{
    gint64 s = *secs;
    gint32 ns = *nsecs;
    gint32 carry = ns / NSECS_PER_SEC; /* -2 to 2 for a gint32 */
    ns %= NSECS_PER_SEC;
    if (ns < 0) {
        ns += NSECS_PER_SEC;
        carry--;
    }
    /* Saturates at the ends of gint64 rather than overflow. */
    if (carry > 0 && s > G_MAXINT64 - carry)
        s = G_MAXINT64;
    else if (carry < 0 && s < G_MININT64 - carry)
        s = G_MININT64;
    else
        s += carry;
    *secs = s;
    *nsecs = ns;
}
