/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain event callbacks (virConnectDomainEventRegisterAny over the wire):
 * clients register per event id, optionally for one domain; the domain
 * manager's events become MESSAGE packets to every matching registration.
 * Lifecycle (id 0) and reboot (id 1) are sent; the other ids are accepted
 * and simply never fire, as with libvirt drivers that lack those sources.
 */
#pragma once

#include "driver/domains.h"
#include "rpc/dispatch.h"

event_hub *event_hub_new(void);
void event_hub_free(event_hub *hub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(event_hub, event_hub_free)
/* A domain_event_fn: pass the hub as opaque. */
void event_hub_domain_event(void *hub, domain *dom, int event, int detail);
