/* record_source.c: see record_source.h. The consumer follows the sink
 * calls of one record (record.c's order: protocol, src, sport, dst, dport,
 * ..., ip_lengths, ip_timestamps, ..., extension, the modules' keys) and keeps the
 * values of the keys an analysis needs; at the end of the record it hands
 * them over. The database is read with SQLite's own API (read-only): its
 * flows table holds each record's keys as columns, the arrays as the JSON
 * text JSON Lines writes. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "record_source.h"
#include "epan_session.h"
#include "interrupt.h"
#include "run.h"
#include "sqlite_db.h"

/* ---- the consumer ---- */

enum field {
    FIELD_OTHER = 0,
    FIELD_PROTOCOL,
    FIELD_SRC,
    FIELD_SPORT,
    FIELD_DST,
    FIELD_DPORT,
    FIELD_LENGTHS,
    FIELD_TIMES,
    FIELD_STATES,
    FIELD_EXTENSION,
};

struct fs_record_consumer {
    fs_record_fn fn;
    void *data;
    fs_sink *sink;
    enum field field; /* the top-level key whose value is being written */
    GString *protocol, *src, *dst;
    gint64 sport, dport;
    GArray *lengths; /* gint64 */
    GArray *times;   /* gint64 nanoseconds */
    GArray *states;  /* int */
    /* The extension's pairs: texts in `texts`, emptied with each record. */
    GStringChunk *texts;
    GArray *values;        /* struct fs_read_value */
    const char *ext_field; /* the extension member being written */
    const char *ext_value; /* its pair's value, waiting for the index */
    gboolean bad;          /* a value of this record could not be read */
    gboolean has_states;
    guint64 rejected;
};

static void consumer_close(void *impl)
{
    (void)impl; /* the consumer owns the sink, not the other way round */
}

