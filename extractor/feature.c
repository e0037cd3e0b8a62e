/* feature.c: the table of feature modules and the feature set. */
#include "feature.h"

/* The modules, one per file. */
extern const struct fs_feature_ops fs_feature_totals;
extern const struct fs_feature_ops fs_feature_stats;
extern const struct fs_feature_ops fs_feature_splt;
extern const struct fs_feature_ops fs_feature_ndpi;

/* Every module, in the order of their keys in a record: one line each. */
static const struct fs_feature_ops *const modules[] = {
    &fs_feature_totals,
    &fs_feature_stats,
    &fs_feature_splt,
    &fs_feature_ndpi,
};

struct fs_feature_set {
    guint size;
    const struct fs_feature_ops *ops[G_N_ELEMENTS(modules)];
    void *state[G_N_ELEMENTS(modules)];
    guint extras;
};

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
    g_free(set);
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
