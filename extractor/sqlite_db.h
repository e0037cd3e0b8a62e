/* sqlite_db.h: what the SQLite formats share (sink_sqlite.c, the flow
 * records of -T sqlite; window/window_sqlite.c, the windows of flowshark
 * window -T sqlite): opening a flowshark database, knowing one by its
 * header, application id, schema version and tables (a file that is not one
 * is refused before anything is written to it), giving a new one its
 * tables, and the small rules both store values by. The schema is
 * documented in doc/sqlite.md. */
#ifndef FS_SQLITE_DB_H
#define FS_SQLITE_DB_H

#include <glib.h>
#include <sqlite3.h>

/* PRAGMA application_id: the four bytes "FlSh", so that a flowshark
 * database is known by its header; PRAGMA user_version: the schema. */
#define FS_SQLITE_APPLICATION_ID 0x466c5368
#define FS_SQLITE_SCHEMA_VERSION 1

/* Opens path (-w FILE) for writing, creating it when missing: a missing or
 * empty file, or a flowshark database of this schema version with its
 * tables (runs, captures, flows, extension; users' own tables are kept).
 * Anything else (not a regular file, not SQLite, another application's
 * database, another schema version) is refused and left byte for byte as
 * it is. The connection waits for other writers (busy timeout), is in WAL
 * mode with synchronous = NORMAL, and has foreign keys on. Nothing is
 * created yet: see fs_sqlite_db_adopt(). Returns the connection (caller
 * closes it with sqlite3_close()), or NULL with *errmsg (caller
 * g_free()s). */
sqlite3 *fs_sqlite_db_open(const char *path, char **errmsg);

/* To be called in a write transaction the caller began (BEGIN IMMEDIATE)
 * on a connection of fs_sqlite_db_open(): looks again at what the database
 * is (another process may have made it meanwhile) and creates flowshark's
 * tables, application id and schema version when it is new. FALSE with
 * *errmsg (caller g_free()s) when it is not (or no longer) a database
 * flowshark may write, or the tables cannot be created; the caller then
 * rolls back. path is for messages. */
gboolean fs_sqlite_db_adopt(sqlite3 *db, const char *path, char **errmsg);

/* Appends name to sql as an SQL identifier: in double quotes, inner ones
 * doubled. */
void fs_sqlite_db_append_identifier(GString *sql, const char *name);

/* The time now as the databases store it, ISO 8601 UTC
 * ("2024-05-01T12:34:56Z"). Caller g_free()s. */
char *fs_sqlite_db_now(void);

/* How a JSON number is stored: INTEGER when its text has no '.', 'e' or
 * 'E' and fits 64 bits (*integer), REAL otherwise (*real), TEXT when the
 * text is not a number at all (not produced by the sinks' callers). */
enum fs_sqlite_number {
    FS_SQLITE_NUMBER_INTEGER,
    FS_SQLITE_NUMBER_REAL,
    FS_SQLITE_NUMBER_TEXT
};

enum fs_sqlite_number fs_sqlite_db_number(const char *text, gint64 *integer, double *real);

#endif
