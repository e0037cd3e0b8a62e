/* sink_sqlite.c: the SQLite format (-T sqlite -w FILE): a database of its
 * own rather than bytes on a writer. Tables runs, captures, flows (one row
 * per record: each top-level key but extension a column, arrays and objects
 * as the compact JSON text JSON Lines writes) and extension (one row per
 * [value, index] pair); the schema is documented in doc/sqlite.md.
 *
 * Each run adds a row to runs; each capture's rows are one transaction,
 * committed by end_capture, so an interrupted or failed run leaves the
 * captures it finished. Errors stick: the first one is kept, later calls do
 * nothing, and its message is handed out once (by the first end_capture,
 * begin_capture or close_file that returns FALSE; the later ones give NULL,
 * as fs_writer_flush() does). A file that is not a flowshark database is
 * refused before anything is written to it (sqlite_db.c, shared with the
 * windows of flowshark window -T sqlite). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>
#include <wsutil/json_dumper.h>

#include "sink.h"
#include "sqlite_db.h"

/* One top-level value of the record being built. */
enum cell_kind {
    CELL_NULL,
    CELL_INTEGER,
    CELL_REAL,
    CELL_TEXT
};

struct cell {
    enum cell_kind kind;
    gint64 integer;
    double real;
    GString *text; /* CELL_TEXT: a string, or an array or object as JSON */
};

/* A column of flows: a top-level key of the records. */
struct column {
    char *name;
    guint index;      /* in columns */
    struct cell cell; /* its value in the record being built */
};

/* One [value, index] pair of the record's extension object. */
struct ext_row {
    char *field;
    char *value; /* NULL for null */
    gboolean has_packet;
    gint64 packet;
};

struct sqlite_out {
    char *path;
    sqlite3 *db;
    gint64 run;
    gboolean failed;
    char *error; /* the first error's message, until handed out */

    /* flows' record columns (not id and capture), in table order */
    GPtrArray *columns; /* of struct column *, owned */
    /* lower-case name -> struct column * (SQLite ignores case in names) */
    GHashTable *by_name;
    gboolean insert_flow_stale; /* columns were added since it was made */
    sqlite3_stmt *insert_flow;
    sqlite3_stmt *insert_extension;
    sqlite3_stmt *insert_capture;
    sqlite3_stmt *update_capture;

    /* the capture */
    gboolean capture_open; /* begin_capture seen, end_capture not yet */
    gint64 capture;        /* its row, inserted with the first write; 0 before */
    char *capture_path;
    char *capture_label;
    long long capture_size;

    /* the record being built */
    gboolean in_record;
    struct column *current; /* column of the top-level key, NULL for extension */
    guint next_column;      /* index of the column after current's */
    gboolean in_extension;  /* the value of the extension key */
    json_dumper nested;     /* an array or object value, into nested_text */
    GString *nested_text;
    char *ext_field;  /* the extension member being read */
    int ext_position; /* in its [value, index] pair */
    struct ext_row ext_pending;
    GPtrArray *ext_rows; /* of struct ext_row *, owned */
};

/* ---- errors ---- */

/* Keeps msg (takes ownership) as the sticky error unless one is kept
 * already, and rolls back the capture's transaction. */
static void fail_with(struct sqlite_out *o, char *msg)
{
    if (o->failed) {
        g_free(msg);
        return;
    }
    o->failed = TRUE;
    o->error = msg;
    if (o->db && !sqlite3_get_autocommit(o->db))
        sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    o->capture = 0;
}

/* The sticky error from SQLite's last message; what says what failed. */
static void fail(struct sqlite_out *o, const char *what)
{
    fail_with(o, g_strdup_printf("cannot write %s: %s (%s)", o->path, sqlite3_errmsg(o->db), what));
}

/* FALSE with the sticky error's message, once (NULL afterwards). */
static gboolean hand_out(struct sqlite_out *o, char **errmsg)
{
    *errmsg = o->error;
    o->error = NULL;
    return FALSE;
}

