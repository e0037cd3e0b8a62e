/* test_hosts.c: unit tests of botnet/hosts.c: addresses ordered as
 * numbers (IPv4 before IPv6, text that is no address last) and address
 * ranges (CIDR prefixes and bare addresses, IPv4 and IPv6) matched and
 * refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "hosts.h"

static void addresses_sort_as_numbers(void **state)
{
    (void)state;
    /* As text "10.0.0.1" < "9.0.0.1"; as numbers the other way. */
    assert_true(fs_host_compare("9.0.0.1", "10.0.0.1") < 0);
    assert_true(fs_host_compare("10.0.0.1", "::1") < 0);
    assert_true(fs_host_compare("9.0.0.1", "::1") < 0);
    assert_true(fs_host_compare("::1", "10.0.0.1") > 0);
    assert_true(fs_host_compare("10.0.0.1", "10.0.0.1") == 0);
    assert_true(fs_host_compare("fe80::1", "2001:db8::1") > 0);
    /* Text that is no address comes last. */
    assert_true(fs_host_compare("::1", "not-an-address") < 0);
    struct fs_host_key key;
    assert_true(fs_host_key_parse("10.1.2.3", &key));
    assert_int_equal(key.family, 4);
    assert_int_equal(key.bytes[0], 10);
    assert_int_equal(key.bytes[3], 3);
    assert_int_equal(key.bytes[4], 0);
    assert_false(fs_host_key_parse("10.1.2", &key));
}

static void ranges_match(void **state)
{
    (void)state;
    char *why = NULL;
    fs_host_ranges *r = fs_host_ranges_parse(FS_HOST_INTERNAL_DEFAULT, &why);
    assert_non_null(r);
    assert_int_equal(fs_host_ranges_size(r), 4);
    assert_true(fs_host_ranges_match(r, "10.1.2.3"));
    assert_true(fs_host_ranges_match(r, "172.31.255.255"));
    assert_true(fs_host_ranges_match(r, "fc00::1"));
    assert_true(fs_host_ranges_match(r, "fd12::9"));
    assert_false(fs_host_ranges_match(r, "11.0.0.1"));
    assert_false(fs_host_ranges_match(r, "172.32.0.1"));
    assert_false(fs_host_ranges_match(r, "fe80::1"));
    assert_false(fs_host_ranges_match(r, "not-an-address"));
    fs_host_ranges_free(r);
    /* A bare address, spaces around items, empty items. */
    r = fs_host_ranges_parse(" 192.0.2.1 ,,2001:db8::/32", &why);
    assert_non_null(r);
    assert_int_equal(fs_host_ranges_size(r), 2);
    assert_true(fs_host_ranges_match(r, "192.0.2.1"));
    assert_false(fs_host_ranges_match(r, "192.0.2.2"));
    assert_true(fs_host_ranges_match(r, "2001:db8::42"));
    fs_host_ranges_free(r);
    /* The empty list matches nothing. */
    r = fs_host_ranges_parse("", &why);
    assert_int_equal(fs_host_ranges_size(r), 0);
    assert_false(fs_host_ranges_match(r, "10.0.0.1"));
    fs_host_ranges_free(r);
    fs_host_ranges_free(NULL);
}

static void bad_ranges_refused(void **state)
{
    (void)state;
    const char *bad[] = { "10.0.0.0/33", "example.org", "10.0.0.0/8,nope", "::1/129" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *why = NULL;
        assert_null(fs_host_ranges_parse(bad[i], &why));
        assert_non_null(why);
        g_free(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_sort_as_numbers),
        cmocka_unit_test(ranges_match),
        cmocka_unit_test(bad_ranges_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