static void consumer_begin_output(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static void consumer_begin_record(void *impl)
{
    fs_record_consumer *c = impl;
    c->field = FIELD_OTHER;
    g_string_truncate(c->protocol, 0);
    g_string_truncate(c->src, 0);
    g_string_truncate(c->dst, 0);
    c->sport = c->dport = 0;
    g_array_set_size(c->lengths, 0);
    g_array_set_size(c->times, 0);
    g_array_set_size(c->states, 0);
    g_string_chunk_clear(c->texts);
    g_array_set_size(c->values, 0);
    c->ext_field = c->ext_value = NULL;
    c->bad = FALSE;
    c->has_states = FALSE;
}

static void consumer_end_record(void *impl)
{
    fs_record_consumer *c = impl;
    guint n = c->lengths->len;
    if (c->bad || c->times->len != n || (c->has_states && c->states->len != n)) {
        c->rejected++;
        return;
    }
    const struct fs_read_record rec = {
        .protocol = c->protocol->str,
        .src = c->src->str,
        .sport = c->sport,
        .dst = c->dst->str,
        .dport = c->dport,
        .packets = n,
        .lengths = (const gint64 *)(gpointer)c->lengths->data,
        .times_ns = (const gint64 *)(gpointer)c->times->data,
        .n_values = c->values->len,
        .values = (const struct fs_read_value *)(gpointer)c->values->data,
    };
    c->fn(&rec, c->has_states ? (const int *)(gpointer)c->states->data : NULL, c->data);
}

static void consumer_key(void *impl, const char *name, int depth)
{
    static const struct {
        const char *name;
        enum field field;
    } wanted[] = {
        { "protocol", FIELD_PROTOCOL },
        { "src", FIELD_SRC },
        { "sport", FIELD_SPORT },
        { "dst", FIELD_DST },
        { "dport", FIELD_DPORT },
        { "ip_lengths", FIELD_LENGTHS },
        { "ip_timestamps", FIELD_TIMES },
        { "window_states", FIELD_STATES },
        { "extension", FIELD_EXTENSION },
    };
    fs_record_consumer *c = impl;
    if (depth == 1 && c->field == FIELD_EXTENSION) {
        c->ext_field = g_string_chunk_insert_const(c->texts, name);
        return;
    }
    if (depth > 0)
        return; /* a member of an object inside a top-level value */
    c->field = FIELD_OTHER;
    for (gsize i = 0; i < G_N_ELEMENTS(wanted); i++) {
        if (strcmp(name, wanted[i].name) == 0) {
            c->field = wanted[i].field;
            break;
        }
    }
    if (c->field == FIELD_STATES)
        c->has_states = TRUE;
}

static gboolean parse_int(const char *text, gint64 *out)
{
    char *end = NULL;
    gint64 v = g_ascii_strtoll(text, &end, 10);
    if (!end || end == text || *end)
        return FALSE;
    *out = v;
    return TRUE;
}

static void consumer_number(void *impl, const char *text, int depth)
{
    fs_record_consumer *c = impl;
    gint64 v = 0;
    switch (c->field) {
        case FIELD_SPORT:
        case FIELD_DPORT:
            if (depth != 0 || !parse_int(text, c->field == FIELD_SPORT ? &c->sport : &c->dport))
                c->bad = TRUE;
            break;
        case FIELD_LENGTHS:
            if (depth != 1 || !parse_int(text, &v))
                c->bad = TRUE;
            else
                g_array_append_val(c->lengths, v);
            break;
        case FIELD_TIMES:
            if (depth != 1 || !fs_record_parse_timestamp(text, strlen(text), &v))
                c->bad = TRUE;
            else
                g_array_append_val(c->times, v);
            break;
        case FIELD_EXTENSION: {
            /* [value, index]: the index comes after its value. */
            struct fs_read_value value = { c->ext_field, c->ext_value, 0 };
            if (depth != 3 || !c->ext_field || !c->ext_value || !parse_int(text, &value.index))
                c->bad = TRUE;
            else
                g_array_append_val(c->values, value);
            c->ext_value = NULL;
            break;
        }
        case FIELD_STATES: {
            if (depth != 1 || !parse_int(text, &v) || v < 0 || v > G_MAXINT) {
                c->bad = TRUE;
            } else {
                int state = (int)v;
                g_array_append_val(c->states, state);
            }
            break;
        }
        default:
            break;
    }
}

static void consumer_string(void *impl, const char *utf8, int depth)
{
    fs_record_consumer *c = impl;
    if (c->field == FIELD_EXTENSION && depth == 3) {
        c->ext_value = g_string_chunk_insert(c->texts, utf8);
        return;
    }
    if (depth != 0)
        return;
    GString *into = c->field == FIELD_PROTOCOL ? c->protocol
                    : c->field == FIELD_SRC    ? c->src
                    : c->field == FIELD_DST    ? c->dst
                                               : NULL;
    if (into)
        g_string_assign(into, utf8);
}

static void consumer_ignore_depth(void *impl, int depth)
{
    (void)impl;
    (void)depth;
}

static const struct fs_sink_ops consumer_ops = {
    .name = "records",
    .description = "records handed to an analysis (internal)",
    .close = consumer_close,
    .begin_output = consumer_begin_output,
    .begin_record = consumer_begin_record,
    .end_record = consumer_end_record,
    .key = consumer_key,
    .number = consumer_number,
    .string = consumer_string,
    .null = consumer_ignore_depth,
    .begin_array = consumer_ignore_depth,
    .end_array = consumer_ignore_depth,
    .begin_object = consumer_ignore_depth,
    .end_object = consumer_ignore_depth,
};

fs_record_consumer *fs_record_consumer_new(fs_record_fn fn, void *data)
{
    fs_record_consumer *c = g_new0(fs_record_consumer, 1);
    c->fn = fn;
    c->data = data;
    c->protocol = g_string_new(NULL);
    c->src = g_string_new(NULL);
    c->dst = g_string_new(NULL);
    c->lengths = g_array_new(FALSE, FALSE, sizeof(gint64));
    c->times = g_array_new(FALSE, FALSE, sizeof(gint64));
    c->states = g_array_new(FALSE, FALSE, sizeof(int));
    c->texts = g_string_chunk_new(256);
    c->values = g_array_new(FALSE, FALSE, sizeof(struct fs_read_value));
    c->sink = fs_sink_new_over(&consumer_ops, c);
    return c;
}

fs_sink *fs_record_consumer_sink(fs_record_consumer *c)
{
    return c->sink;
}

guint64 fs_record_consumer_rejected(const fs_record_consumer *c)
{
    return c->rejected;
}

void fs_record_consumer_free(fs_record_consumer *c)
{
    if (!c)
        return;
    fs_sink_free(c->sink);
    g_string_free(c->protocol, TRUE);
    g_string_free(c->src, TRUE);
    g_string_free(c->dst, TRUE);
    g_array_free(c->lengths, TRUE);
    g_array_free(c->times, TRUE);
    g_array_free(c->states, TRUE);
    g_string_chunk_free(c->texts);
    g_array_free(c->values, TRUE);
    g_free(c);
}

/* ---- options ---- */

/* The help of the shared options, in parts: the database's lines are left
 * out for an analysis that reads none. */
#define HELP_CAPTURES                                                                              \
    "Input (one form):\n"                                                                          \
    "  -r, --read-file <path>     a capture or a folder of captures (repeatable;\n"                \
    "                             also as plain arguments), flows without payload\n"               \
    "                             kept (as flowshark --keep-empty)\n"                              \
    "  --files-from <file>        captures and folders listed one per line (\"-\":\n"              \
    "                             standard input)\n"
#define HELP_RECORDS                                                                               \
    "  --from-records <file>      flowshark's JSON Lines records (\"-\": standard\n"               \
    "                             input), e.g. of flowshark -r CAPTURE --keep-empty\n"
#define HELP_DB                                                                                    \
    "  --from-db <file>           the flows of a flowshark database (-T sqlite)\n"                 \
    "  --db-run <n>               its run n (default: the last run)\n"
#define HELP_CAPTURE_OPTIONS                                                                       \
    "Captures, as flowshark: --no-exclusions, -j <n>, --no-fork, --progress, -q,\n"                \
    "  -Y <filter>, -o <pref>, -d <decode-as>, --reset-every <n>, --all-protocols\n"

const char fs_record_source_help[] = HELP_CAPTURES HELP_RECORDS HELP_DB HELP_CAPTURE_OPTIONS;
const char fs_record_source_help_without_db[] = HELP_CAPTURES HELP_RECORDS HELP_CAPTURE_OPTIONS;

void fs_record_source_init(struct fs_record_source *src)
{
    memset(src, 0, sizeof(*src));
    src->capture_args = g_ptr_array_new();
}

void fs_record_source_clear(struct fs_record_source *src)
{
    if (src->capture_args)
        g_ptr_array_free(src->capture_args, TRUE);
    src->capture_args = NULL;
}

void fs_record_source_pass_on(struct fs_record_source *src, const char *name, const char *value)
{
    g_ptr_array_add(src->capture_args, (gpointer)name);
    if (value)
        g_ptr_array_add(src->capture_args, (gpointer)value);
}

gboolean fs_record_source_option(
        struct fs_record_source *src, int c, const char *optarg, char **errmsg)
{
    switch (c) {
        case FS_RECORD_OPT_FROM_RECORDS:
            src->from_records = optarg;
            return TRUE;
        case FS_RECORD_OPT_FROM_DB:
            src->from_db = optarg;
            return TRUE;
        case FS_RECORD_OPT_DB_RUN: {
            char *end = NULL;
            gint64 v = g_ascii_strtoll(optarg, &end, 10);
            if (!end || end == optarg || *end || v <= 0) {
                *errmsg = g_strdup_printf("--db-run %s: not a run id (1 or more)", optarg);
                return FALSE;
            }
            src->db_run = v;
            return TRUE;
        }
        case 1: /* a plain argument: a capture */
        case 'r':
            fs_record_source_pass_on(src, "-r", optarg);
            src->captures = TRUE;
            return TRUE;
        case FS_RECORD_OPT_FILES_FROM:
            fs_record_source_pass_on(src, "--files-from", optarg);
            src->captures = TRUE;
            return TRUE;
        case FS_RECORD_OPT_PROGRESS:
            src->progress = TRUE;
            break;
        default:
            break;
    }
    /* The capture command's own options, handed to it as they are. */
    static const struct {
        int option;
        const char *name;
        gboolean value;
    } passed_on[] = {
        { FS_RECORD_OPT_NO_EXCLUSIONS, "--no-exclusions", FALSE },
        { 'j', "-j", TRUE },
        { FS_RECORD_OPT_NO_FORK, "--no-fork", FALSE },
        { FS_RECORD_OPT_PROGRESS, "--progress", FALSE },
        { 'q', "-q", FALSE },
        { 'Y', "-Y", TRUE },
        { 'o', "-o", TRUE },
        { 'd', "-d", TRUE },
        { FS_RECORD_OPT_RESET_EVERY, "--reset-every", TRUE },
        { FS_RECORD_OPT_ALL_PROTOCOLS, "--all-protocols", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(passed_on); i++) {
        if (passed_on[i].option == c) {
            fs_record_source_pass_on(src, passed_on[i].name, passed_on[i].value ? optarg : NULL);
            return TRUE;
        }
    }
    return FALSE;
}

enum fs_status fs_record_source_check(
        const struct fs_record_source *src, const char *who, char **errmsg)
{
    int forms = (src->captures ? 1 : 0) + (src->from_records ? 1 : 0) + (src->from_db ? 1 : 0);
    if (forms == 0) {
        *errmsg = src->without_db
                          ? g_strdup_printf("%s: captures (-r CAPTURE, --files-from, plain "
                                            "arguments) or --from-records FILE (\"-\": standard "
                                            "input) are required",
                                    who)
                          : g_strdup_printf("%s: captures (-r CAPTURE, --files-from, plain "
                                            "arguments), --from-records FILE or --from-db FILE "
                                            "are required",
                                    who);
        return FS_ERR_USAGE;
    }
    if (forms > 1) {
        *errmsg = src->without_db
                          ? g_strdup_printf("%s: --from-records and captures (-r, --files-from, "
                                            "plain arguments) cannot be combined",
                                    who)
                          : g_strdup_printf("%s: captures, --from-records and --from-db cannot "
                                            "be combined",
                                    who);
        return FS_ERR_USAGE;
    }
    if (!src->captures && src->capture_args->len > 0) {
        *errmsg = g_strdup_printf("%s: %s is for captures, not %s", who,
                (const char *)g_ptr_array_index(src->capture_args, 0),
                src->from_records ? "--from-records" : "--from-db");
        return FS_ERR_USAGE;
    }
    if (src->db_run && !src->from_db) {
        *errmsg = g_strdup_printf("%s: --db-run is for --from-db", who);
        return FS_ERR_USAGE;
    }
    return FS_OK;
}

/* ---- captures ---- */

enum fs_status fs_record_source_begin_captures(const char *program,
        const struct fs_record_source *src, const char *const *extra, struct fs_options *opts,
        char **errmsg)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer)program);
    g_ptr_array_add(args, (gpointer) "--keep-empty");
    if (!src->progress)
        g_ptr_array_add(args, (gpointer) "-q");
    for (const char *const *e = extra; e && *e; e++)
        g_ptr_array_add(args, (gpointer)*e);
    for (guint i = 0; i < src->capture_args->len; i++)
        g_ptr_array_add(args, g_ptr_array_index(src->capture_args, i));
    g_ptr_array_add(args, NULL);
    char *why = NULL;
    enum fs_status status = fs_options_parse((int)args->len - 1, (char **)args->pdata, opts, &why);
    g_ptr_array_free(args, TRUE);
    if (status != FS_OK) {
        *errmsg = why;
        fs_options_free(opts);
        return status;
    }
    opts->keep_value = src->keep_value;
    opts->keep_value_data = src->keep_value_data;
    status = fs_epan_session_init(program, errmsg);
    if (status != FS_OK) {
        fs_options_free(opts);
        return status;
    }
    /* As main() sets up the capture command. */
    status = fs_epan_session_configure(opts->prefs, opts->decode_as, errmsg);
    if (status != FS_OK) {
        fs_epan_session_cleanup();
        fs_options_free(opts);
        return status;
    }
    fs_interrupt_install();
    return FS_OK;
}