static gboolean exec(struct sqlite_out *o, const char *sql, const char *what)
{
    if (o->failed)
        return FALSE;
    if (sqlite3_exec(o->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return TRUE;
    fail(o, what);
    return FALSE;
}

static gboolean prepare(struct sqlite_out *o, const char *sql, sqlite3_stmt **stmt)
{
    if (o->failed)
        return FALSE;
    if (sqlite3_prepare_v3(o->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) == SQLITE_OK)
        return TRUE;
    fail(o, "preparing a statement");
    return FALSE;
}

/* Runs a bound statement that returns no rows, and resets it. */
static gboolean step(struct sqlite_out *o, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return TRUE;
    fail(o, what);
    return FALSE;
}

/* ---- small helpers ---- */

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

/* A JSON number as the cell stores it: INTEGER when the text has no '.',
 * 'e' or 'E' and fits 64 bits, REAL otherwise. */
static void number_cell(struct cell *cell, const char *text)
{
    switch (fs_sqlite_db_number(text, &cell->integer, &cell->real)) {
        case FS_SQLITE_NUMBER_INTEGER:
            cell->kind = CELL_INTEGER;
            break;
        case FS_SQLITE_NUMBER_REAL:
            cell->kind = CELL_REAL;
            break;
        case FS_SQLITE_NUMBER_TEXT:
            /* Not reached with text fs_sink_number_text() accepts; kept as text. */
            cell->kind = CELL_TEXT;
            g_string_assign(cell->text, text);
            break;
    }
}

static void bind_cell(sqlite3_stmt *stmt, int index, const struct cell *cell)
{
    switch (cell->kind) {
        case CELL_INTEGER:
            sqlite3_bind_int64(stmt, index, cell->integer);
            break;
        case CELL_REAL:
            sqlite3_bind_double(stmt, index, cell->real);
            break;
        case CELL_TEXT:
            sqlite3_bind_text(stmt, index, cell->text->str, (int)cell->text->len, SQLITE_STATIC);
            break;
        case CELL_NULL:
            sqlite3_bind_null(stmt, index);
            break;
    }
}

static void ext_row_free(gpointer data)
{
    struct ext_row *row = data;
    g_free(row->field);
    g_free(row->value);
    g_free(row);
}

static void column_free(gpointer data)
{
    struct column *column = data;
    g_free(column->name);
    g_string_free(column->cell.text, TRUE);
    g_free(column);
}

/* ---- the flows table's columns ---- */

static struct column *column_find(struct sqlite_out *o, const char *name)
{
    /* Records give their keys in the columns' order: try the next one. */
    if (o->next_column < o->columns->len) {
        struct column *next = g_ptr_array_index(o->columns, o->next_column);
        if (strcmp(next->name, name) == 0) {
            o->next_column++;
            return next;
        }
    }
    char *folded = g_ascii_strdown(name, -1);
    struct column *column = g_hash_table_lookup(o->by_name, folded);
    g_free(folded);
    if (column)
        o->next_column = column->index + 1;
    return column;
}

static struct column *column_remember(struct sqlite_out *o, const char *name)
{
    struct column *column = g_new0(struct column, 1);
    column->name = g_strdup(name);
    column->cell.text = g_string_new(NULL);
    column->index = o->columns->len;
    g_ptr_array_add(o->columns, column);
    g_hash_table_insert(o->by_name, g_ascii_strdown(name, -1), column);
    return column;
}

/* The column of a top-level key, added to flows (ALTER TABLE) when the
 * table lacks it. NULL after an error. */
static struct column *column_for_key(struct sqlite_out *o, const char *name)
{
    struct column *column = column_find(o, name);
    if (column || o->failed)
        return column;
    if (g_ascii_strcasecmp(name, "id") == 0 || g_ascii_strcasecmp(name, "capture") == 0) {
        fail_with(o, g_strdup_printf("cannot write %s: a record key is called \"%s\", the "
                                     "name of a column of the flows table's own",
                             o->path, name));
        return NULL;
    }
    GString *sql = g_string_new("ALTER TABLE flows ADD COLUMN ");
    fs_sqlite_db_append_identifier(sql, name);
    gboolean added = exec(o, sql->str, "adding a column to flows");
    g_string_free(sql, TRUE);
    if (!added)
        return NULL;
    o->insert_flow_stale = TRUE;
    o->next_column = o->columns->len + 1;
    return column_remember(o, name);
}

/* Reads the columns flows has (an existing database). */
static gboolean load_columns(struct sqlite_out *o)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(o, "SELECT name FROM pragma_table_info('flows') ORDER BY cid", &stmt))
        return FALSE;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        if (g_ascii_strcasecmp(name, "id") != 0 && g_ascii_strcasecmp(name, "capture") != 0)
            column_remember(o, name);
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return TRUE;
    fail(o, "reading the columns of flows");
    return FALSE;
}

