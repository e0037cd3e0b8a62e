/* window_sqlite.c: see window_sqlite.h. A run of flowshark window adds one
 * row to window_runs and one row per window to windows, whose columns are
 * id, run, then one per key of the rows, named as the key: the columns a
 * run needs and the table lacks are added (ALTER TABLE ADD COLUMN), as
 * sink_sqlite.c does for flows, so that runs with different keys (state
 * keys from captures only, _z keys with --score) share one table and
 * window_runs.window_keys says which columns each run's rows have. Values
 * keep their JSON type: INTEGER or REAL by sqlite_db.c's rule, NULL for
 * null, an array (top_features) as the compact JSON text JSON Lines writes.
 *
 * Opening checks the file (sqlite_db.c: a file that is not a flowshark
 * database is refused untouched) and, in a short transaction, gives a new
 * database flowshark's tables and any database the two window tables. The
 * run is then one transaction, begun by its first row (or by the close of a
 * run without rows) and committed by close_file: an interrupted or failed
 * run leaves nothing of itself. Errors stick (the first is kept, later
 * calls do nothing) and are handed out by close_file. */
#include <string.h>

#include <wsutil/json_dumper.h>

#include "window_sqlite.h"
#include "sqlite_db.h"

static const char window_schema_sql[] = "CREATE TABLE IF NOT EXISTS window_runs ("
                                        " id INTEGER PRIMARY KEY,"
                                        " started TEXT NOT NULL,"
                                        " finished TEXT,"
                                        " status TEXT NOT NULL,"
                                        " command_line TEXT,"
                                        " flowshark_version TEXT,"
                                        " seconds,"
                                        " empty_windows INTEGER,"
                                        " input TEXT,"
                                        " sources TEXT,"
                                        " window_keys TEXT);"
                                        "CREATE TABLE IF NOT EXISTS windows ("
                                        " id INTEGER PRIMARY KEY,"
                                        " run INTEGER NOT NULL REFERENCES window_runs(id));"
                                        "CREATE INDEX IF NOT EXISTS windows_run ON windows(run);";

struct window_db {
    char *path;
    sqlite3 *db;
    gboolean failed;
    char *error; /* the first error's message, until handed out */

    /* the run's row, kept from open_file and begin_output */
    char *started;
    char *command_line;
    char *version;
    gint64 seconds_ns;
    gboolean empty_windows;
    char *input;
    char *sources;   /* JSON array */
    GPtrArray *keys; /* of char *, owned: the rows' keys, in order */

    GHashTable *columns; /* lower-case names of the columns windows has */
    GHashTable *params;  /* key -> GINT_TO_POINTER(its parameter in insert) */
    gboolean in_run;     /* the run's transaction is open */
    gint64 run;
    sqlite3_stmt *insert;

    /* the row being built */
    gboolean in_record;
    int param;          /* of the current top-level key, 0 before one */
    json_dumper nested; /* an array or object value, into nested_text */
    GString *nested_text;
};

/* ---- errors ---- */

/* Keeps msg (takes ownership) as the sticky error unless one is kept
 * already, and rolls back the run's transaction. */
static void fail_with(struct window_db *w, char *msg)
{
    if (w->failed) {
        g_free(msg);
        return;
    }
    w->failed = TRUE;
    w->error = msg;
    if (w->db && !sqlite3_get_autocommit(w->db))
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    w->in_run = FALSE;
}

/* The sticky error from SQLite's last message; what says what failed. */
static void fail(struct window_db *w, const char *what)
{
    fail_with(w, g_strdup_printf("cannot write %s: %s (%s)", w->path, sqlite3_errmsg(w->db), what));
}

static gboolean exec(struct window_db *w, const char *sql, const char *what)
{
    if (w->failed)
        return FALSE;
    if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return TRUE;
    fail(w, what);
    return FALSE;
}

/* Runs a statement that returns no rows, and resets it. */
static gboolean step(struct window_db *w, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return TRUE;
    fail(w, what);
    return FALSE;
}

/* ---- small helpers ---- */

/* strings as a compact JSON array of strings. */
static char *json_strings(const GPtrArray *strings)
{
    GString *text = g_string_new(NULL);
    json_dumper dumper = { .output_string = text };
    json_dumper_begin_array(&dumper);
    for (guint i = 0; strings && i < strings->len; i++)
        json_dumper_value_string(&dumper, g_ptr_array_index(strings, i));
    json_dumper_end_array(&dumper);
    json_dumper_finish(&dumper);
    g_strchomp(text->str);
    return g_string_free(text, FALSE);
}

