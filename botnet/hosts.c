/* hosts.c: see hosts.h. */
#include <string.h>

#include <gio/gio.h>

#include "hosts.h"

struct fs_host_ranges {
    GPtrArray *masks; /* GInetAddressMask * (owned) */
};

gboolean fs_host_key_parse(const char *text, struct fs_host_key *key)
{
    memset(key, 0, sizeof(*key));
    GInetAddress *a = g_inet_address_new_from_string(text);
    if (!a)
        return FALSE;
    gsize n = g_inet_address_get_native_size(a);
    memcpy(key->bytes, g_inet_address_to_bytes(a), n);
    key->family = g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4 ? 4 : 6;
    g_object_unref(a);
    return TRUE;
}

int fs_host_compare(const char *a, const char *b)
{
    struct fs_host_key ka, kb;
    gboolean pa = fs_host_key_parse(a, &ka), pb = fs_host_key_parse(b, &kb);
    if (pa != pb)
        return pa ? -1 : 1;
    if (!pa)
        return strcmp(a, b);
    if (ka.family != kb.family)
        return ka.family < kb.family ? -1 : 1;
    return memcmp(ka.bytes, kb.bytes, sizeof(ka.bytes));
}

fs_host_ranges *fs_host_ranges_parse(const char *list, char **errmsg)
{
    fs_host_ranges *r = g_new0(fs_host_ranges, 1);
    r->masks = g_ptr_array_new_with_free_func(g_object_unref);
    gchar **items = g_strsplit(list, ",", -1);
    for (gchar **item = items; *item; item++) {
        char *text = g_strstrip(*item);
        if (!*text)
            continue;
        GError *error = NULL;
        /* A bare address is the range of that address alone. */
        GInetAddressMask *mask = g_inet_address_mask_new_from_string(text, &error);
        if (!mask) {
            *errmsg = g_strdup_printf("\"%s\" is not an address or a CIDR prefix (%s)", text,
                    error ? error->message : "?");
            g_clear_error(&error);
            g_strfreev(items);
            fs_host_ranges_free(r);
            return NULL;
        }
        g_ptr_array_add(r->masks, mask);
    }
    g_strfreev(items);
    return r;
}

gboolean fs_host_ranges_match(const fs_host_ranges *ranges, const char *address)
{
    if (!ranges || ranges->masks->len == 0)
        return FALSE;
    GInetAddress *a = g_inet_address_new_from_string(address);
    if (!a)
        return FALSE;
    gboolean found = FALSE;
    for (guint i = 0; i < ranges->masks->len && !found; i++)
        found = g_inet_address_mask_matches(g_ptr_array_index(ranges->masks, i), a);
    g_object_unref(a);
    return found;
}

guint fs_host_ranges_size(const fs_host_ranges *ranges)
{
    return ranges ? ranges->masks->len : 0;
}

void fs_host_ranges_free(fs_host_ranges *ranges)
{
    if (!ranges)
        return;
    g_ptr_array_free(ranges->masks, TRUE);
    g_free(ranges);
}