/* (Re)makes the INSERT of a flow with every column flows has. */
static gboolean prepare_insert_flow(struct sqlite_out *o)
{
    if (o->insert_flow && !o->insert_flow_stale)
        return TRUE;
    sqlite3_finalize(o->insert_flow);
    o->insert_flow = NULL;
    GString *sql = g_string_new("INSERT INTO flows (capture");
    for (guint i = 0; i < o->columns->len; i++) {
        g_string_append(sql, ", ");
        fs_sqlite_db_append_identifier(
                sql, ((struct column *)g_ptr_array_index(o->columns, i))->name);
    }
    g_string_append(sql, ") VALUES (?");
    for (guint i = 0; i < o->columns->len; i++)
        g_string_append(sql, ", ?");
    g_string_append(sql, ")");
    gboolean ok = prepare(o, sql->str, &o->insert_flow);
    g_string_free(sql, TRUE);
    o->insert_flow_stale = !ok;
    return ok;
}

static gboolean insert_run(struct sqlite_out *o, const struct fs_run_info *run)
{
    static const struct fs_run_info none = { 0 };
    if (!run)
        run = &none;
    sqlite3_stmt *stmt = NULL;
    if (!prepare(o,
                "INSERT INTO runs (started, status, command_line, note, flowshark_version, "
                "libwireshark_version) VALUES (?, 'running', ?, ?, ?, ?)",
                &stmt))
        return FALSE;
    char *started = fs_sqlite_db_now();
    bind_text_or_null(stmt, 1, started);
    bind_text_or_null(stmt, 2, run->command_line);
    bind_text_or_null(stmt, 3, run->note);
    bind_text_or_null(stmt, 4, run->version);
    bind_text_or_null(stmt, 5, run->library_version);
    gboolean ok = step(o, stmt, "adding the run");
    sqlite3_finalize(stmt);
    g_free(started);
    o->run = sqlite3_last_insert_rowid(o->db);
    return ok;
}

static void out_free(struct sqlite_out *o)
{
    sqlite3_finalize(o->insert_flow);
    sqlite3_finalize(o->insert_extension);
    sqlite3_finalize(o->insert_capture);
    sqlite3_finalize(o->update_capture);
    sqlite3_close(o->db);
    g_ptr_array_free(o->columns, TRUE);
    g_hash_table_destroy(o->by_name);
    g_ptr_array_free(o->ext_rows, TRUE);
    g_string_free(o->nested_text, TRUE);
    g_free(o->ext_field);
    g_free(o->ext_pending.value);
    g_free(o->capture_path);
    g_free(o->capture_label);
    g_free(o->error);
    g_free(o->path);
    g_free(o);
}

