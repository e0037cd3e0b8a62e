/* launcher.c: the program users run as flowshark. It sets GLIBC_TUNABLES
 * for huge pages and large malloc chunks (hugepages.c) and replaces itself
 * with an engine (main.c, which links libwireshark): flowshark-engine, or
 * flowshark-botnet-engine for the botnet analyses (engines.h), with the
 * same arguments and environment otherwise: same process, same exit
 * status and signals. The engine is looked for beside the launcher's
 * own file (the build tree, or both in one directory), then where `cmake
 * --install` puts it, relative to the launcher's directory
 * (FS_ENGINE_FROM_BIN, so an installation under any prefix works). Links
 * only libc, so it starts in about a millisecond. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines.h"
#include "hugepages.h"
#include "status.h"

/* The text of the kernel's THP mode file in buf, or NULL. */
static const char *read_thp_mode(char *buf, size_t size)
{
    FILE *f = fopen(FS_HUGEPAGES_THP_ENABLED, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0 ? buf : NULL;
}

/* The directory of this program's own file (symbolic links resolved), with
 * its final '/', in dir[size]; 0 when /proc cannot tell. */
static int my_directory(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0)
        return 0;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    slash[1] = '\0';
    return 1;
}

int main(int argc, char **argv)
{
    char thp[256];
    char *value = fs_hugepages_tunables(
            getenv("FS_HUGEPAGES"), getenv("GLIBC_TUNABLES"), read_thp_mode(thp, sizeof(thp)));
    /* The tunables are only a speed-up: when the variable cannot be set,
     * the engine runs without them. */
    if (value && setenv("GLIBC_TUNABLES", value, 1) != 0)
        fprintf(stderr, "flowshark: cannot set GLIBC_TUNABLES: %s\n", strerror(errno));
    free(value);
    /* The engine beside this file (the build tree), then where `cmake
     * --install` puts it relative to the bin directory. */
    const char *engine = fs_engines_is_botnet(argc, argv) ? FS_BOTNET_ENGINE_NAME : FS_ENGINE_NAME;
    char dir[PATH_MAX], beside[PATH_MAX + 64], installed[PATH_MAX + 64];
    if (!my_directory(dir, sizeof(dir))) {
        fprintf(stderr, "flowshark: cannot find %s: /proc/self/exe: %s\n", engine, strerror(errno));
        return FS_EXIT_INIT;
    }
    snprintf(beside, sizeof(beside), "%s%s", dir, engine);
    snprintf(installed, sizeof(installed), "%s" FS_ENGINE_FROM_BIN "/%s", dir, engine);
    const char *path = access(beside, X_OK) == 0 ? beside : installed;
    execv(path, argv);
    fprintf(stderr,
            "flowshark: cannot run %s: %s (the engine belongs beside flowshark, or in %s)\n", path,
            strerror(errno), installed);
    return FS_EXIT_INIT;
}
