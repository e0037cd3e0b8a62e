/* fuzz_records.c: libFuzzer target for the analyses' records input. Each
 * input is taken as a file of flowshark's JSON Lines records
 * (--from-records) and read by window/record_reader.c record after record
 * (wsutil's JSON parser, the timestamps, the extension's [value, index]
 * pairs) until its end or its first line that is not a record; every record
 * read goes into the botnet analyses as `flowshark botnet --from-records`
 * feeds them (the graph, the C-flows with a 10 s time unit, the scan rule
 * with windows, the payload rules), which are then finished (igraph, the
 * quantiles, DBSCAN, the telnet rule).
 *
 * Besides the sanitizers, a finding is a record handed out with a broken
 * promise of the reader: a NULL string, or a value whose field or text is
 * NULL.
 *
 * Built by fuzz/CMakeLists.txt with libFuzzer (scripts/fuzz.sh 30
 * fuzz_records) and by tests/CMakeLists.txt with standalone_main.c (the
 * ctest fuzz_records_replay, over fuzz/records-corpus/). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "activity.h"
#include "cflows.h"
#include "graph.h"
#include "hosts.h"
#include "payload.h"
#include "record_reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fs_host_ranges *internal;
static fs_host_ranges *whitelist;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *why = NULL;
    internal = fs_host_ranges_parse(FS_HOST_INTERNAL_DEFAULT, &why);
    whitelist = fs_host_ranges_parse("192.0.2.0/24", &why);
    if (!internal || !whitelist)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *file = fmemopen((void *)data, size, "r");
    if (!file)
        abort();
    fs_record_reader *reader = fs_record_reader_new_stream(file, "input");
    const struct fs_graph_options gopts = { .internal = internal, .tau_g = 1.5 };
    const struct fs_cflows_options copts = {
        .internal = internal,
        .whitelist = whitelist,
        .time_unit_ns = G_GINT64_CONSTANT(10000000000),
        .eps = 0.5,
        .min_pts = 2,
    };
    const struct fs_activity_options aopts = {
        .scan_rate = FS_ACTIVITY_SCAN_RATE_DEFAULT,
        .window_ns = G_GINT64_CONSTANT(1000000000),
        .sources = internal,
    };
    fs_graph *graph = fs_graph_new(&gopts);
    fs_cflows *cflows = fs_cflows_new(&copts);
    fs_activity *activity = fs_activity_new(&aopts);
    fs_payload *payload = fs_payload_new();
    for (;;) {
        struct fs_read_record rec;
        gboolean done = FALSE;
        char *errmsg = NULL;
        if (fs_record_reader_next(reader, &rec, &done, &errmsg) != FS_OK) {
            g_free(errmsg); /* not a record: the input ends here */
            break;
        }
        if (done)
            break;
        if (!rec.protocol || !rec.src || !rec.dst ||
                (rec.packets && (!rec.lengths || !rec.times_ns)))
            abort();
        for (guint i = 0; i < rec.n_values; i++) {
            if (!rec.values[i].field || !rec.values[i].value)
                abort();
        }
        fs_graph_add_record(graph, &rec);
        fs_cflows_add_record(cflows, &rec);
        fs_activity_add(activity, &rec);
        fs_payload_add(payload, &rec);
    }
    char *errmsg = NULL;
    fs_graph_finish(graph, &errmsg);
    g_free(errmsg);
    fs_cflows_finish(cflows);
    fs_activity_finish(activity);
    fs_payload_finish(payload);
    fs_payload_free(payload);
    fs_activity_free(activity);
    fs_cflows_free(cflows);
    fs_graph_free(graph);
    fs_record_reader_free(reader);
    fclose(file);
    return 0;
}
