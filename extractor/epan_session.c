/* epan_session.c: libwireshark initialisation, preferences and Decode As. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/prefs.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/wslog.h>

#include "epan_session.h"

enum fs_status fs_epan_session_init(const char *argv0, char **errmsg)
{
    *errmsg = NULL;
    ws_log_init("flowshark", NULL);
    init_process_policies();
    char *config_err = configuration_init(argv0, NULL);
    if (config_err) {
        /* tshark only warns: a relocated install still works. */
        fprintf(stderr, "flowshark: warning: can't find the configuration directories: %s\n",
                config_err);
        g_free(config_err);
    }
    wtap_init(TRUE);
    if (!epan_init(NULL, NULL, TRUE)) {
        *errmsg = g_strdup("epan_init() failed");
        return FS_ERR_INIT;
    }
    epan_load_settings();
    return FS_OK;
}

enum fs_status fs_epan_session_set_prefs(const GPtrArray *overrides, char **errmsg)
{
    *errmsg = NULL;
    for (guint i = 0; i < overrides->len; i++) {
        const char *arg = g_ptr_array_index(overrides, i);
        char *writable = g_strdup(arg); /* prefs_set_pref() edits its argument */
        char *pref_err = NULL;
        prefs_set_pref_e result = prefs_set_pref(writable, &pref_err);
        g_free(writable);
        switch (result) {
            case PREFS_SET_OK:
                break;
            case PREFS_SET_SYNTAX_ERR:
                *errmsg = g_strdup_printf("invalid -o value \"%s\"%s%s", arg,
                        pref_err ? ": " : " (expected name:value)", pref_err ? pref_err : "");
                break;
            case PREFS_SET_NO_SUCH_PREF:
                *errmsg = g_strdup_printf("-o \"%s\": no such preference", arg);
                break;
            case PREFS_SET_OBSOLETE:
                *errmsg = g_strdup_printf("-o \"%s\": the preference is obsolete", arg);
                break;
        }
        g_free(pref_err);
        if (*errmsg)
            return FS_ERR_USAGE;
    }
    /* The record needs the Protocol column only: building just that one is
     * cheaper than tshark's default seven, and the column's text does not
     * depend on the others. */
    char column_pref[] = "gui.column.format:\"Protocol\",\"%p\"";
    char *pref_err = NULL;
    if (prefs_set_pref(column_pref, &pref_err) != PREFS_SET_OK) {
        *errmsg = g_strdup_printf(
                "could not set the column preference: %s", pref_err ? pref_err : "unknown error");
        g_free(pref_err);
        return FS_ERR_INIT;
    }
    prefs_apply_all();
    return FS_OK;
}

enum fs_status fs_epan_session_configure(
        const GPtrArray *prefs, const GPtrArray *decode_as, char **errmsg)
{
    enum fs_status status = fs_epan_session_set_prefs(prefs, errmsg);
    for (guint i = 0; status == FS_OK && i < decode_as->len; i++)
        status = fs_epan_session_decode_as(g_ptr_array_index(decode_as, i), errmsg);
    return status;
}

/* ---- Decode As (-d) ---- */

struct handle_search {
    const char *wanted; /* protocol filter name, e.g. "tls" */
    dissector_handle_t found;
};

static void match_handle(gpointer data, gpointer user_data)
{
    dissector_handle_t handle = data;
    struct handle_search *search = user_data;
    int proto_id = dissector_handle_get_protocol_index(handle);
    if (search->found || proto_id == -1)
        return;
    const char *name = proto_get_protocol_filter_name(proto_id);
    if (name && strcmp(name, search->wanted) == 0)
        search->found = handle;
}

/* The most selectors one -d range may cover: a whole 16-bit port table.
 * Each is a separate entry in the table, so a range over a 32-bit table
 * could otherwise take minutes to apply. */
#define FS_DECODE_AS_RANGE_MAX 65536

/* The largest selector a table of integer type `type` holds. */
static guint64 selector_max(ftenum_t type)
{
    switch (type) {
        case FT_UINT8:
            return G_MAXUINT8;
        case FT_UINT16:
            return G_MAXUINT16;
        case FT_UINT24:
            return 0xFFFFFF;
        default:
            return G_MAXUINT32;
    }
}

/* A decimal number (digits only, as tshark's ws_strtou32); *end points
 * after it. FALSE when text does not start with a digit; a number too big
 * for 64 bits comes out as G_MAXUINT64 (too big for any table). */
static gboolean parse_decimal(const char *text, guint64 *value, const char **end)
{
    char *stop = NULL;
    if (!g_ascii_isdigit(text[0]))
        return FALSE;
    errno = 0;
    *value = g_ascii_strtoull(text, &stop, 10);
    *end = stop;
    return errno == 0 || errno == ERANGE;
}

/* Parses "N", "N-M" or "N:count" into [first, last] for table `table_name`
 * whose selectors go from 0 to max. On failure returns FALSE with *why
 * (caller g_free()s) naming the value and the allowed range. */
