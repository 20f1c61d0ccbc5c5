/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cloud Hypervisor's VmConfig JSON (as in its published OpenAPI description)
 * to and from skiff's struct vm_config. Strict: unknown members, wrong types,
 * out-of-range values and configuration skiff cannot honour yet are errors
 * naming the member (SKIFF_ERROR_INVALID → 400, SKIFF_ERROR_UNSUPPORTED → 400).
 *
 * Messages start with the member's path: "cpus.boot_vcpus: must be between 1
 * and 254", "unknown member 'memory.foo'", "disks: not supported yet (only an
 * empty list is accepted)". A member given as null counts as absent, as in
 * Cloud Hypervisor.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vmm/config.h"


/* json: len bytes, not necessarily NUL-terminated. *cfg must be initialised
 * (zeroed or a valid config). On success its previous contents are freed and
 * replaced, except no_reboot (a VMM option, not part of VmConfig), which is
 * kept. On error, *cfg is left untouched. */
int vm_config_from_json(const char *json, size_t len, struct vm_config *cfg, GError **error);
/* The VmConfig as skiff runs it (defaults filled in), members in a fixed
 * order. The caller owns the node. */
JsonNode *vm_config_to_json(const struct vm_config *cfg);
/* Checks what the CLI and the API must both refuse (vCPU counts, memory size
 * and alignment, paths present): one place for both. Messages use the JSON
 * member names. */
int vm_config_validate(const struct vm_config *cfg, GError **error);
