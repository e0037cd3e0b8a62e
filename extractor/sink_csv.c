/* sink_csv.c: the CSV format (-T csv, RFC 4180): a header row, then one
 * row per record; every top-level key is a column, and an array or object
 * value is one cell holding its compact JSON text (json_dumper). */
#include <string.h>

#include <wsutil/json_dumper.h>

#include "sink.h"

struct csv {
    fs_writer *writer;
    GString *row;
    guint cells;      /* cells in the row so far */
    json_dumper cell; /* builds a nested value's cell (depth > 0) */
    GString *cell_text;
};

void fs_sink_csv_field(GString *out, const char *text, gsize len)
{
    gboolean quote = FALSE;
    for (gsize i = 0; i < len && !quote; i++)
        quote = text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n';
    if (!quote) {
        g_string_append_len(out, text, (gssize)len);
        return;
    }
    g_string_append_c(out, '"');
    for (gsize i = 0; i < len; i++) {
        if (text[i] == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, text[i]);
    }
    g_string_append_c(out, '"');
}

static void *csv_open(fs_writer *writer)
{
    struct csv *c = g_new0(struct csv, 1);
    c->writer = writer;
    c->row = g_string_sized_new(1024);
    c->cell_text = g_string_sized_new(256);
    return c;
}

static void csv_close(void *impl)
{
    struct csv *c = impl;
    g_string_free(c->row, TRUE);
    g_string_free(c->cell_text, TRUE);
    g_free(c);
}

static void csv_begin_output(void *impl, const GPtrArray *keys)
{
    struct csv *c = impl;
    GString *row = g_string_new(NULL);
    for (guint i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        if (i > 0)
            g_string_append_c(row, ',');
        fs_sink_csv_field(row, key, strlen(key));
    }
    g_string_append(row, "\r\n");
    fs_writer_text(c->writer, row->str, row->len);
    g_string_free(row, TRUE);
}

static void csv_begin_record(void *impl)
{
    struct csv *c = impl;
    g_string_truncate(c->row, 0);
    c->cells = 0;
}

static void csv_end_record(void *impl)
{
    struct csv *c = impl;
    g_string_append(c->row, "\r\n");
    fs_writer_text(c->writer, c->row->str, c->row->len);
}

static void csv_key(void *impl, const char *name, int depth)
{
    struct csv *c = impl;
    if (depth > 0) {
        json_dumper_set_member_name(&c->cell, name);
        return;
    }
    if (c->cells++ > 0)
        g_string_append_c(c->row, ',');
}

static void csv_number(void *impl, const char *text, int depth)
{
    struct csv *c = impl;
    if (depth > 0)
        json_dumper_value_anyf(&c->cell, "%s", text);
    else
        fs_sink_csv_field(c->row, text, strlen(text));
}

static void csv_string(void *impl, const char *utf8, int depth)
{
    struct csv *c = impl;
    if (depth > 0)
        json_dumper_value_string(&c->cell, utf8);
    else
        fs_sink_csv_field(c->row, utf8, strlen(utf8));
}

static void csv_null(void *impl, int depth)
{
    struct csv *c = impl;
    if (depth > 0)
        json_dumper_value_anyf(&c->cell, "null");
    /* At the top level: an empty cell. */
}

/* A nested value at the top level starts a cell built by its own dumper. */
static void open_cell(struct csv *c, int depth)
{
    if (depth > 0)
        return;
    g_string_truncate(c->cell_text, 0);
    memset(&c->cell, 0, sizeof(c->cell));
    c->cell.output_string = c->cell_text;
}

static void close_cell(struct csv *c, int depth)
{
    if (depth > 0)
        return;
    json_dumper_finish(&c->cell);
    GString *text = c->cell_text;
    if (text->len && text->str[text->len - 1] == '\n') /* the dumper ends with one */
        g_string_truncate(text, text->len - 1);
    fs_sink_csv_field(c->row, text->str, text->len);
}

static void csv_begin_array(void *impl, int depth)
{
    struct csv *c = impl;
    open_cell(c, depth);
    json_dumper_begin_array(&c->cell);
}

static void csv_end_array(void *impl, int depth)
{
    struct csv *c = impl;
    json_dumper_end_array(&c->cell);
    close_cell(c, depth);
}

static void csv_begin_object(void *impl, int depth)
{
    struct csv *c = impl;
    open_cell(c, depth);
    json_dumper_begin_object(&c->cell);
}

static void csv_end_object(void *impl, int depth)
{
    struct csv *c = impl;
    json_dumper_end_object(&c->cell);
    close_cell(c, depth);
}

const struct fs_sink_ops fs_sink_csv = {
    .name = "csv",
    .description = "CSV (RFC 4180) with a header row; arrays as JSON text",
    .extension = "csv",
    .open = csv_open,
    .close = csv_close,
    .begin_output = csv_begin_output,
    .begin_record = csv_begin_record,
    .end_record = csv_end_record,
    .key = csv_key,
    .number = csv_number,
    .string = csv_string,
    .null = csv_null,
    .begin_array = csv_begin_array,
    .end_array = csv_end_array,
    .begin_object = csv_begin_object,
    .end_object = csv_end_object,
};
