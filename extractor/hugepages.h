/* hugepages.h: run with glibc's malloc on transparent huge pages, by
 * starting flowshark once more with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
 * when its inputs are large enough to gain from it (see hugepages.c for
 * why). FS_HUGEPAGES=0 never does it, FS_HUGEPAGES=1 whatever the inputs. */
#ifndef FS_HUGEPAGES_H
#define FS_HUGEPAGES_H

#include <stdbool.h>

#include <glib.h>

#include "options.h"

/* Inputs of at least this many bytes are worth a second start (about
 * 0.13 s on the benchmark machine, libwireshark's relocations; a run gains
 * about 8 ms per MB of capture: twice the break-even). */
#define FS_HUGEPAGES_MIN_BYTES (32u << 20)

/* The bytes the inputs hold as far as can be told before reading them: the
 * sizes of the regular files named; G_MAXUINT64 when an input is a
 * directory, standard input, a list of files or a live capture (large, or
 * long-running, as a rule). Names that cannot be looked at count 0 (the
 * run reports them). */
guint64 fs_hugepages_input_bytes(const struct fs_options *opts);

/* The decision, from its inputs: FS_HUGEPAGES's value (or NULL),
 * GLIBC_TUNABLES's (or NULL; when it already names the tunable, by the
 * user or by our own restart, never again), the text of
 * /sys/kernel/mm/transparent_hugepage/enabled (or NULL; only in mode
 * "madvise" does the tunable change anything) and the input bytes. */
bool fs_hugepages_wanted(
        const char *setting, const char *tunables, const char *thp_enabled, guint64 input_bytes);

/* Called in main() once the options are parsed, before libwireshark is
 * set up: when wanted, replaces the process by /proc/self/exe with the
 * arguments as given (from opts->command_line) and the tunable added to
 * GLIBC_TUNABLES. Returns only when it did not (not wanted, or the exec
 * failed, in which case the environment is as it was and the run goes on
 * without huge pages). */
void fs_hugepages_restart(const struct fs_options *opts);

#endif
