/* test_status.c: unit tests of extractor/status.h, the status protocol of
 * workers (a status becomes an exit code and back), the documented exit
 * codes, which status wins when captures end differently, and the signal
 * names of interrupt.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "interrupt.h"
#include "status.h"

/* The table of README.md "Exit status" and flowshark(1). */
static void exit_codes_are_the_documented_ones(void **state)
{
    (void)state;
    static const struct {
        enum fs_status status;
        int code;
    } table[] = {
        { FS_OK, 0 },
        { FS_ERR_USAGE, 1 },
        { FS_ERR_TRUNCATED, 2 },
        { FS_ERR_OPEN, 3 },
        { FS_ERR_FILTER, 4 },
        { FS_ERR_FIELD, 5 },
        { FS_ERR_OUTPUT, 6 },
        { FS_ERR_INIT, 7 },
        { FS_ERR_INTERRUPTED, 8 },
        { FS_ERR_WORKER, 9 },
        { FS_ERR_VERIFY, 10 },
    };
    assert_int_equal(G_N_ELEMENTS(table), FS_STATUS_LAST + 1);
    for (guint i = 0; i < G_N_ELEMENTS(table); i++)
        assert_int_equal(fs_status_exit_code(table[i].status), table[i].code);
}

/* A worker's exit code reads back as its status; codes no status has (a
 * crash in a library calling exit(), 127 from a failed exec) are a dead
 * worker. */
static void exit_code_round_trip(void **state)
{
    (void)state;
    for (int s = FS_OK; s <= FS_STATUS_LAST; s++)
        assert_int_equal(fs_status_from_exit_code(fs_status_exit_code((enum fs_status)s)), s);
    assert_int_equal(fs_status_from_exit_code(11), FS_ERR_WORKER);
    assert_int_equal(fs_status_from_exit_code(127), FS_ERR_WORKER);
    assert_int_equal(fs_status_from_exit_code(255), FS_ERR_WORKER);
}

static void every_status_has_a_name(void **state)
{
    (void)state;
    for (int s = FS_OK; s <= FS_STATUS_LAST; s++)
        assert_string_not_equal(fs_status_str((enum fs_status)s), "unknown status");
    assert_string_equal(fs_status_str(FS_ERR_OUTPUT), "output could not be written");
}

/* Several captures: an error beats success and a cut capture; an output
 * error beats everything (nothing more can be written); an interruption
 * beats the other errors (the run was stopped on purpose). */
static void worst_status(void **state)
{
    (void)state;
    assert_int_equal(fs_status_worst(FS_OK, FS_OK), FS_OK);
    assert_int_equal(fs_status_worst(FS_OK, FS_ERR_TRUNCATED), FS_ERR_TRUNCATED);
    assert_int_equal(fs_status_worst(FS_ERR_TRUNCATED, FS_ERR_OPEN), FS_ERR_OPEN);
    assert_int_equal(fs_status_worst(FS_ERR_OPEN, FS_ERR_TRUNCATED), FS_ERR_OPEN);
    assert_int_equal(fs_status_worst(FS_ERR_OPEN, FS_ERR_WORKER), FS_ERR_OPEN);
    assert_int_equal(fs_status_worst(FS_ERR_OPEN, FS_ERR_INTERRUPTED), FS_ERR_INTERRUPTED);
    assert_int_equal(fs_status_worst(FS_ERR_INTERRUPTED, FS_ERR_OUTPUT), FS_ERR_OUTPUT);
    assert_int_equal(fs_status_worst(FS_ERR_OUTPUT, FS_ERR_INTERRUPTED), FS_ERR_OUTPUT);
}

static void signal_names(void **state)
{
    (void)state;
    assert_string_equal(fs_interrupt_signal_name(SIGINT), "SIGINT");
    assert_string_equal(fs_interrupt_signal_name(SIGTERM), "SIGTERM");
    assert_string_equal(fs_interrupt_signal_name(SIGKILL), "SIGKILL");
    assert_string_equal(fs_interrupt_signal_name(SIGSEGV), "SIGSEGV");
    assert_string_equal(fs_interrupt_signal_name(0), "signal 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_codes_are_the_documented_ones),
        cmocka_unit_test(exit_code_round_trip),
        cmocka_unit_test(every_status_has_a_name),
        cmocka_unit_test(worst_status),
        cmocka_unit_test(signal_names),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