static void *sqlite_open_file(const char *path, const struct fs_run_info *run, char **errmsg)
{
    *errmsg = NULL;
    sqlite3 *db = fs_sqlite_db_open(path, errmsg);
    if (!db)
        return NULL;

    struct sqlite_out *o = g_new0(struct sqlite_out, 1);
    o->path = g_strdup(path);
    o->db = db;
    o->columns = g_ptr_array_new_with_free_func(column_free);
    o->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    o->ext_rows = g_ptr_array_new_with_free_func(ext_row_free);
    o->nested_text = g_string_sized_new(256);

    /* In one transaction that checks the file again: the tables of a new
     * database and the run's row. */
    if (exec(o, "BEGIN IMMEDIATE", "starting the run")) {
        if (!fs_sqlite_db_adopt(o->db, o->path, errmsg)) {
            sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
        if (insert_run(o, run))
            exec(o, "COMMIT", "adding the run");
    }
    load_columns(o);
    prepare(o,
            "INSERT INTO captures (run, path, size, label, status) VALUES (?, ?, ?, ?, "
            "'running')",
            &o->insert_capture);
    prepare(o,
            "UPDATE captures SET path = ?, size = ?, label = ?, packets = ?, flows = ?, "
            "status = ?, error = ? WHERE id = ?",
            &o->update_capture);
    prepare(o, "INSERT INTO extension (flow, field, value, packet) VALUES (?, ?, ?, ?)",
            &o->insert_extension);
    if (o->failed)
        goto fail;
    return o;

fail:
    /* A file this call created is left (empty, or a database without
     * runs): another run may have opened it meanwhile. */
    if (!*errmsg)
        hand_out(o, errmsg);
    out_free(o);
    return NULL;
}

/* ---- captures: one transaction each ---- */

static void forget_capture(struct sqlite_out *o)
{
    o->capture_open = FALSE;
    o->capture = 0;
    g_clear_pointer(&o->capture_path, g_free);
    g_clear_pointer(&o->capture_label, g_free);
}

static void bind_size(sqlite3_stmt *stmt, int index, long long size)
{
    if (size >= 0)
        sqlite3_bind_int64(stmt, index, size);
    else
        sqlite3_bind_null(stmt, index);
}

/* The capture's transaction and row, made by its first write (so that the
 * write lock is held only while its records are stored). */
static gboolean ensure_capture_row(struct sqlite_out *o)
{
    if (o->capture)
        return TRUE;
    if (!exec(o, "BEGIN IMMEDIATE", "starting a capture's transaction"))
        return FALSE;
    sqlite3_stmt *stmt = o->insert_capture;
    sqlite3_bind_int64(stmt, 1, o->run);
    sqlite3_bind_text(stmt, 2, o->capture_path ? o->capture_path : "", -1, SQLITE_STATIC);
    bind_size(stmt, 3, o->capture_size);
    bind_text_or_null(stmt, 4, o->capture_label);
    if (!step(o, stmt, "adding a capture"))
        return FALSE;
    o->capture = sqlite3_last_insert_rowid(o->db);
    return TRUE;
}

static gboolean sqlite_begin_capture(
        void *impl, const struct fs_capture_info *capture, char **errmsg)
{
    struct sqlite_out *o = impl;
    *errmsg = NULL;
    if (o->failed)
        return hand_out(o, errmsg);
    if (o->capture_open) {
        fail_with(o, g_strdup_printf("cannot write %s: a capture began before the previous "
                                     "one ended",
                             o->path));
        return hand_out(o, errmsg);
    }
    forget_capture(o);
    o->capture_open = TRUE;
    o->capture_path = g_strdup(capture->path);
    o->capture_label = g_strdup(capture->label);
    o->capture_size = capture->size;
    return TRUE;
}

static gboolean sqlite_end_capture(void *impl, const struct fs_capture_info *capture, char **errmsg)
{
    struct sqlite_out *o = impl;
    *errmsg = NULL;
    if (!o->failed && !o->capture_open) {
        /* A capture without records or begin (one that could not be
         * opened): its row alone. */
        o->capture_path = g_strdup(capture->path);
        o->capture_label = g_strdup(capture->label);
        o->capture_size = capture->size;
    }
    if (o->in_record)
        o->in_record = FALSE; /* a record never ended is not stored */
    if (!ensure_capture_row(o)) {
        forget_capture(o);
        return hand_out(o, errmsg);
    }
    sqlite3_stmt *stmt = o->update_capture;
    sqlite3_bind_text(stmt, 1, capture->path ? capture->path : "", -1, SQLITE_STATIC);
    bind_size(stmt, 2, capture->size);
    bind_text_or_null(stmt, 3, capture->label);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64)capture->packets);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)capture->flows);
    bind_text_or_null(stmt, 6, capture->status);
    bind_text_or_null(stmt, 7, capture->error);
    sqlite3_bind_int64(stmt, 8, o->capture);
    if (step(o, stmt, "updating a capture"))
        exec(o, "COMMIT", "committing a capture's records");
    forget_capture(o);
    if (o->failed)
        return hand_out(o, errmsg);
    return TRUE;
}

