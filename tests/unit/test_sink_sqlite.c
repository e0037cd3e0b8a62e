/* test_sink_sqlite.c: unit tests of the SQLite format (sink_sqlite.c),
 * driven through the sink API as a run drives it (open_file, begin_output,
 * captures and their records, close_file) and read back with SQLite's own
 * API: every kind of value in its column, the extension rows, the runs and
 * captures tables, appending runs, a column added by a later run, files
 * that are not flowshark databases refused and left byte for byte, and the
 * sticky error. No epan needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sink.h"

/* ---- fixtures ---- */

/* A temporary folder and the database path in it. */
struct place {
    char *dir;
    char *db;
};

static int make_place(void **state)
{
    struct place *p = g_new0(struct place, 1);
    p->dir = g_dir_make_tmp("fs-sqlite-XXXXXX", NULL);
    assert_non_null(p->dir);
    p->db = g_build_filename(p->dir, "flows.db", NULL);
    *state = p;
    return 0;
}

static int remove_place(void **state)
{
    struct place *p = *state;
    GDir *dir = g_dir_open(p->dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(dir))) {
        char *path = g_build_filename(p->dir, name, NULL);
        g_remove(path);
        g_free(path);
    }
    g_dir_close(dir);
    g_rmdir(p->dir);
    g_free(p->dir);
    g_free(p->db);
    g_free(p);
    return 0;
}

/* The number of files in the folder. */
static guint files_in(const struct place *p)
{
    GDir *dir = g_dir_open(p->dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name(dir))
        n++;
    g_dir_close(dir);
    return n;
}

static const struct fs_run_info run_info = {
    .command_line = "flowshark -T sqlite -w flows.db 'a b.pcap'",
    .note = "batch 1",
    .version = "0.1.0",
    .library_version = "4.0.17",
};

static fs_sink *open_sink(const char *path)
{
    fs_sink *sink = NULL;
    char *errmsg = NULL;
    assert_int_equal(
            fs_sink_open_file(fs_sink_format_find("sqlite"), path, &run_info, &sink, &errmsg),
            FS_OK);
    assert_null(errmsg);
    return sink;
}

static void close_sink(fs_sink *sink, enum fs_status run_status)
{
    char *errmsg = NULL;
    assert_int_equal(fs_sink_close_file(sink, run_status, &errmsg), FS_OK);
    assert_null(errmsg);
}

/* begin_output with a NULL-terminated list of keys. */
static void begin_output(fs_sink *sink, const char *const *names)
{
    GPtrArray *keys = g_ptr_array_new();
    for (guint i = 0; names[i]; i++)
        g_ptr_array_add(keys, (gpointer)names[i]);
    fs_sink_begin_output(sink, keys);
    g_ptr_array_free(keys, TRUE);
}

static struct fs_capture_info capture_info(const char *path, guint64 flows)
{
    struct fs_capture_info info = {
        .path = path,
        .label = "web",
        .size = 1234,
        .packets = 10,
        .flows = flows,
        .status = "ok",
        .error = NULL,
    };
    return info;
}

static void begin_capture(fs_sink *sink, const struct fs_capture_info *info)
{
    char *errmsg = NULL;
    assert_int_equal(fs_sink_begin_capture(sink, info, &errmsg), FS_OK);
    assert_null(errmsg);
}

static void end_capture(fs_sink *sink, const struct fs_capture_info *info)
{
    char *errmsg = NULL;
    assert_int_equal(fs_sink_end_capture(sink, info, &errmsg), FS_OK);
    assert_null(errmsg);
}

/* A record of two keys, file and stream. */
static void small_record(fs_sink *sink, const char *file, gint64 stream)
{
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "file", file);
    fs_sink_key_int(sink, "stream", stream);
    fs_sink_end_record(sink);
}

static const char *const full_keys[] = { "file", "protocol", "stream", "time_start", "time_end",
    "mean", "ext_protocols", "ip_lengths", "splt", "ndpi", "big", "extension", NULL };

/* One record with every kind of value: strings (one needing JSON escapes),
 * ints, a number text, a double, null, arrays, nested arrays, an object,
 * and an extension object with two fields. */
