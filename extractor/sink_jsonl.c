/* sink_jsonl.c: the JSON Lines format (-T jsonl): one JSON object per
 * record and line, written by wsutil's json_dumper. */
#include <stdarg.h>
#include <string.h>

#include <wsutil/json_dumper.h>

#include "sink.h"

struct jsonl {
    fs_writer *writer;
    json_dumper dumper; /* writes into line */
    GString *line;
};

static void *jsonl_open(fs_writer *writer)
{
    struct jsonl *j = g_new0(struct jsonl, 1);
    j->writer = writer;
    j->line = g_string_sized_new(1024);
    return j;
}

static void jsonl_close(void *impl)
{
    struct jsonl *j = impl;
    g_string_free(j->line, TRUE);
    g_free(j);
}

static void jsonl_begin_output(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static void jsonl_begin_record(void *impl)
{
    struct jsonl *j = impl;
    g_string_truncate(j->line, 0);
    memset(&j->dumper, 0, sizeof(j->dumper));
    j->dumper.output_string = j->line;
    json_dumper_begin_object(&j->dumper);
}

static void jsonl_end_record(void *impl)
{
    struct jsonl *j = impl;
    json_dumper_end_object(&j->dumper);
    json_dumper_finish(&j->dumper); /* adds the newline */
    fs_writer_text(j->writer, j->line->str, j->line->len);
}

static void jsonl_key(void *impl, const char *name, int depth)
{
    (void)depth;
    json_dumper_set_member_name(&((struct jsonl *)impl)->dumper, name);
}

/* A value that already is JSON text (a number, null): json_dumper places
 * it (the comma, the member's name) with an empty value, and the text is
 * appended to the line the dumper writes into. The same bytes as
 * json_dumper_value_anyf(dumper, "%s", text), without a printf for each
 * element of the sequences: that was two thirds of writing a record (the
 * engine's printf takes glibc's slow positional path whenever a library
 * has registered a printf handler). A variadic function of our own, since
 * only json_dumper_value_va_list() takes a format without a printf
 * attribute, and a constant empty format is what it is given. */
static void raw_value(struct jsonl *j, const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    json_dumper_value_va_list(&j->dumper, "", ap);
    va_end(ap);
    g_string_append(j->line, text);
}

static void jsonl_number(void *impl, const char *text, int depth)
{
    (void)depth;
    raw_value(impl, text);
}

static void jsonl_string(void *impl, const char *utf8, int depth)
{
    (void)depth;
    json_dumper_value_string(&((struct jsonl *)impl)->dumper, utf8);
}

static void jsonl_null(void *impl, int depth)
{
    (void)depth;
    raw_value(impl, "null");
}

static void jsonl_begin_array(void *impl, int depth)
{
    (void)depth;
    json_dumper_begin_array(&((struct jsonl *)impl)->dumper);
}

static void jsonl_end_array(void *impl, int depth)
{
    (void)depth;
    json_dumper_end_array(&((struct jsonl *)impl)->dumper);
}

static void jsonl_begin_object(void *impl, int depth)
{
    (void)depth;
    json_dumper_begin_object(&((struct jsonl *)impl)->dumper);
}

static void jsonl_end_object(void *impl, int depth)
{
    (void)depth;
    json_dumper_end_object(&((struct jsonl *)impl)->dumper);
}

const struct fs_sink_ops fs_sink_jsonl = {
    .name = "jsonl",
    .description = "JSON Lines: one object per flow and line (default)",
    .extension = "jsonl",
    .open = jsonl_open,
    .close = jsonl_close,
    .begin_output = jsonl_begin_output,
    .begin_record = jsonl_begin_record,
    .end_record = jsonl_end_record,
    .key = jsonl_key,
    .number = jsonl_number,
    .string = jsonl_string,
    .null = jsonl_null,
    .begin_array = jsonl_begin_array,
    .end_array = jsonl_end_array,
    .begin_object = jsonl_begin_object,
    .end_object = jsonl_end_object,
};
