/* main.c: parse the options, initialise libwireshark as tshark does, run,
 * clean up, and map the status to the exit code. Nothing else. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef FS_WITH_BOTNET
#include "botnet_main.h"
#include "cflows_main.h"
#include "graph_main.h"
#endif
#include "engines.h"
#include "epan_session.h"
#include "interrupt.h"
#include "live.h"
#include "options.h"
#include "prefault.h"
#include "run.h"
#include "verify.h"
#include "schema.h"
#include "status.h"
#include "window_main.h"

#ifndef FS_VERSION
#define FS_VERSION "unknown"
#endif

static enum fs_status set_up_dissection(const struct fs_options *opts)
{
    char *errmsg = NULL;
    enum fs_status status = fs_epan_session_configure(opts->prefs, opts->decode_as, &errmsg);
    if (status != FS_OK)
        fprintf(stderr, "flowshark: %s\n", errmsg);
    g_free(errmsg);
    return status;
}

/* --schema: the embedded doc/flow-record.schema.json, byte for byte. */
static enum fs_status print_schema(void)
{
    if (fwrite(fs_schema_json, 1, fs_schema_json_size, stdout) == fs_schema_json_size &&
            fflush(stdout) == 0)
        return FS_OK;
    fprintf(stderr, "flowshark: cannot write standard output: %s\n", g_strerror(errno));
    return FS_ERR_OUTPUT;
}

int main(int argc, char **argv)
{
    struct fs_options opts;
    char *errmsg = NULL;
    /* Subcommands: an analysis, which sets up libwireshark itself only when
     * it reads captures (a capture called "window", "graph", "cflows" or
     * "botnet" is read with -r window or ./window). */
    if (argc > 1 && strcmp(argv[1], "window") == 0)
        return fs_status_exit_code(fs_window_main(argv[0], argc - 1, argv + 1));
#ifdef FS_WITH_BOTNET
    /* flowshark-botnet-engine (see engines.h). */
    if (argc > 1 && strcmp(argv[1], "graph") == 0)
        return fs_status_exit_code(fs_graph_main(argv[0], argc - 1, argv + 1));
    if (argc > 1 && strcmp(argv[1], "cflows") == 0)
        return fs_status_exit_code(fs_cflows_main(argv[0], argc - 1, argv + 1));
    if (argc > 1 && strcmp(argv[1], "botnet") == 0)
        return fs_status_exit_code(fs_botnet_main(argv[0], argc - 1, argv + 1));
#else
    if (fs_engines_is_botnet(argc, argv)) {
        fprintf(stderr,
                "flowshark: %s runs in " FS_BOTNET_ENGINE_NAME ", which flowshark starts for it\n",
                argv[1]);
        return FS_EXIT_INIT;
    }
#endif
    enum fs_status status = fs_options_parse(argc, argv, &opts, &errmsg);
    if (status != FS_OK) {
        fprintf(stderr, "flowshark: %s\n", errmsg);
        g_free(errmsg);
        fs_options_free(&opts);
        return fs_status_exit_code(status);
    }
    if (opts.show_help) {
        fs_options_print_help(stdout);
        fs_options_free(&opts);
        return FS_EXIT_OK;
    }
    if (opts.show_schema) {
        status = print_schema();
        fs_options_free(&opts);
        return fs_status_exit_code(status);
    }
    if (opts.list_interfaces) {
        status = fs_live_list_interfaces(&errmsg);
        if (status != FS_OK && errmsg)
            fprintf(stderr, "flowshark: %s\n", errmsg);
        g_free(errmsg);
        fs_options_free(&opts);
        return fs_status_exit_code(status);
    }

    status = fs_epan_session_init(argv[0], &errmsg);
    gboolean initialised = status == FS_OK;
    if (status != FS_OK) {
        fprintf(stderr, "flowshark: %s\n", errmsg);
        g_free(errmsg);
    } else if (opts.show_version) {
        printf("flowshark " FS_VERSION " (libwireshark %s)\n", fs_epan_session_version());
    } else {
        status = set_up_dissection(&opts);
        if (status == FS_OK) {
            fs_interrupt_install();
            fs_prefault_start();
            status = opts.verify ? fs_verify_run(&opts) : fs_run(&opts);
            fs_prefault_stop();
        }
    }
    /* Cleaned up whenever it was set up, whatever failed later (an nDPI
     * set-up failure is FS_ERR_INIT too). */
    if (initialised)
        fs_epan_session_cleanup();
    fs_options_free(&opts);
    return fs_status_exit_code(status);
}
