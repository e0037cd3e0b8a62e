/* packet.c: the small pure helpers of packet.h. */
#include <string.h>

#include "packet.h"
#include "format.h"

gint64 fs_packet_time_ms(const struct fs_packet *packet)
{
    /* Normalised here too, so that the statistics count the time the
     * record prints whoever made the packet. */
    gint64 secs = packet->ts_secs;
    gint32 nsecs = packet->ts_nsecs;
    fs_packet_normalise_time(&secs, &nsecs);
    secs = CLAMP(secs, -FS_PACKET_SECS_MAX, FS_PACKET_SECS_MAX);
    return secs * 1000 + nsecs / 1000000;
}

void fs_packet_append_ends(GString *key, const struct fs_packet *packet, gboolean ports)
{
    int order = strcmp(packet->src, packet->dst);
    gboolean src_first = order < 0 || (order == 0 && packet->sport <= packet->dport);
    const char *lower = src_first ? packet->src : packet->dst;
    const char *upper = src_first ? packet->dst : packet->src;
    if (ports)
        g_string_append_printf(key, "%s|%u|%s|%u", lower, src_first ? packet->sport : packet->dport,
                upper, src_first ? packet->dport : packet->sport);
    else
        g_string_append_printf(key, "%s|%s", lower, upper);
}

void fs_packet_normalise_time(gint64 *secs, gint32 *nsecs)
{
    fs_format_normalise_time(secs, nsecs);
}
