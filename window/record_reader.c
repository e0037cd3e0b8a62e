/* record_reader.c: see record_reader.h.
 *
 * Each line is parsed by wsutil's JSON parser (wsutil/wsjson.h, jsmn in
 * libwsutil), which flowshark already links for libwireshark: json-glib is
 * not a dependency of the project, and a hand-written parser would be one
 * more thing to get right on hostile input. jsmn gives tokens with offsets
 * into the line; the arrays of numbers are read token by token (their
 * elements are consecutive primitive tokens), and the timestamps from their
 * text, so that no instant goes through a binary double. */
#include <errno.h>
#include <string.h>

#include <wsutil/wsjson.h>

#include "record_reader.h"

#define NS_PER_SEC G_GINT64_CONSTANT(1000000000)

struct fs_record_reader {
    char *path; /* for messages */
    FILE *file;
    gboolean owned; /* FALSE for standard input */
    char *line;
    size_t line_size;
    guint64 line_number;
    jsmntok_t *tokens;
    guint tokens_size;
    GArray *lengths; /* gint64 */
    GArray *times;   /* gint64 nanoseconds */
    GArray *values;  /* struct fs_read_value */
    GArray *strings; /* jsmntok_t *: the extension's strings, decoded last */
};

enum fs_status fs_record_reader_open(const char *path, fs_record_reader **out, char **errmsg)
{
    *out = NULL;
    *errmsg = NULL;
    FILE *file = stdin;
    gboolean owned = FALSE;
    if (strcmp(path, "-") != 0) {
        file = fopen(path, "r");
        if (!file) {
            *errmsg = g_strdup_printf("%s: %s", path, g_strerror(errno));
            return FS_ERR_OPEN;
        }
        owned = TRUE;
    }
    *out = fs_record_reader_new_stream(file, path);
    (*out)->owned = owned;
    return FS_OK;
}

fs_record_reader *fs_record_reader_new_stream(FILE *file, const char *name)
{
    fs_record_reader *r = g_new0(fs_record_reader, 1);
    r->path = g_strdup(name);
    r->file = file;
    r->lengths = g_array_new(FALSE, FALSE, sizeof(gint64));
    r->times = g_array_new(FALSE, FALSE, sizeof(gint64));
    r->values = g_array_new(FALSE, FALSE, sizeof(struct fs_read_value));
    r->strings = g_array_new(FALSE, FALSE, sizeof(jsmntok_t *));
    return r;
}

void fs_record_reader_free(fs_record_reader *r)
{
    if (!r)
        return;
    if (r->owned)
        fclose(r->file);
    free(r->line); /* getline's buffer */
    g_free(r->tokens);
    g_array_free(r->lengths, TRUE);
    g_array_free(r->times, TRUE);
    g_array_free(r->values, TRUE);
    g_array_free(r->strings, TRUE);
    g_free(r->path);
    g_free(r);
}

gboolean fs_record_parse_time(const char *text, gsize len, gint64 *ns)
{
    gsize i = 0;
    gboolean negative = FALSE;
    if (i < len && text[i] == '-') {
        negative = TRUE;
        i++;
    }
    gsize digits_start = i;
    guint64 whole = 0;
    for (; i < len && g_ascii_isdigit(text[i]); i++) {
        if (whole > G_MAXINT64 / (guint64)NS_PER_SEC)
            return FALSE;
        whole = whole * 10 + (guint64)(text[i] - '0');
    }
    if (i == digits_start)
        return FALSE;
    guint64 frac = 0;
    if (i < len && text[i] == '.') {
        i++;
        int decimals = 0;
        for (; i < len && g_ascii_isdigit(text[i]); i++, decimals++) {
            if (decimals == 9)
                return FALSE;
            frac = frac * 10 + (guint64)(text[i] - '0');
        }
        if (decimals == 0)
            return FALSE;
        for (; decimals < 9; decimals++)
            frac *= 10;
    }
    if (i != len)
        return FALSE;
    if (whole > (guint64)(G_MAXINT64 - (gint64)frac) / (guint64)NS_PER_SEC)
        return FALSE;
    gint64 value = (gint64)(whole * (guint64)NS_PER_SEC + frac);
    *ns = negative ? -value : value;
    return TRUE;
}

