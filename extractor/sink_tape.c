/* sink_tape.c: the tape (see sink.h): a worker's records as the calls
 * that made them, so that the one process that writes a file format (a
 * database) can make them again on its own sink. Not an output format of
 * -T. A frame is one byte of operation, followed for keys and values by a
 * 32-bit length (host order: the tape never leaves this machine) and that
 * many bytes. */
#include <string.h>

#include "sink.h"

enum tape_op {
    TAPE_BEGIN_RECORD = 1,
    TAPE_END_RECORD,
    TAPE_KEY,
    TAPE_NUMBER,
    TAPE_STRING,
    TAPE_NULL,
    TAPE_BEGIN_ARRAY,
    TAPE_END_ARRAY,
    TAPE_BEGIN_OBJECT,
    TAPE_END_OBJECT,
};

static void *tape_open(fs_writer *writer)
{
    return writer;
}

static void tape_close(void *impl)
{
    (void)impl;
}

static void put_op(void *impl, enum tape_op op)
{
    const char byte = (char)op;
    fs_writer_text(impl, &byte, 1);
}

static void put_text(void *impl, enum tape_op op, const char *text)
{
    guint32 len = (guint32)strlen(text);
    put_op(impl, op);
    fs_writer_text(impl, (const char *)&len, sizeof(len));
    fs_writer_text(impl, text, len);
}

static void tape_begin_output(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static void tape_begin_record(void *impl)
{
    put_op(impl, TAPE_BEGIN_RECORD);
}

static void tape_end_record(void *impl)
{
    put_op(impl, TAPE_END_RECORD);
}

static void tape_key(void *impl, const char *name, int depth)
{
    (void)depth;
    put_text(impl, TAPE_KEY, name);
}

static void tape_number(void *impl, const char *text, int depth)
{
    (void)depth;
    put_text(impl, TAPE_NUMBER, text);
}

static void tape_string(void *impl, const char *utf8, int depth)
{
    (void)depth;
    put_text(impl, TAPE_STRING, utf8);
}

static void tape_null(void *impl, int depth)
{
    (void)depth;
    put_op(impl, TAPE_NULL);
}

static void tape_begin_array(void *impl, int depth)
{
    (void)depth;
    put_op(impl, TAPE_BEGIN_ARRAY);
}

static void tape_end_array(void *impl, int depth)
{
    (void)depth;
    put_op(impl, TAPE_END_ARRAY);
}

static void tape_begin_object(void *impl, int depth)
{
    (void)depth;
    put_op(impl, TAPE_BEGIN_OBJECT);
}

static void tape_end_object(void *impl, int depth)
{
    (void)depth;
    put_op(impl, TAPE_END_OBJECT);
}

static const struct fs_sink_ops tape = {
    .name = "tape",
    .description = "the calls of a worker's records, for the writing process (internal)",
    .open = tape_open,
    .close = tape_close,
    .begin_output = tape_begin_output,
    .begin_record = tape_begin_record,
    .end_record = tape_end_record,
    .key = tape_key,
    .number = tape_number,
    .string = tape_string,
    .null = tape_null,
    .begin_array = tape_begin_array,
    .end_array = tape_end_array,
    .begin_object = tape_begin_object,
    .end_object = tape_end_object,
};

fs_sink *fs_sink_new_tape(fs_writer *writer)
{
    return fs_sink_new(&tape, writer);
}

/* Reads the text of a frame into text. FALSE at a cut-short frame. */
static gboolean read_text(FILE *in, GString *text)
{
    guint32 len;
    if (fread(&len, sizeof(len), 1, in) != 1)
        return FALSE;
    g_string_set_size(text, len);
    return len == 0 || fread(text->str, 1, len, in) == len;
}

enum fs_status fs_sink_replay(fs_sink *sink, FILE *in, char **errmsg)
{
    *errmsg = NULL;
    if (fseek(in, 0, SEEK_SET) != 0) {
        *errmsg = g_strdup("cannot read a worker's records back (seek failed)");
        return FS_ERR_OUTPUT;
    }
    GString *text = g_string_new(NULL);
    int depth = 0; /* arrays and objects open, -1 outside a record */
    gboolean in_record = FALSE, ok = TRUE;
    int c;
    while (ok && (c = getc(in)) != EOF) {
        switch (c) {
            case TAPE_BEGIN_RECORD:
                ok = !in_record;
                in_record = TRUE;
                depth = 0;
                if (ok)
                    fs_sink_begin_record(sink);
                break;
            case TAPE_END_RECORD:
                ok = in_record && depth == 0;
                in_record = FALSE;
                if (ok)
                    fs_sink_end_record(sink);
                break;
            case TAPE_KEY:
            case TAPE_NUMBER:
            case TAPE_STRING:
                ok = in_record && read_text(in, text);
                if (!ok)
                    break;
                if (c == TAPE_KEY)
                    fs_sink_key(sink, text->str);
                else if (c == TAPE_NUMBER)
                    fs_sink_number_text(sink, text->str);
                else
                    fs_sink_string(sink, text->str);
                break;
            case TAPE_NULL:
                if ((ok = in_record))
                    fs_sink_null(sink);
                break;
            case TAPE_BEGIN_ARRAY:
            case TAPE_BEGIN_OBJECT:
                if ((ok = in_record)) {
                    depth++;
                    if (c == TAPE_BEGIN_ARRAY)
                        fs_sink_begin_array(sink);
                    else
                        fs_sink_begin_object(sink);
                }
                break;
            case TAPE_END_ARRAY:
            case TAPE_END_OBJECT:
                if ((ok = in_record && depth > 0)) {
                    depth--;
                    if (c == TAPE_END_ARRAY)
                        fs_sink_end_array(sink);
                    else
                        fs_sink_end_object(sink);
                }
                break;
            default:
                ok = FALSE;
        }
    }
    if (ok && in_record)
        ok = FALSE;
    if (!ok || ferror(in)) {
        *errmsg = g_strdup("a worker's records are malformed or cut short; the records "
                           "before the fault are kept");
        g_string_free(text, TRUE);
        return FS_ERR_OUTPUT;
    }
    g_string_free(text, TRUE);
    return FS_OK;
}
