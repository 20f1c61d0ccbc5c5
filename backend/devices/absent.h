/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Legacy I/O ports that PC guests probe at boot and skiff answers as "nothing here". */
#pragma once

#include <glib.h>

#include "vmm/vm.h"

int absent_ports_register(vm *vm, GError **error);
/* One more range answered the same way, e.g. COM1 with --serial off. owner is kept
 * (a string literal). */
int absent_port_range_register(vm *vm, uint16_t base, uint16_t len, const char *owner,
                               GError **error);