gboolean fs_record_parse_timestamp(const char *text, gsize len, gint64 *ns)
{
    gint64 v;
    if (!fs_record_parse_time(text, len, &v) || v > FS_RECORD_TIME_MAX_NS ||
            v < -FS_RECORD_TIME_MAX_NS)
        return FALSE;
    *ns = v;
    return TRUE;
}

/* The value token of key `name` directly in object `root` (any type), or
 * NULL. */
static jsmntok_t *member(const char *buf, jsmntok_t *root, const char *name)
{
    /* json_get_object/_array/_string only find values of one type; this is
     * the same walk (keys have one child), for any type, so that a key of
     * the wrong type is told apart from a missing one. */
    jsmntok_t *cur = root + 1;
    gsize name_len = strlen(name);
    for (int i = 0; i < root->size; i++) {
        if (cur->type == JSMN_STRING && (gsize)(cur->end - cur->start) == name_len &&
                memcmp(buf + cur->start, name, name_len) == 0 && cur->size == 1)
            return cur + 1;
        /* Skip this key and its value (a subtree). */
        int pending = 1;
        while (pending > 0) {
            pending += cur->size - 1;
            cur++;
        }
    }
    return NULL;
}

/* An integer primitive token, as a gint64. */
static gboolean token_int(const char *buf, const jsmntok_t *tok, gint64 *value)
{
    if (tok->type != JSMN_PRIMITIVE)
        return FALSE;
    const char *text = buf + tok->start;
    gsize len = (gsize)(tok->end - tok->start);
    if (len == 0 || len > 20)
        return FALSE;
    char copy[24];
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *end = NULL;
    errno = 0;
    gint64 v = g_ascii_strtoll(copy, &end, 10);
    if (errno != 0 || end != copy + len)
        return FALSE;
    *value = v;
    return TRUE;
}

/* The extension object's [value, index] pairs into r->values, their
 * strings (field names, values) left for decode_extension(). FALSE with
 * *why when it is not an object of arrays of such pairs. */
static gboolean read_extension(fs_record_reader *r, const char *buf, jsmntok_t *ext,
        const jsmntok_t *end, const char **why)
{
    g_array_set_size(r->values, 0);
    g_array_set_size(r->strings, 0);
    if (!ext)
        return TRUE;
    *why = "extension is not an object of arrays of [string, integer] pairs";
    if (ext->type != JSMN_OBJECT)
        return FALSE;
    jsmntok_t *cur = ext + 1;
    /* Every token read is checked against end: jsmn (not strict) makes a
     * key without a value of `{"extension":{"a"}}`. */
    for (int f = 0; f < ext->size; f++) {
        jsmntok_t *key = cur, *pairs = cur + 1;
        if (pairs >= end || key->type != JSMN_STRING || key->size != 1 || pairs->type != JSMN_ARRAY)
            return FALSE;
        cur = pairs + 1;
        for (int i = 0; i < pairs->size; i++) {
            /* A pair is three tokens: the array, a string, a primitive
             * (strings that are not keys have no children). */
            struct fs_read_value v = { NULL, NULL, 0 };
            if (cur + 2 >= end || cur[0].type != JSMN_ARRAY || cur[0].size != 2 ||
                    cur[1].type != JSMN_STRING || !token_int(buf, &cur[2], &v.index))
                return FALSE;
            jsmntok_t *texts[2] = { key, &cur[1] };
            g_array_append_vals(r->strings, texts, 2);
            g_array_append_val(r->values, v);
            cur += 3;
        }
    }
    return TRUE;
}

/* Decodes the strings read_extension() found in place (each ends with a
 * NUL where its closing quote was) and points the values at them. */
static gboolean decode_extension(fs_record_reader *r, char *buf)
{
    for (guint i = 0; i < r->strings->len; i++) {
        jsmntok_t *tok = g_array_index(r->strings, jsmntok_t *, i);
        buf[tok->end] = '\0';
        if (!json_decode_string_inplace(buf + tok->start))
            return FALSE;
    }
    for (guint i = 0; i < r->values->len; i++) {
        struct fs_read_value *v = &g_array_index(r->values, struct fs_read_value, i);
        v->field = buf + g_array_index(r->strings, jsmntok_t *, 2 * i)->start;
        v->value = buf + g_array_index(r->strings, jsmntok_t *, 2 * i + 1)->start;
    }
    return TRUE;
}

/* Checks and reads one line (NUL-terminated, modified in place by the
 * string decoding). FALSE with *why (static text) when it is not a record. */
