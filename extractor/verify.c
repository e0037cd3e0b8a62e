/* verify.c: --verify (verify.h). Records are compared through the sink
 * calls that write them, so the comparison sees exactly what -T jsonl would
 * write, in any format, without parsing output back. */
#include <string.h>

#include "verify.h"
#include "run.h"

/* The keys whose fast-mode values come from the packets libwireshark saw
 * (doc/fast-mode.md): fewer values there are the documented difference. */
static const char *const documented_keys[] = { "ext_protocols", "extension" };

/* The keys that tell records apart, in this order. */
static const char *const identity_keys[] = { "file", "protocol", "stream", "src", "sport", "dst",
    "dport", "time_start" };

/* One top-level value. text: its canonical form (a type letter before each
 * token, strings and names with their length, so that different values
 * never have the same text). items: the elements of a top-level array, or
 * of the arrays of a top-level object ("member" U+001F element), each in
 * canonical form: what "the fast mode's values are among the exact mode's"
 * compares. scalar: a top-level scalar as written (identity), or NULL. */
struct value {
    GString *text;
    GPtrArray *items;
    char *scalar;
};

struct record {
    char *id;
    const char *file;   /* the file key's text (in values), or "-" */
    GPtrArray *keys;    /* names, in order */
    GHashTable *values; /* name -> struct value (owned) */
};

struct fs_verify_collector {
    GPtrArray *records; /* struct record, in order */
    GHashTable *by_id;  /* id -> struct record (borrowed) */
    /* The record and value being written. */
    struct record *rec;
    struct value *val;
    char top;       /* '[' or '{' for a top-level array or object, else 0 */
    char *member;   /* the current member of a top-level object */
    GString *item;  /* the item being collected, or NULL */
    int item_depth; /* the depth of the token that began it */
};

static void value_free(gpointer p)
{
    struct value *v = p;
    g_string_free(v->text, TRUE);
    g_ptr_array_free(v->items, TRUE);
    g_free(v->scalar);
    g_free(v);
}

static void record_free(gpointer p)
{
    struct record *r = p;
    g_free(r->id);
    g_ptr_array_free(r->keys, TRUE);
    g_hash_table_destroy(r->values);
    g_free(r);
}

fs_verify_collector *fs_verify_collector_new(void)
{
    fs_verify_collector *c = g_new0(fs_verify_collector, 1);
    c->records = g_ptr_array_new_with_free_func(record_free);
    c->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    return c;
}

void fs_verify_collector_free(fs_verify_collector *c)
{
    if (!c)
        return;
    g_hash_table_destroy(c->by_id);
    g_ptr_array_free(c->records, TRUE);
    g_free(c->member);
    if (c->item)
        g_string_free(c->item, TRUE);
    g_free(c);
}

static void on_begin_record(void *impl)
{
    fs_verify_collector *c = impl;
    struct record *r = g_new0(struct record, 1);
    r->keys = g_ptr_array_new_with_free_func(g_free);
    r->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, value_free);
    c->rec = r;
    c->val = NULL;
}

static void on_end_record(void *impl)
{
    fs_verify_collector *c = impl;
    struct record *r = c->rec;
    if (!r)
        return;
    GString *id = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(identity_keys); i++) {
        const struct value *v = g_hash_table_lookup(r->values, identity_keys[i]);
        if (id->len)
            g_string_append_c(id, ' ');
        g_string_append(id, v && v->scalar ? v->scalar : "-");
    }
    const struct value *file = g_hash_table_lookup(r->values, "file");
    r->file = file && file->scalar ? file->scalar : "-";
    /* Two records of one identity (not expected): the later ones are
     * numbered so that each still meets its counterpart in order. */
    guint n = 1;
    gsize base = id->len;
    while (g_hash_table_contains(c->by_id, id->str)) {
        g_string_truncate(id, base);
        g_string_append_printf(id, " #%u", ++n);
    }
    r->id = g_string_free(id, FALSE);
    g_ptr_array_add(c->records, r);
    g_hash_table_insert(c->by_id, r->id, r);
    c->rec = NULL;
    c->val = NULL;
}

static void on_key(void *impl, const char *name, int depth)
{
    fs_verify_collector *c = impl;
    if (!c->rec)
        return;
    if (depth == 0) {
        struct value *v = g_new0(struct value, 1);
        v->text = g_string_new(NULL);
        v->items = g_ptr_array_new_with_free_func(g_free);
        char *key = g_strdup(name);
        g_ptr_array_add(c->rec->keys, key);
        g_hash_table_replace(c->rec->values, key, v);
        c->val = v;
        c->top = 0;
        return;
    }
    if (!c->val)
        return;
    g_string_append_printf(c->val->text, "k%zu:%s", strlen(name), name);
    if (c->item)
        g_string_append_printf(c->item, "k%zu:%s", strlen(name), name);
    else if (c->top == '{' && depth == 1) {
        g_free(c->member);
        c->member = g_strdup(name);
    }
}

