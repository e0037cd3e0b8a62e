/* registry.c: field look-up, suggestions and tshark-identical value text. */
#include <string.h>

#include <epan/proto.h>
#include <epan/print.h>

#include "registry.h"
#include "format.h"

struct fs_field_registry {
    GPtrArray *names;       /* char *, owned */
    GArray *hfids;          /* int: every hfid of every field */
    GHashTable *hfid_index; /* hfid -> field index + 1 */
    gboolean needs_visible_tree;
};

fs_field_registry *fs_field_registry_new(void)
{
    fs_field_registry *reg = g_new0(fs_field_registry, 1);
    reg->names = g_ptr_array_new_with_free_func(g_free);
    reg->hfids = g_array_new(FALSE, FALSE, sizeof(int));
    reg->hfid_index = g_hash_table_new(g_direct_hash, g_direct_equal);
    return reg;
}

void fs_field_registry_free(fs_field_registry *reg)
{
    if (!reg)
        return;
    g_ptr_array_free(reg->names, TRUE);
    g_array_free(reg->hfids, TRUE);
    g_hash_table_destroy(reg->hfid_index);
    g_free(reg);
}

gboolean fs_field_registry_add(fs_field_registry *reg, const char *name, char **errmsg)
{
    *errmsg = NULL;
    for (guint i = 0; i < reg->names->len; i++) {
        if (strcmp(g_ptr_array_index(reg->names, i), name) == 0)
            return TRUE;
    }
    header_field_info *hfinfo = proto_registrar_get_byname(name);
    if (!hfinfo) {
        char *close = fs_field_registry_suggest(name, 5);
        if (g_str_has_prefix(name, "_ws.col."))
            *errmsg = g_strdup_printf("\"%s\" is a column, and columns are not supported as "
                                      "fields (use the field it shows, e.g. frame.protocols)",
                    name);
        else if (close)
            *errmsg =
                    g_strdup_printf("\"%s\" is not a valid field; did you mean: %s?", name, close);
        else
            *errmsg = g_strdup_printf("\"%s\" is not a valid field", name);
        g_free(close);
        return FALSE;
    }
    /* Registrations sharing one name are chained: walk back to the head. */
    while (hfinfo->same_name_prev_id != -1)
        hfinfo = proto_registrar_get_nth(hfinfo->same_name_prev_id);

    guint index = reg->names->len;
    g_ptr_array_add(reg->names, g_strdup(name));
    for (; hfinfo; hfinfo = hfinfo->same_name_next) {
        g_array_append_val(reg->hfids, hfinfo->id);
        g_hash_table_insert(
                reg->hfid_index, GINT_TO_POINTER(hfinfo->id), GUINT_TO_POINTER(index + 1));
        if (hfinfo->type == FT_PROTOCOL)
            reg->needs_visible_tree = TRUE;
    }
    return TRUE;
}

guint fs_field_registry_count(const fs_field_registry *reg)
{
    return reg->names->len;
}

const char *fs_field_registry_name(const fs_field_registry *reg, guint index)
{
    return g_ptr_array_index(reg->names, index);
}

const GArray *fs_field_registry_hfids(const fs_field_registry *reg)
{
    return reg->hfids;
}

gboolean fs_field_registry_needs_visible_tree(const fs_field_registry *reg)
{
    return reg->needs_visible_tree;
}

/* ---- suggestions ---- */

struct candidate {
    const char *name; /* borrowed from epan */
    guint distance;
};

static gint compare_candidates(gconstpointer a, gconstpointer b)
{
    const struct candidate *ca = a;
    const struct candidate *cb = b;
    if (ca->distance != cb->distance)
        return ca->distance < cb->distance ? -1 : 1;
    return strcmp(ca->name, cb->name);
}

static void consider(GArray *found, const char *wanted, const char *name, guint limit)
{
    guint distance = fs_format_edit_distance(wanted, name, limit);
    if (distance <= limit) {
        struct candidate c = { .name = name, .distance = distance };
        g_array_append_val(found, c);
    }
}

char *fs_field_registry_suggest(const char *name, guint max)
{
    /* Allow about one typo per four characters, at least two. */
    guint limit = MAX(2, (guint)strlen(name) / 4);
    GArray *found = g_array_new(FALSE, FALSE, sizeof(struct candidate));
    void *proto_cookie = NULL;
    for (int proto_id = proto_get_first_protocol(&proto_cookie); proto_id != -1;
            proto_id = proto_get_next_protocol(&proto_cookie)) {
        consider(found, name, proto_registrar_get_nth((guint)proto_id)->abbrev, limit);
        void *field_cookie = NULL;
        for (header_field_info *hf = proto_get_first_protocol_field(proto_id, &field_cookie); hf;
                hf = proto_get_next_protocol_field(proto_id, &field_cookie)) {
            /* Only the head of a chain of same-named fields, so each name
             * is offered once. */
            if (hf->same_name_prev_id == -1)
                consider(found, name, hf->abbrev, limit);
        }
    }
    g_array_sort(found, compare_candidates);
    char *result = NULL;
    if (found->len > 0) {
        GString *text = g_string_new(NULL);
        for (guint i = 0; i < found->len && i < max; i++) {
            if (i > 0)
                g_string_append(text, ", ");
            g_string_append(text, g_array_index(found, struct candidate, i).name);
        }
        result = g_string_free(text, FALSE);
    }
    g_array_free(found, TRUE);
    return result;
}

/* ---- values ---- */

struct collect_state {
    const fs_field_registry *reg;
    epan_dissect_t *edt;
    GString **values;
    gboolean *seen; /* field occurred already in this packet */
};

static void collect_node(proto_node *node, gpointer data)
{
    struct collect_state *state = data;
    field_info *fi = PNODE_FINFO(node);
    if (fi && fi->hfinfo) {
        guint slot = GPOINTER_TO_UINT(
                g_hash_table_lookup(state->reg->hfid_index, GINT_TO_POINTER(fi->hfinfo->id)));
        if (slot > 0) {
            /* tshark skips values it cannot format (NULL) but keeps empty
             * ones, each joined by the aggregator. */
            gchar *value = get_node_field_value(fi, state->edt);
            if (value) {
                GString *out = state->values[slot - 1];
                if (state->seen[slot - 1])
                    g_string_append_c(out, ',');
                state->seen[slot - 1] = TRUE;
                fs_format_escape_tshark(value, out);
                g_free(value);
            }
        }
    }
    if (node->first_child)
        proto_tree_children_foreach(node, collect_node, data);
}

void fs_field_registry_collect(const fs_field_registry *reg, epan_dissect_t *edt, GString **values)
{
    guint count = reg->names->len;
    if (count == 0)
        return;
    gboolean *seen = g_newa(gboolean, count);
    for (guint i = 0; i < count; i++) {
        g_string_truncate(values[i], 0);
        seen[i] = FALSE;
    }
    if (!edt->tree)
        return;
    struct collect_state state = { .reg = reg, .edt = edt, .values = values, .seen = seen };
    proto_tree_children_foreach(edt->tree, collect_node, &state);
}