static void full_record(fs_sink *s)
{
    fs_sink_begin_record(s);
    fs_sink_key_string(s, "file", "a b.pcap");
    fs_sink_key_string(s, "protocol", "tcp");
    fs_sink_key_int(s, "stream", 7);
    fs_sink_key(s, "time_start");
    fs_sink_number_text(s, "1497468236.460871");
    fs_sink_key(s, "time_end");
    fs_sink_null(s);
    fs_sink_key(s, "mean");
    fs_sink_double(s, 2.5);
    fs_sink_key(s, "ext_protocols");
    fs_sink_begin_array(s);
    fs_sink_string(s, "TLSv1");
    fs_sink_string(s, "q\"\\\n\xc3\xa9"); /* q " \ LF e-acute */
    fs_sink_end_array(s);
    fs_sink_key(s, "ip_lengths");
    fs_sink_begin_array(s);
    fs_sink_int(s, 323);
    fs_sink_int(s, -1450);
    fs_sink_end_array(s);
    fs_sink_key(s, "splt");
    fs_sink_begin_array(s);
    fs_sink_begin_array(s);
    fs_sink_int(s, 1);
    fs_sink_int(s, 2);
    fs_sink_end_array(s);
    fs_sink_begin_array(s);
    fs_sink_double(s, -3.0);
    fs_sink_end_array(s);
    fs_sink_end_array(s);
    fs_sink_key(s, "ndpi");
    fs_sink_begin_object(s);
    fs_sink_key_string(s, "app", "DNS");
    fs_sink_key(s, "risk");
    fs_sink_null(s);
    fs_sink_end_object(s);
    fs_sink_key_int(s, "big", G_MAXINT64);
    fs_sink_key(s, "extension");
    fs_sink_begin_object(s);
    fs_sink_key(s, "dns.qry.name");
    fs_sink_begin_array(s);
    fs_sink_begin_array(s);
    fs_sink_string(s, "example.com");
    fs_sink_int(s, 0);
    fs_sink_end_array(s);
    fs_sink_begin_array(s);
    fs_sink_string(s, "b.example");
    fs_sink_int(s, 2);
    fs_sink_end_array(s);
    fs_sink_end_array(s);
    fs_sink_key(s, "tls.handshake.extensions_server_name");
    fs_sink_begin_array(s);
    fs_sink_begin_array(s);
    fs_sink_string(s, "x.org");
    fs_sink_int(s, 1);
    fs_sink_end_array(s);
    fs_sink_end_array(s);
    fs_sink_end_object(s);
    assert_int_equal(fs_sink_end_record(s), 12);
}

/* The JSON Lines text of full_record(). */
static char *full_record_jsonl(void)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    fs_writer *w = fs_writer_over(out);
    fs_sink *s = fs_sink_new(fs_sink_format_find("jsonl"), w);
    full_record(s);
    fs_sink_free(s);
    char *ignored = NULL;
    assert_int_equal(fs_writer_close(w, TRUE, &ignored), FS_OK);
    fclose(out);
    char *text = g_strdup(buffer);
    free(buffer);
    return text;
}

/* ---- reading the database back ---- */

static sqlite3 *read_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

/* The first column of the first row of sql as text ("NULL" for null), or
 * of every row joined by ";". Caller g_free()s. */
static char *rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    GString *text = g_string_new(NULL);
    int rc;
    guint n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *value = (const char *)sqlite3_column_text(stmt, 0);
        g_string_append_printf(text, "%s%s", n++ ? ";" : "", value ? value : "NULL");
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(stmt);
    return g_string_free(text, FALSE);
}

/* Asserts that sql gives expected (as rows() joins it). */
static void assert_rows(sqlite3 *db, const char *sql, const char *expected)
{
    char *got = rows(db, sql);
    assert_string_equal(got, expected);
    g_free(got);
}

static gint64 count(sqlite3 *db, const char *sql)
{
    char *text = rows(db, sql);
    gint64 n = g_ascii_strtoll(text, NULL, 10);
    g_free(text);
    return n;
}

/* The bytes of a file. Caller g_free()s. */
static char *contents(const char *path, gsize *len)
{
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, len, NULL));
    return text;
}

/* ---- tests ---- */

