/* writer.c: record output with a sticky error and atomic -w files. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "writer.h"

struct fs_writer {
    FILE *file;
    char *path;        /* -w target, or NULL for standard output */
    char *temp_path;   /* the file actually written with -w; NULL for a device or FIFO */
    int error;         /* first errno seen, 0 if none */
    gboolean borrowed; /* file belongs to the caller (fs_writer_over) */
    gboolean reported; /* the error's message was handed out */
    gboolean each;     /* fflush() after every text (fs_writer_flush_each) */
};

fs_writer *fs_writer_over(FILE *file)
{
    fs_writer *w = g_new0(fs_writer, 1);
    w->file = file;
    w->borrowed = TRUE;
    return w;
}

enum fs_status fs_writer_open(const char *path, fs_writer **out, char **errmsg)
{
    *out = NULL;
    *errmsg = NULL;
    fs_writer *w = g_new0(fs_writer, 1);
    struct stat st;
    if (!path || strcmp(path, "-") == 0) {
        w->file = stdout;
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        *errmsg = g_strdup_printf("cannot write %s: %s", path, g_strerror(EISDIR));
        g_free(w);
        return FS_ERR_OUTPUT;
    } else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device, FIFO or socket (-w /dev/stdout, a named pipe): written
         * in place, since renaming a file over it would replace it. */
        w->path = g_strdup(path);
        if (!(w->file = fopen(path, "w"))) {
            *errmsg = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
            g_free(w->path);
            g_free(w);
            return FS_ERR_OUTPUT;
        }
    } else {
        w->path = g_strdup(path);
        w->temp_path = g_strdup_printf("%s.tmp-XXXXXX", path);
        /* 0666: the final file gets the usual permissions minus umask. */
        int fd = g_mkstemp_full(w->temp_path, O_RDWR, 0666);
        if (fd < 0 || !(w->file = fdopen(fd, "w"))) {
            *errmsg = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
            if (fd >= 0) {
                close(fd);
                g_unlink(w->temp_path);
            }
            g_free(w->path);
            g_free(w->temp_path);
            g_free(w);
            return FS_ERR_OUTPUT;
        }
    }
    *out = w;
    return FS_OK;
}

void fs_writer_text(fs_writer *w, const char *text, gsize len)
{
    if (w->error)
        return;
    /* errno is read right after the failing call: a later one may change it. */
    errno = 0;
    if (fwrite(text, 1, len, w->file) != len || ferror(w->file) ||
            (w->each && fflush(w->file) != 0))
        w->error = errno ? errno : EIO;
}

void fs_writer_flush_each(fs_writer *w)
{
    w->each = TRUE;
}

gboolean fs_writer_failed(const fs_writer *w)
{
    return w->error != 0;
}

/* The error's message, the first time only (NULL afterwards). */
static char *error_message(fs_writer *w)
{
    gboolean reported = w->reported;
    w->reported = TRUE;
    /* A reader that went away (flowshark ... | head) is not worth a
     * message; the exit status still says the output is incomplete. */
    if (w->error == EPIPE || reported)
        return NULL;
    return g_strdup_printf("cannot write %s: %s",
            w->path       ? w->path
            : w->borrowed ? "a temporary file"
                          : "standard output",
            g_strerror(w->error));
}

enum fs_status fs_writer_append(fs_writer *w, FILE *from, char **errmsg)
{
    char buffer[65536];
    rewind(from);
    size_t n;
    while (!w->error && (n = fread(buffer, 1, sizeof(buffer), from)) > 0)
        fs_writer_text(w, buffer, n);
    if (!w->error && ferror(from))
        w->error = EIO;
    return fs_writer_flush(w, errmsg);
}

enum fs_status fs_writer_flush(fs_writer *w, char **errmsg)
{
    *errmsg = NULL;
    errno = 0;
    if (!w->error && fflush(w->file) != 0)
        w->error = errno ? errno : EIO;
    if (!w->error)
        return FS_OK;
    *errmsg = error_message(w);
    return FS_ERR_OUTPUT;
}

enum fs_status fs_writer_close(fs_writer *w, gboolean commit, char **errmsg)
{
    *errmsg = NULL;
    if (!w)
        return FS_OK;
    errno = 0;
    if (!w->error && fflush(w->file) != 0)
        w->error = errno ? errno : EIO;
    if (w->path && !w->borrowed) {
        if (fclose(w->file) != 0 && !w->error)
            w->error = errno;
        if (w->temp_path && commit && !w->error && g_rename(w->temp_path, w->path) != 0)
            w->error = errno;
        if (w->temp_path && (!commit || w->error))
            g_unlink(w->temp_path);
    }
    enum fs_status status = FS_OK;
    if (w->error) {
        *errmsg = error_message(w);
        status = FS_ERR_OUTPUT;
    }
    g_free(w->path);
    g_free(w->temp_path);
    g_free(w);
    return status;
}
