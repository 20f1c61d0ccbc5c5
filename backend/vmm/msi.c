/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/msi.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/log.h"

struct msi_router {
    const struct hv_ops *ops;
    hv_vm *hv_vm;
    GMutex lock;                /* the table and the hypervisor's copy of it */
    GArray *routes;             /* struct hv_msi_route, one per live source */
    uint32_t next_gsi;
};

struct vm_msi {
    msi_router *r;
    uint32_t gsi;
    int fd;
};

msi_router *msi_router_new(const struct hv_ops *ops, hv_vm *hv_vm)
{
    msi_router *r = g_new0(msi_router, 1);

    r->ops = ops;
    r->hv_vm = hv_vm;
    g_mutex_init(&r->lock);
    r->routes = g_array_new(FALSE, TRUE, sizeof(struct hv_msi_route));
    r->next_gsi = HV_FIRST_MSI_GSI;
    return r;
}

void msi_router_free(msi_router *r)
{
    if (!r)
        return;
    g_assert(r->routes->len == 0);
    g_array_unref(r->routes);
    g_mutex_clear(&r->lock);
    g_free(r);
}

/* With the lock held. */
static int commit(msi_router *r, GError **error)
{
    return r->ops->vm_set_msi_routes(r->hv_vm, (const struct hv_msi_route *)r->routes->data,
                                     r->routes->len, error);
}

static struct hv_msi_route *find(msi_router *r, uint32_t gsi)
{
    for (guint i = 0; i < r->routes->len; i++) {
        struct hv_msi_route *e = &g_array_index(r->routes, struct hv_msi_route, i);

        if (e->gsi == gsi)
            return e;
    }
    return NULL;
}

vm_msi *msi_router_add(msi_router *r, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&r->lock);
    struct hv_msi_route route = { .gsi = r->next_gsi };
    vm_msi *m;

    g_array_append_val(r->routes, route);
    if (commit(r, error) < 0) {
        g_array_set_size(r->routes, r->routes->len - 1);
        return NULL;
    }
    m = g_new0(vm_msi, 1);
    m->r = r;
    m->gsi = r->next_gsi++;
    m->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("cannot create an eventfd: %s"),
                    g_strerror(errno));
    } else if (r->ops->vm_register_irqfd(r->hv_vm, m->fd, m->gsi, error) == 0) {
        return m;
    }
    g_clear_pointer(&locker, g_mutex_locker_free);
    vm_msi_free(m);
    return NULL;
}

void vm_msi_set(vm_msi *m, uint64_t addr, uint32_t data)
{
    g_autoptr(GError) error = NULL;
    struct hv_msi_route *e;

    g_mutex_lock(&m->r->lock);
    e = find(m->r, m->gsi);
    if (e && (e->addr != addr || e->data != data)) {
        e->addr = addr;
        e->data = data;
        if (commit(m->r, &error) < 0)
            log_warning(_("MSI route of GSI %u: %s"), m->gsi, error->message);
    }
    g_mutex_unlock(&m->r->lock);
}

void vm_msi_fire(vm_msi *m)
{
    uint64_t one = 1;

    /* EAGAIN: the counter is full, an interrupt is pending anyway. */
    if (write(m->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_warning(_("MSI of GSI %u: %s"), m->gsi, g_strerror(errno));
}

void vm_msi_free(vm_msi *m)
{
    msi_router *r;

    if (!m)
        return;
    r = m->r;
    g_mutex_lock(&r->lock);
    if (m->fd >= 0) {
        r->ops->vm_unregister_irqfd(r->hv_vm, m->fd, m->gsi, NULL);
        close(m->fd);
    }
    for (guint i = 0; i < r->routes->len; i++) {
        if (g_array_index(r->routes, struct hv_msi_route, i).gsi == m->gsi) {
            g_array_remove_index(r->routes, i);
            break;
        }
    }
    g_mutex_unlock(&r->lock);
    g_free(m);
}