static gboolean parse_line(
        fs_record_reader *r, char *buf, struct fs_read_record *rec, const char **why)
{
    int count = json_parse(buf, NULL, 0);
    if (count <= 0) {
        *why = "not JSON";
        return FALSE;
    }
    if ((guint)count > r->tokens_size) {
        g_free(r->tokens);
        r->tokens_size = (guint)count;
        r->tokens = g_new(jsmntok_t, r->tokens_size);
    }
    if (json_parse(buf, r->tokens, r->tokens_size) != count) {
        *why = "not JSON";
        return FALSE;
    }
    jsmntok_t *root = r->tokens;
    if (root->type != JSMN_OBJECT) {
        *why = "not a JSON object";
        return FALSE;
    }

    jsmntok_t *sport = member(buf, root, "sport");
    jsmntok_t *dport = member(buf, root, "dport");
    if (!sport || !token_int(buf, sport, &rec->sport) || !dport ||
            !token_int(buf, dport, &rec->dport)) {
        *why = "no integer sport and dport";
        return FALSE;
    }

    jsmntok_t *lengths = member(buf, root, "ip_lengths");
    jsmntok_t *times = member(buf, root, "ip_timestamps");
    if (!lengths || lengths->type != JSMN_ARRAY || !times || times->type != JSMN_ARRAY) {
        *why = "no ip_lengths and ip_timestamps arrays";
        return FALSE;
    }
    if (lengths->size != times->size) {
        *why = "ip_lengths and ip_timestamps differ in length";
        return FALSE;
    }
    g_array_set_size(r->lengths, (guint)lengths->size);
    g_array_set_size(r->times, (guint)times->size);
    for (int i = 0; i < lengths->size; i++) {
        /* Elements of an array of primitives are the next tokens. */
        if (!token_int(buf, &lengths[1 + i], &g_array_index(r->lengths, gint64, i))) {
            *why = "an element of ip_lengths is not an integer";
            return FALSE;
        }
        const jsmntok_t *t = &times[1 + i];
        if (t->type != JSMN_PRIMITIVE ||
                !fs_record_parse_timestamp(buf + t->start, (gsize)(t->end - t->start),
                        &g_array_index(r->times, gint64, i))) {
            *why = "an element of ip_timestamps is not a timestamp within 2^62 ns of 1970";
            return FALSE;
        }
    }

    if (!read_extension(r, buf, member(buf, root, "extension"), r->tokens + count, why))
        return FALSE;

    /* Last: json_get_string() decodes in place and ends the string with a
     * NUL where its closing quote was, which the numbers above no longer
     * need. */
    rec->protocol = json_get_string(buf, root, "protocol");
    rec->src = json_get_string(buf, root, "src");
    rec->dst = json_get_string(buf, root, "dst");
    if (!rec->protocol || !rec->src || !rec->dst) {
        *why = "no protocol, src and dst strings";
        return FALSE;
    }
    if (!decode_extension(r, buf)) {
        *why = "a string of extension is not valid JSON text";
        return FALSE;
    }
    rec->n_values = r->values->len;
    rec->values = (const struct fs_read_value *)(void *)r->values->data;
    rec->packets = (guint)lengths->size;
    rec->lengths = (const gint64 *)(void *)r->lengths->data;
    rec->times_ns = (const gint64 *)(void *)r->times->data;
    return TRUE;
}

enum fs_status fs_record_reader_next(
        fs_record_reader *r, struct fs_read_record *rec, gboolean *done, char **errmsg)
{
    *done = FALSE;
    *errmsg = NULL;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->line_size, r->file);
        if (n < 0) {
            if (ferror(r->file)) {
                *errmsg = g_strdup_printf("%s: %s", r->path, g_strerror(errno));
                return FS_ERR_OPEN;
            }
            *done = TRUE;
            return FS_OK;
        }
        r->line_number++;
        while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
            r->line[--n] = '\0';
        if (n == 0)
            continue;
        if ((size_t)n != strlen(r->line)) {
            *errmsg = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": not a flow record: a NUL byte",
                    r->path, r->line_number);
            return FS_ERR_OPEN;
        }
        const char *why = NULL;
        if (!parse_line(r, r->line, rec, &why)) {
            *errmsg = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": not a flow record: %s", r->path,
                    r->line_number, why);
            return FS_ERR_OPEN;
        }
        return FS_OK;
    }
}
