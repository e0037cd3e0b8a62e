/* cflows_main.h: the `flowshark cflows` subcommand (doc/botnet.md):
 * its command line, its input (flow records) and its output, one row per
 * C-flow through the sinks of extractor/sink.h. main() hands it the
 * arguments from "cflows" on. */
#ifndef FS_CFLOWS_MAIN_H
#define FS_CFLOWS_MAIN_H

#include "status.h"

/* Runs `flowshark cflows`: argv[0] is "cflows", the options follow;
 * program: the program's own argv[0] (for capture input to come). Messages
 * go to standard error; the status is main()'s to map to the exit code
 * (FS_ERR_USAGE for a bad command line, FS_ERR_OPEN for input that cannot
 * be read or is not flow records, FS_ERR_OUTPUT for a failed write). */
enum fs_status fs_cflows_main(const char *program, int argc, char **argv);

#endif