/* ---- the output and its records ---- */

/* The run's keys, in order, as a JSON array in runs.record_keys: which
 * columns of flows its records have, and their order. */
static void store_record_keys(struct sqlite_out *o, const GPtrArray *keys)
{
    GString *text = g_string_new(NULL);
    json_dumper dumper = { .output_string = text };
    json_dumper_begin_array(&dumper);
    for (guint i = 0; i < keys->len; i++)
        json_dumper_value_string(&dumper, g_ptr_array_index(keys, i));
    json_dumper_end_array(&dumper);
    json_dumper_finish(&dumper);
    g_strchomp(text->str);
    sqlite3_stmt *stmt = NULL;
    if (prepare(o, "UPDATE runs SET record_keys = ? WHERE id = ?", &stmt)) {
        sqlite3_bind_text(stmt, 1, text->str, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, o->run);
        step(o, stmt, "storing the run's keys");
    }
    sqlite3_finalize(stmt);
    g_string_free(text, TRUE);
}

static void sqlite_begin_output(void *impl, const GPtrArray *keys)
{
    struct sqlite_out *o = impl;
    if (o->failed)
        return;
    store_record_keys(o, keys);
    for (guint i = 0; i < keys->len && !o->failed; i++) {
        const char *key = g_ptr_array_index(keys, i);
        if (strcmp(key, "extension") != 0)
            column_for_key(o, key);
    }
    prepare_insert_flow(o);
}

static void sqlite_begin_record(void *impl)
{
    struct sqlite_out *o = impl;
    if (o->failed)
        return;
    for (guint i = 0; i < o->columns->len; i++)
        ((struct column *)g_ptr_array_index(o->columns, i))->cell.kind = CELL_NULL;
    g_ptr_array_set_size(o->ext_rows, 0);
    o->current = NULL;
    o->next_column = 0;
    o->in_extension = FALSE;
    o->in_record = TRUE;
}

static gboolean insert_extension_rows(struct sqlite_out *o, gint64 flow)
{
    sqlite3_stmt *stmt = o->insert_extension;
    for (guint i = 0; i < o->ext_rows->len; i++) {
        const struct ext_row *row = g_ptr_array_index(o->ext_rows, i);
        sqlite3_bind_int64(stmt, 1, flow);
        sqlite3_bind_text(stmt, 2, row->field, -1, SQLITE_STATIC);
        bind_text_or_null(stmt, 3, row->value);
        if (row->has_packet)
            sqlite3_bind_int64(stmt, 4, row->packet);
        else
            sqlite3_bind_null(stmt, 4);
        if (!step(o, stmt, "adding an extension value"))
            return FALSE;
    }
    return TRUE;
}

static void sqlite_end_record(void *impl)
{
    struct sqlite_out *o = impl;
    if (o->failed || !o->in_record)
        return;
    o->in_record = FALSE;
    if (!o->capture_open) {
        fail_with(o, g_strdup_printf("cannot write %s: a record outside a capture", o->path));
        return;
    }
    if (!prepare_insert_flow(o) || !ensure_capture_row(o))
        return;
    sqlite3_stmt *stmt = o->insert_flow;
    sqlite3_bind_int64(stmt, 1, o->capture);
    for (guint i = 0; i < o->columns->len; i++)
        bind_cell(stmt, (int)i + 2, &((struct column *)g_ptr_array_index(o->columns, i))->cell);
    if (step(o, stmt, "adding a flow"))
        insert_extension_rows(o, sqlite3_last_insert_rowid(o->db));
}

/* ---- the extension object: {field: [[value, index], ...], ...} ---- */