static void record_read_back(void **state)
{
    struct place *p = *state;
    fs_sink *sink = open_sink(p->db);
    begin_output(sink, full_keys);
    struct fs_capture_info info = capture_info("a b.pcap", 1);
    begin_capture(sink, &info);
    full_record(sink);
    end_capture(sink, &info);
    close_sink(sink, FS_OK);

    sqlite3 *db = read_db(p->db);
    assert_rows(db, "PRAGMA journal_mode", "wal");
    assert_rows(db, "PRAGMA user_version", "1");
    assert_rows(db, "PRAGMA application_id", "1181504360"); /* 0x466c5368, "FlSh" */
    assert_rows(db, "PRAGMA integrity_check", "ok");
    /* Columns in record order, extension not among them. */
    assert_rows(db, "SELECT name FROM pragma_table_info('flows') ORDER BY cid",
            "id;capture;file;protocol;stream;time_start;time_end;mean;ext_protocols;ip_lengths;"
            "splt;ndpi;big");
    /* Every value with its type. */
    assert_rows(db, "SELECT typeof(file) || ':' || file FROM flows", "text:a b.pcap");
    assert_rows(db, "SELECT typeof(stream) || ':' || stream FROM flows", "integer:7");
    assert_rows(db, "SELECT typeof(time_start) || ':' || printf('%.6f', time_start) FROM flows",
            "real:1497468236.460871");
    assert_rows(db, "SELECT time_start = 1497468236.460871 FROM flows", "1");
    assert_rows(db, "SELECT typeof(time_end) FROM flows", "null");
    assert_rows(db, "SELECT typeof(mean) || ':' || mean FROM flows", "real:2.5");
    assert_rows(db, "SELECT typeof(big) || ':' || big FROM flows", "integer:9223372036854775807");
    assert_rows(db, "SELECT ext_protocols FROM flows", "[\"TLSv1\",\"q\\\"\\\\\\n\xc3\xa9\"]");
    assert_rows(db, "SELECT ip_lengths FROM flows", "[323,-1450]");
    assert_rows(db, "SELECT splt FROM flows", "[[1,2],[-3.0]]");
    assert_rows(db, "SELECT ndpi FROM flows", "{\"app\":\"DNS\",\"risk\":null}");
    assert_rows(db, "SELECT json_extract(ext_protocols, '$[1]') FROM flows", "q\"\\\n\xc3\xa9");
    /* The JSON texts are those of JSON Lines. */
    char *line = full_record_jsonl();
    const char *const nested[] = { "ext_protocols", "ip_lengths", "splt", "ndpi" };
    for (guint i = 0; i < G_N_ELEMENTS(nested); i++) {
        char *sql = g_strdup_printf("SELECT %s FROM flows", nested[i]);
        char *text = rows(db, sql);
        char *member = g_strdup_printf("\"%s\":%s,", nested[i], text);
        assert_non_null(strstr(line, member));
        g_free(member);
        g_free(text);
        g_free(sql);
    }
    g_free(line);
    /* The extension, pair by pair, in order. */
    assert_rows(db,
            "SELECT flow || '|' || field || '|' || value || '|' || packet FROM extension "
            "ORDER BY id",
            "1|dns.qry.name|example.com|0;1|dns.qry.name|b.example|2;"
            "1|tls.handshake.extensions_server_name|x.org|1");
    assert_rows(db, "SELECT DISTINCT typeof(packet) FROM extension", "integer");
    /* The run and the capture. */
    assert_rows(db,
            "SELECT id || '|' || status || '|' || command_line || '|' || note || '|' || "
            "flowshark_version || '|' || libwireshark_version FROM runs",
            "1|ok|flowshark -T sqlite -w flows.db 'a b.pcap'|batch 1|0.1.0|4.0.17");
    assert_rows(db, "SELECT record_keys FROM runs",
            "[\"file\",\"protocol\",\"stream\",\"time_start\",\"time_end\",\"mean\","
            "\"ext_protocols\",\"ip_lengths\",\"splt\",\"ndpi\",\"big\",\"extension\"]");
    assert_rows(db,
            "SELECT started GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:"
            "[0-9][0-9]:[0-9][0-9]Z' AND finished >= started FROM runs",
            "1");
    assert_rows(db,
            "SELECT id || '|' || run || '|' || path || '|' || size || '|' || label || '|' || "
            "packets || '|' || flows || '|' || status || '|' || typeof(error) FROM captures",
            "1|1|a b.pcap|1234|web|10|1|ok|null");
    assert_rows(db, "SELECT capture FROM flows", "1");
    sqlite3_close(db);
}

