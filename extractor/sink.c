/* sink.c: the front of the output formats: the table of formats, UTF-8
 * repair, number formatting, the depth of nesting, and the key collector. */
#include <math.h>
#include <string.h>

#include "sink.h"
#include "format.h"

/* ---- the formats: one line each ---- */

extern const struct fs_sink_ops fs_sink_jsonl;
extern const struct fs_sink_ops fs_sink_csv;
extern const struct fs_sink_ops fs_sink_sqlite;

static const struct fs_sink_ops *const formats[] = {
    &fs_sink_jsonl,
    &fs_sink_csv,
    &fs_sink_sqlite,
};

const struct fs_sink_ops *fs_sink_format_find(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    }
    return NULL;
}

char *fs_sink_format_names(void)
{
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(formats); i++)
        g_string_append_printf(text, "%s%s",
                i == 0                           ? ""
                : i + 1 == G_N_ELEMENTS(formats) ? " or "
                                                 : ", ",
                formats[i]->name);
    return g_string_free(text, FALSE);
}

void fs_sink_format_help(GString *out)
{
    for (guint i = 0; i < G_N_ELEMENTS(formats); i++)
        g_string_append_printf(out, "                             %-6s %s\n", formats[i]->name,
                formats[i]->description);
}

/* ---- the key collector: writes nothing, keeps top-level key names ---- */

static void *keys_open(fs_writer *writer)
{
    (void)writer;
    return g_ptr_array_new_with_free_func(g_free);
}

static void keys_close(void *impl)
{
    g_ptr_array_free(impl, TRUE);
}

static void keys_key(void *impl, const char *name, int depth)
{
    GPtrArray *keys = impl;
    if (depth > 0)
        return;
    for (guint i = 0; i < keys->len; i++) {
        if (strcmp(g_ptr_array_index(keys, i), name) == 0)
            return;
    }
    g_ptr_array_add(keys, g_strdup(name));
}

static void keys_ignore(void *impl)
{
    (void)impl;
}

static void keys_ignore_depth(void *impl, int depth)
{
    (void)impl;
    (void)depth;
}

static void keys_ignore_text(void *impl, const char *text, int depth)
{
    (void)impl;
    (void)text;
    (void)depth;
}

static void keys_ignore_header(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static const struct fs_sink_ops key_collector = {
    .name = "keys",
    .description = "the names of the top-level keys (internal)",
    .open = keys_open,
    .close = keys_close,
    .begin_output = keys_ignore_header,
    .begin_record = keys_ignore,
    .end_record = keys_ignore,
    .key = keys_key,
    .number = keys_ignore_text,
    .string = keys_ignore_text,
    .null = keys_ignore_depth,
    .begin_array = keys_ignore_depth,
    .end_array = keys_ignore_depth,
    .begin_object = keys_ignore_depth,
    .end_object = keys_ignore_depth,
};

/* ---- the front ---- */

struct fs_sink {
    const struct fs_sink_ops *ops;
    void *impl;
    int depth;  /* 0 at the top level of a record */
    guint keys; /* top-level keys of the current record */
};

fs_sink *fs_sink_new(const struct fs_sink_ops *ops, fs_writer *writer)
{
    fs_sink *s = g_new0(fs_sink, 1);
    s->ops = ops;
    s->impl = ops->open(writer);
    return s;
}

fs_sink *fs_sink_new_over(const struct fs_sink_ops *ops, void *impl)
{
    fs_sink *s = g_new0(fs_sink, 1);
    s->ops = ops;
    s->impl = impl;
    return s;
}

gboolean fs_sink_format_is_file(const struct fs_sink_ops *ops)
{
    return ops->open_file != NULL;
}

enum fs_status fs_sink_open_file(const struct fs_sink_ops *ops, const char *path,
        const struct fs_run_info *run, fs_sink **out, char **errmsg)
{
    g_assert(ops->open_file);
    *out = NULL;
    void *impl = ops->open_file(path, run, errmsg);
    if (!impl)
        return FS_ERR_OUTPUT;
    fs_sink *s = g_new0(fs_sink, 1);
    s->ops = ops;
    s->impl = impl;
    *out = s;
    return FS_OK;
}

enum fs_status fs_sink_close_file(fs_sink *s, enum fs_status run_status, char **errmsg)
{
    if (!s)
        return FS_OK;
    gboolean stored = s->ops->close_file(s->impl, run_status, errmsg);
    g_free(s);
    return stored ? FS_OK : FS_ERR_OUTPUT;
}

enum fs_status fs_sink_begin_capture(
        fs_sink *s, const struct fs_capture_info *capture, char **errmsg)
{
    if (!s->ops->begin_capture || s->ops->begin_capture(s->impl, capture, errmsg))
        return FS_OK;
    return FS_ERR_OUTPUT;
}

enum fs_status fs_sink_end_capture(fs_sink *s, const struct fs_capture_info *capture, char **errmsg)
{
    if (!s->ops->end_capture || s->ops->end_capture(s->impl, capture, errmsg))
        return FS_OK;
    return FS_ERR_OUTPUT;
}

fs_sink *fs_sink_new_key_collector(void)
{
    return fs_sink_new(&key_collector, NULL);
}

const GPtrArray *fs_sink_collected_keys(const fs_sink *sink)
{
    g_assert(sink->ops == &key_collector);
    return sink->impl;
}

void fs_sink_free(fs_sink *s)
{
    if (!s)
        return;
    g_assert(s->ops->close);
    s->ops->close(s->impl);
    g_free(s);
}

void fs_sink_begin_output(fs_sink *s, const GPtrArray *keys)
{
    s->ops->begin_output(s->impl, keys);
}

void fs_sink_begin_record(fs_sink *s)
{
    s->depth = 0;
    s->keys = 0;
    s->ops->begin_record(s->impl);
}

guint fs_sink_end_record(fs_sink *s)
{
    s->ops->end_record(s->impl);
    return s->keys;
}

void fs_sink_key(fs_sink *s, const char *name)
{
    if (s->depth == 0)
        s->keys++;
    s->ops->key(s->impl, name, s->depth);
}

void fs_sink_number_text(fs_sink *s, const char *text)
{
    s->ops->number(s->impl, text, s->depth);
}

void fs_sink_int(fs_sink *s, gint64 value)
{
    char buf[FS_FORMAT_INT_SIZE];
    fs_format_int64(value, buf);
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
    if (g_utf8_validate(value, -1, NULL)) {
        s->ops->string(s->impl, value, s->depth);
        return;
    }
    char *valid = g_utf8_make_valid(value, -1);
    s->ops->string(s->impl, valid, s->depth);
    g_free(valid);
}

void fs_sink_null(fs_sink *s)
{
    s->ops->null(s->impl, s->depth);
}

void fs_sink_begin_array(fs_sink *s)
{
    s->ops->begin_array(s->impl, s->depth);
    s->depth++;
}

void fs_sink_end_array(fs_sink *s)
{
    s->depth--;
    s->ops->end_array(s->impl, s->depth);
}

void fs_sink_begin_object(fs_sink *s)
{
    s->ops->begin_object(s->impl, s->depth);
    s->depth++;
}

void fs_sink_end_object(fs_sink *s)
{
    s->depth--;
    s->ops->end_object(s->impl, s->depth);
}

void fs_sink_key_int(fs_sink *s, const char *key, gint64 value)
{
    fs_sink_key(s, key);
    fs_sink_int(s, value);
}

void fs_sink_key_string(fs_sink *s, const char *key, const char *value)
{
    fs_sink_key(s, key);
    fs_sink_string(s, value);
}
