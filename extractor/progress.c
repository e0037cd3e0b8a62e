/* progress.c: see progress.h. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "progress.h"

struct fs_progress {
    const struct fs_input_list *inputs;
    struct fs_capture_result *results; /* shared with the workers */
    gsize mapped;                      /* bytes of the mapping */
    gboolean draw, terminal, shown;
    gboolean sizes_known; /* every capture's size: a total and an ETA */
    gint64 started_us, next_us;
    pid_t owner; /* the process that draws (workers only count) */
};

#define TICK_US G_USEC_PER_SEC

fs_progress *fs_progress_new(const struct fs_input_list *inputs, gboolean draw)
{
    fs_progress *p = g_new0(fs_progress, 1);
    p->inputs = inputs;
    guint n = MAX(1, inputs->captures->len);
    p->mapped = n * sizeof(struct fs_capture_result);
    /* Anonymous shared memory: the workers forked later write into it. */
    void *mem = mmap(NULL, p->mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        /* Without it the workers' counts are not seen; the run still works. */
        p->mapped = 0;
        mem = g_new0(struct fs_capture_result, n);
    }
    p->results = mem; /* zeroed: nothing read yet */
    p->draw = draw;
    p->sizes_known = TRUE;
    for (guint i = 0; i < inputs->captures->len; i++) {
        const struct fs_input *in = g_ptr_array_index(inputs->captures, i);
        if (in->size < 0)
            p->sizes_known = FALSE;
    }
    p->terminal = isatty(STDERR_FILENO);
    fs_report_set_clear_line(draw && p->terminal);
    p->owner = getpid();
    p->started_us = g_get_monotonic_time();
    p->next_us = p->started_us + TICK_US;
    return p;
}

void fs_progress_free(fs_progress *p)
{
    if (!p)
        return;
    if (p->mapped)
        munmap(p->results, p->mapped);
    else
        g_free(p->results);
    g_free(p);
}

struct fs_capture_result *fs_progress_result(fs_progress *p, guint i)
{
    g_assert(i < p->inputs->captures->len);
    return &p->results[i];
}

void fs_progress_set_error(struct fs_capture_result *r, const char *msg)
{
    if (!r->error[0] && msg)
        g_strlcpy(r->error, msg, sizeof(r->error));
}

/* h:mm:ss, or m:ss under an hour. */
static void append_duration(GString *out, double seconds)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        g_string_append_printf(out, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        g_string_append_printf(out, "%ld:%02ld", s / 60, s % 60);
}

struct totals {
    guint done, ok, truncated, failed, interrupted, skipped;
    guint64 packets, flows;
    long long bytes; /* read so far (a done capture counts whole) */
};

static struct totals add_up(const fs_progress *p)
{
    struct totals t = { 0 };
    for (guint i = 0; i < p->inputs->captures->len; i++) {
        const struct fs_capture_result *r = &p->results[i];
        const struct fs_input *in = g_ptr_array_index(p->inputs->captures, i);
        t.packets += r->packets;
        t.flows += r->flows;
        if (!r->done) {
            t.bytes += r->bytes;
            continue;
        }
        t.done++;
        t.bytes += in->size > 0 ? in->size : 0;
        if (r->skipped)
            t.skipped++;
        else if (r->status == FS_OK)
            t.ok++;
        else if (r->status == FS_ERR_TRUNCATED)
            t.truncated++;
        else if (r->status == FS_ERR_INTERRUPTED)
            t.interrupted++;
        else
            t.failed++;
    }
    return t;
}

/* The live input (-i), or NULL: a live capture is a run's only input. */
static const struct fs_input *live_input(const fs_progress *p)
{
    const GPtrArray *captures = p->inputs->captures;
    const struct fs_input *in = captures->len == 1 ? g_ptr_array_index(captures, 0) : NULL;
    return in && in->live ? in : NULL;
}

