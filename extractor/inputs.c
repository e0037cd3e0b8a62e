/* inputs.c: see inputs.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "inputs.h"

struct collector {
    const struct fs_options *opts;
    fs_input_probe probe;
    struct fs_input_list *list;
};

static void input_free(gpointer data)
{
    struct fs_input *in = data;
    g_free(in->path);
    g_free(in->rel);
    g_free(in->label);
    g_free(in);
}

/* The first folder of rel ("youtube/x.pcap" → "youtube"), or NULL when rel
 * is a bare file name. */
static char *first_folder(const char *rel)
{
    const char *slash = strchr(rel, '/');
    return slash ? g_strndup(rel, (gsize)(slash - rel)) : NULL;
}

/* The name of the folder holding path, or NULL when it has none named. */
static char *parent_folder(const char *path)
{
    char *dir = g_path_get_dirname(path);
    char *name = g_path_get_basename(dir);
    g_free(dir);
    if (strcmp(name, ".") == 0 || strcmp(name, "/") == 0 || strcmp(name, "..") == 0) {
        g_free(name);
        return NULL;
    }
    return name;
}

/* path without trailing slashes (but "/" stays "/"). */
static char *trim_slashes(const char *path)
{
    gsize len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    return g_strndup(path, len);
}

/* rel: below the walked directory, or NULL for a capture named directly. */
static void add_capture(struct collector *c, const char *path, const char *rel)
{
    const struct fs_options *opts = c->opts;
    struct fs_input *in = g_new0(struct fs_input, 1);
    in->path = g_strdup(path);
    char *below = NULL; /* path below --root, compared in canonical form */
    if (!rel && opts->root && strcmp(path, "-") != 0) {
        char *root = g_canonicalize_filename(opts->root, NULL);
        char *full = g_canonicalize_filename(path, NULL);
        gsize len = strlen(root);
        if (strcmp(root, "/") == 0)
            len = 0;
        if (strncmp(full, root, len) == 0 && full[len] == '/' && full[len + 1])
            below = g_strdup(full + len + 1);
        g_free(root);
        g_free(full);
        rel = below;
    }
    in->rel = rel ? g_strdup(rel) : g_path_get_basename(path);
    if (opts->label)
        in->label = g_strdup(opts->label);
    else if (opts->label_from_dir)
        in->label = rel ? first_folder(rel) : parent_folder(path);
    g_free(below);
    GStatBuf st;
    in->size = strcmp(path, "-") != 0 && g_stat(path, &st) == 0 && S_ISREG(st.st_mode)
                       ? (long long)st.st_size
                       : -1;
    if (in->size > 0)
        c->list->total_size += in->size;
    g_ptr_array_add(c->list->captures, in);
}

