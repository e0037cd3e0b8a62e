/* sqlite_db.c: see sqlite_db.h. What a flowshark database is, checked
 * twice: before anything is written (fs_sqlite_db_open()), and again in
 * the transaction that writes first (fs_sqlite_db_adopt()). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sqlite_db.h"

/* How long a write waits for another process holding the database's write
 * lock (another flowshark appending to it) before it fails. */
#define SQLITE_BUSY_MS 60000

static const char schema_sql[] = "CREATE TABLE runs ("
                                 " id INTEGER PRIMARY KEY,"
                                 " started TEXT NOT NULL,"
                                 " finished TEXT,"
                                 " status TEXT NOT NULL,"
                                 " command_line TEXT,"
                                 " note TEXT,"
                                 " flowshark_version TEXT,"
                                 " libwireshark_version TEXT,"
                                 " record_keys TEXT);"
                                 "CREATE TABLE captures ("
                                 " id INTEGER PRIMARY KEY,"
                                 " run INTEGER NOT NULL REFERENCES runs(id),"
                                 " path TEXT NOT NULL,"
                                 " size INTEGER,"
                                 " label TEXT,"
                                 " packets INTEGER,"
                                 " flows INTEGER,"
                                 " status TEXT,"
                                 " error TEXT);"
                                 "CREATE INDEX captures_run ON captures(run);"
                                 "CREATE TABLE flows ("
                                 " id INTEGER PRIMARY KEY,"
                                 " capture INTEGER NOT NULL REFERENCES captures(id));"
                                 "CREATE INDEX flows_capture ON flows(capture);"
                                 "CREATE TABLE extension ("
                                 " id INTEGER PRIMARY KEY,"
                                 " flow INTEGER NOT NULL REFERENCES flows(id),"
                                 " field TEXT NOT NULL,"
                                 " value TEXT,"
                                 " packet INTEGER);"
                                 "CREATE INDEX extension_flow ON extension(flow);";

/* The tables every flowshark database has (users and the window command
 * may add their own). */
static const char *const our_tables[] = { "runs", "captures", "flows", "extension" };

enum db_kind {
    DB_NEW,
    DB_OURS,
    DB_FOREIGN
};

/* Checks path before SQLite opens it: a missing or empty file is new, a
 * file that does not start as SQLite's do is refused (*errmsg). */
static gboolean check_file(const char *path, char **errmsg)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return TRUE;
        *errmsg = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    if (!S_ISREG(st.st_mode)) {
        *errmsg = g_strdup_printf("cannot use %s for -T sqlite: not a regular file", path);
        return FALSE;
    }
    if (st.st_size == 0)
        return TRUE;
    static const char magic[16] = "SQLite format 3"; /* and its NUL */
    char header[sizeof(magic)];
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errmsg = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    size_t got = fread(header, 1, sizeof(header), f);
    fclose(f);
    if (got == sizeof(header) && memcmp(header, magic, sizeof(magic)) == 0)
        return TRUE;
    *errmsg = g_strdup_printf("%s is not an SQLite database (left as it is): -T sqlite "
                              "appends to a database flowshark made, or creates a new one",
            path);
    return FALSE;
}

/* One integer a query returns (a PRAGMA); -1 with *error (SQLite's
 * message, unless *error is set already) on error. */
