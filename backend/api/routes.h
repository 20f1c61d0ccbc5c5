/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The REST endpoints: Cloud Hypervisor's names, served by the controller. */
#pragma once

#include <stddef.h>

#include "api/server.h"
#include "vmm/controller.h"

struct api_context {
    controller *controller;
    api_server *server;     /* set once the server exists */
};

const api_route *api_routes(size_t *n);
