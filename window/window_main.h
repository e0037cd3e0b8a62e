/* window_main.h: the `flowshark window` subcommand (doc/windows.md): its
 * command line, its input (flow records for now) and its output through the
 * sinks of extractor/sink.h. main() hands it the arguments after "window". */
#ifndef FS_WINDOW_MAIN_H
#define FS_WINDOW_MAIN_H

#include "status.h"

/* Runs `flowshark window`: argv[0] is "window", the options follow;
 * program: the program's own argv[0] (libwireshark's set-up for captures).
 * Messages go to standard error; the status is main()'s to map to the exit
 * code (FS_ERR_USAGE for a bad command line, FS_ERR_OPEN for input that
 * cannot be read or is not flow records, FS_ERR_OUTPUT for a failed
 * write). */
enum fs_status fs_window_main(const char *program, int argc, char **argv);

#endif
