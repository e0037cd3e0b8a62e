/* vote.c: see vote.h. */
#include "vote.h"

#include <string.h>

/* An A-set or a C-set. */
struct host_set {
    char *type;          /* A-sets: the type; C-sets: NULL */
    double weight;       /* A-sets */
    gint64 id;           /* C-sets */
    GHashTable *members; /* char * (owned) -> itself */
};

/* What fs_vote_add_host() said about a host. */
struct host_info {
    gboolean has_g;
    double g;
};

struct fs_vote {
    GPtrArray *asets;     /* struct host_set * (owned), in order of addition */
    GPtrArray *csets;     /* struct host_set * (owned), in order of addition */
    GHashTable *cset_ids; /* gint64 * (borrowed from csets) -> NULL */
    GHashTable *hosts;    /* char * (owned) -> struct host_info * (owned) */
};

/* ---- sets ---- */

static void host_set_free(gpointer p)
{
    struct host_set *s = p;
    g_free(s->type);
    g_hash_table_destroy(s->members);
    g_free(s);
}

/* A set of the n hosts, or NULL when n hosts are none. */
static struct host_set *host_set_new(const char *const *hosts, guint n)
{
    if (n == 0)
        return NULL;
    struct host_set *s = g_new0(struct host_set, 1);
    s->members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < n; i++) {
        char *h = g_strdup(hosts[i]);
        g_hash_table_add(s->members, h);
    }
    return s;
}

static guint set_size(const struct host_set *s)
{
    return g_hash_table_size(s->members);
}

static gboolean set_has(const struct host_set *s, const char *host)
{
    return g_hash_table_contains(s->members, host);
}

/* |a n b| / |a u b| (neither set is empty). */
static double jaccard(const struct host_set *a, const struct host_set *b)
{
    if (set_size(a) > set_size(b)) {
        const struct host_set *t = a;
        a = b;
        b = t;
    }
    guint common = 0;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, a->members);
    while (g_hash_table_iter_next(&it, &key, NULL))
        common += set_has(b, key);
    return (double)common / (double)(set_size(a) + set_size(b) - common);
}

/* ---- building ---- */

fs_vote *fs_vote_new(void)
{
    fs_vote *v = g_new0(fs_vote, 1);
    v->asets = g_ptr_array_new_with_free_func(host_set_free);
    v->csets = g_ptr_array_new_with_free_func(host_set_free);
    v->cset_ids = g_hash_table_new(g_int64_hash, g_int64_equal);
    v->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return v;
}

void fs_vote_free(fs_vote *v)
{
    if (!v)
        return;
    g_hash_table_destroy(v->cset_ids);
    g_ptr_array_free(v->asets, TRUE);
    g_ptr_array_free(v->csets, TRUE);
    g_hash_table_destroy(v->hosts);
    g_free(v);
}

gboolean fs_vote_add_aset(
        fs_vote *v, const char *type, double weight, const char *const *hosts, guint n)
{
    struct host_set *s = host_set_new(hosts, n);
    if (!s)
        return FALSE;
    s->type = g_strdup(type);
    s->weight = weight;
    g_ptr_array_add(v->asets, s);
    return TRUE;
}

gboolean fs_vote_add_cset(fs_vote *v, gint64 id, const char *const *hosts, guint n)
{
    if (g_hash_table_contains(v->cset_ids, &id))
        return FALSE;
    struct host_set *s = host_set_new(hosts, n);
    if (!s)
        return FALSE;
    s->id = id;
    g_ptr_array_add(v->csets, s);
    g_hash_table_add(v->cset_ids, &s->id);
    return TRUE;
}

void fs_vote_add_host(fs_vote *v, const char *host, const double *g)
{
    struct host_info *info = g_hash_table_lookup(v->hosts, host);
    if (!info) {
        info = g_new0(struct host_info, 1);
        g_hash_table_insert(v->hosts, g_strdup(host), info);
    }
    if (g) {
        info->has_g = TRUE;
        info->g = *g;
    }
}

/* ---- the vote ---- */

static void vote_host_free(gpointer p)
{
    struct fs_vote_host *h = p;
    g_free(h->host);
    g_free(h->in_aset);
    g_array_free(h->csets, TRUE);
    g_free(h);
}

static void vote_group_free(gpointer p)
{
    struct fs_vote_group *g = p;
    g_ptr_array_free(g->members, TRUE);
    g_free(g);
}