/* The depth at which a token begins an item: the elements of a top-level
 * array (1), the member values of a top-level object (1: a scalar member
 * is an item) and the elements of its array members (2). */
static gboolean begins_item(const fs_verify_collector *c, int depth, gboolean container)
{
    if (c->item)
        return FALSE;
    if (c->top == '[')
        return depth == 1;
    if (c->top == '{')
        return depth == 2 || (depth == 1 && !container);
    return FALSE;
}

static void begin_item(fs_verify_collector *c, int depth)
{
    c->item = g_string_new(NULL);
    if (c->top == '{' && c->member)
        g_string_append_printf(c->item, "%s\x1f", c->member);
    c->item_depth = depth;
}

static void end_item(fs_verify_collector *c)
{
    g_ptr_array_add(c->val->items, g_string_free(c->item, FALSE));
    c->item = NULL;
}

/* A scalar token: kind 'n' (number text), 's' (string), 'z' (null). */
static void scalar(fs_verify_collector *c, char kind, const char *text, int depth)
{
    if (!c->val)
        return;
    GString *t = c->val->text;
    gsize start = t->len;
    if (kind == 's')
        g_string_append_printf(t, "s%zu:%s", strlen(text), text);
    else if (kind == 'n')
        g_string_append_printf(t, "n%s;", text);
    else
        g_string_append_c(t, 'z');
    if (depth == 0) {
        g_free(c->val->scalar);
        c->val->scalar = g_strdup(kind == 'z' ? "null" : text);
        return;
    }
    gboolean own = begins_item(c, depth, FALSE);
    if (own)
        begin_item(c, depth);
    if (c->item)
        g_string_append_len(c->item, t->str + start, (gssize)(t->len - start));
    if (own)
        end_item(c);
}

static void on_number(void *impl, const char *text, int depth)
{
    scalar(impl, 'n', text, depth);
}

static void on_string(void *impl, const char *utf8, int depth)
{
    scalar(impl, 's', utf8, depth);
}

static void on_null(void *impl, int depth)
{
    scalar(impl, 'z', NULL, depth);
}

static void open_container(fs_verify_collector *c, char token, int depth)
{
    if (!c->val)
        return;
    g_string_append_c(c->val->text, token);
    if (depth == 0) {
        c->top = token;
        return;
    }
    if (begins_item(c, depth, TRUE))
        begin_item(c, depth);
    if (c->item)
        g_string_append_c(c->item, token);
}

static void close_container(fs_verify_collector *c, char token, int depth)
{
    if (!c->val)
        return;
    g_string_append_c(c->val->text, token);
    if (c->item) {
        g_string_append_c(c->item, token);
        if (depth == c->item_depth)
            end_item(c);
    }
}

static void on_begin_array(void *impl, int depth)
{
    open_container(impl, '[', depth);
}

static void on_end_array(void *impl, int depth)
{
    close_container(impl, ']', depth);
}

static void on_begin_object(void *impl, int depth)
{
    open_container(impl, '{', depth);
}

static void on_end_object(void *impl, int depth)
{
    close_container(impl, '}', depth);
}

static void on_close(void *impl)
{
    (void)impl; /* the collector outlives its sink */
}

static void on_begin_output(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static const struct fs_sink_ops collector_ops = {
    .name = "verify",
    .description = "records kept for --verify's comparison (internal)",
    .close = on_close,
    .begin_output = on_begin_output,
    .begin_record = on_begin_record,
    .end_record = on_end_record,
    .key = on_key,
    .number = on_number,
    .string = on_string,
    .null = on_null,
    .begin_array = on_begin_array,
    .end_array = on_end_array,
    .begin_object = on_begin_object,
    .end_object = on_end_object,
};

fs_sink *fs_verify_collector_sink(fs_verify_collector *c)
{
    return fs_sink_new_over(&collector_ops, c);
}

/* ---- the comparison ---- */

static gboolean is_documented(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(documented_keys); i++)
        if (strcmp(key, documented_keys[i]) == 0)
            return TRUE;
    return FALSE;
}

/* TRUE when every item of fast is among the items of exact. */
static gboolean items_among(const struct value *fast, const struct value *exact)
{
    GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < exact->items->len; i++)
        g_hash_table_add(set, g_ptr_array_index(exact->items, i));
    gboolean all = TRUE;
    for (guint i = 0; all && i < fast->items->len; i++)
        all = g_hash_table_contains(set, g_ptr_array_index(fast->items, i));
    g_hash_table_destroy(set);
    return all;
}

/* The items of v under member (all of a top-level array: member NULL),
 * joined, for telling which members of an object differ. */
