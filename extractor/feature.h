/* feature.h: per-flow feature modules. A module computes keys that are
 * added to each record after the record's own (totals, NFStream statistics,
 * SPLT, nDPI labels...). It is an ops table with a lifecycle: set up once
 * per run (before workers fork), a state per flow, every packet of the
 * flow, a finish when the flow ends, its keys written into the record, and
 * a clean-up. The modules in use are a feature set; a flow holds one slot
 * per module of the set.
 *
 * A new module is one file (feature_NAME.c with a `const struct
 * fs_feature_ops fs_feature_NAME`, its options included), its line in the
 * table of feature.c, and its test (CMake picks up feature_*.c by itself). Its keys reach the CSV
 * header by themselves: the header is a dry run of `emit` on a flow without packets. */
#ifndef FS_FEATURE_H
#define FS_FEATURE_H

#include <glib.h>

#include "options.h"
#include "packet.h"
#include "sink.h"
#include "status.h"

struct fs_flow;

/* A command-line option a module declares (--NAME): a flag, or a whole
 * number in [min, max]. The parser (options.c), --help and the option
 * tests take them from the modules' tables; the module reads the value
 * with fs_options_module_value(). Plain struct. */
struct fs_feature_option {
    const char *name;    /* long option without "--"; NULL ends a table */
    const char *metavar; /* NULL for a flag; the value's name in --help ("n") */
    guint min, max;      /* the number's range */
    guint fallback;      /* the number when the option is not given */
    const char *help;    /* its --help text, one line of at most 48 characters */
};

struct fs_feature_ops {
    const char *name;
    /* Its options, ended by an entry whose name is NULL; NULL for none. */
    const struct fs_feature_option *options;
    /* Whether the options ask for the module. */
    gboolean (*enabled)(const struct fs_options *opts);
    /* The enum fs_packet_extra bits its packets need. */
    guint extras;
    /* Wireshark fields (display-filter names) whose values it reads from
     * every packet, as tshark -T fields prints them (all occurrences joined
     * by ","); NULL-terminated, NULL for none. They are dissected with the
     * user's -e fields but never written in "extension". */
    const char *const *fields;
    /* Run-wide state made from the options (*state may stay NULL).
     * FS_ERR_INIT with *errmsg (caller g_free()s) when it cannot be made. */
    enum fs_status (*setup)(const struct fs_options *opts, void **state, char **errmsg);
    /* Frees what setup made; called with NULL too. */
    void (*cleanup)(void *state);
    /* A flow's private data (may be NULL), before its first packet. */
    void *(*flow_new)(void *state);
    /* Counts a packet; forward: it goes from the flow's src to its dst.
     * The flow's own members are up to date with this packet. */
    void (*packet)(void *state, void *data, const struct fs_flow *flow,
            const struct fs_packet *packet, gboolean forward);
    /* With fields: called after packet, with the values of the module's
     * fields for this packet, in the order of `fields` ("" when the field did
     * not occur). Optional. */
    void (*packet_values)(void *state, void *data, const struct fs_flow *flow,
            const struct fs_packet *packet, gboolean forward, const GString *const *values);
    /* The flow is over (its record follows); optional. */
    void (*finish)(void *state, void *data);
    /* Writes the module's keys into the current record; data may belong to
     * a flow without packets (the header's dry run). */
    void (*emit)(void *state, const void *data, const struct fs_flow *flow, fs_sink *sink);
    /* Frees data; optional, called with NULL too. */
    void (*flow_free)(void *data);
};

/* A flow's state after one of its packets, as the states module
 * (feature_states.c) writes it in "window_states" for flowshark window -r. */
enum fs_flow_state {
    FS_FLOW_STATE_NEW = 0,
    FS_FLOW_STATE_CONNECTING,
    FS_FLOW_STATE_ESTABLISHED,
    FS_FLOW_STATE_CLOSING,
    FS_FLOW_STATE_CLOSED,
    FS_FLOW_STATE_RESET,
    FS_FLOW_STATE_COUNT
};

/* Option i of all modules' options, in the order of the module table;
 * NULL past the last. */
const struct fs_feature_option *fs_feature_option_at(guint i);

/* The modules the options ask for, in the order of their keys, each set
 * up. Opaque. */
typedef struct fs_feature_set fs_feature_set;

/* Sets up every module the options ask for. On failure returns its status
 * with *errmsg (caller g_free()s) and *out NULL; on success free *out with
 * fs_feature_set_free(). An empty set is valid (no added keys). */
enum fs_status fs_feature_set_new(
        const struct fs_options *opts, fs_feature_set **out, char **errmsg);

/* The module fields that are not among opts->fields (the -e fields), in
 * the order they must be added to the field registry after the -e fields
 * (char *, borrowed): the set reads each module field's value at the index
 * that order gives it (a module field also given with -e is read at its -e
 * index). */
const GPtrArray *fs_feature_set_added_fields(const fs_feature_set *set);

/* Frees the set and the modules' states; NULL does nothing. */
void fs_feature_set_free(fs_feature_set *set);

/* The enum fs_packet_extra bits the set's modules need. */
guint fs_feature_set_extras(const fs_feature_set *set);

/* Number of modules in the set: the slots each flow holds. */
guint fs_feature_set_size(const fs_feature_set *set);

/* Per flow: new slots (NULL for an empty set), a packet, the end, the keys,
 * freeing the slots. set may be NULL (no modules). */
gpointer *fs_feature_set_flow_new(const fs_feature_set *set);
void fs_feature_set_packet(const fs_feature_set *set, gpointer *slots, const struct fs_flow *flow,
        const struct fs_packet *packet, gboolean forward);
void fs_feature_set_finish(const fs_feature_set *set, gpointer *slots);
void fs_feature_set_emit(const fs_feature_set *set, gpointer const *slots,
        const struct fs_flow *flow, fs_sink *sink);
void fs_feature_set_flow_free(const fs_feature_set *set, gpointer *slots);

#endif