/* Adds the internal members of set to hosts (a set of borrowed texts). */
static void collect_hosts(GHashTable *hosts, GHashTable *members, const fs_host_ranges *internal)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, members);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!internal || fs_host_ranges_match(internal, key))
            g_hash_table_add(hosts, key);
}

static int compare_host_rows(gconstpointer pa, gconstpointer pb)
{
    const struct fs_vote_host *a = *(const struct fs_vote_host *const *)pa;
    const struct fs_vote_host *b = *(const struct fs_vote_host *const *)pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return fs_host_compare(a->host, b->host);
}

static int compare_texts(gconstpointer pa, gconstpointer pb)
{
    return fs_host_compare(*(const char *const *)pa, *(const char *const *)pb);
}

static int compare_groups(gconstpointer pa, gconstpointer pb)
{
    const struct fs_vote_group *a = *(const struct fs_vote_group *const *)pa;
    const struct fs_vote_group *b = *(const struct fs_vote_group *const *)pb;
    if (a->mean != b->mean)
        return a->mean > b->mean ? -1 : 1;
    return fs_host_compare(g_ptr_array_index(a->members, 0), g_ptr_array_index(b->members, 0));
}

static int compare_ids(gconstpointer pa, gconstpointer pb)
{
    gint64 a = *(const gint64 *)pa, b = *(const gint64 *)pb;
    return (a > b) - (a < b);
}

/* Union-find over row indexes. */
static guint find_root(guint *parent, guint i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void unite(guint *parent, guint a, guint b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    /* The smaller index as root keeps the result independent of the
     * order of the unions. */
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* The column names of the A-sets: a_<type>, then a_<type>_2... */
static void name_asets(const fs_vote *v, struct fs_vote_result *r)
{
    r->asets = v->asets->len;
    r->aset_types = g_new0(char *, r->asets + 1);
    r->aset_keys = g_new0(char *, r->asets + 1);
    r->aset_weights = g_new0(double, r->asets + 1);
    for (guint i = 0; i < r->asets; i++) {
        const struct host_set *a = g_ptr_array_index(v->asets, i);
        guint k = 1;
        for (guint j = 0; j < i; j++)
            k += strcmp(((const struct host_set *)g_ptr_array_index(v->asets, j))->type, a->type) ==
                 0;
        r->aset_types[i] = g_strdup(a->type);
        r->aset_keys[i] =
                k == 1 ? g_strdup_printf("a_%s", a->type) : g_strdup_printf("a_%s_%u", a->type, k);
        r->aset_weights[i] = a->weight;
    }
}

/* The ratios of the formula, computed once per pair of sets: aa[i * na +
 * j] for A-sets i < j, ac[i * nc + k] for A-set i and C-set k. */
struct ratios {
    guint na, nc;
    double *aa;
    double *ac;
};

static void ratios_compute(const fs_vote *v, struct ratios *q)
{
    q->na = v->asets->len;
    q->nc = v->csets->len;
    q->aa = g_new0(double, (gsize)q->na * q->na + 1);
    q->ac = g_new0(double, (gsize)q->na * q->nc + 1);
    for (guint i = 0; i < q->na; i++) {
        const struct host_set *a = g_ptr_array_index(v->asets, i);
        for (guint j = i + 1; j < q->na; j++)
            q->aa[(gsize)i * q->na + j] = jaccard(a, g_ptr_array_index(v->asets, j));
        for (guint k = 0; k < q->nc; k++)
            q->ac[(gsize)i * q->nc + k] = jaccard(a, g_ptr_array_index(v->csets, k));
    }
}

/* s(h) of row h, whose in_aset is set and which lies in the C-sets of
 * indexes cset_indexes: the A-A terms of pairs of different types, then
 * the A-C terms. */
static double score_row(const fs_vote *v, const struct ratios *q, const struct fs_vote_host *h,
        const GArray *cset_indexes)
{
    double s = 0;
    for (guint i = 0; i < q->na; i++) {
        if (!h->in_aset[i])
            continue;
        const struct host_set *a = g_ptr_array_index(v->asets, i);
        for (guint j = i + 1; j < q->na; j++) {
            const struct host_set *b = g_ptr_array_index(v->asets, j);
            if (h->in_aset[j] && strcmp(a->type, b->type) != 0)
                s += a->weight * b->weight * q->aa[(gsize)i * q->na + j];
        }
        for (guint n = 0; n < cset_indexes->len; n++)
            s += a->weight * q->ac[(gsize)i * q->nc + g_array_index(cset_indexes, guint, n)];
    }
    return s;
}

/* The groups: components of "share a C-set" among suspicious rows. */
static void group_rows(const fs_vote *v, struct fs_vote_result *r)
{
    guint n = r->hosts->len;
    guint *parent = g_new(guint, n + 1);
    GHashTable *row_of = g_hash_table_new(g_str_hash, g_str_equal); /* host -> index + 1 */
    for (guint i = 0; i < n; i++) {
        struct fs_vote_host *h = g_ptr_array_index(r->hosts, i);
        parent[i] = i;
        if (h->suspicious)
            g_hash_table_insert(row_of, h->host, GUINT_TO_POINTER(i + 1));
    }
    for (guint k = 0; k < v->csets->len; k++) {
        const struct host_set *c = g_ptr_array_index(v->csets, k);
        guint first = 0; /* index + 1 of the set's first suspicious row */
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, c->members);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            guint row = GPOINTER_TO_UINT(g_hash_table_lookup(row_of, key));
            if (!row)
                continue;
            if (first)
                unite(parent, first - 1, row - 1);
            else
                first = row;
        }
    }
    GHashTable *group_of = g_hash_table_new(g_direct_hash, g_direct_equal); /* root + 1 -> group */
    for (guint i = 0; i < n; i++) {
        struct fs_vote_host *h = g_ptr_array_index(r->hosts, i);
        if (!h->suspicious)
            continue;
        gpointer root = GUINT_TO_POINTER(find_root(parent, i) + 1);
        struct fs_vote_group *g = g_hash_table_lookup(group_of, root);
        if (!g) {
            g = g_new0(struct fs_vote_group, 1);
            g->members = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(group_of, root, g);
            g_ptr_array_add(r->groups, g);
        }
        g_ptr_array_add(g->members, g_strdup(h->host));
        g->mean += h->score; /* the sum until below */
    }
    for (guint i = 0; i < r->groups->len; i++) {
        struct fs_vote_group *g = g_ptr_array_index(r->groups, i);
        g_ptr_array_sort(g->members, compare_texts);
        g->mean /= (double)g->members->len;
    }
    g_ptr_array_sort(r->groups, compare_groups);
    for (guint i = 0; i < r->groups->len; i++)
        ((struct fs_vote_group *)g_ptr_array_index(r->groups, i))->id = i + 1;
    for (guint i = 0; i < n; i++) {
        struct fs_vote_host *h = g_ptr_array_index(r->hosts, i);
        if (!h->suspicious)
            continue;
        gpointer root = GUINT_TO_POINTER(find_root(parent, i) + 1);
        h->group = ((struct fs_vote_group *)g_hash_table_lookup(group_of, root))->id;
    }
    g_hash_table_destroy(group_of);
    g_hash_table_destroy(row_of);
    g_free(parent);
}

