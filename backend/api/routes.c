/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "api/routes.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "api/vmconfig-json.h"
#include "vmm/error.h"

static unsigned status_for(const GError *error)
{
    if (error->domain != CONTROLLER_ERROR)
        return 400;
    switch ((enum controller_error_code)error->code) {
    case CONTROLLER_ERROR_NOT_CREATED: return 404;
    case CONTROLLER_ERROR_WRONG_STATE: return 405;
    case CONTROLLER_ERROR_INVALID: return 400;
    case CONTROLLER_ERROR_FAILED: return 500;
    }
    return 500;
}

/* 204, or the error with the VM's state and what was asked. */
static void answer(struct api_context *ctx, const char *request, int rc, GError *error,
                   api_response *resp)
{
    if (rc == 0) {
        resp->status = 204;
        return;
    }
    api_response_error(resp, status_for(error), error->message, "state",
                       vm_state_name(controller_state(ctx->controller)), "request", request,
                       NULL);
}

#define SIMPLE_ENDPOINT(fn, request, call)                                                  \
    static void fn(void *opaque, const http_message *req, api_response *resp)               \
    {                                                                                       \
        struct api_context *ctx = opaque;                                                   \
        g_autoptr(GError) error = NULL;                                                     \
        int rc = call(ctx->controller, &error);                                             \
                                                                                            \
        answer(ctx, request, rc, error, resp);                                              \
    }

SIMPLE_ENDPOINT(vm_boot, "vm.boot", controller_boot)
SIMPLE_ENDPOINT(vm_pause, "vm.pause", controller_pause)
SIMPLE_ENDPOINT(vm_resume, "vm.resume", controller_resume)
SIMPLE_ENDPOINT(vm_shutdown, "vm.shutdown", controller_shutdown)
SIMPLE_ENDPOINT(vm_reboot, "vm.reboot", controller_reboot)
SIMPLE_ENDPOINT(vm_power_button, "vm.power-button", controller_power_button)
SIMPLE_ENDPOINT(vm_delete, "vm.delete", controller_delete)

static void vm_create(void *opaque, const http_message *req, api_response *resp)
{
    struct api_context *ctx = opaque;
    g_autoptr(GError) error = NULL;
    struct vm_config cfg = { 0 };
    int rc;

    if (vm_config_from_json((const char *)req->body, req->body_len, &cfg, &error) < 0) {
        api_response_error(resp, 400, error->message, "state",
                           vm_state_name(controller_state(ctx->controller)), "request",
                           "vm.create", NULL);
        return;
    }
    rc = controller_create(ctx->controller, &cfg, &error);
    vm_config_clear(&cfg);
    answer(ctx, "vm.create", rc, error, resp);
}

static void get_json(struct api_context *ctx, const char *request, JsonNode *body, GError *error,
                     api_response *resp)
{
    if (!body) {
        answer(ctx, request, -1, error, resp);
        return;
    }
    resp->status = 200;
    resp->body = body;
}

static void vm_info(void *opaque, const http_message *req, api_response *resp)
{
    struct api_context *ctx = opaque;
    g_autoptr(GError) error = NULL;
    JsonNode *info = controller_info(ctx->controller, &error);

    get_json(ctx, "vm.info", info, error, resp);
}

static void vm_counters(void *opaque, const http_message *req, api_response *resp)
{
    struct api_context *ctx = opaque;
    g_autoptr(GError) error = NULL;
    JsonNode *counters = controller_counters(ctx->controller, &error);

    get_json(ctx, "vm.counters", counters, error, resp);
}

static void vmm_ping(void *opaque, const http_message *req, api_response *resp)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "build_version");
    json_builder_add_string_value(b, SKIFF_VERSION);
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, SKIFF_VERSION);
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, getpid());
    json_builder_set_member_name(b, "features");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_end_object(b);
    resp->status = 200;
    resp->body = json_builder_get_root(b);
}

static void shutdown_after_reply(void *opaque)
{
    controller_shutdown_vmm(opaque);
}

static void vmm_shutdown(void *opaque, const http_message *req, api_response *resp)
{
    struct api_context *ctx = opaque;

    /* Answer first: the process is gone right after. */
    resp->status = 204;
    api_server_after_reply(ctx->server, shutdown_after_reply, ctx->controller);
}

static const api_route routes[] = {
    { "vmm.ping", "GET", vmm_ping },
    { "vmm.shutdown", "PUT", vmm_shutdown },
    { "vm.create", "PUT", vm_create },
    { "vm.boot", "PUT", vm_boot },
    { "vm.pause", "PUT", vm_pause },
    { "vm.resume", "PUT", vm_resume },
    { "vm.shutdown", "PUT", vm_shutdown },
    { "vm.reboot", "PUT", vm_reboot },
    { "vm.power-button", "PUT", vm_power_button },
    { "vm.delete", "PUT", vm_delete },
    { "vm.info", "GET", vm_info },
    { "vm.counters", "GET", vm_counters },
};

const api_route *api_routes(size_t *n)
{
    *n = G_N_ELEMENTS(routes);
    return routes;
}
