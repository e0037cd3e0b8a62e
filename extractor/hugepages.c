/* hugepages.c: start flowshark once more, before libwireshark is set up,
 * with glibc's malloc asked to back its heap and its large chunks with
 * transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1).
 *
 * Why: libwireshark keeps per-packet and per-conversation state for the
 * whole capture in wmem blocks and GLib tables, and a good share of a run's
 * time (12-17 % under perf on the benchmark's mixed capture) is the first
 * write to each new 4 kB page: a page fault. With a huge page, one fault
 * maps 2 MB. In the kernel's THP mode "madvise" (Debian's default) only
 * madvised memory gets huge pages; glibc madvises its memory only when the
 * tunable is set, and reads tunables only when a process starts. No
 * library call does this for a running process, and malloc's other knobs
 * (mallopt) do not reach it: hence one exec, before anything is read. */
#include "hugepages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TUNABLE     "glibc.malloc.hugetlb"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

guint64 fs_hugepages_input_bytes(const struct fs_options *opts)
{
    if (opts->files_from->len > 0 || opts->interfaces->len > 0)
        return G_MAXUINT64;
    guint64 total = 0;
    for (guint i = 0; i < opts->inputs->len; i++) {
        const char *name = g_ptr_array_index(opts->inputs, i);
        struct stat st;
        if (strcmp(name, "-") == 0)
            return G_MAXUINT64;
        if (stat(name, &st) != 0)
            continue;
        if (!S_ISREG(st.st_mode))
            return G_MAXUINT64;
        if (total > G_MAXUINT64 - (guint64)st.st_size)
            return G_MAXUINT64;
        total += (guint64)st.st_size;
    }
    return total;
}

bool fs_hugepages_wanted(
        const char *setting, const char *tunables, const char *thp_enabled, guint64 input_bytes)
{
    if (setting && strcmp(setting, "0") == 0)
        return false;
    if (tunables && strstr(tunables, TUNABLE))
        return false;
    if (!thp_enabled || !strstr(thp_enabled, "[madvise]"))
        return false;
    if (setting && strcmp(setting, "1") == 0)
        return true;
    return input_bytes >= FS_HUGEPAGES_MIN_BYTES;
}

void fs_hugepages_restart(const struct fs_options *opts)
{
    const char *setting = getenv("FS_HUGEPAGES");
    const char *old = getenv("GLIBC_TUNABLES");
    gchar *thp_enabled = NULL;
    if (!g_file_get_contents(THP_ENABLED, &thp_enabled, NULL, NULL))
        thp_enabled = NULL;
    bool wanted = fs_hugepages_wanted(setting, old, thp_enabled, fs_hugepages_input_bytes(opts));
    g_free(thp_enabled);
    /* The arguments as given (getopt has permuted argv since): the command
     * line the options keep, quoted so that the shell's rules give it back. */
    gchar **argv = NULL;
    if (!wanted || !g_shell_parse_argv(opts->command_line, NULL, &argv, NULL))
        return;
    gchar *saved = g_strdup(old);
    gchar *value = old && *old ? g_strconcat(old, ":", TUNABLE "=1", NULL) : g_strdup(TUNABLE "=1");
    if (setenv("GLIBC_TUNABLES", value, 1) == 0) {
        fflush(NULL);
        execv("/proc/self/exe", argv);
        /* Not started again (no /proc, say): carry on as we are; huge
         * pages are only a speed-up. */
        if (saved)
            setenv("GLIBC_TUNABLES", saved, 1);
        else
            unsetenv("GLIBC_TUNABLES");
    }
    g_free(value);
    g_free(saved);
    g_strfreev(argv);
}