static gboolean parse_selector_range(const char *text, const char *table_name, guint64 max,
        guint32 *first, guint32 *last, char **why)
{
    guint64 a = 0, b = 0;
    const char *end = NULL;
    char sep = '\0';
    if (!parse_decimal(text, &a, &end))
        goto not_a_number;
    b = a;
    if (*end == '-' || *end == ':') {
        sep = *end;
        if (!parse_decimal(end + 1, &b, &end))
            goto not_a_number;
    }
    if (*end != '\0')
        goto not_a_number;
    if (a > max) {
        *why = g_strdup_printf("\"%s\" is outside the range of table \"%s\", "
                               "0-%" G_GUINT64_FORMAT,
                text, table_name, max);
        return FALSE;
    }
    if (sep == ':') {
        if (b == 0) {
            *why = g_strdup_printf("\"%s\" is a range of no selectors", text);
            return FALSE;
        }
        /* a is at most max (32 bits) here: a + b - 1 cannot wrap. */
        b = b > max ? max + 1 : a + b - 1;
    }
    if (b > max) {
        *why = g_strdup_printf("\"%s\" ends outside the range of table \"%s\", "
                               "0-%" G_GUINT64_FORMAT,
                text, table_name, max);
        return FALSE;
    }
    if (b < a) {
        *why = g_strdup_printf("\"%s\" starts after it ends", text);
        return FALSE;
    }
    if (b - a >= FS_DECODE_AS_RANGE_MAX) {
        *why = g_strdup_printf("\"%s\" covers %" G_GUINT64_FORMAT " selectors, more than the "
                               "%d one range may cover",
                text, b - a + 1, FS_DECODE_AS_RANGE_MAX);
        return FALSE;
    }
    *first = (guint32)a;
    *last = (guint32)b;
    return TRUE;
not_a_number:
    *why = g_strdup_printf("\"%s\" is not a number or range (N, N-M, N:count)", text);
    return FALSE;
}

enum fs_status fs_epan_session_decode_as(const char *spec, char **errmsg)
{
    *errmsg = NULL;
    enum fs_status status = FS_ERR_USAGE;
    char *table_name = NULL;
    char *selector = NULL;
    const char *eq = strstr(spec, "==");
    const char *comma = eq ? strrchr(eq + 2, ',') : NULL;
    if (!eq || !comma || eq == spec || comma == eq + 2 || comma[1] == '\0') {
        *errmsg = g_strdup_printf("-d \"%s\": expected <layer>==<selector>,<protocol>, "
                                  "e.g. tcp.port==8443,tls",
                spec);
        goto out;
    }
    table_name = g_strndup(spec, (gsize)(eq - spec));
    selector = g_strndup(eq + 2, (gsize)(comma - (eq + 2)));
    const char *protocol = comma + 1;

    dissector_table_t table = find_dissector_table(table_name);
    if (!table) {
        *errmsg = g_strdup_printf("-d \"%s\": no dissector table named \"%s\"", spec, table_name);
        goto out;
    }
    struct handle_search search = { protocol, NULL };
    GSList *handles = dissector_table_get_dissector_handles(table);
    g_slist_foreach(handles, match_handle, &search);
    if (!search.found) {
        *errmsg = g_strdup_printf("-d \"%s\": \"%s\" is not a protocol that table \"%s\" can "
                                  "decode as",
                spec, protocol, table_name);
        goto out;
    }
    switch (dissector_table_get_type(table)) {
        case FT_UINT8:
        case FT_UINT16:
        case FT_UINT24:
        case FT_UINT32: {
            guint32 first = 0, last = 0;
            char *why = NULL;
            if (!parse_selector_range(selector, table_name,
                        selector_max(dissector_table_get_type(table)), &first, &last, &why)) {
                *errmsg = g_strdup_printf("-d \"%s\": %s", spec, why);
                g_free(why);
                goto out;
            }
            for (guint64 value = first; value <= last; value++)
                dissector_change_uint(table_name, (guint32)value, search.found);
            break;
        }
        case FT_STRING:
        case FT_STRINGZ:
        case FT_UINT_STRING:
        case FT_STRINGZPAD:
        case FT_STRINGZTRUNC:
            dissector_change_string(table_name, selector, search.found);
            break;
        default:
            *errmsg = g_strdup_printf("-d \"%s\": table \"%s\" does not take a number or a "
                                      "string selector",
                    spec, table_name);
            goto out;
    }
    status = FS_OK;
out:
    g_free(table_name);
    g_free(selector);
    return status;
}

const char *fs_epan_session_version(void)
{
    return epan_get_version();
}

void fs_epan_session_cleanup(void)
{
    epan_cleanup();
    wtap_cleanup();
    free_progdirs();
}

const char *fs_epan_field_value_label(const char *field, guint32 value)
{
    header_field_info *hf = proto_registrar_get_byname(field);
    if (!hf || !hf->strings || !IS_FT_UINT(hf->type))
        return NULL;
    if (hf->display & BASE_EXT_STRING)
        return try_val_to_str_ext(value, (value_string_ext *)hf->strings);
    if (hf->display & (BASE_RANGE_STRING | BASE_VAL64_STRING | BASE_CUSTOM | BASE_UNIT_STRING))
        return NULL;
    return try_val_to_str(value, (const value_string *)hf->strings);
}
