/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cloud Hypervisor's VmConfig JSON (as in its published OpenAPI description)
 * to and from skiff's struct vm_config. Strict: unknown members, wrong types,
 * out-of-range values and configuration skiff cannot honour yet are errors
 * naming the member (SKIFF_ERROR_INVALID → 400, SKIFF_ERROR_UNSUPPORTED → 400).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vmm/config.h"

/* On error, *cfg is left untouched. */
int vm_config_from_json(const char *json, size_t len, struct vm_config *cfg, GError **error);
/* The VmConfig as skiff runs it (defaults filled in). */
JsonNode *vm_config_to_json(const struct vm_config *cfg);
/* Checks what the CLI and the API must both refuse (vCPU counts, memory size
 * and alignment, paths present): one place for both. */
int vm_config_validate(const struct vm_config *cfg, GError **error);
void vm_config_copy(struct vm_config *dst, const struct vm_config *src);
