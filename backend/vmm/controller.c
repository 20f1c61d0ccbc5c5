/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/controller.h"

#include <glib/gi18n.h>
#include <string.h>

#include "api/vmconfig-json.h"
#include "vmm/events.h"
#include "vmm/log.h"
#include "vmm/vmm.h"

/* skiff's exit statuses when the VM's end ends skiff (no API socket). */
enum {
    EXIT_POWEROFF = 0,
    EXIT_ERROR = 1,
    EXIT_RESET = 2,
};

struct controller {
    GMainContext *ctx;
    bool keep_serving;
    bool no_reboot;
    void (*quit)(void *opaque, int status);
    void *quit_opaque;
    enum vm_state state;
    struct vm_config cfg;      /* valid unless NOT_CREATED */
    struct vm_persist persist;
    vm *vm;                    /* Running or Paused only */
};

G_DEFINE_QUARK(skiff-controller-error-quark, controller_error)

const char *vm_state_name(enum vm_state state)
{
    static const char *const names[] = {
        [VM_STATE_NOT_CREATED] = "NotCreated", [VM_STATE_CREATED] = "Created",
        [VM_STATE_RUNNING] = "Running", [VM_STATE_PAUSED] = "Paused",
        [VM_STATE_SHUTDOWN] = "Shutdown",
    };

    return names[state];
}

controller *controller_new(GMainContext *ctx, bool keep_serving,
                           void (*quit)(void *opaque, int status), void *opaque)
{
    controller *c = g_new0(controller, 1);

    c->ctx = g_main_context_ref(ctx);
    c->keep_serving = keep_serving;
    c->quit = quit;
    c->quit_opaque = opaque;
    return c;
}

static void teardown(controller *c)
{
    vm_destroy(g_steal_pointer(&c->vm));
}

void controller_free(controller *c)
{
    if (!c)
        return;
    teardown(c);
    vm_persist_clear(&c->persist);
    vm_config_clear(&c->cfg);
    g_main_context_unref(c->ctx);
    g_free(c);
}

void controller_set_no_reboot(controller *c, bool no_reboot)
{
    c->no_reboot = no_reboot;
}

enum vm_state controller_state(controller *c)
{
    return c->state;
}

/* The request is not possible in this state: 404 without a VM, else 405. */
static int refuse(controller *c, const char *request, GError **error)
{
    if (c->state == VM_STATE_NOT_CREATED)
        g_set_error(error, CONTROLLER_ERROR, CONTROLLER_ERROR_NOT_CREATED,
                    _("%s: there is no VM (create one with vm.create)"), request);
    else
        g_set_error(error, CONTROLLER_ERROR, CONTROLLER_ERROR_WRONG_STATE,
                    _("%s: not possible while the VM is %s"), request, vm_state_name(c->state));
    return -1;
}

static void on_vm_stopped(void *opaque, enum vm_stop_reason reason);

/* Files a lower layer's error under the controller's code for it. */
static int fail_as(GError **error, enum controller_error_code code)
{
    if (error && *error) {
        (*error)->domain = CONTROLLER_ERROR;
        (*error)->code = code;
    }
    return -1;
}

/* Builds and starts the VM from the stored config: Running, or unchanged on error. */
static int start_vm(controller *c, GError **error)
{
    c->vm = vm_new(&c->cfg, &c->persist, c->ctx, on_vm_stopped, c, error);
    if (!c->vm || vm_start(c->vm, error) < 0) {
        teardown(c);
        return fail_as(error, CONTROLLER_ERROR_FAILED);
    }
    c->state = VM_STATE_RUNNING;
    return 0;
}

/* The VM's end, when nobody asked through the API. */
static void vm_ended(controller *c, int status)
{
    teardown(c);
    c->state = VM_STATE_SHUTDOWN;
    event_emit("vm", "shutdown", NULL);
    if (!c->keep_serving)
        c->quit(c->quit_opaque, status);
}

static void on_vm_stopped(void *opaque, enum vm_stop_reason reason)
{
    controller *c = opaque;
    g_autoptr(GError) error = NULL;
    g_autofree char *crash = NULL;

    switch (reason) {
    case VM_STOP_POWEROFF:
        event_emit("guest", "shutdown", NULL);
        vm_ended(c, EXIT_POWEROFF);
        return;
    case VM_STOP_RESET:
        event_emit("guest", "reset", NULL);
        if (c->cfg.no_reboot) {
            log_notice(_("guest reset and --no-reboot given: the VM stays off"));
            vm_ended(c, EXIT_RESET);
            return;
        }
        log_info(_("guest reset: restarting the VM"));
        event_emit("vm", "rebooting", NULL);
        teardown(c);
        if (start_vm(c, &error) < 0) {
            log_error("%s", error->message);
            vm_ended(c, EXIT_ERROR);
            return;
        }
        event_emit("vm", "rebooted", NULL);
        return;
    case VM_STOP_ERROR:
    case VM_STOP_NONE:
    case VM_STOP_HOST:
        crash = g_strdup(vm_crash_reason(c->vm) ? vm_crash_reason(c->vm) : "host failure");
        event_emit("guest", "panic", "reason", crash, NULL);
        vm_ended(c, EXIT_ERROR);
        return;
    }
}

