/* run.c: one run: check everything the command line names (fields,
 * filter, output, feature modules) before any capture is read, open the
 * output, write its header, then hand the captures to the scheduler. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "capture.h"
#include "dissect.h"
#include "feature.h"
#include "inputs.h"
#include "output.h"
#include "progress.h"
#include "record.h"
#include "registry.h"
#include "schedule.h"
#include "sink.h"

char *fs_run_filter_text(const struct fs_options *opts)
{
    /* The same packets as flowcontainer's filter was meant to keep (see the
     * spec): exclusions apply at any protocol layer. */
    GString *text = g_string_new(FS_FILTER_IP);
    if (opts->default_exclusions)
        g_string_append(text, " and " FS_FILTER_EXCLUSIONS);
    /* --all-protocols: every IP packet (the dissector keeps those with a
     * flow). */
    if (!opts->all_protocols)
        g_string_append(text, " and " FS_FILTER_TRANSPORT);
    if (opts->display_filter && *opts->display_filter)
        g_string_append_printf(text, " and (%s)", opts->display_filter);
    return g_string_free(text, FALSE);
}

/* --fast: why this run needs every packet dissected (static text), or NULL
 * when the fast path can serve it. fields: every field dissected, the
 * modules' included. */
static const char *fast_fallback_reason(
        const struct fs_options *opts, const fs_field_registry *fields)
{
    if (opts->display_filter && *opts->display_filter)
        return "-Y needs every packet dissected";
    if (opts->flow_filter && *opts->flow_filter)
        return "--flow-filter needs every packet dissected";
    if (opts->two_pass)
        return "-2 dissects every packet twice";
    if (opts->all_protocols)
        return "--all-protocols (and --nfstream) need every packet dissected";
    if (opts->reset_every)
        return "--reset-every needs every packet dissected";
    /* Fields that the frame, link, IP or transport layers or the columns
     * give on every packet: a value per packet is only exact with every
     * packet dissected. */
    static const char *const every_packet[] = { "frame", "_ws", "eth", "sll", "vlan", "mpls", "ppp",
        "pppoes", "gre", "gtp", "vxlan", "ip", "ipv6", "tcp", "udp", "data" };
    for (guint i = 0; i < fs_field_registry_count(fields); i++) {
        const char *name = fs_field_registry_name(fields, i);
        gsize len = strcspn(name, ".");
        for (guint k = 0; k < G_N_ELEMENTS(every_packet); k++) {
            if (strlen(every_packet[k]) == len && strncmp(name, every_packet[k], len) == 0)
                return "a field of the frame, link, IP or TCP/UDP layer (or a column) needs "
                       "every packet dissected";
        }
    }
    return NULL;
}

/* Resolves every -e field; reports each unknown one. */
static enum fs_status build_registry(const struct fs_options *opts, fs_field_registry **out)
{
    enum fs_status status = FS_OK;
    fs_field_registry *reg = fs_field_registry_new();
    for (guint i = 0; i < opts->fields->len; i++) {
        char *errmsg = NULL;
        if (!fs_field_registry_add(reg, g_ptr_array_index(opts->fields, i), &errmsg)) {
            fs_report(NULL, errmsg);
            status = FS_ERR_FIELD;
        }
        g_free(errmsg);
    }
    *out = reg;
    return status;
}

/* The records' top-level keys (a dry run of the record code): the header. */
static GPtrArray *record_keys(
        const struct fs_options *opts, const GPtrArray *field_names, const fs_feature_set *features)
{
    const struct fs_record_context record = {
        .field_names = field_names,
        .main_seq = opts->main_seq,
        .keep_empty = opts->keep_empty,
        .meter_keys = opts->idle_timeout || opts->active_timeout,
        .features = features,
        .label_key = opts->label || opts->label_from_dir,
    };
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    fs_record_keys(&record, keys);
    return keys;
}

/* The progress line: on a terminal (or with --progress), not with -q. */
static gboolean want_progress(const struct fs_options *opts)
{
    return opts->progress == FS_PROGRESS_ALWAYS ||
           (opts->progress == FS_PROGRESS_AUTO && isatty(STDERR_FILENO));
}

