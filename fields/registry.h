/* registry.h: the fields a run extracts (-e), resolved against epan's field
 * registry, and their per-packet values formatted as tshark -T fields does. */
#ifndef FS_REGISTRY_H
#define FS_REGISTRY_H

#include <glib.h>
#include <epan/epan_dissect.h>

typedef struct fs_field_registry fs_field_registry;

/* A new, empty registry. Caller frees with fs_field_registry_free(). */
fs_field_registry *fs_field_registry_new(void);

/* Frees the registry; NULL does nothing. */
void fs_field_registry_free(fs_field_registry *reg);

/* Adds a field by its display-filter name (after epan_init()). A name added
 * twice is kept once. Returns FALSE and sets *errmsg (caller g_free()s) when
 * epan knows no such field; the message names it and suggests close names. */
gboolean fs_field_registry_add(fs_field_registry *reg, const char *name, char **errmsg);

/* Number of distinct fields added. */
guint fs_field_registry_count(const fs_field_registry *reg);

/* Name of field `index` (0-based, in the order added). Borrowed. */
const char *fs_field_registry_name(const fs_field_registry *reg, guint index);

/* Every hfid to prime before each packet: all registrations sharing each
 * field's name. Borrowed. */
const GArray *fs_field_registry_hfids(const fs_field_registry *reg);

/* TRUE when a field needs a visible tree to print as tshark does (protocol
 * fields print their item label, which invisible trees do not build). */
gboolean fs_field_registry_needs_visible_tree(const fs_field_registry *reg);

/* Up to `max` field or protocol names close to `name`, joined by ", ", or
 * NULL when nothing is close. Caller g_free()s. */
char *fs_field_registry_suggest(const char *name, guint max);

/* Collects the values of every field in the dissected tree of edt, as tshark
 * -T fields -E occurrence=a -E aggregator=, prints them: occurrences in tree
 * order joined by ',', escaped like tshark. values[i] (count entries, owned by
 * the caller) is truncated and then filled for field i; it is left empty when
 * the field did not occur. */
void fs_field_registry_collect(const fs_field_registry *reg, epan_dissect_t *edt, GString **values);

#endif
