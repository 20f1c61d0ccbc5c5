/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The i8042 keyboard controller, kept for its reset line: no keyboard, no mouse. */
#pragma once

#include <glib.h>

#include "vmm/vm.h"

typedef struct i8042 i8042;

i8042 *i8042_create(vm *vm, GError **error);
void i8042_free(i8042 *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(i8042, i8042_free)
