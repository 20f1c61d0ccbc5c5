/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VMM's state machine, shared by the command line and the REST API:
 * no VM → Created → Running ⇄ Paused → Shutdown → (boot again) ..., with
 * Cloud Hypervisor's transitions. Main thread only.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vmm/config.h"

enum vm_state {
    VM_STATE_NOT_CREATED,
    VM_STATE_CREATED,
    VM_STATE_RUNNING,
    VM_STATE_PAUSED,
    VM_STATE_SHUTDOWN,
};

enum controller_error_code {
    CONTROLLER_ERROR_NOT_CREATED,   /* no VM: 404 */
    CONTROLLER_ERROR_WRONG_STATE,   /* 405 */
    CONTROLLER_ERROR_INVALID,       /* a bad configuration: 400 */
    CONTROLLER_ERROR_FAILED,        /* building or booting failed: 500 */
};
GQuark controller_error_quark(void);
#define CONTROLLER_ERROR controller_error_quark()

typedef struct controller controller;

/* keep_serving: with an API socket the VMM outlives its VM (guest power-off
 * leaves it Shutdown); without, the VM's end ends skiff. quit is called when
 * skiff should exit, with its exit status. */
controller *controller_new(GMainContext *ctx, bool keep_serving,
                           void (*quit)(void *opaque, int status), void *opaque);
void controller_free(controller *c);
/* --no-reboot: applies to every VM this VMM runs, however it was created. */
void controller_set_no_reboot(controller *c, bool no_reboot);

enum vm_state controller_state(controller *c);
const char *vm_state_name(enum vm_state state);

int controller_create(controller *c, const struct vm_config *cfg, GError **error);
int controller_boot(controller *c, GError **error);
int controller_pause(controller *c, GError **error);
int controller_resume(controller *c, GError **error);
int controller_shutdown(controller *c, GError **error);
int controller_reboot(controller *c, GError **error);
int controller_power_button(controller *c, GError **error);
int controller_delete(controller *c, GError **error);
/* Tears any VM down and asks the main loop to exit with status 0. */
void controller_shutdown_vmm(controller *c);
JsonNode *controller_info(controller *c, GError **error);
JsonNode *controller_counters(controller *c, GError **error);
