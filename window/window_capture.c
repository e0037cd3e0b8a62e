/* window_capture.c: see window_capture.h. The records come through
 * record_source.h's consumer; every packet of each goes into the window
 * set, and the windows past the horizon are closed and written. */
#include <stdlib.h>
#include <string.h>

#include "window_capture.h"
#include "record_source.h"

struct fs_window_consumer {
    fs_window_set *set;
    struct fs_window_stream stream;
    fs_record_consumer *records;
    gboolean seen;      /* a packet was added: latest_ns is set */
    gint64 latest_ns;   /* the latest packet time of any record so far */
    gint64 closed_upto; /* the limit last given to fs_window_set_close_before */
};

/* One record: every packet into the set, then the windows past the
 * horizon closed. */
static void add_record(const struct fs_read_record *rec, const int *states, void *data)
{
    fs_window_consumer *c = data;
    const struct fs_window_flow flow = {
        .protocol = rec->protocol,
        .src = rec->src,
        .sport = rec->sport,
        .dst = rec->dst,
        .dport = rec->dport,
    };
    for (guint i = 0; i < rec->packets; i++) {
        gint64 t = rec->times_ns[i];
        int state = states && states[i] < FS_WINDOW_STATES ? states[i] : -1;
        fs_window_set_add(c->set, &flow, t, rec->lengths[i], state);
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

fs_window_consumer *fs_window_consumer_new(
        fs_window_set *set, const struct fs_window_stream *stream)
{
    fs_window_consumer *c = g_new0(fs_window_consumer, 1);
    c->set = set;
    c->stream = *stream;
    c->closed_upto = G_MININT64;
    c->records = fs_record_consumer_new(add_record, c);
    return c;
}

fs_sink *fs_window_consumer_sink(fs_window_consumer *c)
{
    return fs_record_consumer_sink(c->records);
}

guint64 fs_window_consumer_rejected(const fs_window_consumer *c)
{
    return fs_record_consumer_rejected(c->records);
}

void fs_window_consumer_free(fs_window_consumer *c)
{
    if (!c)
        return;
    fs_record_consumer_free(c->records);
    g_free(c);
}