struct fs_vote_result *fs_vote_run(const fs_vote *v, const fs_host_ranges *internal, double theta)
{
    struct fs_vote_result *r = g_new0(struct fs_vote_result, 1);
    r->theta = theta;
    r->hosts = g_ptr_array_new_with_free_func(vote_host_free);
    r->groups = g_ptr_array_new_with_free_func(vote_group_free);
    name_asets(v, r);

    /* The rows: added hosts and set members that are internal. */
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    collect_hosts(names, v->hosts, internal);
    for (guint i = 0; i < v->asets->len; i++)
        collect_hosts(
                names, ((struct host_set *)g_ptr_array_index(v->asets, i))->members, internal);
    for (guint i = 0; i < v->csets->len; i++)
        collect_hosts(
                names, ((struct host_set *)g_ptr_array_index(v->csets, i))->members, internal);
    struct ratios q;
    ratios_compute(v, &q);
    GArray *indexes = g_array_new(FALSE, FALSE, sizeof(guint));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, names);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        struct fs_vote_host *h = g_new0(struct fs_vote_host, 1);
        h->host = g_strdup(key);
        const struct host_info *info = g_hash_table_lookup(v->hosts, key);
        if (info && info->has_g) {
            h->has_g = TRUE;
            h->g = info->g;
        }
        h->in_aset = g_new0(gboolean, v->asets->len + 1);
        for (guint i = 0; i < v->asets->len; i++)
            h->in_aset[i] = set_has(g_ptr_array_index(v->asets, i), key);
        h->csets = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_array_set_size(indexes, 0);
        for (guint k = 0; k < v->csets->len; k++) {
            const struct host_set *c = g_ptr_array_index(v->csets, k);
            if (set_has(c, key)) {
                g_array_append_val(h->csets, c->id);
                g_array_append_val(indexes, k);
            }
        }
        g_array_sort(h->csets, compare_ids);
        h->score = score_row(v, &q, h, indexes);
        h->suspicious = h->score >= theta;
        g_ptr_array_add(r->hosts, h);
    }
    g_array_free(indexes, TRUE);
    g_free(q.aa);
    g_free(q.ac);
    g_hash_table_destroy(names);

    g_ptr_array_sort(r->hosts, compare_host_rows);
    group_rows(v, r);
    return r;
}

