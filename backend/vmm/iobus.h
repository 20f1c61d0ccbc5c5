/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the registered base. Return false to reject the access
 * (skiff then reports an unsupported guest access and stops the VM). */
typedef bool (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                              bool is_write);

typedef struct iobus iobus;

iobus *iobus_new(const char *name);
void iobus_free(iobus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(iobus, iobus_free)
/* Fails on an overlap with an existing range. */
int iobus_register(iobus *bus, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                   void *opaque, GError **error);
/* False if no range covers [addr, addr+len) or its handler rejected the access. */
bool iobus_dispatch(iobus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);
