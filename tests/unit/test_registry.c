/* test_registry.c: unit tests of fields/registry.h (the -e fields resolved
 * against epan's field registry), with libwireshark initialised once for
 * the whole group, as flowshark does it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <glib.h>
#include <epan/proto.h>

#include "epan_session.h"
#include "support.h"
#include "registry.h"

/* ---- each test: an empty registry and a message slot ---- */

struct registry_state {
    fs_field_registry *reg;
    char *errmsg;
    char *suggestion;
};

static int setup_registry(void **state)
{
    struct registry_state *s = g_new0(struct registry_state, 1);
    s->reg = fs_field_registry_new();
    *state = s;
    return 0;
}

static int teardown_registry(void **state)
{
    struct registry_state *s = *state;
    fs_field_registry_free(s->reg);
    g_free(s->errmsg);
    g_free(s->suggestion);
    g_free(s);
    return 0;
}

#define REGISTRY_TEST(f) cmocka_unit_test_setup_teardown(f, setup_registry, teardown_registry)

static int hfid_at(const fs_field_registry *reg, guint i)
{
    return g_array_index(fs_field_registry_hfids(reg), int, i);
}

/* ---- adding fields ---- */

static void add_known_field(void **state)
{
    struct registry_state *s = *state;
    assert_int_equal(fs_field_registry_count(s->reg), 0);
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_null(s->errmsg);
    assert_int_equal(fs_field_registry_count(s->reg), 1);
    assert_string_equal(fs_field_registry_name(s->reg, 0), "dns.qry.name");
    assert_int_equal(fs_field_registry_hfids(s->reg)->len, 1);
    assert_int_equal(hfid_at(s->reg, 0), proto_registrar_get_byname("dns.qry.name")->id);
}

static void add_keeps_order(void **state)
{
    struct registry_state *s = *state;
    assert_true(fs_field_registry_add(s->reg, "tls.handshake.extensions_server_name", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "tls.handshake.ciphersuite", &s->errmsg));
    assert_int_equal(fs_field_registry_count(s->reg), 3);
    assert_string_equal(fs_field_registry_name(s->reg, 0), "tls.handshake.extensions_server_name");
    assert_string_equal(fs_field_registry_name(s->reg, 1), "dns.qry.name");
    assert_string_equal(fs_field_registry_name(s->reg, 2), "tls.handshake.ciphersuite");
}

static void add_duplicate_kept_once(void **state)
{
    struct registry_state *s = *state;
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "ip.src", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_null(s->errmsg);
    assert_int_equal(fs_field_registry_count(s->reg), 2);
    assert_string_equal(fs_field_registry_name(s->reg, 0), "dns.qry.name");
    assert_string_equal(fs_field_registry_name(s->reg, 1), "ip.src");
    assert_int_equal(fs_field_registry_hfids(s->reg)->len, 2);
}

static void same_name_registrations(void **state)
{
    struct registry_state *s = *state;
    /* Wireshark 4.0 registers ip.version twice (two hf entries, one name). */
    assert_true(fs_field_registry_add(s->reg, "ip.version", &s->errmsg));
    const GArray *hfids = fs_field_registry_hfids(s->reg);
    assert_int_equal(fs_field_registry_count(s->reg), 1);
    assert_int_equal(hfids->len, 2);
    assert_int_not_equal(hfid_at(s->reg, 0), hfid_at(s->reg, 1));
    assert_string_equal(proto_registrar_get_nth((guint)hfid_at(s->reg, 0))->abbrev, "ip.version");
    assert_string_equal(proto_registrar_get_nth((guint)hfid_at(s->reg, 1))->abbrev, "ip.version");
    /* The chain is complete: it starts at its head and ends at its tail. */
    assert_int_equal(proto_registrar_get_nth((guint)hfid_at(s->reg, 0))->same_name_prev_id, -1);
    assert_null(proto_registrar_get_nth((guint)hfid_at(s->reg, 1))->same_name_next);

    /* dns.qry.class, too (the mDNS variant); the ids add up. */
    assert_true(fs_field_registry_add(s->reg, "dns.qry.class", &s->errmsg));
    assert_int_equal(fs_field_registry_count(s->reg), 2);
    assert_int_equal(fs_field_registry_hfids(s->reg)->len, 4);
    assert_string_equal(
            proto_registrar_get_nth((guint)hfid_at(s->reg, 2))->abbrev, "dns.qry.class");
    assert_string_equal(
            proto_registrar_get_nth((guint)hfid_at(s->reg, 3))->abbrev, "dns.qry.class");
}

/* ---- unknown fields ---- */

static void unknown_field_suggests_plural(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_add(s->reg, "tls.handshake.extension_server_name", &s->errmsg));
    assert_non_null(s->errmsg);
    /* Nearest first (1 edit), then the farther ones. */
    assert_true(g_str_has_prefix(s->errmsg,
            "\"tls.handshake.extension_server_name\" is not a valid field; did you mean: "
            "tls.handshake.extensions_server_name, "));
    assert_true(g_str_has_suffix(s->errmsg, "?"));
    assert_int_equal(fs_field_registry_count(s->reg), 0);
    assert_int_equal(fs_field_registry_hfids(s->reg)->len, 0);
}