static void runs_appended_and_column_added(void **state)
{
    struct place *p = *state;
    static const char *const keys1[] = { "file", "stream", NULL };
    static const char *const keys2[] = { "file", "stream", "mean", NULL };

    fs_sink *sink = open_sink(p->db);
    begin_output(sink, keys1);
    struct fs_capture_info one = capture_info("one.pcap", 1);
    begin_capture(sink, &one);
    small_record(sink, "one.pcap", 0);
    end_capture(sink, &one);
    close_sink(sink, FS_OK);

    sink = open_sink(p->db);
    begin_output(sink, keys2);
    struct fs_capture_info two = capture_info("two.pcap", 2);
    begin_capture(sink, &two);
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "file", "two.pcap");
    fs_sink_key_int(sink, "stream", 0);
    fs_sink_key(sink, "mean");
    fs_sink_double(sink, 0.25);
    fs_sink_end_record(sink);
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "file", "two.pcap");
    fs_sink_key_int(sink, "stream", 1);
    fs_sink_key(sink, "mean");
    fs_sink_null(sink);
    fs_sink_end_record(sink);
    end_capture(sink, &two);
    close_sink(sink, FS_ERR_INTERRUPTED);

    sqlite3 *db = read_db(p->db);
    assert_rows(db, "SELECT id || ':' || status FROM runs ORDER BY id", "1:ok;2:interrupted");
    assert_rows(db, "SELECT path || ':' || run FROM captures ORDER BY id", "one.pcap:1;two.pcap:2");
    assert_rows(db, "SELECT name FROM pragma_table_info('flows') ORDER BY cid",
            "id;capture;file;stream;mean");
    assert_rows(db,
            "SELECT r.id || ':' || f.file || ':' || f.stream || ':' || typeof(f.mean) FROM flows f "
            "JOIN captures c ON f.capture = c.id JOIN runs r ON c.run = r.id ORDER BY f.id",
            "1:one.pcap:0:null;2:two.pcap:0:real;2:two.pcap:1:null");
    assert_rows(db, "PRAGMA integrity_check", "ok");
    assert_rows(db, "PRAGMA foreign_key_check", "");
    sqlite3_close(db);
}

/* A later run whose records give the keys in another order, with a new
 * key between them: each value still lands in its column. */
static void keys_in_another_order(void **state)
{
    struct place *p = *state;
    static const char *const keys1[] = { "file", "stream", NULL };
    static const char *const keys2[] = { "stream", "label", "file", NULL };
    fs_sink *sink = open_sink(p->db);
    begin_output(sink, keys1);
    struct fs_capture_info one = capture_info("one.pcap", 1);
    begin_capture(sink, &one);
    small_record(sink, "one.pcap", 4);
    end_capture(sink, &one);
    close_sink(sink, FS_OK);

    sink = open_sink(p->db);
    begin_output(sink, keys2);
    struct fs_capture_info two = capture_info("two.pcap", 2);
    begin_capture(sink, &two);
    for (gint64 stream = 5; stream <= 6; stream++) {
        fs_sink_begin_record(sink);
        fs_sink_key_int(sink, "stream", stream);
        fs_sink_key_string(sink, "label", "x");
        fs_sink_key_string(sink, "file", "two.pcap");
        fs_sink_end_record(sink);
    }
    end_capture(sink, &two);
    close_sink(sink, FS_OK);

    sqlite3 *db = read_db(p->db);
    assert_rows(db, "SELECT name FROM pragma_table_info('flows') ORDER BY cid",
            "id;capture;file;stream;label");
    assert_rows(db,
            "SELECT file || ':' || stream || ':' || coalesce(label, 'NULL') FROM flows ORDER BY id",
            "one.pcap:4:NULL;two.pcap:5:x;two.pcap:6:x");
    assert_rows(db, "SELECT record_keys FROM runs ORDER BY id",
            "[\"file\",\"stream\"];[\"stream\",\"label\",\"file\"]");
    sqlite3_close(db);
}

static void empty_file_becomes_database(void **state)
{
    struct place *p = *state;
    assert_true(g_file_set_contents(p->db, "", 0, NULL));
    fs_sink *sink = open_sink(p->db);
    close_sink(sink, FS_OK);
    sqlite3 *db = read_db(p->db);
    assert_rows(db, "SELECT status FROM runs", "ok");
    assert_int_equal(count(db, "SELECT count(*) FROM captures"), 0);
    sqlite3_close(db);
}

/* Opening path fails with a message containing what; the file keeps its
 * bytes and no file appears beside it. */
