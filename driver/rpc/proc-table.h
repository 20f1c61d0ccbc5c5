/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The procedures virtskiffd knows: number, XDR filters of the arguments and
 * the answer, and who may call them. Only data here (no handlers), so that
 * the fuzz target and the unit tests can decode every procedure's arguments
 * without the rest of the daemon.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "skiff_protocol.h"

enum {
    RPC_PROC_READONLY = 1 << 0,     /* allowed on a read-only connection */
    RPC_PROC_BEFORE_OPEN = 1 << 1,  /* allowed before CONNECT_OPEN */
    RPC_PROC_DOMAIN = 1 << 2,       /* a domain call: errors come from VIR_FROM_DOM */
};

struct rpc_proc_desc {
    int proc;
    const char *name;
    xdrproc_t args_filter;          /* NULL: no arguments */
    size_t args_size;
    xdrproc_t ret_filter;           /* NULL: an empty answer */
    size_t ret_size;
    unsigned flags;
};

/* NULL for a procedure virtskiffd does not implement. */
const struct rpc_proc_desc *rpc_proc_lookup(int proc);
const struct rpc_proc_desc *rpc_proc_table(size_t *n);