static char *member_items(const struct value *v, const char *member)
{
    GString *s = g_string_new(NULL);
    gsize len = member ? strlen(member) : 0;
    for (guint i = 0; v && i < v->items->len; i++) {
        const char *item = g_ptr_array_index(v->items, i);
        if (!member || (strncmp(item, member, len) == 0 && item[len] == '\x1f'))
            g_string_append_printf(s, "%s\x1e", item);
    }
    return g_string_free(s, FALSE);
}

/* How often a key (or "key[member]" for the members of an object) differs. */
struct key_count {
    char *name;
    guint64 records;
    guint64 beyond; /* ... not as the documented cause allows */
};

static struct key_count *key_count(GHashTable *counts, GPtrArray *order, const char *name)
{
    struct key_count *k = g_hash_table_lookup(counts, name);
    if (!k) {
        k = g_new0(struct key_count, 1);
        k->name = g_strdup(name);
        g_hash_table_insert(counts, k->name, k);
        g_ptr_array_add(order, k);
    }
    return k;
}

static void key_count_free(gpointer p)
{
    struct key_count *k = p;
    g_free(k->name);
    g_free(k);
}

/* The members of an object value whose items differ between a and b,
 * counted under "key[member]". */
static void count_members(const char *key, const struct value *a, const struct value *b,
        gboolean beyond, GHashTable *counts, GPtrArray *order)
{
    GHashTable *members = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const struct value *both[] = { a, b };
    for (int s = 0; s < 2; s++) {
        for (guint i = 0; both[s] && i < both[s]->items->len; i++) {
            const char *item = g_ptr_array_index(both[s]->items, i);
            const char *sep = strchr(item, '\x1f');
            if (!sep)
                continue;
            char *name = g_strndup(item, (gsize)(sep - item));
            if (g_hash_table_contains(members, name)) {
                g_free(name);
                continue;
            }
            g_hash_table_add(members, name);
            g_ptr_array_add(names, name);
        }
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *x = member_items(a, name), *y = member_items(b, name);
        if (strcmp(x, y) != 0) {
            char *label = g_strdup_printf("%s[%s]", key, name);
            struct key_count *k = key_count(counts, order, label);
            k->records++;
            k->beyond += beyond;
            g_free(label);
        }
        g_free(x);
        g_free(y);
    }
    g_hash_table_destroy(members);
    g_ptr_array_free(names, TRUE);
}

/* Per capture (the record's file). */
struct file_count {
    guint64 exact, fast, identical, documented;
};

static struct file_count *file_count(GHashTable *files, GPtrArray *order, const char *file)
{
    struct file_count *f = g_hash_table_lookup(files, file);
    if (!f) {
        f = g_new0(struct file_count, 1);
        char *name = g_strdup(file);
        g_hash_table_insert(files, name, f);
        g_ptr_array_add(order, name);
    }
    return f;
}

static double share(guint64 part, guint64 whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 100.0;
}

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fs_report("--verify", msg);
    g_free(msg);
}