static void draw(fs_progress *p)
{
    struct totals t = add_up(p);
    double elapsed = (g_get_monotonic_time() - p->started_us) / 1e6;
    long long total = p->inputs->total_size;
    GString *line = g_string_new("flowshark: ");
    const struct fs_input *live = live_input(p);
    if (live)
        g_string_append_printf(
                line, "live capture on %s, %" G_GUINT64_FORMAT " packets, ", live->path, t.packets);
    else
        g_string_append_printf(line, "%u/%u captures, %" G_GUINT64_FORMAT " packets, ", t.done,
                p->inputs->captures->len, t.packets);
    /* Without every size (standard input) there is no total to go by. */
    if (p->sizes_known)
        g_string_append_printf(line, "%.1f of %.1f MB, ", t.bytes / 1e6, total / 1e6);
    else
        g_string_append_printf(line, "%.1f MB, ", t.bytes / 1e6);
    double rate = elapsed > 0 ? t.bytes / elapsed : 0;
    g_string_append_printf(line, "%.1f MB/s, ", rate / 1e6);
    append_duration(line, elapsed);
    if (p->sizes_known && rate > 0 && total > t.bytes) {
        g_string_append(line, ", ETA ");
        append_duration(line, (double)(total - t.bytes) / rate);
    }
    fprintf(stderr, p->terminal ? "\r%s\033[K" : "%s\n", line->str);
    fflush(stderr);
    g_string_free(line, TRUE);
    p->shown = TRUE;
}

gboolean fs_progress_draws(const fs_progress *p)
{
    return p && p->draw;
}

void fs_progress_tick(fs_progress *p)
{
    if (!p || !p->draw || getpid() != p->owner)
        return;
    gint64 now = g_get_monotonic_time();
    if (now < p->next_us)
        return;
    p->next_us = now + TICK_US;
    draw(p);
}

void fs_progress_clear(fs_progress *p)
{
    if (p && p->shown && p->terminal)
        fputs("\r\033[K", stderr);
    if (p)
        p->shown = FALSE;
}

void fs_progress_summary(fs_progress *p)
{
    struct totals t = add_up(p);
    guint n = p->inputs->captures->len;
    double elapsed = (g_get_monotonic_time() - p->started_us) / 1e6;
    GString *line = g_string_new(NULL);
    const struct fs_input *live = live_input(p);
    if (live) {
        /* No captures to count: what became of the live capture; nothing
         * when it failed to start (its error said it all). */
        if (strcmp(fs_status_capture_word(p->results[0].status), "failed") == 0) {
            g_string_free(line, TRUE);
            return;
        }
        g_string_append_printf(line,
                "flowshark: live capture on %s: %s; %" G_GUINT64_FORMAT
                " packets, %" G_GUINT64_FORMAT " flows; %.1f s",
                live->path, fs_status_capture_word(p->results[0].status), t.packets, t.flows,
                elapsed);
        fs_progress_clear(p);
        fprintf(stderr, "%s\n", line->str);
        g_string_free(line, TRUE);
        return;
    }
    g_string_append_printf(line, "flowshark: %u capture%s: %u ok", n, n == 1 ? "" : "s", t.ok);
    if (t.truncated)
        g_string_append_printf(line, ", %u truncated", t.truncated);
    g_string_append_printf(line, ", %u failed", t.failed);
    if (t.interrupted)
        g_string_append_printf(line, ", %u interrupted", t.interrupted);
    g_string_append_printf(line, ", %u skipped", t.skipped);
    if (t.done < n)
        g_string_append_printf(line, ", %u not read", n - t.done);
    guint others = p->inputs->others->len;
    if (others) {
        g_string_append_printf(line, "; %u other file%s (", others, others == 1 ? "" : "s");
        for (guint i = 0; i < others && i < 3; i++)
            g_string_append_printf(line, "%s%s", i ? ", " : "",
                    (const char *)g_ptr_array_index(p->inputs->others, i));
        g_string_append(line, others > 3 ? ", ...)" : ")");
    }
    g_string_append_printf(line,
            "; %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " flows; %.1f s", t.packets,
            t.flows, elapsed);
    fs_progress_clear(p);
    fprintf(stderr, "%s\n", line->str);
    g_string_free(line, TRUE);
}
