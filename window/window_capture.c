/* window_capture.c: see window_capture.h. The consumer follows the sink
 * calls of one record (record.c's order: protocol, src, sport, dst, dport,
 * ..., ip_lengths, ip_timestamps, ..., the modules' keys) and keeps the
 * values of the keys it needs; at the end of the record every packet goes
 * into the window set. */
#include <stdlib.h>
#include <string.h>

#include "window_capture.h"
#include "record_reader.h"

enum field {
    FIELD_OTHER = 0,
    FIELD_PROTOCOL,
    FIELD_SRC,
    FIELD_SPORT,
    FIELD_DST,
    FIELD_DPORT,
    FIELD_LENGTHS,
    FIELD_TIMES,
    FIELD_STATES,
};

struct fs_window_consumer {
    fs_window_set *set;
    struct fs_window_stream stream;
    gboolean seen;      /* a packet was added: latest_ns is set */
    gint64 latest_ns;   /* the latest packet time of any record so far */
    gint64 closed_upto; /* the limit last given to fs_window_set_close_before */
    fs_sink *sink;
    enum field field; /* the top-level key whose value is being written */
    GString *protocol, *src, *dst;
    gint64 sport, dport;
    GArray *lengths; /* gint64 */
    GArray *times;   /* gint64 nanoseconds */
    GArray *states;  /* int */
    gboolean bad;    /* a value of this record could not be read */
    gboolean has_states;
    guint64 rejected;
};

static void consumer_close(void *impl)
{
    (void)impl; /* the consumer owns the sink, not the other way round */
}

static void consumer_begin_output(void *impl, const GPtrArray *keys)
{
    (void)impl;
    (void)keys;
}

static void consumer_begin_record(void *impl)
{
    fs_window_consumer *c = impl;
    c->field = FIELD_OTHER;
    g_string_truncate(c->protocol, 0);
    g_string_truncate(c->src, 0);
    g_string_truncate(c->dst, 0);
    c->sport = c->dport = 0;
    g_array_set_size(c->lengths, 0);
    g_array_set_size(c->times, 0);
    g_array_set_size(c->states, 0);
    c->bad = FALSE;
    c->has_states = FALSE;
}

static void consumer_end_record(void *impl)
{
    fs_window_consumer *c = impl;
    guint n = c->lengths->len;
    if (c->bad || c->times->len != n || (c->has_states && c->states->len != n)) {
        c->rejected++;
        return;
    }
    const struct fs_window_flow flow = {
        .protocol = c->protocol->str,
        .src = c->src->str,
        .sport = c->sport,
        .dst = c->dst->str,
        .dport = c->dport,
    };
    for (guint i = 0; i < n; i++) {
        gint64 t = g_array_index(c->times, gint64, i);
        fs_window_set_add(c->set, &flow, t, g_array_index(c->lengths, gint64, i),
                c->has_states ? g_array_index(c->states, int, i) : -1);
        if (!c->seen || t > c->latest_ns)
            c->latest_ns = t;
        c->seen = TRUE;
    }
    if (c->stream.horizon_ns <= 0 || !c->seen || c->latest_ns < G_MININT64 + c->stream.horizon_ns)
        return;
    /* Windows that end at or before latest - horizon can get no more
     * entries: close them (once per new limit, not per record). */
    gint64 limit =
            fs_window_index(c->latest_ns - c->stream.horizon_ns, fs_window_set_seconds(c->set));
    if (limit <= c->closed_upto)
        return;
    c->closed_upto = limit;
    fs_window_set_close_before(c->set, limit);
    if (!c->stream.score)
        fs_window_set_write_closed(c->set, c->stream.output, c->stream.empty_windows);
}

static void consumer_key(void *impl, const char *name, int depth)
{
    static const struct {
        const char *name;
        enum field field;
    } wanted[] = {
        { "protocol", FIELD_PROTOCOL },
        { "src", FIELD_SRC },
        { "sport", FIELD_SPORT },
        { "dst", FIELD_DST },
        { "dport", FIELD_DPORT },
        { "ip_lengths", FIELD_LENGTHS },
        { "ip_timestamps", FIELD_TIMES },
        { "window_states", FIELD_STATES },
    };
    fs_window_consumer *c = impl;
    if (depth > 0)
        return; /* a member of an object inside a top-level value */
    c->field = FIELD_OTHER;
    for (gsize i = 0; i < G_N_ELEMENTS(wanted); i++) {
        if (strcmp(name, wanted[i].name) == 0) {
            c->field = wanted[i].field;
            break;
        }
    }
    if (c->field == FIELD_STATES)
        c->has_states = TRUE;
}