/* -i: one input named by its interfaces as given, joined by ",". */
static void add_live(struct collector *c)
{
    const GPtrArray *names = c->opts->interfaces;
    GString *joined = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(joined, "%s%s", i ? "," : "", (const char *)names->pdata[i]);
    struct fs_input *in = g_new0(struct fs_input, 1);
    in->path = g_string_free(joined, FALSE);
    in->rel = g_strdup(in->path);
    in->label = g_strdup(c->opts->label);
    in->size = -1;
    in->live = TRUE;
    g_ptr_array_add(c->list->captures, in);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir (rel: its path below the top directory, "" at the top). */
static void walk(struct collector *c, const char *dir, const char *rel)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        fprintf(stderr, "flowshark: warning: %s: cannot read the folder: %s\n", dir,
                g_strerror(errno));
        g_ptr_array_add(c->list->others, g_strdup(dir));
        return;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (name[0] != '.')
            g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        char *path = g_build_filename(dir, n, NULL);
        char *sub = *rel ? g_strconcat(rel, "/", n, NULL) : g_strdup(n);
        GStatBuf lst, st;
        if (g_lstat(path, &lst) == 0 && S_ISDIR(lst.st_mode))
            walk(c, path, sub);
        else if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && c->probe(path))
            add_capture(c, path, sub);
        else if (!(g_stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
            g_ptr_array_add(c->list->others, g_strdup(path));
        g_free(sub);
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
}

static void add_named(struct collector *c, const char *path)
{
    GStatBuf st;
    if (strcmp(path, "-") != 0 && g_stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *top = trim_slashes(path);
        walk(c, top, "");
        g_free(top);
    } else {
        add_capture(c, path, NULL);
    }
}

/* One path a line; blank lines skipped, a trailing CR removed. */
static enum fs_status read_list(struct collector *c, const char *list, char **errmsg)
{
    char *text = NULL;
    gsize len = 0;
    GError *error = NULL;
    if (strcmp(list, "-") == 0) {
        GString *all = g_string_new(NULL);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
            g_string_append_len(all, buf, (gssize)n);
        if (ferror(stdin)) {
            *errmsg = g_strdup("--files-from -: cannot read standard input");
            g_string_free(all, TRUE);
            return FS_ERR_USAGE;
        }
        len = all->len;
        text = g_string_free(all, FALSE);
    } else if (!g_file_get_contents(list, &text, &len, &error)) {
        *errmsg = g_strdup_printf("--files-from %s: %s", list, error->message);
        g_error_free(error);
        return FS_ERR_USAGE;
    }
    if (memchr(text, '\0', len)) {
        *errmsg =
                g_strdup_printf("--files-from %s: not a list of paths (it holds NUL bytes)", list);
        g_free(text);
        return FS_ERR_USAGE;
    }
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        gsize n = strlen(*l);
        if (n > 0 && (*l)[n - 1] == '\r')
            (*l)[n - 1] = '\0';
        if (**l)
            add_named(c, *l);
    }
    g_strfreev(lines);
    g_free(text);
    return FS_OK;
}

/* Two captures may not write one --output-dir file. */
static enum fs_status check_outputs(const struct fs_input_list *list, char **errmsg)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    enum fs_status status = FS_OK;
    for (guint i = 0; i < list->captures->len && status == FS_OK; i++) {
        const struct fs_input *in = g_ptr_array_index(list->captures, i);
        const struct fs_input *other = g_hash_table_lookup(seen, in->rel);
        if (other) {
            *errmsg = g_strdup_printf(
                    "%s and %s would both write %s in --output-dir (name captures below one "
                    "folder given with -r or --root, or give different file names)",
                    other->path, in->path, in->rel);
            status = FS_ERR_USAGE;
        }
        g_hash_table_insert(seen, in->rel, (gpointer)in);
    }
    g_hash_table_destroy(seen);
    return status;
}

enum fs_status fs_inputs_collect(const struct fs_options *opts, fs_input_probe probe,
        struct fs_input_list **out, char **errmsg)
{
    *errmsg = NULL;
    struct fs_input_list *list = g_new0(struct fs_input_list, 1);
    list->captures = g_ptr_array_new_with_free_func(input_free);
    list->others = g_ptr_array_new_with_free_func(g_free);
    struct collector c = { .opts = opts, .probe = probe, .list = list };
    enum fs_status status = FS_OK;
    if (opts->interfaces && opts->interfaces->len > 0)
        add_live(&c);
    for (guint i = 0; i < opts->inputs->len; i++)
        add_named(&c, g_ptr_array_index(opts->inputs, i));
    for (guint i = 0; status == FS_OK && i < opts->files_from->len; i++)
        status = read_list(&c, g_ptr_array_index(opts->files_from, i), errmsg);
    if (status == FS_OK && opts->output_dir)
        status = check_outputs(list, errmsg);
    *out = list;
    return status;
}

void fs_input_list_free(struct fs_input_list *list)
{
    if (!list)
        return;
    g_ptr_array_free(list->captures, TRUE);
    g_ptr_array_free(list->others, TRUE);
    g_free(list);
}