int controller_create(controller *c, const struct vm_config *cfg, GError **error)
{
    if (c->state != VM_STATE_NOT_CREATED)
        return refuse(c, "vm.create", error);
    if (vm_config_validate(cfg, error) < 0)
        return fail_as(error, CONTROLLER_ERROR_INVALID);
    vm_config_copy(&c->cfg, cfg);
    c->cfg.no_reboot = c->cfg.no_reboot || c->no_reboot;
    c->state = VM_STATE_CREATED;
    event_emit("vm", "created", NULL);
    return 0;
}

int controller_boot(controller *c, GError **error)
{
    if (c->state != VM_STATE_CREATED && c->state != VM_STATE_SHUTDOWN)
        return refuse(c, "vm.boot", error);
    event_emit("vm", "booting", NULL);
    if (start_vm(c, error) < 0)
        return -1;
    event_emit("vm", "booted", NULL);
    return 0;
}

int controller_pause(controller *c, GError **error)
{
    if (c->state != VM_STATE_RUNNING)
        return refuse(c, "vm.pause", error);
    event_emit("vm", "pausing", NULL);
    if (vm_pause(c->vm, error) < 0)
        return fail_as(error, CONTROLLER_ERROR_FAILED);
    c->state = VM_STATE_PAUSED;
    event_emit("vm", "paused", NULL);
    return 0;
}

int controller_resume(controller *c, GError **error)
{
    if (c->state != VM_STATE_PAUSED)
        return refuse(c, "vm.resume", error);
    event_emit("vm", "resuming", NULL);
    vm_resume(c->vm);
    c->state = VM_STATE_RUNNING;
    event_emit("vm", "resumed", NULL);
    return 0;
}

int controller_shutdown(controller *c, GError **error)
{
    if (c->state != VM_STATE_RUNNING && c->state != VM_STATE_PAUSED)
        return refuse(c, "vm.shutdown", error);
    teardown(c);
    c->state = VM_STATE_SHUTDOWN;
    event_emit("vm", "shutdown", NULL);
    return 0;
}

int controller_reboot(controller *c, GError **error)
{
    if (c->state != VM_STATE_RUNNING && c->state != VM_STATE_PAUSED)
        return refuse(c, "vm.reboot", error);
    event_emit("vm", "rebooting", NULL);
    teardown(c);
    if (start_vm(c, error) < 0) {
        c->state = VM_STATE_SHUTDOWN;
        event_emit("vm", "shutdown", NULL);
        return -1;
    }
    event_emit("vm", "rebooted", NULL);
    return 0;
}

int controller_power_button(controller *c, GError **error)
{
    if (c->state != VM_STATE_RUNNING)
        return refuse(c, "vm.power-button", error);
    vm_power_button(c->vm);
    event_emit("vm", "power-button", NULL);
    return 0;
}

int controller_delete(controller *c, GError **error)
{
    if (c->state == VM_STATE_NOT_CREATED)
        return 0;
    teardown(c);
    vm_config_clear(&c->cfg);
    vm_persist_clear(&c->persist);
    c->state = VM_STATE_NOT_CREATED;
    event_emit("vm", "deleted", NULL);
    return 0;
}

void controller_shutdown_vmm(controller *c)
{
    teardown(c);
    if (c->state == VM_STATE_RUNNING || c->state == VM_STATE_PAUSED)
        c->state = VM_STATE_SHUTDOWN;
    c->quit(c->quit_opaque, EXIT_POWEROFF);
}

/* The config, with the pty's path as serial.file while the VM runs — where
 * Cloud Hypervisor reports it, so that management tools find it. */
static JsonNode *config_with_live_paths(controller *c)
{
    JsonNode *cfg = vm_config_to_json(&c->cfg);
    JsonObject *root = json_node_get_object(cfg);
    const char *pty = c->vm ? vm_serial_pty_path(c->vm) : NULL;
    JsonObject *o;

    if (pty && (o = json_object_get_object_member(root, "serial")))
        json_object_set_string_member(o, "file", pty);
    pty = c->vm ? vm_console_pty_path(c->vm) : NULL;
    if (pty && (o = json_object_get_object_member(root, "console")))
        json_object_set_string_member(o, "file", pty);
    return cfg;
}

JsonNode *controller_info(controller *c, GError **error)
{
    g_autoptr(JsonBuilder) b = NULL;

    if (c->state == VM_STATE_NOT_CREATED) {
        refuse(c, "vm.info", error);
        return NULL;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "config");
    json_builder_add_value(b, config_with_live_paths(c));
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, vm_state_name(c->state));
    json_builder_set_member_name(b, "memory_actual_size");
    json_builder_add_int_value(b, (gint64)c->cfg.memory_size);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *controller_counters(controller *c, GError **error)
{
    JsonNode *empty;

    if (c->state == VM_STATE_NOT_CREATED) {
        refuse(c, "vm.counters", error);
        return NULL;
    }
    if (c->vm)
        return vm_counters(c->vm);
    empty = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(empty, json_object_new());
    return empty;
}