void fs_vote_result_free(struct fs_vote_result *r)
{
    if (!r)
        return;
    g_strfreev(r->aset_types);
    g_strfreev(r->aset_keys);
    g_free(r->aset_weights);
    g_ptr_array_free(r->hosts, TRUE);
    g_ptr_array_free(r->groups, TRUE);
    g_free(r);
}

const struct fs_vote_host *fs_vote_result_host(const struct fs_vote_result *r, const char *host)
{
    for (guint i = 0; i < r->hosts->len; i++) {
        const struct fs_vote_host *h = g_ptr_array_index(r->hosts, i);
        if (strcmp(h->host, host) == 0)
            return h;
    }
    return NULL;
}

/* ---- output ---- */

static void emit_bool(fs_sink *sink, const char *key, gboolean value)
{
    fs_sink_key(sink, key);
    fs_sink_number_text(sink, value ? "true" : "false");
}

static void emit_host(const struct fs_vote_result *r, const struct fs_vote_host *h, fs_sink *sink)
{
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "host", h->host);
    fs_sink_key(sink, "g");
    if (h->has_g)
        fs_sink_double(sink, h->g);
    else
        fs_sink_null(sink);
    for (guint i = 0; i < r->asets; i++)
        emit_bool(sink, r->aset_keys[i], h->in_aset[i]);
    fs_sink_key(sink, "csets");
    fs_sink_begin_array(sink);
    for (guint k = 0; k < h->csets->len; k++)
        fs_sink_int(sink, g_array_index(h->csets, gint64, k));
    fs_sink_end_array(sink);
    fs_sink_key(sink, "s");
    fs_sink_double(sink, h->score);
    emit_bool(sink, "suspicious", h->suspicious);
    fs_sink_key(sink, "group");
    if (h->group)
        fs_sink_int(sink, h->group);
    else
        fs_sink_null(sink);
    fs_sink_end_record(sink);
}

static void emit_group(const struct fs_vote_group *g, fs_sink *sink)
{
    fs_sink_begin_record(sink);
    fs_sink_key_int(sink, "group", g->id);
    fs_sink_key_int(sink, "size", g->members->len);
    fs_sink_key(sink, "members");
    fs_sink_begin_array(sink);
    for (guint i = 0; i < g->members->len; i++)
        fs_sink_string(sink, g_ptr_array_index(g->members, i));
    fs_sink_end_array(sink);
    fs_sink_key(sink, "mean_s");
    fs_sink_double(sink, g->mean);
    fs_sink_end_record(sink);
}

void fs_vote_write_hosts(const struct fs_vote_result *r, fs_sink *sink)
{
    for (guint i = 0; i < r->hosts->len; i++)
        emit_host(r, g_ptr_array_index(r->hosts, i), sink);
}

void fs_vote_write_groups(const struct fs_vote_result *r, fs_sink *sink)
{
    for (guint i = 0; i < r->groups->len; i++)
        emit_group(g_ptr_array_index(r->groups, i), sink);
}

void fs_vote_emit_hosts_keys(const struct fs_vote_result *r, fs_sink *sink)
{
    gboolean *none = g_new0(gboolean, r->asets + 1);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    struct fs_vote_host h = { .host = (char *)"", .in_aset = none, .csets = ids };
    emit_host(r, &h, sink);
    g_array_free(ids, TRUE);
    g_free(none);
}

void fs_vote_emit_groups_keys(fs_sink *sink)
{
    GPtrArray *members = g_ptr_array_new();
    struct fs_vote_group g = { .id = 0, .members = members };
    emit_group(&g, sink);
    g_ptr_array_free(members, TRUE);
}
