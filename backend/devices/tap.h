/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tap devices for virtio-net: one descriptor per queue pair, opened by name
 * (the tap is created when no interface has that name) or inherited and
 * checked; offloads, queue attachment, and the host side's address.
 */
#pragma once

#include <glib.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>

#define TAP_MAX_QUEUES 8
#define TAP_VNET_HDR_LEN 12      /* struct virtio_net_hdr_v1, num_buffers included */

struct tap {
    char name[IFNAMSIZ];
    int fds[TAP_MAX_QUEUES];     /* non-blocking, close-on-exec */
    unsigned n_fds;
    bool created;                /* skiff created it: it goes with the last descriptor */
    bool vnet_hdr;               /* frames carry a TAP_VNET_HDR_LEN-byte header */
    unsigned offloads;           /* TUN_F_* TUNSETOFFLOAD accepts; 0 without vnet_hdr */
};

/* Fills t with no descriptors, so that tap_close() is safe. */
void tap_init(struct tap *t);
/*
 * Opens n queues (IFF_MULTI_QUEUE when n > 1) of the tap name with
 * IFF_NO_PI and IFF_VNET_HDR, creating a non-persistent tap when no
 * interface has that name. An interface of that name that is not a tap, or
 * a tap in use without multi-queue, is an error.
 */
int tap_open(struct tap *t, const char *name, unsigned n, GError **error);
/* Checks that the inherited fds are queues of one tap (IFF_TAP, IFF_NO_PI,
 * IFF_MULTI_QUEUE when n > 1) and keeps copies of them. */
int tap_adopt(struct tap *t, const int *fds, unsigned n, GError **error);
/* Closes the descriptors: a tap skiff created vanishes with the last one. */
void tap_close(struct tap *t);

/* TUN_F_* for packets the tap hands to skiff; 0 turns every offload off. */
int tap_set_offload(const struct tap *t, unsigned tun_flags, GError **error);
/* Attaches (on) or detaches queue i of a multi-queue tap: a detached queue
 * gets no frames and the kernel spreads them over the others. */
int tap_set_queue_enabled(const struct tap *t, unsigned i, bool on, GError **error);

/* The host side, through an AF_INET socket: MTU, IPv4 address and netmask, link up. */
int tap_set_mtu(const struct tap *t, unsigned mtu, GError **error);
int tap_set_address(const struct tap *t, const char *ip, const char *mask, GError **error);
int tap_set_up(const struct tap *t, GError **error);
