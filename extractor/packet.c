/* packet.c: the small pure helpers of packet.h. */
#include "packet.h"
#include "format.h"

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
    fs_format_normalise_time(secs, nsecs);
}