static void assert_refused(const struct place *p, const char *what)
{
    gsize before_len = 0, after_len = 0;
    char *before = contents(p->db, &before_len);
    guint files = files_in(p);
    fs_sink *sink = NULL;
    char *errmsg = NULL;
    assert_int_equal(
            fs_sink_open_file(fs_sink_format_find("sqlite"), p->db, &run_info, &sink, &errmsg),
            FS_ERR_OUTPUT);
    assert_null(sink);
    assert_non_null(errmsg);
    assert_non_null(strstr(errmsg, what));
    assert_non_null(strstr(errmsg, p->db));
    g_free(errmsg);
    char *after = contents(p->db, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    assert_int_equal(files_in(p), files);
    g_free(before);
    g_free(after);
}

static void not_sqlite_refused(void **state)
{
    struct place *p = *state;
    /* A text file, and a file shorter than SQLite's header. */
    assert_true(g_file_set_contents(p->db, "file,protocol\na.pcap,tcp\n", -1, NULL));
    assert_refused(p, "is not an SQLite database");
    assert_true(g_file_set_contents(p->db, "SQLite", -1, NULL));
    assert_refused(p, "is not an SQLite database");
}

static void foreign_database_refused(void **state)
{
    struct place *p = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p->db, &db), SQLITE_OK);
    assert_int_equal(
            sqlite3_exec(db, "CREATE TABLE flows (x TEXT); INSERT INTO flows VALUES ('mine');",
                    NULL, NULL, NULL),
            SQLITE_OK);
    sqlite3_close(db);
    assert_refused(p, "not flowshark's (tables: flows;");
}

static void newer_schema_refused(void **state)
{
    struct place *p = *state;
    close_sink(open_sink(p->db), FS_OK);
    sqlite3 *db = read_db(p->db);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_refused(p, "schema version 2");
}

static void directory_refused(void **state)
{
    struct place *p = *state;
    fs_sink *sink = NULL;
    char *errmsg = NULL;
    assert_int_equal(
            fs_sink_open_file(fs_sink_format_find("sqlite"), p->dir, &run_info, &sink, &errmsg),
            FS_ERR_OUTPUT);
    assert_non_null(strstr(errmsg, "not a regular file"));
    g_free(errmsg);
    assert_int_equal(files_in(p), 0);
}

/* A record begun and not ended is not stored; a capture not ended when the
 * run closes leaves no row. */
static void unfinished_records_and_captures_dropped(void **state)
{
    struct place *p = *state;
    static const char *const keys[] = { "file", "stream", NULL };
    fs_sink *sink = open_sink(p->db);
    begin_output(sink, keys);
    struct fs_capture_info one = capture_info("one.pcap", 1);
    begin_capture(sink, &one);
    small_record(sink, "one.pcap", 0);
    fs_sink_begin_record(sink);
    fs_sink_key_string(sink, "file", "one.pcap");
    end_capture(sink, &one);
    struct fs_capture_info two = capture_info("two.pcap", 1);
    begin_capture(sink, &two);
    small_record(sink, "two.pcap", 0);
    close_sink(sink, FS_ERR_INTERRUPTED);

    sqlite3 *db = read_db(p->db);
    assert_rows(db, "SELECT status || ':' || (finished IS NOT NULL) FROM runs", "interrupted:1");
    assert_rows(db, "SELECT path FROM captures", "one.pcap");
    assert_rows(db, "SELECT file || ':' || stream FROM flows", "one.pcap:0");
    sqlite3_close(db);
}

/* A capture that ends without beginning (it could not be read) is a
 * captures row without flows. */
static void failed_capture_row(void **state)
{
    struct place *p = *state;
    fs_sink *sink = open_sink(p->db);
    struct fs_capture_info bad = {
        .path = "bad.pcap", .size = -1, .status = "failed", .error = "not a capture file"
    };
    end_capture(sink, &bad);
    close_sink(sink, FS_ERR_OPEN);

    sqlite3 *db = read_db(p->db);
    assert_rows(db,
            "SELECT path || '|' || typeof(size) || '|' || typeof(label) || '|' || packets || "
            "'|' || flows || '|' || status || '|' || error FROM captures",
            "bad.pcap|null|null|0|0|failed|not a capture file");
    assert_rows(db, "SELECT status FROM runs", "failed");
    sqlite3_close(db);
}

