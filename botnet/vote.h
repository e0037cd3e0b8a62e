/* vote.h: the vote of flowshark botnet (../shared/spec/botcapturer.md §5.3,
 * the formula of §5.1 with real division). Typed, weighted A-sets (hosts
 * flagged by one activity: "graph", "scan", "mirai"...) and C-sets (the host
 * sets of the C-flow clusters) give each internal host a score
 *
 *   s(h) = sum over pairs i < j of A-sets holding h, of different types,
 *            of w_i * w_j * |Ai n Aj| / |Ai u Aj|
 *        + sum over A-sets Ai and C-sets Ck holding h
 *            of w_i * |Ai n Ck| / |Ai u Ck|
 *
 * (0 for a host in no A-set). Hosts with s >= theta are suspicious; groups
 * are the connected components among them of "share a C-set", numbered
 * from 1 by descending mean score, ties by the smallest address.
 *
 * Use: fs_vote_new(), then the sets and hosts (fs_vote_add_*), then
 * fs_vote_run() for the tables, written with fs_vote_write_hosts() and
 * fs_vote_write_groups(). */
#ifndef FS_VOTE_H
#define FS_VOTE_H

#include <glib.h>

#include "hosts.h"
#include "sink.h"

/* The sets and hosts of one vote. Opaque. */
typedef struct fs_vote fs_vote;

/* An empty vote. Free with fs_vote_free(). */
fs_vote *fs_vote_new(void);

/* Frees the vote; NULL does nothing. */
void fs_vote_free(fs_vote *v);

/* Adds an A-set of type `type` (copied; A-sets of one type are never
 * paired with each other) and weight `weight` holding the n host texts
 * (copied; repeats count once). An empty set is left out: FALSE. A-sets
 * keep the order they were added in. */
gboolean fs_vote_add_aset(
        fs_vote *v, const char *type, double weight, const char *const *hosts, guint n);

/* Adds a C-set with id `id` (a C-cluster id, written in the hosts table)
 * holding the n host texts (copied; repeats count once). An empty set is
 * left out: FALSE. Two C-sets may not share an id (the second is left out:
 * FALSE). */
gboolean fs_vote_add_cset(fs_vote *v, gint64 id, const char *const *hosts, guint n);

/* Makes host (copied) a row of the hosts table even when it is in no set
 * (every internal host of the batch should be added), with its graph score
 * *g when g is not NULL (the hosts table's g, null otherwise). Adding a
 * host again replaces its g when g is not NULL. */
void fs_vote_add_host(fs_vote *v, const char *host, const double *g);

/* One row of the hosts table. Callers may read every field. */
struct fs_vote_host {
    char *host;
    gboolean has_g;      /* FALSE: no graph score was given */
    double g;            /* the graph score, when has_g */
    gboolean *in_aset;   /* one per A-set of the result, in its order */
    GArray *csets;       /* gint64 ids of the C-sets holding host, ascending */
    double score;        /* s(h) */
    gboolean suspicious; /* score >= theta */
    guint group;         /* the group's id, or 0 when not suspicious */
};

/* One row of the groups table. Callers may read every field. */
struct fs_vote_group {
    guint id;           /* from 1 */
    GPtrArray *members; /* char * (owned), by address */
    double mean;        /* mean score of the members */
};

/* The outcome of a vote. Callers may read every field; free with
 * fs_vote_result_free(). */
struct fs_vote_result {
    double theta;
    guint asets;       /* the number of A-sets */
    char **aset_types; /* their types, in order (NULL-terminated) */
    char **aset_keys;  /* their columns in the hosts table: "a_<type>", or
                        * "a_<type>_<k>" for the k-th (k >= 2) A-set of a
                        * type (NULL-terminated) */
    double *aset_weights;
    GPtrArray *hosts;  /* struct fs_vote_host *, by descending score, ties
                        * by address (fs_host_compare) */
    GPtrArray *groups; /* struct fs_vote_group *, by id */
};

/* The vote of v for the hosts that internal matches (NULL: every host).
 * Rows are the internal hosts that were added or are in some set; the sets
 * themselves are used as given (external members, if any, count in the
 * ratios). Caller frees with fs_vote_result_free(). */
struct fs_vote_result *fs_vote_run(const fs_vote *v, const fs_host_ranges *internal, double theta);

/* Frees a result; NULL does nothing. */
void fs_vote_result_free(struct fs_vote_result *r);

/* The row of host in r, or NULL (borrowed). */
const struct fs_vote_host *fs_vote_result_host(const struct fs_vote_result *r, const char *host);

/* Writes the hosts table, one record per host in r's order: host, g
 * (null when not given), one true/false key per A-set (aset_keys), csets
 * (array of ids), s, suspicious (true/false), group (null when not
 * suspicious). */
void fs_vote_write_hosts(const struct fs_vote_result *r, fs_sink *sink);

/* Writes the groups table, one record per group by id: group, size,
 * members (array of addresses), mean_s. */
void fs_vote_write_groups(const struct fs_vote_result *r, fs_sink *sink);

/* One record with every key of each table (values are placeholders), for
 * a key collector (fs_sink_new_key_collector()): the CSV header, even of
 * an empty table. */
void fs_vote_emit_hosts_keys(const struct fs_vote_result *r, fs_sink *sink);
void fs_vote_emit_groups_keys(fs_sink *sink);

#endif