/* A JSON number's text bound as sqlite_db.c stores numbers. */
static void bind_number(sqlite3_stmt *stmt, int index, const char *text)
{
    gint64 integer = 0;
    double real = 0;
    switch (fs_sqlite_db_number(text, &integer, &real)) {
        case FS_SQLITE_NUMBER_INTEGER:
            sqlite3_bind_int64(stmt, index, integer);
            break;
        case FS_SQLITE_NUMBER_REAL:
            sqlite3_bind_double(stmt, index, real);
            break;
        case FS_SQLITE_NUMBER_TEXT:
            sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
            break;
    }
}

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, index);
}

static void db_free(struct window_db *w)
{
    sqlite3_finalize(w->insert);
    sqlite3_close(w->db);
    g_free(w->path);
    g_free(w->error);
    g_free(w->started);
    g_free(w->command_line);
    g_free(w->version);
    g_free(w->input);
    g_free(w->sources);
    if (w->keys)
        g_ptr_array_free(w->keys, TRUE);
    g_hash_table_destroy(w->columns);
    g_hash_table_destroy(w->params);
    g_string_free(w->nested_text, TRUE);
    g_free(w);
}

/* ---- opening ---- */

/* The lower-case names of the columns windows has. */
static gboolean load_columns(struct window_db *w)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(
            w->db, "SELECT name FROM pragma_table_info('windows')", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            g_hash_table_add(
                    w->columns, g_ascii_strdown((const char *)sqlite3_column_text(stmt, 0), -1));
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return TRUE;
    fail(w, "reading the columns of windows");
    return FALSE;
}

static void *window_open_file(const char *path, const struct fs_run_info *run, char **errmsg)
{
    *errmsg = NULL;
    const struct fs_window_sqlite_run *window = run ? run->command : NULL;
    if (!window) {
        *errmsg = g_strdup_printf("cannot write %s: not a run of flowshark window", path);
        return NULL;
    }
    sqlite3 *db = fs_sqlite_db_open(path, errmsg);
    if (!db)
        return NULL;

    struct window_db *w = g_new0(struct window_db, 1);
    w->path = g_strdup(path);
    w->db = db;
    w->started = fs_sqlite_db_now();
    w->command_line = g_strdup(run->command_line);
    w->version = g_strdup(run->version);
    w->seconds_ns = window->seconds_ns;
    w->empty_windows = window->empty_windows;
    w->input = g_strdup(window->input);
    w->sources = json_strings(window->sources);
    w->columns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->nested_text = g_string_sized_new(128);

    /* A new database gets flowshark's tables, any the window tables; in a
     * transaction that checks the file again. */
    if (exec(w, "BEGIN IMMEDIATE", "adding the window tables")) {
        if (!fs_sqlite_db_adopt(w->db, w->path, errmsg)) {
            sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (exec(w, window_schema_sql, "adding the window tables"))
            exec(w, "COMMIT", "adding the window tables");
    }
    if (!load_columns(w))
        goto fail;
    return w;

fail:
    if (!*errmsg) {
        *errmsg = w->error;
        w->error = NULL;
    }
    db_free(w);
    return NULL;
}

/* ---- the run: one transaction ---- */

/* The column of key, added to windows when the table lacks it. */
static gboolean ensure_column(struct window_db *w, const char *key)
{
    char *folded = g_ascii_strdown(key, -1);
    gboolean ok = TRUE;
    if (g_hash_table_contains(w->columns, folded)) {
        g_free(folded);
        return TRUE;
    }
    if (strcmp(folded, "id") == 0 || strcmp(folded, "run") == 0) {
        fail_with(w, g_strdup_printf("cannot write %s: a window key is called \"%s\", the name "
                                     "of a column of the windows table's own",
                             w->path, key));
        ok = FALSE;
    } else {
        GString *sql = g_string_new("ALTER TABLE windows ADD COLUMN ");
        fs_sqlite_db_append_identifier(sql, key);
        ok = exec(w, sql->str, "adding a column to windows");
        g_string_free(sql, TRUE);
    }
    if (ok)
        g_hash_table_add(w->columns, folded);
    else
        g_free(folded);
    return ok;
}

static gboolean insert_run(struct window_db *w)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(w->db,
                "INSERT INTO window_runs (started, status, command_line, flowshark_version, "
                "seconds, empty_windows, input, sources, window_keys) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                -1, &stmt, NULL) != SQLITE_OK) {
        fail(w, "adding the run");
        return FALSE;
    }
    char *keys = json_strings(w->keys);
    sqlite3_bind_text(stmt, 1, w->started, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 2, w->command_line);
    bind_text_or_null(stmt, 3, w->version);
    if (w->seconds_ns % G_GINT64_CONSTANT(1000000000) == 0)
        sqlite3_bind_int64(stmt, 4, w->seconds_ns / G_GINT64_CONSTANT(1000000000));
    else
        sqlite3_bind_double(stmt, 4, (double)w->seconds_ns / 1e9);
    sqlite3_bind_int(stmt, 5, w->empty_windows ? 1 : 0);
    bind_text_or_null(stmt, 6, w->input);
    bind_text_or_null(stmt, 7, w->sources);
    sqlite3_bind_text(stmt, 8, keys, -1, SQLITE_STATIC);
    gboolean ok = step(w, stmt, "adding the run");
    sqlite3_finalize(stmt);
    g_free(keys);
    w->run = sqlite3_last_insert_rowid(w->db);
    return ok;
}

