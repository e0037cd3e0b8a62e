/* botnet_main.h: the `flowshark botnet` subcommand (doc/botnet.md): one
 * pass over a batch of flow records feeds the host graph (graph.c), the
 * C-flows (cflows.c) and the scan detector (activity.c); the vote
 * (vote.c) then scores every internal host and groups the suspicious
 * ones. main() hands it the arguments after "botnet". */
#ifndef FS_BOTNET_MAIN_H
#define FS_BOTNET_MAIN_H

#include "status.h"

/* Runs `flowshark botnet`: argv[0] is "botnet", the options follow;
 * program: the program's own argv[0] (capture input). Messages go to
 * standard error; the status is main()'s to map to the exit code. */
enum fs_status fs_botnet_main(const char *program, int argc, char **argv);

#endif