gboolean fs_verify_compare(const fs_verify_collector *exact, const fs_verify_collector *fast,
        gboolean report, struct fs_verify_result *result)
{
    struct fs_verify_result r = { .exact_records = exact->records->len,
        .fast_records = fast->records->len };
    GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, key_count_free);
    GPtrArray *count_order = g_ptr_array_new();
    GHashTable *files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *file_order = g_ptr_array_new();
    guint64 beyond_records = 0;
    const char *only_exact = NULL, *only_fast = NULL;

    for (guint i = 0; i < exact->records->len; i++) {
        const struct record *e = g_ptr_array_index(exact->records, i);
        struct file_count *fc = file_count(files, file_order, e->file);
        fc->exact++;
        const struct record *f = g_hash_table_lookup(fast->by_id, e->id);
        if (!f) {
            if (!only_exact)
                only_exact = e->id;
            continue;
        }
        r.matched++;
        gboolean same = TRUE, beyond = FALSE;
        /* The keys of either record, the exact mode's order first. */
        for (int side = 0; side < 2; side++) {
            const struct record *one = side ? f : e, *other = side ? e : f;
            for (guint k = 0; k < one->keys->len; k++) {
                const char *key = g_ptr_array_index(one->keys, k);
                if (side && g_hash_table_contains(other->values, key))
                    continue; /* compared from the exact side */
                const struct value *ve = g_hash_table_lookup(e->values, key);
                const struct value *vf = g_hash_table_lookup(f->values, key);
                if (ve && vf && g_string_equal(ve->text, vf->text))
                    continue;
                same = FALSE;
                gboolean allowed = ve && vf && is_documented(key) && items_among(vf, ve);
                beyond |= !allowed;
                const struct value *any = ve ? ve : vf;
                gboolean object = any->text->len && any->text->str[0] == '{';
                if (object) {
                    count_members(key, ve, vf, !allowed, counts, count_order);
                } else {
                    struct key_count *kc = key_count(counts, count_order, key);
                    kc->records++;
                    kc->beyond += !allowed;
                }
            }
        }
        if (same) {
            r.identical++;
            fc->identical++;
        } else if (!beyond) {
            r.documented++;
            fc->documented++;
        } else {
            beyond_records++;
        }
    }
    for (guint i = 0; i < fast->records->len; i++) {
        const struct record *f = g_ptr_array_index(fast->records, i);
        file_count(files, file_order, f->file)->fast++;
        if (!only_fast && !g_hash_table_contains(exact->by_id, f->id))
            only_fast = f->id;
    }
    gboolean accepted =
            r.matched == r.exact_records && r.matched == r.fast_records && beyond_records == 0;

    if (report) {
        say("%" G_GUINT64_FORMAT " records in the exact mode, %" G_GUINT64_FORMAT
            " in fast mode; %" G_GUINT64_FORMAT " identical (%.2f%%), %" G_GUINT64_FORMAT
            " differing only where fast mode gives fewer ext_protocols or extension values "
            "(doc/fast-mode.md), %" G_GUINT64_FORMAT " differing otherwise",
                r.exact_records, r.fast_records, r.identical, share(r.identical, r.exact_records),
                r.documented, beyond_records);
        if (only_exact)
            say("%" G_GUINT64_FORMAT " records only in the exact mode, the first: %s",
                    r.exact_records - r.matched, only_exact);
        if (only_fast)
            say("%" G_GUINT64_FORMAT " records only in fast mode, the first: %s",
                    r.fast_records - r.matched, only_fast);
        for (guint i = 0; i < count_order->len; i++) {
            const struct key_count *k = g_ptr_array_index(count_order, i);
            if (k->beyond)
                say("%s differs in %" G_GUINT64_FORMAT " record%s", k->name, k->records,
                        k->records == 1 ? "" : "s");
            else
                say("%s differs in %" G_GUINT64_FORMAT
                    " record%s (fast mode's values among the exact mode's)",
                        k->name, k->records, k->records == 1 ? "" : "s");
        }
        if (file_order->len > 1) {
            for (guint i = 0; i < file_order->len; i++) {
                const char *name = g_ptr_array_index(file_order, i);
                const struct file_count *fc = g_hash_table_lookup(files, name);
                say("%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " records identical (%.2f%%)%s",
                        name, fc->identical, fc->exact, share(fc->identical, fc->exact),
                        fc->exact != fc->fast ? ", not the same records" : "");
            }
        }
    }
    if (result)
        *result = r;
    g_ptr_array_free(count_order, TRUE);
    g_hash_table_destroy(counts);
    g_ptr_array_free(file_order, TRUE);
    g_hash_table_destroy(files);
    return accepted;
}

/* ---- the two runs ---- */

/* One run of opts into c. fast_applied: whether fast mode served it. */
static enum fs_status run_into(
        const struct fs_options *opts, fs_verify_collector *c, gboolean *fast_applied)
{
    fs_sink *sink = fs_verify_collector_sink(c);
    enum fs_status status = fs_run_into_fast(opts, sink, fast_applied);
    fs_sink_free(sink);
    return status;
}

enum fs_status fs_verify_run(const struct fs_options *opts)
{
    struct fs_options run = *opts;
    fs_verify_collector *fast = fs_verify_collector_new();
    fs_verify_collector *exact = fs_verify_collector_new();
    gboolean applied = FALSE;

    run.fast = TRUE;
    if (run.progress != FS_PROGRESS_NEVER)
        say("run 1 of 2: fast mode (--fast-limit %u)", run.fast_limit);
    enum fs_status status = run_into(&run, fast, &applied);
    if (!applied)
        goto out; /* fs_run_into_fast() said why, before reading any capture */
    if (status == FS_ERR_INTERRUPTED || status == FS_ERR_OUTPUT)
        goto out;

    run.fast = FALSE;
    if (run.progress != FS_PROGRESS_NEVER)
        say("run 2 of 2: the exact mode");
    enum fs_status exact_status = run_into(&run, exact, NULL);
    if (exact_status != status)
        say("the runs ended differently: fast mode: %s; the exact mode: %s", fs_status_str(status),
                fs_status_str(exact_status));
    status = fs_status_worst(status, exact_status);
    if (status == FS_ERR_INTERRUPTED || status == FS_ERR_OUTPUT)
        goto out;

    if (!fs_verify_compare(exact, fast, TRUE, NULL))
        status = fs_status_worst(status, FS_ERR_VERIFY);

out:
    fs_verify_collector_free(exact);
    fs_verify_collector_free(fast);
    return status;
}
