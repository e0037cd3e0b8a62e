/* graph_main.h: the `flowshark graph` subcommand (doc/botnet.md): its
 * command line, its input (flow records for now) and its outputs (the
 * hosts table through the sinks of extractor/sink.h, the edge list as CSV,
 * the graph as GraphML). main() hands it the arguments after "graph". */
#ifndef FS_GRAPH_MAIN_H
#define FS_GRAPH_MAIN_H

#include "status.h"

/* Runs `flowshark graph`: argv[0] is "graph", the options follow; program:
 * the program's own argv[0] (for capture input, later). Messages go to
 * standard error; the status is main()'s to map to the exit code
 * (FS_ERR_USAGE for a bad command line, FS_ERR_OPEN for input that cannot
 * be read or is not flow records, FS_ERR_OUTPUT for a failed write). */
enum fs_status fs_graph_main(const char *program, int argc, char **argv);

#endif
