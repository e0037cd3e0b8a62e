/* test_inputs.c: unit tests of extractor/inputs.h: what the command line
 * names becomes the list of captures (walk order, content check, hidden
 * names, other files, labels, --output-dir paths, --root, --files-from). The
 * content check is a stand-in here: a file is a capture when it begins with
 * "CAP". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "inputs.h"
#include "options.h"

static gboolean starts_with_cap(const char *path)
{
    char *text = NULL;
    gsize len = 0;
    gboolean yes =
            g_file_get_contents(path, &text, &len, NULL) && len >= 3 && memcmp(text, "CAP", 3) == 0;
    g_free(text);
    return yes;
}

struct fixture {
    char *top;     /* a temporary folder */
    char *dataset; /* top/dataset */
    struct fs_options opts;
    struct fs_input_list *list;
    char *errmsg;
};

static void put(const char *dir, const char *rel, const char *content)
{
    char *path = g_build_filename(dir, rel, NULL);
    char *parent = g_path_get_dirname(path);
    assert_int_equal(g_mkdir_with_parents(parent, 0700), 0);
    assert_true(g_file_set_contents(path, content, -1, NULL));
    g_free(parent);
    g_free(path);
}

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->top = g_dir_make_tmp("fs-inputs-XXXXXX", NULL);
    f->dataset = g_build_filename(f->top, "dataset", NULL);
    /* Names chosen so that byte order differs from case-blind order. */
    put(f->dataset, "youtube/b.pcap", "CAP youtube b");
    put(f->dataset, "youtube/a.bin", "CAP youtube a (any name)");
    put(f->dataset, "Netflix/deep/x.pcap", "CAP netflix deep x");
    put(f->dataset, "Netflix/notes.txt", "not a capture");
    put(f->dataset, "top.pcap", "CAP at the top");
    put(f->dataset, ".hidden/h.pcap", "CAP hidden folder");
    put(f->dataset, "youtube/.h.pcap", "CAP hidden file");
    f->opts.inputs = g_ptr_array_new_with_free_func(g_free);
    f->opts.files_from = g_ptr_array_new_with_free_func(g_free);
    *state = f;
    return 0;
}

static void remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d) {
        g_unlink(path);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *sub = g_build_filename(path, name, NULL);
        remove_tree(sub);
        g_free(sub);
    }
    g_dir_close(d);
    g_rmdir(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    remove_tree(f->top);
    fs_input_list_free(f->list);
    fs_options_free(&f->opts);
    g_free(f->errmsg);
    g_free(f->dataset);
    g_free(f->top);
    g_free(f);
    return 0;
}

static const struct fs_input *capture(const struct fixture *f, guint i)
{
    assert_true(i < f->list->captures->len);
    return g_ptr_array_index(f->list->captures, i);
}

static enum fs_status collect(struct fixture *f)
{
    return fs_inputs_collect(&f->opts, starts_with_cap, &f->list, &f->errmsg);
}

/* -r dataset: by content, in byte order, hidden names left out, the other
 * files listed; labels and output paths below the folder. */
static void walk(void **state)
{
    struct fixture *f = *state;
    g_ptr_array_add(f->opts.inputs, g_strconcat(f->dataset, "/", NULL));
    f->opts.label_from_dir = TRUE;
    assert_int_equal(collect(f), FS_OK);
    assert_int_equal(f->list->captures->len, 4);
    const char *rels[] = { "Netflix/deep/x.pcap", "top.pcap", "youtube/a.bin", "youtube/b.pcap" };
    const char *labels[] = { "Netflix", NULL, "youtube", "youtube" };
    for (guint i = 0; i < 4; i++) {
        char *path = g_build_filename(f->dataset, rels[i], NULL);
        assert_string_equal(capture(f, i)->path, path);
        assert_string_equal(capture(f, i)->rel, rels[i]);
        if (labels[i])
            assert_string_equal(capture(f, i)->label, labels[i]);
        else
            assert_null(capture(f, i)->label);
        g_free(path);
    }
    assert_int_equal(capture(f, 1)->size, (long long)strlen("CAP at the top"));
    assert_int_equal(f->list->total_size,
            (long long)(strlen("CAP netflix deep x") + strlen("CAP at the top") +
                        strlen("CAP youtube a (any name)") + strlen("CAP youtube b")));
    assert_int_equal(f->list->others->len, 1);
    char *notes = g_build_filename(f->dataset, "Netflix/notes.txt", NULL);
    assert_string_equal(g_ptr_array_index(f->list->others, 0), notes);
    g_free(notes);
}