/* An SQLite error (a trigger refusing one flow) sticks: the capture it hit
 * is rolled back, the message is handed out once, later calls fail quietly,
 * the captures before it stay, and the run is marked failed. */
static void error_sticks(void **state)
{
    struct place *p = *state;
    static const char *const keys[] = { "file", "stream", NULL };
    close_sink(open_sink(p->db), FS_OK);
    sqlite3 *db = read_db(p->db);
    assert_int_equal(sqlite3_exec(db,
                             "CREATE TRIGGER refuse BEFORE INSERT ON flows WHEN NEW.stream = 13 "
                             "BEGIN SELECT RAISE(ABORT, 'stream 13 refused'); END",
                             NULL, NULL, NULL),
            SQLITE_OK);
    sqlite3_close(db);

    fs_sink *sink = open_sink(p->db);
    begin_output(sink, keys);
    struct fs_capture_info one = capture_info("one.pcap", 1);
    begin_capture(sink, &one);
    small_record(sink, "one.pcap", 1);
    end_capture(sink, &one);
    struct fs_capture_info two = capture_info("two.pcap", 3);
    begin_capture(sink, &two);
    small_record(sink, "two.pcap", 2);
    small_record(sink, "two.pcap", 13);
    small_record(sink, "two.pcap", 3);
    char *errmsg = NULL;
    assert_int_equal(fs_sink_end_capture(sink, &two, &errmsg), FS_ERR_OUTPUT);
    assert_non_null(strstr(errmsg, "stream 13 refused"));
    assert_non_null(strstr(errmsg, p->db));
    g_free(errmsg);
    errmsg = NULL;
    struct fs_capture_info three = capture_info("three.pcap", 1);
    assert_int_equal(fs_sink_begin_capture(sink, &three, &errmsg), FS_ERR_OUTPUT);
    assert_null(errmsg);
    small_record(sink, "three.pcap", 0);
    assert_int_equal(fs_sink_end_capture(sink, &three, &errmsg), FS_ERR_OUTPUT);
    assert_null(errmsg);
    assert_int_equal(fs_sink_close_file(sink, FS_ERR_OUTPUT, &errmsg), FS_ERR_OUTPUT);
    assert_null(errmsg);

    db = read_db(p->db);
    assert_rows(db, "SELECT id || ':' || status || ':' || (finished IS NOT NULL) FROM runs",
            "1:ok:1;2:failed:1");
    assert_rows(db, "SELECT path FROM captures", "one.pcap");
    assert_rows(db, "SELECT file || ':' || stream FROM flows", "one.pcap:1");
    assert_rows(db, "PRAGMA integrity_check", "ok");
    sqlite3_close(db);
}

/* A record key that is a column of flows' own (compared without case, as
 * SQLite compares names) is an error, reported by close_file. */
static void key_named_like_own_column(void **state)
{
    struct place *p = *state;
    static const char *const keys[] = { "file", "ID", NULL };
    fs_sink *sink = open_sink(p->db);
    begin_output(sink, keys);
    char *errmsg = NULL;
    assert_int_equal(fs_sink_close_file(sink, FS_OK, &errmsg), FS_ERR_OUTPUT);
    assert_non_null(strstr(errmsg, "a record key is called \"ID\""));
    g_free(errmsg);
    sqlite3 *db = read_db(p->db);
    assert_rows(db, "SELECT status FROM runs", "failed");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(record_read_back, make_place, remove_place),
        cmocka_unit_test_setup_teardown(runs_appended_and_column_added, make_place, remove_place),
        cmocka_unit_test_setup_teardown(keys_in_another_order, make_place, remove_place),
        cmocka_unit_test_setup_teardown(empty_file_becomes_database, make_place, remove_place),
        cmocka_unit_test_setup_teardown(not_sqlite_refused, make_place, remove_place),
        cmocka_unit_test_setup_teardown(foreign_database_refused, make_place, remove_place),
        cmocka_unit_test_setup_teardown(newer_schema_refused, make_place, remove_place),
        cmocka_unit_test_setup_teardown(directory_refused, make_place, remove_place),
        cmocka_unit_test_setup_teardown(
                unfinished_records_and_captures_dropped, make_place, remove_place),
        cmocka_unit_test_setup_teardown(failed_capture_row, make_place, remove_place),
        cmocka_unit_test_setup_teardown(error_sticks, make_place, remove_place),
        cmocka_unit_test_setup_teardown(key_named_like_own_column, make_place, remove_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
