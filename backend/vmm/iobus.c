/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Address ranges → device handlers. Ranges are registered before the vCPUs
 * start and only read afterwards, so dispatch takes no lock; the devices lock
 * their own state. (Hotplug will need a swap of the whole table.)
 */
#include "vmm/iobus.h"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "vmm/error.h"
#include "vmm/log.h"

struct io_range {
    uint64_t base;
    uint64_t len;
    const char *owner;
    io_handler_fn fn;
    void *opaque;
};

struct iobus {
    char *name;
    GArray *ranges;   /* struct io_range, sorted by base, disjoint */
};

iobus *iobus_new(const char *name)
{
    iobus *bus = g_new0(iobus, 1);

    bus->name = g_strdup(name);
    bus->ranges = g_array_new(FALSE, FALSE, sizeof(struct io_range));
    return bus;
}

void iobus_free(iobus *bus)
{
    if (!bus)
        return;
    g_array_unref(bus->ranges);
    g_free(bus->name);
    g_free(bus);
}

int iobus_register(iobus *bus, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                   void *opaque, GError **error)
{
    struct io_range r = { .base = base, .len = len, .owner = owner, .fn = fn, .opaque = opaque };
    guint i;

    if (len == 0 || base + len - 1 < base) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s: invalid %s range 0x%" PRIx64 "+0x%" PRIx64 ""),
                    owner, bus->name, base, len);
        return -1;
    }
    for (i = 0; i < bus->ranges->len; i++) {
        const struct io_range *o = &g_array_index(bus->ranges, struct io_range, i);

        if (base <= o->base + o->len - 1 && o->base <= base + len - 1) {
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS,
                        _("%s: %s range 0x%" PRIx64 "+0x%" PRIx64
                          " overlaps %s"), owner, bus->name, base, len, o->owner);
            return -1;
        }
        if (o->base > base)
            break;
    }
    g_array_insert_val(bus->ranges, i, r);
    return 0;
}

static const struct io_range *lookup(const iobus *bus, uint64_t addr)
{
    guint lo = 0;
    guint hi = bus->ranges->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const struct io_range *r = &g_array_index(bus->ranges, struct io_range, mid);

        if (addr < r->base)
            hi = mid;
        else if (addr - r->base >= r->len)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

bool iobus_dispatch(iobus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
    const struct io_range *r = lookup(bus, addr);

    /* An access straddling the end of a range is not the device's to answer. */
    if (!r || len == 0 || len > r->len - (addr - r->base))
        return false;
    return r->fn(r->opaque, addr - r->base, data, len, is_write);
}
