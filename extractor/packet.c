/* packet.c: the small pure helpers of packet.h. */
#include "packet.h"

#define NSECS_PER_SEC 1000000000

gint64 fs_packet_time_ms(const struct fs_packet *packet)
{
    return packet->ts_secs * 1000 + packet->ts_nsecs / 1000000;
}

void fs_packet_normalise_time(gint64 *secs, gint32 *nsecs)
{
    gint64 s = *secs;
    gint64 ns = *nsecs;
    s += ns / NSECS_PER_SEC;
    ns %= NSECS_PER_SEC;
    if (ns < 0) {
        ns += NSECS_PER_SEC;
        s--;
    }
    *secs = s;
    *nsecs = (gint32)ns;
}