static gint64 query_int(sqlite3 *db, const char *sql, char **error)
{
    sqlite3_stmt *stmt = NULL;
    gint64 value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    else if (!*error)
        *error = g_strdup(sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return value;
}

/* What the open database is: new (no table, no application id), ours
 * (flowshark's id, our schema version and tables), or foreign (*why). */
static enum db_kind identify(sqlite3 *db, const char *path, char **why)
{
    char *error = NULL;
    gint64 app = query_int(db, "PRAGMA application_id", &error);
    gint64 version = query_int(db, "PRAGMA user_version", &error);
    sqlite3_stmt *stmt = NULL;
    GString *tables = g_string_new(NULL);
    guint ours = 0, count = 0;
    int rc = sqlite3_prepare_v2(db,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name",
            -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(stmt, 0);
            g_string_append_printf(tables, "%s%s", count++ ? ", " : "", name);
            for (guint i = 0; i < G_N_ELEMENTS(our_tables); i++)
                ours += strcmp(name, our_tables[i]) == 0;
        }
    }
    if (rc != SQLITE_DONE && !error)
        error = g_strdup(sqlite3_errmsg(db));
    sqlite3_finalize(stmt);

    enum db_kind kind = DB_FOREIGN;
    if (error)
        *why = g_strdup_printf(
                "cannot read %s as an SQLite database (left as it is): %s", path, error);
    else if (app == 0 && count == 0)
        kind = DB_NEW;
    else if (app != FS_SQLITE_APPLICATION_ID)
        *why = g_strdup_printf("%s is an SQLite database, but not flowshark's (tables: %s; "
                               "left as it is): -T sqlite appends to a database flowshark "
                               "made, or creates a new one",
                path, count ? tables->str : "none");
    else if (version != FS_SQLITE_SCHEMA_VERSION)
        *why = g_strdup_printf("%s is a flowshark database of schema version %" G_GINT64_FORMAT
                               "; this flowshark writes version %d (left as it is)",
                path, version, FS_SQLITE_SCHEMA_VERSION);
    else if (ours != G_N_ELEMENTS(our_tables))
        *why = g_strdup_printf("%s is a flowshark database that lacks some of its tables (it "
                               "has: %s; left as it is)",
                path, count ? tables->str : "none");
    else
        kind = DB_OURS;
    g_string_free(tables, TRUE);
    g_free(error);
    return kind;
}

sqlite3 *fs_sqlite_db_open(const char *path, char **errmsg)
{
    *errmsg = NULL;
    sqlite3 *db = NULL;
    if (!check_file(path, errmsg))
        goto fail;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        *errmsg = g_strdup_printf(
                "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, SQLITE_BUSY_MS);

    /* Look before writing anything: a foreign database is left as it is.
     * Then WAL (outside a transaction). */
    if (identify(db, path, errmsg) == DB_FOREIGN)
        goto fail;
    if (sqlite3_exec(db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                NULL, NULL, NULL) != SQLITE_OK) {
        *errmsg = g_strdup_printf(
                "cannot write %s: %s (choosing the journal mode)", path, sqlite3_errmsg(db));
        goto fail;
    }
    return db;

fail:
    /* A file this call created is left (empty): another run may have
     * opened it meanwhile. */
    sqlite3_close(db);
    return NULL;
}

gboolean fs_sqlite_db_adopt(sqlite3 *db, const char *path, char **errmsg)
{
    *errmsg = NULL;
    enum db_kind kind = identify(db, path, errmsg);
    if (kind == DB_FOREIGN)
        return FALSE;
    if (kind == DB_OURS)
        return TRUE;
    char *sql = g_strdup_printf("%s PRAGMA application_id = %d; PRAGMA user_version = %d;",
            schema_sql, FS_SQLITE_APPLICATION_ID, FS_SQLITE_SCHEMA_VERSION);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        *errmsg = g_strdup_printf(
                "cannot write %s: %s (creating the tables)", path, sqlite3_errmsg(db));
    g_free(sql);
    return *errmsg == NULL;
}

void fs_sqlite_db_append_identifier(GString *sql, const char *name)
{
    g_string_append_c(sql, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            g_string_append_c(sql, '"');
        g_string_append_c(sql, *p);
    }
    g_string_append_c(sql, '"');
}

char *fs_sqlite_db_now(void)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *text = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    return text;
}

enum fs_sqlite_number fs_sqlite_db_number(const char *text, gint64 *integer, double *real)
{
    char *end = NULL;
    if (!strpbrk(text, ".eE")) {
        errno = 0;
        gint64 value = g_ascii_strtoll(text, &end, 10);
        if (errno == 0 && end != text && *end == '\0') {
            *integer = value;
            return FS_SQLITE_NUMBER_INTEGER;
        }
    }
    double value = g_ascii_strtod(text, &end);
    if (end != text && *end == '\0') {
        *real = value;
        return FS_SQLITE_NUMBER_REAL;
    }
    return FS_SQLITE_NUMBER_TEXT;
}
