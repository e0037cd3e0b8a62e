/* inputs.h: the captures of a run, from what the command line names: -r
 * paths and plain arguments (files or directories, walked recursively),
 * and --files-from lists. A directory's files are captures when wiretap
 * recognises their content (whatever their names); the others are listed
 * apart, not errors. Each capture gets the relative path its output takes
 * under --output-dir and its --label/--label-from-dir label. No
 * libwireshark here: the content check is passed in. */
#ifndef FS_INPUTS_H
#define FS_INPUTS_H

#include <glib.h>

#include "options.h"
#include "status.h"

struct fs_input {
    char *path;     /* as named, or DIR/sub/file as found: the records' "file" */
    char *rel;      /* below its -r directory (or --root), else its file name */
    char *label;    /* --label, --label-from-dir's folder, or NULL */
    long long size; /* bytes; -1 unknown (standard input, missing file, live) */
    gboolean live;  /* -i: path is the interfaces joined by ","; read through live.h */
};

struct fs_input_list {
    GPtrArray *captures;  /* struct fs_input *, in order: arguments, then lists;
                             a directory's files sorted by name */
    GPtrArray *others;    /* char *: files met in directories that are not captures */
    long long total_size; /* of the captures whose size is known */
};

/* TRUE when path holds a capture wiretap can open (capture.c's
 * fs_capture_probe in the program; a stand-in in unit tests). */
typedef gboolean (*fs_input_probe)(const char *path);

/* Collects the inputs of opts; with -i, the one live input. Files named
 * directly are captures whether or not they can be read (the job reports
 * them); hidden files and folders (names starting with '.') met in a walk
 * are ignored, and folders reached through symbolic links are not entered
 * (no loops). FS_ERR_USAGE with *errmsg (caller g_free()s) when a
 * --files-from list cannot be read, or when two captures would write the
 * same --output-dir file. */
enum fs_status fs_inputs_collect(const struct fs_options *opts, fs_input_probe probe,
        struct fs_input_list **out, char **errmsg);

/* Frees the list; NULL does nothing. */
void fs_input_list_free(struct fs_input_list *list);

#endif