/* A capture and the time of its first packet, for sort_by_time. */
struct timed_input {
    gpointer input;
    gboolean known;
    gint64 secs;
    gint32 nsecs;
    guint position; /* as given: ties keep it */
};

static int compare_timed(const void *pa, const void *pb)
{
    const struct timed_input *a = pa, *b = pb;
    if (a->known != b->known)
        return a->known ? 1 : -1; /* unknown times first */
    if (a->known && (a->secs != b->secs || a->nsecs != b->nsecs))
        return a->secs < b->secs || (a->secs == b->secs && a->nsecs < b->nsecs) ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

/* opts->inputs_by_time: the captures sorted (stably) by their first
 * packet's time, those without one (unreadable, standard input) first. */
static void sort_by_time(GPtrArray *captures)
{
    guint n = captures->len;
    if (n < 2)
        return;
    struct timed_input *t = g_new0(struct timed_input, n);
    for (guint i = 0; i < n; i++) {
        const struct fs_input *in = g_ptr_array_index(captures, i);
        t[i].input = (gpointer)in;
        t[i].position = i;
        t[i].known = !in->live && strcmp(in->path, "-") != 0 &&
                     fs_capture_first_time(in->path, &t[i].secs, &t[i].nsecs);
    }
    qsort(t, n, sizeof(*t), compare_timed);
    for (guint i = 0; i < n; i++)
        captures->pdata[i] = t[i].input;
    g_free(t);
}

/* The captures the command line names; reported when there are none. */
static enum fs_status collect_inputs(const struct fs_options *opts, struct fs_input_list **out)
{
    char *errmsg = NULL;
    enum fs_status status = fs_inputs_collect(opts, fs_capture_probe, out, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        g_free(errmsg);
        return status;
    }
    if ((*out)->captures->len == 0) {
        guint others = (*out)->others->len;
        char *msg = others ? g_strdup_printf("no captures found (%u other file%s)", others,
                                     others == 1 ? "" : "s")
                           : g_strdup("no captures found");
        fs_report(NULL, msg);
        g_free(msg);
        return FS_ERR_OPEN;
    }
    if (opts->inputs_by_time)
        sort_by_time((*out)->captures);
    return FS_OK;
}

/* --list: the captures, one a line, as they would be read. */
static enum fs_status list_captures(const struct fs_options *opts)
{
    struct fs_input_list *inputs = NULL;
    enum fs_status status = collect_inputs(opts, &inputs);
    for (guint i = 0; status == FS_OK && i < inputs->captures->len; i++)
        printf("%s\n", ((const struct fs_input *)g_ptr_array_index(inputs->captures, i))->path);
    fs_input_list_free(inputs);
    if (status == FS_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fs_report(NULL, "cannot write the list to standard output");
        status = FS_ERR_OUTPUT;
    }
    return status;
}

enum fs_status fs_run(const struct fs_options *opts)
{
    return fs_run_into(opts, NULL);
}

enum fs_status fs_run_into(const struct fs_options *opts, fs_sink *consumer)
{
    return fs_run_into_fast(opts, consumer, NULL);
}

enum fs_status fs_run_into_fast(
        const struct fs_options *opts, fs_sink *consumer, gboolean *fast_applied)
{
    if (fast_applied)
        *fast_applied = FALSE;
    g_assert(!consumer || !opts->output_dir);
    if (opts->list_only)
        return list_captures(opts);

    char *errmsg = NULL;
    char *filter = NULL;
    fs_output *output = NULL;
    fs_field_registry *fields = NULL;
    fs_feature_set *features = NULL;
    struct fs_input_list *inputs = NULL;
    fs_progress *progress = NULL;
    GPtrArray *keys = NULL;
    GPtrArray *field_names = g_ptr_array_new();

    /* Everything that can be wrong with the command line is reported before
     * any capture is read. */
    const struct fs_sink_ops *format = fs_sink_format_find(opts->format);
    g_assert(format); /* checked by fs_options_parse() */
    enum fs_status status = build_registry(opts, &fields);
    if (status != FS_OK)
        goto out;
    for (guint i = 0; i < fs_field_registry_count(fields); i++)
        g_ptr_array_add(field_names, (gpointer)fs_field_registry_name(fields, i));
    if (opts->display_filter && *opts->display_filter) {
        status = fs_dissect_check_filter(opts->display_filter, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            goto out;
        }
    }
    if (opts->flow_filter && *opts->flow_filter) {
        status = fs_dissect_check_filter(opts->flow_filter, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            goto out;
        }
    }
    filter = fs_run_filter_text(opts);
    status = fs_dissect_check_filter(filter, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        goto out;
    }
    /* The feature modules are set up once, before any worker forks. */
    status = fs_feature_set_new(opts, &features, &errmsg);
    if (status != FS_OK) {
        fs_report(NULL, errmsg);
        goto out;
    }
    /* The fields the modules read, dissected after the -e ones. */
    const GPtrArray *module_fields = fs_feature_set_added_fields(features);
    for (guint i = 0; i < module_fields->len; i++) {
        if (!fs_field_registry_add(fields, g_ptr_array_index(module_fields, i), &errmsg)) {
            fs_report(NULL, errmsg);
            status = FS_ERR_INIT;
            goto out;
        }
    }
    guint fast_limit = 0;
    if (opts->fast) {
        const char *reason = fast_fallback_reason(opts, fields);
        if (reason) {
            char *msg = opts->verify ? g_strdup_printf("--verify: %s: fast mode does not apply to "
                                                       "this run, nothing to compare",
                                               reason)
                                     : g_strdup_printf(
                                               "--fast: %s; this run uses the exact mode", reason);
            fs_report(NULL, msg);
            g_free(msg);
            if (opts->verify) {
                status = FS_ERR_USAGE;
                goto out;
            }
        } else {
            fast_limit = opts->fast_limit;
            if (fast_applied)
                *fast_applied = TRUE;
        }
    }
    status = collect_inputs(opts, &inputs);
    if (status != FS_OK)
        goto out;
    keys = record_keys(opts, field_names, features);
    progress = fs_progress_new(inputs, want_progress(opts));

    const struct fs_dissect_config dissect = {
        .display_filter = filter,
        .flow_filter = opts->flow_filter,
        .fields = fields,
        .two_pass = opts->two_pass,
        .all_protocols = opts->all_protocols,
        .default_filter = !(opts->display_filter && *opts->display_filter) && !opts->all_protocols,
        .exclusions = opts->default_exclusions,
        .fast_limit = fast_limit,
        /* The VLAN id of the flow key comes with the link values. */
        .extras = fs_feature_set_extras(features) | (opts->vlan_key ? FS_EXTRA_LINK : 0),
    };
    const struct fs_run_ctx ctx = {
        .opts = opts,
        .dissect = &dissect,
        .field_names = field_names,
        .format = format,
        .keys = keys,
        .inputs = inputs,
        .progress = progress,
        .consumer = consumer,
    };
    /* The run's one output (none with --output-dir), its header written
     * before any worker writes a record. */
    if (!opts->output_dir) {
        status = fs_output_open(&ctx, opts->output_path, &output, &errmsg);
        if (status != FS_OK) {
            fs_report(NULL, errmsg);
            goto out;
        }
    }
    status = fs_schedule_run(&ctx, features, output);

    /* Records of readable captures are kept even when another capture
     * failed; only a failed write discards the -w file. */
    enum fs_status closed = fs_output_close(output, status, status != FS_ERR_OUTPUT, &errmsg);
    output = NULL;
    if (closed != FS_OK) {
        if (errmsg)
            fs_report(NULL, errmsg);
        status = closed;
    }
    /* After an output error (a closed pipe ends a run quietly) the
     * records are not all there: no summary of them. */
    if (opts->progress != FS_PROGRESS_NEVER && status != FS_ERR_OUTPUT)
        fs_progress_summary(progress);

out:
    if (output) {
        char *ignored = NULL;
        fs_output_close(output, status, FALSE, &ignored);
        g_free(ignored);
    }
    fs_progress_free(progress);
    fs_input_list_free(inputs);
    if (keys)
        g_ptr_array_free(keys, TRUE);
    fs_feature_set_free(features);
    g_free(errmsg);
    g_free(filter);
    g_ptr_array_free(field_names, TRUE);
    fs_field_registry_free(fields);
    return status;
}
