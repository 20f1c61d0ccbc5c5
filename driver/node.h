/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host as libvirt clients see it in virNodeInfo (NODE_GET_INFO), read
 * from /proc and /sys. (The capabilities XML is xml/capabilities.h.)
 */
#pragma once

#include <glib.h>
#include <stdint.h>

struct node_info {
    char model[32];                /* the architecture, "x86_64" */
    uint64_t memory_kib;
    int cpus;                      /* online */
    int mhz;
    int nodes;                     /* NUMA nodes */
    int sockets;                   /* per node */
    int cores;                     /* per socket */
    int threads;                   /* per core */
};

/* Never fails: what cannot be read gets libvirt's fallback (one node, one
 * socket, every CPU a core). */
void node_get_info(struct node_info *info);