void fs_record_source_end_captures(struct fs_options *opts)
{
    fs_epan_session_cleanup();
    fs_options_free(opts);
}

static enum fs_status run_captures(const char *program, const struct fs_record_source *src,
        const char *const *extra, fs_record_fn fn, void *data, char **errmsg)
{
    struct fs_options opts;
    enum fs_status status = fs_record_source_begin_captures(program, src, extra, &opts, errmsg);
    if (status != FS_OK)
        return status;
    fs_record_consumer *consumer = fs_record_consumer_new(fn, data);
    /* fs_run_into() reports its own messages. */
    status = fs_run_into(&opts, fs_record_consumer_sink(consumer));
    if (fs_record_consumer_rejected(consumer) > 0 && status == FS_OK) {
        *errmsg = g_strdup_printf("%" G_GUINT64_FORMAT " records could not be read",
                fs_record_consumer_rejected(consumer));
        status = FS_ERR_OPEN;
    }
    fs_record_consumer_free(consumer);
    fs_record_source_end_captures(&opts);
    return status;
}

/* ---- JSON Lines ---- */

static enum fs_status run_records(const char *path, fs_record_fn fn, void *data, char **errmsg)
{
    fs_record_reader *reader = NULL;
    enum fs_status status = fs_record_reader_open(path, &reader, errmsg);
    gboolean done = FALSE;
    while (status == FS_OK && !done) {
        struct fs_read_record rec;
        status = fs_record_reader_next(reader, &rec, &done, errmsg);
        if (status == FS_OK && !done)
            fn(&rec, NULL, data);
    }
    fs_record_reader_free(reader);
    return status;
}

