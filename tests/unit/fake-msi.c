/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MSI sources for tests and benchmarks that fake the VM: the message the
 * guest programmed is handed to fake_msi_delivered(), which each of them
 * defines (counting it, or waking a waiter as KVM's irqfd would).
 */
#include <glib.h>

#include "vmm/msi.h"
#include "vmm/vm.h"

void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data);

struct vm_msi {
    vm *v;
    uint64_t addr;
    uint32_t data;
};

vm_msi *vm_msi_new(vm *v, GError **error)
{
    vm_msi *m = g_new0(vm_msi, 1);

    m->v = v;
    return m;
}

void vm_msi_set(vm_msi *m, uint64_t addr, uint32_t data)
{
    m->addr = addr;
    m->data = data;
}

void vm_msi_fire(vm_msi *m)
{
    fake_msi_delivered(m->v, m->addr, m->data);
}

void vm_msi_free(vm_msi *m)
{
    g_free(m);
}
