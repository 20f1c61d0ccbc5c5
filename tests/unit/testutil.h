/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every unit test's main() does with its suite. */
#pragma once

#include <check.h>
#include <stdlib.h>

/* Runs the suite (forking per test unless CK_FORK=no) and gives main()'s status. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