/* The INSERT of a window: run, then the run's keys in order. */
static gboolean prepare_insert(struct window_db *w)
{
    GString *sql = g_string_new("INSERT INTO windows (run");
    for (guint i = 0; w->keys && i < w->keys->len; i++) {
        g_string_append(sql, ", ");
        fs_sqlite_db_append_identifier(sql, g_ptr_array_index(w->keys, i));
    }
    g_string_append(sql, ") VALUES (?");
    for (guint i = 0; w->keys && i < w->keys->len; i++)
        g_string_append(sql, ", ?");
    g_string_append(sql, ")");
    gboolean ok = sqlite3_prepare_v3(w->db, sql->str, -1, SQLITE_PREPARE_PERSISTENT, &w->insert,
                          NULL) == SQLITE_OK;
    if (!ok)
        fail(w, "preparing the insert of a window");
    g_string_free(sql, TRUE);
    return ok;
}

/* The run's transaction, its row, its columns and the INSERT of its
 * windows, made once, by the first row or the close. */
static gboolean ensure_run(struct window_db *w)
{
    if (w->in_run || w->failed)
        return !w->failed;
    if (!exec(w, "BEGIN IMMEDIATE", "starting the run's transaction"))
        return FALSE;
    w->in_run = TRUE;
    for (guint i = 0; w->keys && i < w->keys->len; i++) {
        if (!ensure_column(w, g_ptr_array_index(w->keys, i)))
            return FALSE;
    }
    return insert_run(w) && prepare_insert(w);
}

static void window_begin_output(void *impl, const GPtrArray *keys)
{
    struct window_db *w = impl;
    if (w->failed)
        return;
    if (w->keys) {
        fail_with(w, g_strdup_printf("cannot write %s: the keys of the rows given twice", w->path));
        return;
    }
    w->keys = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        g_ptr_array_add(w->keys, g_strdup(key));
        g_hash_table_insert(w->params, g_strdup(key), GINT_TO_POINTER((int)i + 2));
    }
}

/* ---- rows ---- */

static void window_begin_record(void *impl)
{
    struct window_db *w = impl;
    if (!ensure_run(w))
        return;
    sqlite3_clear_bindings(w->insert);
    sqlite3_bind_int64(w->insert, 1, w->run);
    w->param = 0;
    w->in_record = TRUE;
}

static void window_end_record(void *impl)
{
    struct window_db *w = impl;
    if (w->failed || !w->in_record)
        return;
    w->in_record = FALSE;
    step(w, w->insert, "adding a window");
}

static gboolean taking(struct window_db *w)
{
    return !w->failed && w->in_record;
}

static void window_key(void *impl, const char *name, int depth)
{
    struct window_db *w = impl;
    if (!taking(w))
        return;
    if (depth > 0) {
        json_dumper_set_member_name(&w->nested, name);
        return;
    }
    w->param = GPOINTER_TO_INT(g_hash_table_lookup(w->params, name));
    if (w->param == 0)
        fail_with(w, g_strdup_printf("cannot write %s: a row has the key \"%s\", not one of "
                                     "the run's keys",
                             w->path, name));
}