static gboolean parse_int(const char *text, gint64 *out)
{
    char *end = NULL;
    gint64 v = g_ascii_strtoll(text, &end, 10);
    if (!end || end == text || *end)
        return FALSE;
    *out = v;
    return TRUE;
}

static void consumer_number(void *impl, const char *text, int depth)
{
    fs_window_consumer *c = impl;
    gint64 v = 0;
    switch (c->field) {
        case FIELD_SPORT:
        case FIELD_DPORT:
            if (depth != 0 || !parse_int(text, c->field == FIELD_SPORT ? &c->sport : &c->dport))
                c->bad = TRUE;
            break;
        case FIELD_LENGTHS:
            if (depth != 1 || !parse_int(text, &v))
                c->bad = TRUE;
            else
                g_array_append_val(c->lengths, v);
            break;
        case FIELD_TIMES:
            if (depth != 1 || !fs_record_parse_time(text, strlen(text), &v))
                c->bad = TRUE;
            else
                g_array_append_val(c->times, v);
            break;
        case FIELD_STATES: {
            if (depth != 1 || !parse_int(text, &v) || v < 0 || v >= FS_WINDOW_STATES) {
                c->bad = TRUE;
            } else {
                int state = (int)v;
                g_array_append_val(c->states, state);
            }
            break;
        }
        default:
            break;
    }
}

static void consumer_string(void *impl, const char *utf8, int depth)
{
    fs_window_consumer *c = impl;
    if (depth != 0)
        return;
    GString *into = c->field == FIELD_PROTOCOL ? c->protocol
                    : c->field == FIELD_SRC    ? c->src
                    : c->field == FIELD_DST    ? c->dst
                                               : NULL;
    if (into)
        g_string_assign(into, utf8);
}

static void consumer_ignore_depth(void *impl, int depth)
{
    (void)impl;
    (void)depth;
}

static const struct fs_sink_ops consumer_ops = {
    .name = "window",
    .description = "records into time windows (internal: flowshark window -r)",
    .close = consumer_close,
    .begin_output = consumer_begin_output,
    .begin_record = consumer_begin_record,
    .end_record = consumer_end_record,
    .key = consumer_key,
    .number = consumer_number,
    .string = consumer_string,
    .null = consumer_ignore_depth,
    .begin_array = consumer_ignore_depth,
    .end_array = consumer_ignore_depth,
    .begin_object = consumer_ignore_depth,
    .end_object = consumer_ignore_depth,
};

fs_window_consumer *fs_window_consumer_new(
        fs_window_set *set, const struct fs_window_stream *stream)
{
    fs_window_consumer *c = g_new0(fs_window_consumer, 1);
    c->set = set;
    c->stream = *stream;
    c->closed_upto = G_MININT64;
    c->protocol = g_string_new(NULL);
    c->src = g_string_new(NULL);
    c->dst = g_string_new(NULL);
    c->lengths = g_array_new(FALSE, FALSE, sizeof(gint64));
    c->times = g_array_new(FALSE, FALSE, sizeof(gint64));
    c->states = g_array_new(FALSE, FALSE, sizeof(int));
    c->sink = fs_sink_new_over(&consumer_ops, c);
    return c;
}

fs_sink *fs_window_consumer_sink(fs_window_consumer *c)
{
    return c->sink;
}

guint64 fs_window_consumer_rejected(const fs_window_consumer *c)
{
    return c->rejected;
}

void fs_window_consumer_free(fs_window_consumer *c)
{
    if (!c)
        return;
    fs_sink_free(c->sink);
    g_string_free(c->protocol, TRUE);
    g_string_free(c->src, TRUE);
    g_string_free(c->dst, TRUE);
    g_array_free(c->lengths, TRUE);
    g_array_free(c->times, TRUE);
    g_array_free(c->states, TRUE);
    g_free(c);
}
