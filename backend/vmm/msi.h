/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MSI delivery through irqfds: each message source (an MSI-X vector) gets an
 * eventfd bound to a GSI of its own, and the GSI's route carries the
 * address/data the guest programmed. Firing is a write to the eventfd from
 * any thread; KVM turns it into the message without a return to skiff.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "hv/hv.h"

typedef struct msi_router msi_router;
typedef struct vm_msi vm_msi;

msi_router *msi_router_new(const struct hv_ops *ops, hv_vm *hv_vm);
/* Every source must be freed first. */
void msi_router_free(msi_router *r);

/* A source with its GSI; its message is unset (the guest programs it before
 * it unmasks the vector). */
vm_msi *msi_router_add(msi_router *r, GError **error);
/* The guest changed the message; safe from any thread. */
void vm_msi_set(vm_msi *m, uint64_t addr, uint32_t data);
/* Deliver the message; safe from any thread. */
void vm_msi_fire(vm_msi *m);
void vm_msi_free(vm_msi *m);
