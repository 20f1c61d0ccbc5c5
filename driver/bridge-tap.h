/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The taps virtskiffd owns. For <interface type='bridge'> and a managed
 * <interface type='ethernet'> (no <target managed='no'/>), the daemon creates
 * a persistent tap before skiff starts, named by <target dev=...> or by the
 * kernel from "vnet%d" as libvirt names them; gives it the guest's MAC with
 * 0xfe as first byte (so that a bridge never takes the guest's address for
 * its own, as libvirt does), the <mtu> (or the bridge's), brings it up and,
 * for a bridge, enslaves it (SIOCBRADDIF). skiff then opens it by name like
 * any tap. It is deleted (RTM_DELLINK) when the domain stops, and when the
 * start fails. A named tap that exists already is refused: deleting it at
 * stop would take someone else's interface away.
 *
 * skiff must open these taps with IFF_MULTI_QUEUE exactly when the
 * interface has more than one queue pair (the kernel refuses a mismatch),
 * as Cloud Hypervisor does. Errors are VIRT_ERROR VIR_ERR_SYSTEM_ERROR (a
 * failed call, named with its errno) or VIR_ERR_OPERATION_FAILED.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "xml/domain-conf.h"

/* The kernel's template for the names the daemon generates. */
#define BRIDGE_TAP_NAME_TEMPLATE DOMAIN_NET_TAP_PREFIX "%d"

/* Creates the taps of def's interfaces that the daemon owns
 * (domain_net_daemon_creates_tap), fills in target_dev where it was not
 * given, and sets tap_created on each. On failure the taps created so far
 * are deleted again and def is as it was. */
int bridge_tap_prepare(domain_def *def, GError **error);

/* Deletes the taps bridge_tap_prepare() created (tap_created) and forgets
 * the names it generated. A tap that cannot be deleted is logged
 * (g_warning): the domain is gone either way. */
void bridge_tap_release(domain_def *def);

/* The steps, for tests. name: the tap's name or a template with "%d";
 * *created: the name the kernel gave it. mac may be NULL. */
int bridge_tap_create(const char *name, bool multi_queue, const char *mac, unsigned mtu,
                      char **created, GError **error);
int bridge_tap_enslave(const char *tap, const char *bridge, GError **error);
/* Deletes the tap called name; one that is already gone is not an error,
 * an interface of that name that is not a tap is. */
int bridge_tap_delete(const char *name, GError **error);