static void unknown_field_suggests_completion(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_add(s->reg, "dns.qry.nam", &s->errmsg));
    assert_string_equal(
            s->errmsg, "\"dns.qry.nam\" is not a valid field; did you mean: dns.qry.name?");
}

static void unknown_field_without_suggestion(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_add(s->reg, "zzzzzzzzzzzzzzzzzzzzzzzz", &s->errmsg));
    assert_string_equal(s->errmsg, "\"zzzzzzzzzzzzzzzzzzzzzzzz\" is not a valid field");
}

static void old_ssl_name_is_unknown(void **state)
{
    struct registry_state *s = *state;
    /* Filters still take "ssl", field names do not: tls is suggested. */
    assert_false(fs_field_registry_add(s->reg, "ssl.handshake.ciphersuite", &s->errmsg));
    assert_true(g_str_has_prefix(
            s->errmsg, "\"ssl.handshake.ciphersuite\" is not a valid field; did you mean: "));
    assert_non_null(strstr(s->errmsg, "tls.handshake.ciphersuite"));
}

static void column_name(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_add(s->reg, "_ws.col.Protocol", &s->errmsg));
    assert_string_equal(s->errmsg, "\"_ws.col.Protocol\" is a column, and columns are not "
                                   "supported as fields (use the field it shows, e.g. "
                                   "frame.protocols)");
    g_free(s->errmsg);
    s->errmsg = NULL;
    assert_false(fs_field_registry_add(s->reg, "_ws.col.Info", &s->errmsg));
    assert_true(g_str_has_prefix(s->errmsg, "\"_ws.col.Info\" is a column, and columns are not "));
    assert_int_equal(fs_field_registry_count(s->reg), 0);
}

static void failed_add_then_good_add(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_add(s->reg, "dns.qry.nam", &s->errmsg));
    g_free(s->errmsg);
    s->errmsg = NULL;
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_null(s->errmsg);
    assert_int_equal(fs_field_registry_count(s->reg), 1);
    assert_string_equal(fs_field_registry_name(s->reg, 0), "dns.qry.name");
}

/* ---- fs_field_registry_suggest ---- */

static void suggest_limits_count(void **state)
{
    struct registry_state *s = *state;
    s->suggestion = fs_field_registry_suggest("tls.handshake.extension_server_name", 1);
    assert_string_equal(s->suggestion, "tls.handshake.extensions_server_name");
}

static void suggest_several(void **state)
{
    struct registry_state *s = *state;
    s->suggestion = fs_field_registry_suggest("tls.handshake.extension_server_name", 2);
    /* Nearest first: the DTLS field is 2 edits away. */
    assert_string_equal(s->suggestion,
            "tls.handshake.extensions_server_name, dtls.handshake.extensions_server_name");
}

static void suggest_protocol_name(void **state)
{
    struct registry_state *s = *state;
    s->suggestion = fs_field_registry_suggest("dnss", 1);
    assert_string_equal(s->suggestion, "dns");
}

static void suggest_nothing_close(void **state)
{
    struct registry_state *s = *state;
    s->suggestion = fs_field_registry_suggest("zzzzzzzzzzzzzzzzzzzzzzzz", 5);
    assert_null(s->suggestion);
}

/* ---- tree ---- */

static void ordinary_fields_need_no_visible_tree(void **state)
{
    struct registry_state *s = *state;
    assert_false(fs_field_registry_needs_visible_tree(s->reg));
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "tls.handshake.ciphersuite", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "ip.version", &s->errmsg));
    assert_false(fs_field_registry_needs_visible_tree(s->reg));
}

static void protocol_field_needs_visible_tree(void **state)
{
    struct registry_state *s = *state;
    assert_true(fs_field_registry_add(s->reg, "dns.qry.name", &s->errmsg));
    assert_true(fs_field_registry_add(s->reg, "tls", &s->errmsg));
    assert_true(fs_field_registry_needs_visible_tree(s->reg));
    assert_int_equal(fs_field_registry_count(s->reg), 2);
}

int main(int argc, char **argv)
{
    (void)argc;
    fs_test_set_argv0(argv[0]);
    const struct CMUnitTest tests[] = {
        REGISTRY_TEST(add_known_field),
        REGISTRY_TEST(add_keeps_order),
        REGISTRY_TEST(add_duplicate_kept_once),
        REGISTRY_TEST(same_name_registrations),
        REGISTRY_TEST(unknown_field_suggests_plural),
        REGISTRY_TEST(unknown_field_suggests_completion),
        REGISTRY_TEST(unknown_field_without_suggestion),
        REGISTRY_TEST(old_ssl_name_is_unknown),
        REGISTRY_TEST(column_name),
        REGISTRY_TEST(failed_add_then_good_add),
        REGISTRY_TEST(suggest_limits_count),
        REGISTRY_TEST(suggest_several),
        REGISTRY_TEST(suggest_protocol_name),
        REGISTRY_TEST(suggest_nothing_close),
        REGISTRY_TEST(ordinary_fields_need_no_visible_tree),
        REGISTRY_TEST(protocol_field_needs_visible_tree),
    };
    return cmocka_run_group_tests_name(
            "registry", tests, fs_test_setup_epan, fs_test_teardown_epan);
}
