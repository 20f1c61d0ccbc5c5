/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "devices/virtio-worker.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "seccomp/seccomp.h"
#include "vmm/error.h"
#include "vmm/log.h"

static gpointer worker_thread(gpointer data)
{
    struct virtio_worker *w = data;
    g_autoptr(GError) error = NULL;
    uint64_t n;

    if (seccomp_apply(SECCOMP_THREAD_DEVICE, seccomp_main_mode(), &error) < 0) {
        log_error("%s", error->message);
        vm_request_stop(w->dev->vm, VM_STOP_ERROR);
        return NULL;
    }
    for (;;) {
        if (read(w->kick_fd, &n, sizeof(n)) < 0 && errno != EINTR) {
            log_error(_("%s %s: eventfd: %s"), w->dev->ops->name, w->dev->id, g_strerror(errno));
            return NULL;
        }
        if (g_atomic_int_get(&w->stopping))
            return NULL;
        virtio_dev_lock(w->dev);
        w->serve(w->dev);
        virtio_dev_unlock(w->dev);
    }
}

int virtio_worker_start(struct virtio_worker *w, struct virtio_dev *dev,
                        void (*serve)(struct virtio_dev *dev), GError **error)
{
    g_autofree char *name = g_strdup_printf("%s %s", dev->ops->name, dev->id);

    w->dev = dev;
    w->serve = serve;
    w->kick_fd = eventfd(0, EFD_CLOEXEC);
    if (w->kick_fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        return -1;
    }
    if (virtio_dev_bind_notify_fd(dev, 0, w->kick_fd, error) < 0)
        return -1;
    w->thread = g_thread_try_new(name, worker_thread, w, error);
    return w->thread ? 0 : -1;
}

void virtio_worker_wake(struct virtio_worker *w)
{
    uint64_t one = 1;

    /* Only fails when the counter would overflow: the thread is awake anyway. */
    if (write(w->kick_fd, &one, sizeof(one)) < 0)
        return;
}

void virtio_worker_stop(struct virtio_worker *w)
{
    if (w->thread) {
        g_atomic_int_set(&w->stopping, 1);
        virtio_worker_wake(w);
        g_thread_join(w->thread);
        w->thread = NULL;
    }
    /* dev is set only once kick_fd is valid or -1. */
    if (w->dev && w->kick_fd >= 0)
        close(w->kick_fd);
    w->dev = NULL;
}