static void extension_shape_error(struct sqlite_out *o)
{
    fail_with(o, g_strdup_printf("cannot write %s: a record's extension is not an object of "
                                 "[value, index] lists",
                         o->path));
}

/* A scalar inside the extension object (text NULL for null). */
static void extension_scalar(struct sqlite_out *o, const char *text, gboolean number, int depth)
{
    if (depth == 0)
        return; /* extension: null, or a bare scalar: no values */
    if (depth != 3) {
        extension_shape_error(o);
        return;
    }
    struct ext_row *pending = &o->ext_pending;
    if (o->ext_position == 0) {
        pending->value = g_strdup(text);
    } else if (o->ext_position == 1 && text && number) {
        struct cell cell = { .kind = CELL_NULL };
        number_cell(&cell, text);
        pending->has_packet = cell.kind == CELL_INTEGER;
        pending->packet = cell.integer;
    }
    o->ext_position++;
}

static void extension_begin(struct sqlite_out *o, gboolean array, int depth)
{
    if ((depth == 0 && !array) || (depth == 1 && array))
        return;
    if (depth == 2 && array) {
        o->ext_position = 0;
        g_clear_pointer(&o->ext_pending.value, g_free);
        o->ext_pending.has_packet = FALSE;
        return;
    }
    extension_shape_error(o);
}

static void extension_end(struct sqlite_out *o, int depth)
{
    if (depth == 0) {
        o->in_extension = FALSE;
        return;
    }
    if (depth != 2)
        return;
    struct ext_row *row = g_new0(struct ext_row, 1);
    row->field = g_strdup(o->ext_field ? o->ext_field : "");
    row->value = o->ext_pending.value;
    o->ext_pending.value = NULL;
    row->has_packet = o->ext_pending.has_packet;
    row->packet = o->ext_pending.packet;
    g_ptr_array_add(o->ext_rows, row);
}

/* ---- keys and values ---- */

static gboolean taking(struct sqlite_out *o)
{
    return !o->failed && o->in_record;
}

static void sqlite_key(void *impl, const char *name, int depth)
{
    struct sqlite_out *o = impl;
    if (!taking(o))
        return;
    if (depth == 0) {
        o->in_extension = strcmp(name, "extension") == 0;
        o->current = o->in_extension ? NULL : column_for_key(o, name);
    } else if (o->in_extension) {
        if (depth == 1) {
            g_free(o->ext_field);
            o->ext_field = g_strdup(name);
        }
    } else {
        json_dumper_set_member_name(&o->nested, name);
    }
}

/* A scalar value: into the nested value's JSON, the extension, or the
 * current column's cell. */
static void scalar(struct sqlite_out *o, const char *text, enum cell_kind kind, int depth)
{
    if (!taking(o))
        return;
    if (o->in_extension) {
        extension_scalar(o, text, kind == CELL_INTEGER, depth);
        return;
    }
    if (depth > 0) {
        if (kind == CELL_TEXT)
            json_dumper_value_string(&o->nested, text);
        else
            json_dumper_value_anyf(&o->nested, "%s", text ? text : "null");
        return;
    }
    if (!o->current)
        return;
    struct cell *cell = &o->current->cell;
    if (kind == CELL_INTEGER) {
        number_cell(cell, text);
    } else if (kind == CELL_TEXT) {
        cell->kind = CELL_TEXT;
        g_string_assign(cell->text, text);
    } else {
        cell->kind = CELL_NULL;
    }
}

static void sqlite_number(void *impl, const char *text, int depth)
{
    scalar(impl, text, CELL_INTEGER, depth); /* number_cell() tells INTEGER from REAL */
}

static void sqlite_string(void *impl, const char *utf8, int depth)
{
    scalar(impl, utf8, CELL_TEXT, depth);
}

static void sqlite_null(void *impl, int depth)
{
    scalar(impl, NULL, CELL_NULL, depth);
}

/* An array or object: the extension's structure, or JSON text for a cell
 * (started at depth 0, built by json_dumper as JSON Lines builds it). */