/* ---- a database ---- */

/* The numbers of a JSON array of numbers as -T sqlite stores it
 * ("[60,-52]", "[1.5,2.25]"), each through parse; FALSE for anything
 * else. */
static gboolean parse_number_array(
        const char *text, GArray *into, gboolean (*parse)(const char *, gsize, gint64 *))
{
    g_array_set_size(into, 0);
    gsize len = text ? strlen(text) : 0;
    if (len < 2 || text[0] != '[' || text[len - 1] != ']')
        return FALSE;
    const char *p = text + 1, *end = text + len - 1;
    while (p < end) {
        const char *comma = memchr(p, ',', (gsize)(end - p));
        const char *stop = comma ? comma : end;
        gint64 v;
        if (!parse(p, (gsize)(stop - p), &v))
            return FALSE;
        g_array_append_val(into, v);
        p = comma ? comma + 1 : end;
    }
    return TRUE;
}

static gboolean parse_length(const char *text, gsize len, gint64 *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return FALSE;
    memcpy(buf, text, len);
    buf[len] = '\0';
    return parse_int(buf, out);
}

/* Opens a flowshark database read-only: NULL with *errmsg when path is not
 * one. */
static sqlite3 *open_database(const char *path, char **errmsg)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        *errmsg = g_strdup_printf("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    gint64 app = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
        app = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (app != FS_SQLITE_APPLICATION_ID) {
        *errmsg = g_strdup_printf("%s: not a flowshark database (-T sqlite)", path);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static enum fs_status run_database(
        const char *path, gint64 run, fs_record_fn fn, void *data, char **errmsg)
{
    sqlite3 *db = open_database(path, errmsg);
    if (!db)
        return FS_ERR_OPEN;
    enum fs_status status = FS_OK;
    sqlite3_stmt *st = NULL;
    if (run == 0) {
        if (sqlite3_prepare_v2(db, "SELECT max(id) FROM runs", -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
            run = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        if (run == 0) {
            *errmsg = g_strdup_printf("%s: the database holds no run", path);
            sqlite3_close(db);
            return FS_ERR_OPEN;
        }
    }
    const char *sql = "SELECT f.protocol, f.src, f.sport, f.dst, f.dport, f.ip_lengths,"
                      " f.ip_timestamps, f.id FROM flows f JOIN captures c ON f.capture = c.id"
                      " WHERE c.run = ? ORDER BY f.id";
    /* The extension's pairs of one flow, in the order they were written. */
    const char *ext_sql = "SELECT field, value, packet FROM extension WHERE flow = ? ORDER BY id";
    sqlite3_stmt *ext = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, ext_sql, -1, &ext, NULL) != SQLITE_OK) {
        *errmsg = g_strdup_printf("%s: cannot read its flows: %s", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return FS_ERR_OPEN;
    }
    sqlite3_bind_int64(st, 1, run);
    GArray *lengths = g_array_new(FALSE, FALSE, sizeof(gint64));
    GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
    GArray *values = g_array_new(FALSE, FALSE, sizeof(struct fs_read_value));
    GStringChunk *texts = g_string_chunk_new(256);
    guint64 rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        const char *protocol = (const char *)sqlite3_column_text(st, 0);
        const char *src = (const char *)sqlite3_column_text(st, 1);
        const char *dst = (const char *)sqlite3_column_text(st, 3);
        if (!protocol || !src || !dst ||
                !parse_number_array(
                        (const char *)sqlite3_column_text(st, 5), lengths, parse_length) ||
                !parse_number_array((const char *)sqlite3_column_text(st, 6), times,
                        fs_record_parse_timestamp) ||
                lengths->len != times->len) {
            *errmsg = g_strdup_printf("%s: run %" G_GINT64_FORMAT ", flow %" G_GUINT64_FORMAT
                                      ": not a flow record (protocol, src, dst, ip_lengths, "
                                      "ip_timestamps)",
                    path, run, rows);
            status = FS_ERR_OPEN;
            break;
        }
        g_array_set_size(values, 0);
        g_string_chunk_clear(texts);
        sqlite3_bind_int64(ext, 1, sqlite3_column_int64(st, 7));
        while ((rc = sqlite3_step(ext)) == SQLITE_ROW) {
            const char *field = (const char *)sqlite3_column_text(ext, 0);
            const char *value = (const char *)sqlite3_column_text(ext, 1);
            if (!field || !value)
                continue; /* not a pair flowshark writes */
            struct fs_read_value v = { g_string_chunk_insert_const(texts, field),
                g_string_chunk_insert(texts, value), sqlite3_column_int64(ext, 2) };
            g_array_append_val(values, v);
        }
        sqlite3_reset(ext);
        if (rc != SQLITE_DONE) {
            *errmsg = g_strdup_printf(
                    "%s: cannot read its extension values: %s", path, sqlite3_errmsg(db));
            status = FS_ERR_OPEN;
            break;
        }
        const struct fs_read_record rec = {
            .protocol = protocol,
            .src = src,
            .sport = sqlite3_column_int64(st, 2),
            .dst = dst,
            .dport = sqlite3_column_int64(st, 4),
            .packets = lengths->len,
            .lengths = (const gint64 *)(gpointer)lengths->data,
            .times_ns = (const gint64 *)(gpointer)times->data,
            .n_values = values->len,
            .values = (const struct fs_read_value *)(gpointer)values->data,
        };
        fn(&rec, NULL, data);
    }
    if (status == FS_OK && rc != SQLITE_DONE) {
        *errmsg = g_strdup_printf("%s: cannot read its flows: %s", path, sqlite3_errmsg(db));
        status = FS_ERR_OPEN;
    }
    if (status == FS_OK && rows == 0) {
        /* A run id that is not there, or a run without flows: say so. */
        sqlite3_stmt *q = NULL;
        gboolean exists = FALSE;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE id = ?", -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, run);
            exists = sqlite3_step(q) == SQLITE_ROW;
        }
        sqlite3_finalize(q);
        if (!exists) {
            *errmsg = g_strdup_printf("%s: no run %" G_GINT64_FORMAT, path, run);
            status = FS_ERR_OPEN;
        }
    }
    g_array_free(lengths, TRUE);
    g_array_free(times, TRUE);
    g_array_free(values, TRUE);
    g_string_chunk_free(texts);
    sqlite3_finalize(ext);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return status;
}

enum fs_status fs_record_source_run(const char *program, const struct fs_record_source *src,
        const char *const *extra, fs_record_fn fn, void *data, char **errmsg)
{
    if (src->captures)
        return run_captures(program, src, extra, fn, data, errmsg);
    if (src->from_db)
        return run_database(src->from_db, src->db_run, fn, data, errmsg);
    return run_records(src->from_records, fn, data, errmsg);
}

gboolean fs_record_source_usable(enum fs_status status)
{
    return status == FS_OK || status == FS_ERR_TRUNCATED || status == FS_ERR_INTERRUPTED ||
           status == FS_ERR_WORKER || status == FS_ERR_OPEN;
}

/* ---- the command line of an analysis ---- */

/* The format -T name names: the analysis's own file format, or one of
 * sink.c's that writes bytes (not the flows' database); NULL for any other
 * name. */
static const struct fs_sink_ops *find_format(const struct fs_analysis_cli *cli, const char *name)
{
    if (cli->file_format && strcmp(name, cli->file_format->name) == 0)
        return cli->file_format;
    const struct fs_sink_ops *ops = fs_sink_format_find(name);
    return ops && !fs_sink_format_is_file(ops) ? ops : NULL;
}

const struct fs_sink_ops *fs_analysis_cli_format(const struct fs_analysis_cli *cli)
{
    return find_format(cli, cli->format);
}

void fs_analysis_cli_init(struct fs_analysis_cli *cli, const char *who)
{
    memset(cli, 0, sizeof(*cli));
    cli->who = who;
    cli->format = "jsonl";
    fs_record_source_init(&cli->source);
}

void fs_analysis_cli_clear(struct fs_analysis_cli *cli)
{
    fs_record_source_clear(&cli->source);
}

enum fs_status fs_analysis_cli_option(
        struct fs_analysis_cli *cli, int c, const char *optarg, char **argv, char **errmsg)
{
    switch (c) {
        case 'T': {
            if (find_format(cli, optarg)) {
                cli->format = optarg;
                return FS_OK;
            }
            if (cli->file_format)
                *errmsg = g_strdup_printf("%s: -T %s: not a format of flowshark %s (jsonl, csv "
                                          "or %s)",
                        cli->who, optarg, cli->who, cli->file_format->name);
            else
                *errmsg = g_strdup_printf("%s: -T %s: not a format of flowshark %s (jsonl or "
                                          "csv)",
                        cli->who, optarg, cli->who);
            return FS_ERR_USAGE;
        }
        case 'w':
            cli->write = optarg;
            return FS_OK;
        case 'h':
            cli->help = TRUE;
            return FS_OK;
        case ':':
            *errmsg = g_strdup_printf("%s: %s needs a value", cli->who, argv[optind - 1]);
            return FS_ERR_USAGE;
        default: {
            char *why = NULL;
            if (fs_record_source_option(&cli->source, c, optarg, &why))
                return FS_OK;
            *errmsg = why ? g_strdup_printf("%s: %s", cli->who, why)
                          : g_strdup_printf("%s: unknown option %s", cli->who, argv[optind - 1]);
            g_free(why);
            return FS_ERR_USAGE;
        }
    }
}

enum fs_status fs_analysis_cli_finish(
        struct fs_analysis_cli *cli, int argc, char **argv, char **errmsg)
{
    if (cli->help)
        return FS_OK;
    for (; optind < argc; optind++) /* after "--": captures */
        fs_record_source_option(&cli->source, 'r', argv[optind], NULL);
    enum fs_status status = fs_record_source_check(&cli->source, cli->who, errmsg);
    if (status != FS_OK)
        return status;
    /* A file format (a database) is written in place, never to standard
     * output. */
    if (fs_sink_format_is_file(fs_analysis_cli_format(cli)) &&
            (!cli->write || strcmp(cli->write, "-") == 0)) {
        *errmsg = g_strdup_printf(
                "%s: -T %s writes a database: give it with -w FILE", cli->who, cli->format);
        return FS_ERR_USAGE;
    }
    return FS_OK;
}

gboolean fs_analysis_read(const char *program, const struct fs_analysis_cli *cli, fs_record_fn fn,
        void *data, enum fs_status *status, char **errmsg)
{
    *status = fs_record_source_run(program, &cli->source, cli->capture_extra, fn, data, errmsg);
    if (*status != FS_OK && !(cli->source.captures && fs_record_source_usable(*status)))
        return FALSE;
    if (*errmsg) {
        fs_report(NULL, *errmsg);
        g_free(*errmsg);
        *errmsg = NULL;
    }
    return TRUE;
}