/* Named directly: a capture whatever it holds; its folder is its label,
 * its name its output; --root places it as the walk would. */
static void named_directly(void **state)
{
    struct fixture *f = *state;
    char *deep = g_build_filename(f->dataset, "Netflix/deep/x.pcap", NULL);
    char *notes = g_build_filename(f->dataset, "Netflix/notes.txt", NULL);
    g_ptr_array_add(f->opts.inputs, g_strdup(deep));
    g_ptr_array_add(f->opts.inputs, g_strdup(notes));
    g_ptr_array_add(f->opts.inputs, g_strdup("-"));
    f->opts.label_from_dir = TRUE;
    assert_int_equal(collect(f), FS_OK);
    assert_int_equal(f->list->captures->len, 3);
    assert_string_equal(capture(f, 0)->label, "deep");
    assert_string_equal(capture(f, 0)->rel, "x.pcap");
    assert_string_equal(capture(f, 1)->rel, "notes.txt");
    assert_string_equal(capture(f, 2)->path, "-");
    assert_int_equal(capture(f, 2)->size, -1);
    assert_int_equal(f->list->others->len, 0);

    /* --root, spelt differently from the paths (a trailing slash, "."). */
    fs_input_list_free(f->list);
    f->list = NULL;
    f->opts.root = g_strconcat(f->top, "/./dataset/", NULL);
    assert_int_equal(collect(f), FS_OK);
    assert_string_equal(capture(f, 0)->label, "Netflix");
    assert_string_equal(capture(f, 0)->rel, "Netflix/deep/x.pcap");
    g_free(deep);
    g_free(notes);
}

/* --files-from: one path a line, CRLF and blank lines allowed, folders
 * walked; --label for all. */
static void files_from(void **state)
{
    struct fixture *f = *state;
    char *list = g_build_filename(f->top, "list.txt", NULL);
    char *text = g_strdup_printf("%s/top.pcap\r\n\n%s/youtube\n", f->dataset, f->dataset);
    assert_true(g_file_set_contents(list, text, -1, NULL));
    g_ptr_array_add(f->opts.files_from, g_strdup(list));
    f->opts.label = g_strdup("batch 7");
    assert_int_equal(collect(f), FS_OK);
    assert_int_equal(f->list->captures->len, 3);
    assert_string_equal(capture(f, 0)->rel, "top.pcap");
    assert_string_equal(capture(f, 1)->rel, "a.bin");
    assert_string_equal(capture(f, 2)->rel, "b.pcap");
    for (guint i = 0; i < 3; i++)
        assert_string_equal(capture(f, i)->label, "batch 7");
    g_free(text);
    g_free(list);
}

static void missing_list(void **state)
{
    struct fixture *f = *state;
    g_ptr_array_add(f->opts.files_from, g_strdup("/nonexistent/list.txt"));
    assert_int_equal(collect(f), FS_ERR_USAGE);
    assert_non_null(strstr(f->errmsg, "--files-from /nonexistent/list.txt: "));
}

/* Two captures that would write one --output-dir file. */
static void output_clash(void **state)
{
    struct fixture *f = *state;
    put(f->top, "other/b.pcap", "CAP another b");
    g_ptr_array_add(f->opts.inputs, g_build_filename(f->dataset, "youtube/b.pcap", NULL));
    g_ptr_array_add(f->opts.inputs, g_build_filename(f->top, "other/b.pcap", NULL));
    f->opts.output_dir = g_strdup("out");
    assert_int_equal(collect(f), FS_ERR_USAGE);
    assert_non_null(strstr(f->errmsg, "would both write b.pcap in --output-dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(walk, setup, teardown),
        cmocka_unit_test_setup_teardown(named_directly, setup, teardown),
        cmocka_unit_test_setup_teardown(files_from, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_list, setup, teardown),
        cmocka_unit_test_setup_teardown(output_clash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
