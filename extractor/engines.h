/* engines.h: the two engines and which one runs a command line; shared by
 * the launcher (launcher.c, libc only) and main.c. flowshark-engine reads
 * captures and runs `window`; flowshark-botnet-engine also has the botnet
 * analyses, which link igraph (see extractor/CMakeLists.txt for why they
 * are apart). */
#ifndef FS_ENGINES_H
#define FS_ENGINES_H

#include <string.h>

#define FS_ENGINE_NAME        "flowshark-engine"
#define FS_BOTNET_ENGINE_NAME "flowshark-botnet-engine"

/* Whether the command line is one of the botnet analyses' (`flowshark
 * graph`, `cflows` or `botnet`: the first argument, as main.c reads it). */
static inline int fs_engines_is_botnet(int argc, char **argv)
{
    return argc > 1 && (strcmp(argv[1], "graph") == 0 || strcmp(argv[1], "cflows") == 0 ||
                               strcmp(argv[1], "botnet") == 0);
}

#endif