static void window_number(void *impl, const char *text, int depth)
{
    struct window_db *w = impl;
    if (!taking(w))
        return;
    if (depth > 0)
        json_dumper_value_anyf(&w->nested, "%s", text);
    else
        bind_number(w->insert, w->param, text);
}

static void window_string(void *impl, const char *utf8, int depth)
{
    struct window_db *w = impl;
    if (!taking(w))
        return;
    if (depth > 0)
        json_dumper_value_string(&w->nested, utf8);
    else
        sqlite3_bind_text(w->insert, w->param, utf8, -1, SQLITE_TRANSIENT);
}

static void window_null(void *impl, int depth)
{
    struct window_db *w = impl;
    if (!taking(w))
        return;
    if (depth > 0)
        json_dumper_value_anyf(&w->nested, "null");
    else
        sqlite3_bind_null(w->insert, w->param);
}

/* An array or object: its compact JSON text, built by json_dumper as JSON
 * Lines builds it, bound when it ends at depth 0. */
static void nested_begin(struct window_db *w, gboolean array, int depth)
{
    if (!taking(w))
        return;
    if (depth == 0) {
        g_string_truncate(w->nested_text, 0);
        memset(&w->nested, 0, sizeof(w->nested));
        w->nested.output_string = w->nested_text;
    }
    if (array)
        json_dumper_begin_array(&w->nested);
    else
        json_dumper_begin_object(&w->nested);
}

static void nested_end(struct window_db *w, gboolean array, int depth)
{
    if (!taking(w))
        return;
    if (array)
        json_dumper_end_array(&w->nested);
    else
        json_dumper_end_object(&w->nested);
    if (depth > 0)
        return;
    json_dumper_finish(&w->nested);
    GString *text = w->nested_text;
    if (text->len && text->str[text->len - 1] == '\n') /* the dumper ends with one */
        g_string_truncate(text, text->len - 1);
    sqlite3_bind_text(w->insert, w->param, text->str, (int)text->len, SQLITE_TRANSIENT);
}

static void window_begin_array(void *impl, int depth)
{
    nested_begin(impl, TRUE, depth);
}

static void window_end_array(void *impl, int depth)
{
    nested_end(impl, TRUE, depth);
}

static void window_begin_object(void *impl, int depth)
{
    nested_begin(impl, FALSE, depth);
}

static void window_end_object(void *impl, int depth)
{
    nested_end(impl, FALSE, depth);
}

/* ---- closing: the commit ---- */

static gboolean window_close_file(void *impl, enum fs_status run_status, char **errmsg)
{
    struct window_db *w = impl;
    *errmsg = NULL;
    if (ensure_run(w)) {
        sqlite3_stmt *stmt = NULL;
        char *finished = fs_sqlite_db_now();
        if (sqlite3_prepare_v2(w->db,
                    "UPDATE window_runs SET finished = ?, status = ? WHERE id = ?", -1, &stmt,
                    NULL) == SQLITE_OK) {
            sqlite3_bind_text(stmt, 1, finished, -1, SQLITE_STATIC);
            sqlite3_bind_text(stmt, 2, fs_status_capture_word(run_status), -1, SQLITE_STATIC);
            sqlite3_bind_int64(stmt, 3, w->run);
            step(w, stmt, "marking the run finished");
        } else {
            fail(w, "marking the run finished");
        }
        sqlite3_finalize(stmt);
        g_free(finished);
        if (exec(w, "COMMIT", "committing the run's windows"))
            w->in_run = FALSE;
    }
    /* The statement first: a connection with statements left does not
     * close. */
    sqlite3_finalize(w->insert);
    w->insert = NULL;
    if (sqlite3_close(w->db) == SQLITE_OK)
        w->db = NULL;
    else
        fail(w, "closing the database");
    gboolean ok = !w->failed;
    if (!ok) {
        *errmsg = w->error;
        w->error = NULL;
    }
    db_free(w);
    return ok;
}

const struct fs_sink_ops fs_window_sqlite = {
    .name = "sqlite",
    .description = "SQLite database (-w FILE; adds a run of windows): doc/windows.md",
    .extension = "db",
    .open_file = window_open_file,
    .close_file = window_close_file,
    .begin_output = window_begin_output,
    .begin_record = window_begin_record,
    .end_record = window_end_record,
    .key = window_key,
    .number = window_number,
    .string = window_string,
    .null = window_null,
    .begin_array = window_begin_array,
    .end_array = window_end_array,
    .begin_object = window_begin_object,
    .end_object = window_end_object,
};
