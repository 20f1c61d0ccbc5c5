/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vmm/config.h"

/* "rng", "disks" and "net" of a VmConfig object into cfg; ids assigned after. */
int vmconfig_parse_devices(JsonObject *root, struct vm_config *cfg, GError **error);
void vmconfig_add_devices(JsonBuilder *b, const struct vm_config *cfg);
