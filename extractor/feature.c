/* feature.c: the table of feature modules and the feature set. */
#include <string.h>

#include "feature.h"

/* The modules, one per file. */
extern const struct fs_feature_ops fs_feature_totals;
extern const struct fs_feature_ops fs_feature_stats;
extern const struct fs_feature_ops fs_feature_splt;
extern const struct fs_feature_ops fs_feature_ndpi;
extern const struct fs_feature_ops fs_feature_tls;
extern const struct fs_feature_ops fs_feature_states;

/* Every module, in the order of their keys in a record: one line each. */
static const struct fs_feature_ops *const modules[] = {
    &fs_feature_totals,
    &fs_feature_stats,
    &fs_feature_splt,
    &fs_feature_ndpi,
    &fs_feature_tls,
    &fs_feature_states,
};

/* The most fields one module may declare. */
#define MAX_MODULE_FIELDS 16

struct fs_feature_set {
    guint size;
    const struct fs_feature_ops *ops[G_N_ELEMENTS(modules)];
    void *state[G_N_ELEMENTS(modules)];
    guint extras;
    /* Per module: the index of each of its fields in a packet's values. */
    guint field_index[G_N_ELEMENTS(modules)][MAX_MODULE_FIELDS];
    guint field_count[G_N_ELEMENTS(modules)];
    GPtrArray *added_fields; /* const char *: module fields after the -e ones */
};

/* The index of a module field among the packet values: its -e position, or
 * its place after the -e fields (added once). */
static guint field_index(fs_feature_set *set, const struct fs_options *opts, const char *name)
{
    for (guint i = 0; i < opts->fields->len; i++) {
        if (strcmp(g_ptr_array_index(opts->fields, i), name) == 0)
            return i;
    }
    for (guint i = 0; i < set->added_fields->len; i++) {
        if (strcmp(g_ptr_array_index(set->added_fields, i), name) == 0)
            return opts->fields->len + i;
    }
    g_ptr_array_add(set->added_fields, (gpointer)name);
    return opts->fields->len + set->added_fields->len - 1;
}

const struct fs_feature_option *fs_feature_option_at(guint i)
{
    for (guint m = 0; m < G_N_ELEMENTS(modules); m++) {
        for (const struct fs_feature_option *o = modules[m]->options; o && o->name; o++) {
            if (i-- == 0)
                return o;
        }
    }
    return NULL;
}

enum fs_status fs_feature_set_new(
        const struct fs_options *opts, fs_feature_set **out, char **errmsg)
{
    *out = NULL;
    *errmsg = NULL;
    fs_feature_set *set = g_new0(fs_feature_set, 1);
    set->added_fields = g_ptr_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(modules); i++) {
        const struct fs_feature_ops *ops = modules[i];
        if (!ops->enabled(opts))
            continue;
        void *state = NULL;
        if (ops->setup) {
            enum fs_status status = ops->setup(opts, &state, errmsg);
            if (status != FS_OK) {
                fs_feature_set_free(set);
                return status;
            }
        }
        set->ops[set->size] = ops;
        set->state[set->size] = state;
        set->extras |= ops->extras;
        for (guint f = 0; ops->fields && ops->fields[f]; f++) {
            g_assert(f < MAX_MODULE_FIELDS);
            set->field_index[set->size][f] = field_index(set, opts, ops->fields[f]);
            set->field_count[set->size] = f + 1;
        }
        set->size++;
    }
    *out = set;
    return FS_OK;
}

void fs_feature_set_free(fs_feature_set *set)
{
    if (!set)
        return;
    for (guint i = 0; i < set->size; i++) {
        if (set->ops[i]->cleanup)
            set->ops[i]->cleanup(set->state[i]);
    }
    g_ptr_array_free(set->added_fields, TRUE);
    g_free(set);
}

const GPtrArray *fs_feature_set_added_fields(const fs_feature_set *set)
{
    static const GPtrArray none = { NULL, 0 };
    return set ? set->added_fields : &none;
}

guint fs_feature_set_extras(const fs_feature_set *set)
{
    return set ? set->extras : 0;
}

guint fs_feature_set_size(const fs_feature_set *set)
{
    return set ? set->size : 0;
}

gpointer *fs_feature_set_flow_new(const fs_feature_set *set)
{
    if (!set || set->size == 0)
        return NULL;
    gpointer *slots = g_new0(gpointer, set->size);
    for (guint i = 0; i < set->size; i++)
        slots[i] = set->ops[i]->flow_new ? set->ops[i]->flow_new(set->state[i]) : NULL;
    return slots;
}

void fs_feature_set_packet(const fs_feature_set *set, gpointer *slots, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward)
{
    for (guint i = 0; slots && i < set->size; i++) {
        if (set->ops[i]->packet)
            set->ops[i]->packet(set->state[i], slots[i], flow, packet, forward);
        if (set->ops[i]->packet_values) {
            static GString empty = { (gchar *)"", 0, 0 };
            const GString *values[MAX_MODULE_FIELDS];
            for (guint f = 0; f < set->field_count[i]; f++) {
                guint at = set->field_index[i][f];
                values[f] =
                        packet->values && at < packet->value_count ? packet->values[at] : &empty;
            }
            set->ops[i]->packet_values(set->state[i], slots[i], flow, packet, forward, values);
        }
    }
}

void fs_feature_set_finish(const fs_feature_set *set, gpointer *slots)
{
    for (guint i = 0; slots && i < set->size; i++) {
        if (set->ops[i]->finish)
            set->ops[i]->finish(set->state[i], slots[i]);
    }
}

void fs_feature_set_emit(
        const fs_feature_set *set, gpointer const *slots, const struct fs_flow *flow, fs_sink *sink)
{
    for (guint i = 0; slots && i < set->size; i++)
        set->ops[i]->emit(set->state[i], slots[i], flow, sink);
}

void fs_feature_set_flow_free(const fs_feature_set *set, gpointer *slots)
{
    if (!slots)
        return;
    for (guint i = 0; i < set->size; i++) {
        if (set->ops[i]->flow_free)
            set->ops[i]->flow_free(slots[i]);
    }
    g_free(slots);
}
