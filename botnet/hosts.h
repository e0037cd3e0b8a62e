/* hosts.h: what the botnet analyses (doc/botnet.md) share about hosts:
 * addresses as sortable keys (IPv4 before IPv6, each in numeric order, as
 * ../shared/spec/botcapturer.md §4.3 orders C-flows and §5.3 breaks ties),
 * and address ranges (F1's internal networks, F3's whitelist) given as
 * addresses or CIDR prefixes, matched with GIO's GInetAddressMask. */
#ifndef FS_HOSTS_H
#define FS_HOSTS_H

#include <glib.h>

/* An address as a key that sorts numerically: family (4 or 6) then its 16
 * bytes (IPv4 in the first 4, the rest 0). */
struct fs_host_key {
    guint8 family;
    guint8 bytes[16];
};

/* The key of text (a dotted quad or an IPv6 address, as records write
 * them). FALSE when text is not an address: such hosts (none in records)
 * sort after every address, by their text. */
gboolean fs_host_key_parse(const char *text, struct fs_host_key *key);

/* strcmp-like order of two address texts by their keys (addresses that do
 * not parse last, by text). */
int fs_host_compare(const char *a, const char *b);

/* A list of address ranges. */
typedef struct fs_host_ranges fs_host_ranges;

/* Ranges from a comma-separated list of addresses and CIDR prefixes
 * ("10.0.0.0/8,fc00::/7,192.0.2.1"; "" is an empty list). NULL with
 * *errmsg (caller g_free()s) naming the first item that is neither. */
fs_host_ranges *fs_host_ranges_parse(const char *list, char **errmsg);

/* The private networks of BotMiner's F1 as the spec's default: 10/8,
 * 172.16/12, 192.168/16 and fc00::/7. */
#define FS_HOST_INTERNAL_DEFAULT "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"

/* TRUE when the address text lies in one of the ranges (FALSE for text
 * that is not an address). */
gboolean fs_host_ranges_match(const fs_host_ranges *ranges, const char *address);

/* The number of ranges. */
guint fs_host_ranges_size(const fs_host_ranges *ranges);

/* Frees the list; NULL does nothing. */
void fs_host_ranges_free(fs_host_ranges *ranges);

#endif
