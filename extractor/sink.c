/* sink.c: JSON Lines and CSV records behind one set of emitters. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "sink.h"

struct fs_sink {
    enum fs_output_format format;
    fs_writer *writer;
    json_dumper *record; /* JSON Lines: the writer's dumper for this record */
    /* CSV: the row so far, the dumper of the cell being built when a value
     * is nested (depth > 0), and the number of cells. */
    GString *row;
    json_dumper cell;
    int depth;
    guint keys;
};

/* ---- CSV cells ---- */

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

/* A whole top-level scalar: one cell. */
static void csv_cell(fs_sink *s, const char *text, gsize len)
{
    fs_sink_csv_field(s->row, text, len);
}

/* The dumper values go to: the record's (JSON Lines) or the nested cell's
 * (CSV, depth > 0); NULL for a top-level CSV scalar. */
static json_dumper *dumper(fs_sink *s)
{
    if (s->format == FS_FORMAT_JSONL)
        return s->record;
    return s->depth > 0 ? &s->cell : NULL;
}

fs_sink *fs_sink_begin(enum fs_output_format format, fs_writer *writer)
{
    fs_sink *s = g_new0(fs_sink, 1);
    s->format = format;
    s->writer = writer;
    if (format == FS_FORMAT_JSONL) {
        s->record = fs_writer_begin_record(writer);
        json_dumper_begin_object(s->record);
    } else {
        s->row = g_string_sized_new(256);
    }
    return s;
}

guint fs_sink_end(fs_sink *s)
{
    guint keys = s->keys;
    if (s->format == FS_FORMAT_JSONL) {
        json_dumper_end_object(s->record);
        fs_writer_end_record(s->writer);
    } else {
        g_string_append(s->row, "\r\n");
        fs_writer_text(s->writer, s->row->str, s->row->len);
        g_string_free(s->row, TRUE);
    }
    g_free(s);
    return keys;
}

void fs_sink_key(fs_sink *s, const char *name)
{
    json_dumper *d = dumper(s);
    if (s->format == FS_FORMAT_CSV && s->depth == 0) {
        if (s->keys > 0)
            g_string_append_c(s->row, ',');
    } else {
        json_dumper_set_member_name(d, name);
    }
    if (s->depth == 0)
        s->keys++;
}

void fs_sink_number_text(fs_sink *s, const char *text)
{
    json_dumper *d = dumper(s);
    if (d)
        json_dumper_value_anyf(d, "%s", text);
    else
        csv_cell(s, text, strlen(text));
}

void fs_sink_int(fs_sink *s, gint64 value)
{
    char buf[24];
    g_snprintf(buf, sizeof(buf), "%" PRId64, value);
    fs_sink_number_text(s, buf);
}

char *fs_sink_format_double(char *buf, double value)
{
    if (!isfinite(value)) {
        /* Never produced by the statistics; kept valid JSON anyway. */
        g_strlcpy(buf, "0.0", G_ASCII_DTOSTR_BUF_SIZE);
        return buf;
    }
    /* The shortest of %.15g, %.16g, %.17g that reads back exactly. */
    for (int digits = 15; digits <= 17; digits++) {
        char format[8];
        g_snprintf(format, sizeof(format), "%%.%dg", digits);
        g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, format, value);
        if (g_ascii_strtod(buf, NULL) == value)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        g_strlcat(buf, ".0", G_ASCII_DTOSTR_BUF_SIZE);
    return buf;
}

void fs_sink_double(fs_sink *s, double value)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    fs_sink_number_text(s, fs_sink_format_double(buf, value));
}

void fs_sink_string(fs_sink *s, const char *value)
{
    json_dumper *d = dumper(s);
    if (d) {
        fs_writer_string(d, value);
        return;
    }
    if (g_utf8_validate(value, -1, NULL)) {
        csv_cell(s, value, strlen(value));
        return;
    }
    char *valid = g_utf8_make_valid(value, -1);
    csv_cell(s, valid, strlen(valid));
    g_free(valid);
}

void fs_sink_null(fs_sink *s)
{
    json_dumper *d = dumper(s);
    if (d)
        json_dumper_value_anyf(d, "null");
    /* CSV: an empty cell. */
}

/* CSV: a nested value starts a cell built by its own dumper. */
static void csv_open(fs_sink *s)
{
    if (s->format == FS_FORMAT_CSV && s->depth == 0) {
        memset(&s->cell, 0, sizeof(s->cell));
        s->cell.output_string = g_string_sized_new(64);
    }
    s->depth++;
}

static void csv_close(fs_sink *s)
{
    s->depth--;
    if (s->format == FS_FORMAT_CSV && s->depth == 0) {
        json_dumper_finish(&s->cell);
        GString *text = s->cell.output_string;
        if (text->len && text->str[text->len - 1] == '\n') /* the dumper ends with one */
            g_string_truncate(text, text->len - 1);
        csv_cell(s, text->str, text->len);
        g_string_free(text, TRUE);
        s->cell.output_string = NULL;
    }
}

void fs_sink_begin_array(fs_sink *s)
{
    csv_open(s);
    json_dumper_begin_array(dumper(s));
}

void fs_sink_end_array(fs_sink *s)
{
    json_dumper_end_array(dumper(s));
    csv_close(s);
}

void fs_sink_begin_object(fs_sink *s)
{
    csv_open(s);
    json_dumper_begin_object(dumper(s));
}

void fs_sink_end_object(fs_sink *s)
{
    json_dumper_end_object(dumper(s));
    csv_close(s);
}

void fs_sink_write_header(enum fs_output_format format, fs_writer *writer, const GPtrArray *keys)
{
    if (format != FS_FORMAT_CSV)
        return;
    GString *row = g_string_new(NULL);
    for (guint i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        if (i > 0)
            g_string_append_c(row, ',');
        fs_sink_csv_field(row, key, strlen(key));
    }
    g_string_append(row, "\r\n");
    fs_writer_text(writer, row->str, row->len);
    g_string_free(row, TRUE);
}
