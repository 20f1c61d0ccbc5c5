/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* skiff's own GError domain for errors that are not a syscall's errno. */
#pragma once

#include <glib.h>

enum skiff_error_code {
    SKIFF_ERROR_FAILED,
    SKIFF_ERROR_INVALID,       /* bad input: an argument, a file's contents, a range */
    SKIFF_ERROR_EXISTS,        /* conflicts with something already there */
    SKIFF_ERROR_UNSUPPORTED,   /* valid, but skiff does not do it */
};

GQuark skiff_error_quark(void);
#define SKIFF_ERROR skiff_error_quark()