static void nested_begin(struct sqlite_out *o, gboolean array, int depth)
{
    if (!taking(o))
        return;
    if (o->in_extension) {
        extension_begin(o, array, depth);
        return;
    }
    if (depth == 0) {
        g_string_truncate(o->nested_text, 0);
        memset(&o->nested, 0, sizeof(o->nested));
        o->nested.output_string = o->nested_text;
    }
    if (array)
        json_dumper_begin_array(&o->nested);
    else
        json_dumper_begin_object(&o->nested);
}

static void nested_end(struct sqlite_out *o, gboolean array, int depth)
{
    if (!taking(o))
        return;
    if (o->in_extension) {
        extension_end(o, depth);
        return;
    }
    if (array)
        json_dumper_end_array(&o->nested);
    else
        json_dumper_end_object(&o->nested);
    if (depth > 0 || !o->current)
        return;
    json_dumper_finish(&o->nested);
    GString *text = o->nested_text;
    if (text->len && text->str[text->len - 1] == '\n') /* the dumper ends with one */
        g_string_truncate(text, text->len - 1);
    o->current->cell.kind = CELL_TEXT;
    g_string_assign(o->current->cell.text, text->str);
}

static void sqlite_begin_array(void *impl, int depth)
{
    nested_begin(impl, TRUE, depth);
}

static void sqlite_end_array(void *impl, int depth)
{
    nested_end(impl, TRUE, depth);
}

static void sqlite_begin_object(void *impl, int depth)
{
    nested_begin(impl, FALSE, depth);
}

static void sqlite_end_object(void *impl, int depth)
{
    nested_end(impl, FALSE, depth);
}

/* ---- closing ---- */

/* Sets the run's end and status (best effort after an error, so that a
 * failed run is not left looking as if it were still running). */
static void finish_run(struct sqlite_out *o, const char *status)
{
    sqlite3_stmt *stmt = NULL;
    char *finished = fs_sqlite_db_now();
    int rc = sqlite3_prepare_v2(
            o->db, "UPDATE runs SET finished = ?, status = ? WHERE id = ?", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, finished, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, o->run);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc != SQLITE_OK)
        fail(o, "marking the run finished");
    sqlite3_finalize(stmt);
    g_free(finished);
}

static gboolean sqlite_close_file(void *impl, enum fs_status run_status, char **errmsg)
{
    struct sqlite_out *o = impl;
    *errmsg = NULL;
    /* A capture never ended (the run stopped in it): its rows are dropped. */
    if (!sqlite3_get_autocommit(o->db))
        sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
    finish_run(o, o->failed ? "failed" : fs_status_capture_word(run_status));
    /* Statements first: a connection with statements left does not close. */
    sqlite3_finalize(o->insert_flow);
    sqlite3_finalize(o->insert_extension);
    sqlite3_finalize(o->insert_capture);
    sqlite3_finalize(o->update_capture);
    o->insert_flow = o->insert_extension = o->insert_capture = o->update_capture = NULL;
    if (sqlite3_close(o->db) != SQLITE_OK)
        fail(o, "closing the database");
    else
        o->db = NULL;
    gboolean ok = !o->failed;
    if (!ok)
        hand_out(o, errmsg);
    out_free(o);
    return ok;
}

const struct fs_sink_ops fs_sink_sqlite = {
    .name = "sqlite",
    .description = "SQLite database (-w FILE; appends a run): doc/sqlite.md",
    .extension = "db",
    .open_file = sqlite_open_file,
    .close_file = sqlite_close_file,
    .begin_capture = sqlite_begin_capture,
    .end_capture = sqlite_end_capture,
    .begin_output = sqlite_begin_output,
    .begin_record = sqlite_begin_record,
    .end_record = sqlite_end_record,
    .key = sqlite_key,
    .number = sqlite_number,
    .string = sqlite_string,
    .null = sqlite_null,
    .begin_array = sqlite_begin_array,
    .end_array = sqlite_end_array,
    .begin_object = sqlite_begin_object,
    .end_object = sqlite_end_object,
};
