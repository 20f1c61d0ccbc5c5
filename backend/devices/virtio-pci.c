/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modern virtio PCI transport (virtio 1.x, section 4.1). Config space is a
 * pci_config with write masks plus side effects for the BAR and MSI-X; BAR 0
 * is one MMIO range, handled on vCPU threads under one lock. Everything here
 * only touches memory and locks: the exceptions are the device's own
 * queue_notify work and MSI delivery (a vector's irqfd, vmm/msi.h).
 */
#include "devices/virtio-pci.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "vmm/log.h"
#include "vmm/msi.h"

/* Capability layout in config space. */
#define CAP_PTR 0x34
#define CAP_COMMON 0x40
#define CAP_NOTIFY 0x50
#define CAP_ISR 0x64
#define CAP_DEVICE 0x74
#define CAP_MSIX 0x84
#define CAP_PCI_CFG 0x90
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

#define COMMON_SIZE 0x38
#define ISR_QUEUE 1
#define ISR_CONFIG 2
#define SUBSYSTEM_ID 0x1100     /* >= 0x40: a modern-only device */

struct msix_entry {
    uint32_t addr_lo;
    uint32_t addr_hi;
    uint32_t data;
    uint32_t ctrl;              /* bit 0: masked */
};

struct vq_regs {
    uint16_t size;
    uint16_t msix_vector;
    bool enabled;
    uint64_t desc;
    uint64_t driver;
    uint64_t device;
};

struct virtio_pci {
    GRecMutex lock;             /* recursive: devices call back from their callbacks */
    vm *vm;
    struct virtio_dev *dev;
    pci_config cfg;
    uint64_t bar_gpa;
    char *owner;                /* the MMIO range's name: the bus keeps the pointer */
    bool warned_bar_move;       /* log a moved BAR once, not on every write */
    uint32_t device_feature_select;
    uint32_t driver_feature_select;
    uint64_t driver_features;
    uint16_t msix_config;
    uint8_t status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint8_t isr;
    struct vq_regs q[VIRTIO_DEV_MAX_QUEUES];
    unsigned msix_n;            /* num_queues + 1: one per queue and one for config */
    struct msix_entry msix[VIRTIO_DEV_MAX_QUEUES + 1];
    vm_msi *msi[VIRTIO_DEV_MAX_QUEUES + 1];    /* each vector's irqfd and route */
    uint64_t pba[(VIRTIO_DEV_MAX_QUEUES + 1 + 63) / 64];
};

static uint64_t offered(const virtio_pci *t)
{
    return t->dev->host_features | (1ULL << VIRTIO_F_VERSION_1);
}

/* ---- interrupts ---- */

static bool msix_enabled(const virtio_pci *t, bool *all_masked)
{
    uint16_t ctrl = (uint16_t)pci_config_read(&t->cfg, CAP_MSIX + 2, 2);

    *all_masked = ctrl & MSIX_CTRL_MASKALL;
    return ctrl & MSIX_CTRL_ENABLE;
}

static void msix_fire(virtio_pci *t, uint16_t vector)
{
    const struct msix_entry *e;
    bool all_masked;

    if (!msix_enabled(t, &all_masked) || vector >= t->msix_n)
        return;     /* no vector or no MSI-X: the driver polls the ISR or the rings */
    e = &t->msix[vector];
    if (all_masked || (e->ctrl & 1)) {
        t->pba[vector / 64] |= 1ULL << (vector % 64);
        return;
    }
    vm_msi_fire(t->msi[vector]);
}

/* A vector was unmasked: deliver what it missed. */
static void msix_flush_pending(virtio_pci *t)
{
    bool all_masked;

    if (!msix_enabled(t, &all_masked) || all_masked)
        return;
    for (unsigned v = 0; v < t->msix_n; v++) {
        if ((t->pba[v / 64] & (1ULL << (v % 64))) && !(t->msix[v].ctrl & 1)) {
            t->pba[v / 64] &= ~(1ULL << (v % 64));
            msix_fire(t, (uint16_t)v);
        }
    }
}

void virtio_dev_lock(struct virtio_dev *d)
{
    g_rec_mutex_lock(&d->transport->lock);
}

void virtio_dev_unlock(struct virtio_dev *d)
{
    g_rec_mutex_unlock(&d->transport->lock);
}

int virtio_dev_bind_notify_fd(struct virtio_dev *d, unsigned q, int fd, GError **error)
{
    virtio_pci *t = d->transport;

    g_return_val_if_fail(q < d->num_queues, -1);
    /* 16 bits: what drivers write (Linux's vp_notify, iowrite16). */
    return vm_register_ioeventfd(t->vm, fd,
                                 t->bar_gpa + VIRTIO_PCI_NOTIFY_OFF +
                                 q * VIRTIO_PCI_NOTIFY_MULTIPLIER, 2, error);
}

void virtio_dev_notify(struct virtio_dev *d, unsigned q)
{
    virtio_pci *t = d->transport;

    g_rec_mutex_lock(&t->lock);
    if (q < d->num_queues && d->vq_ready[q] &&
        virtq_should_notify(&d->vq[q], vm_guest_mem(t->vm))) {
        t->isr |= ISR_QUEUE;
        msix_fire(t, t->q[q].msix_vector);
    }
    g_rec_mutex_unlock(&t->lock);
}

void virtio_dev_mark_broken(struct virtio_dev *d, const char *reason)
{
    virtio_pci *t = d->transport;

    g_rec_mutex_lock(&t->lock);
    if (!(t->status & VIRTIO_STATUS_NEEDS_RESET)) {
        log_warning(_("%s %s: %s; the device needs a reset"), d->ops->name, d->id, reason);
        t->status |= VIRTIO_STATUS_NEEDS_RESET;
        for (unsigned i = 0; i < d->num_queues; i++)
            d->vq_ready[i] = false;
        /* Only tell a driver that is running: before DRIVER_OK it reads status itself. */
        if (t->status & VIRTIO_STATUS_DRIVER_OK) {
            t->config_generation++;
            t->isr |= ISR_CONFIG;
            msix_fire(t, t->msix_config);
        }
    }
    g_rec_mutex_unlock(&t->lock);
}

/* ---- device status ---- */

static void device_reset(virtio_pci *t)
{
    struct virtio_dev *d = t->dev;

    if (d->ops->reset)
        d->ops->reset(d);
    t->device_feature_select = 0;
    t->driver_feature_select = 0;
    t->driver_features = 0;
    t->msix_config = VIRTIO_MSI_NO_VECTOR;
    t->status = 0;
    t->queue_select = 0;
    t->isr = 0;
    d->features = 0;
    for (unsigned i = 0; i < d->num_queues; i++) {
        t->q[i] = (struct vq_regs){ .size = d->max_queue_size,
                                    .msix_vector = VIRTIO_MSI_NO_VECTOR };
        memset(&d->vq[i], 0, sizeof(d->vq[i]));
        d->vq_ready[i] = false;
    }
    memset(t->pba, 0, sizeof(t->pba));
}

static void status_write(virtio_pci *t, uint8_t v)
{
    struct virtio_dev *d = t->dev;
    g_autoptr(GError) error = NULL;

    if (v == 0) {
        device_reset(t);
        return;
    }
    if (t->status & VIRTIO_STATUS_NEEDS_RESET)
        v |= VIRTIO_STATUS_NEEDS_RESET;      /* only a reset clears it */
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Refuse features we never offered, and legacy drivers: the driver sees
         * FEATURES_OK clear when it reads the status back. */
        if ((t->driver_features & ~offered(t)) ||
            !(t->driver_features & (1ULL << VIRTIO_F_VERSION_1))) {
            v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
        } else {
            d->features = t->driver_features;
        }
    }
    if ((v & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_DRIVER_OK)) {
        if (!(v & VIRTIO_STATUS_FEATURES_OK)) {
            v &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
        } else {
            t->status = v;
            if (d->ops->activate && d->ops->activate(d, &error) < 0) {
                virtio_dev_mark_broken(d, error->message);
                return;
            }
        }
    }
    t->status = (uint8_t)(v | (t->status & VIRTIO_STATUS_NEEDS_RESET));
}

static void queue_enable(virtio_pci *t, unsigned qi)
{
    struct virtio_dev *d = t->dev;
    struct vq_regs *r = &t->q[qi];
    struct virtq *q = &d->vq[qi];
    g_autoptr(GError) error = NULL;
    g_autofree char *why = NULL;

    if (r->enabled)
        return;
    r->enabled = true;
    memset(q, 0, sizeof(*q));
    q->size = r->size;
    q->desc_gpa = r->desc;
    q->avail_gpa = r->driver;
    q->used_gpa = r->device;
    q->event_idx = d->features & (1ULL << VIRTIO_F_RING_EVENT_IDX);
    if (virtq_start(q, vm_guest_mem(t->vm), &error) < 0) {
        why = g_strdup_printf(_("queue %u: %s"), qi, error->message);
        virtio_dev_mark_broken(d, why);
        return;
    }
    d->vq_ready[qi] = true;
}

/* ---- the common configuration ---- */

static void put(uint8_t *buf, unsigned off, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void common_read(virtio_pci *t, uint32_t off, uint8_t *data, uint32_t len)
{
    uint8_t b[COMMON_SIZE] = { 0 };
    uint64_t feat = offered(t);
    unsigned qs = t->queue_select;

    put(b, 0x00, t->device_feature_select, 4);
    if (t->device_feature_select < 2)
        put(b, 0x04, (uint32_t)(feat >> (32 * t->device_feature_select)), 4);
    put(b, 0x08, t->driver_feature_select, 4);
    if (t->driver_feature_select < 2)
        put(b, 0x0c, (uint32_t)(t->driver_features >> (32 * t->driver_feature_select)), 4);
    put(b, 0x10, t->msix_config, 2);
    put(b, 0x12, t->dev->num_queues, 2);
    put(b, 0x14, t->status, 1);
    put(b, 0x15, t->config_generation, 1);
    put(b, 0x16, t->queue_select, 2);
    if (qs < t->dev->num_queues) {
        const struct vq_regs *r = &t->q[qs];

        put(b, 0x18, r->size, 2);
        put(b, 0x1a, r->msix_vector, 2);
        put(b, 0x1c, r->enabled, 2);
        put(b, 0x1e, qs, 2);
        put(b, 0x20, r->desc, 8);
        put(b, 0x28, r->driver, 8);
        put(b, 0x30, r->device, 8);
    }   /* a queue that does not exist reads size 0 */
    if (off < COMMON_SIZE && len <= COMMON_SIZE - off)
        memcpy(data, b + off, len);
    else
        memset(data, 0, len);
}

static void set_half(uint64_t *reg, uint32_t off_in_reg, uint64_t v, uint32_t len)
{
    uint64_t mask = len == 8 ? ~0ULL : ((1ULL << (8 * len)) - 1) << (8 * off_in_reg);

    *reg = (*reg & ~mask) | ((v << (8 * off_in_reg)) & mask);
}

static void common_write(virtio_pci *t, uint32_t off, uint64_t v, uint32_t len)
{
    struct vq_regs *r = t->queue_select < t->dev->num_queues ? &t->q[t->queue_select] : NULL;
    bool features_locked = t->status & VIRTIO_STATUS_FEATURES_OK;

    switch (off) {
    case 0x00: t->device_feature_select = (uint32_t)v; return;
    case 0x08: t->driver_feature_select = (uint32_t)v; return;
    case 0x0c:
        if (!features_locked && t->driver_feature_select < 2)
            set_half(&t->driver_features, 4 * t->driver_feature_select, v, 4);
        return;
    case 0x10:
        /* Drivers read the vector back to learn whether it was taken. */
        t->msix_config = (uint16_t)v < t->msix_n ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
        return;
    case 0x14: status_write(t, (uint8_t)v); return;
    case 0x16: t->queue_select = (uint16_t)v; return;
    }
    if (!r)
        return;     /* writes to a queue that does not exist are dropped */
    switch (off) {
    case 0x18:
        /* The driver may shrink a queue, to a power of two, before enabling it. */
        if (!r->enabled && v >= 1 && v <= t->dev->max_queue_size && !(v & (v - 1)))
            r->size = (uint16_t)v;
        return;
    case 0x1a:
        r->msix_vector = (uint16_t)v < t->msix_n ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
        return;
    case 0x1c:
        if (v == 1)
            queue_enable(t, t->queue_select);
        return;     /* writing 0 is not allowed: only a reset disables a queue */
    }
    if (off >= 0x20 && off < COMMON_SIZE && !r->enabled) {
        uint64_t *reg = off < 0x28 ? &r->desc : off < 0x30 ? &r->driver : &r->device;

        set_half(reg, off & 7, v, len);
    }
}

/* ---- BAR 0 ---- */

static bool msix_access(virtio_pci *t, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
    uint64_t v = 0;

    if (off >= VIRTIO_PCI_MSIX_PBA_OFF) {
        off -= VIRTIO_PCI_MSIX_PBA_OFF;
        if (!is_write && off + len <= sizeof(t->pba))
            memcpy(data, (uint8_t *)t->pba + off, len);
        else if (!is_write)
            memset(data, 0, len);
        return true;    /* the PBA is read-only */
    }
    off -= VIRTIO_PCI_MSIX_TABLE_OFF;
    if (len != 4 || (off & 3) || off / 16 >= t->msix_n) {
        if (!is_write)
            memset(data, 0, len);
        return true;
    }
    uint32_t *field = &((uint32_t *)&t->msix[off / 16])[(off % 16) / 4];

    if (!is_write) {
        put(data, 0, *field, 4);
        return true;
    }
    for (unsigned i = 0; i < 4; i++)
        v |= (uint64_t)data[i] << (8 * i);
    *field = (off % 16) == 12 ? (uint32_t)v & 1 : (uint32_t)v;
    if ((off % 16) == 12) {
        msix_flush_pending(t);
    } else {
        const struct msix_entry *e = &t->msix[off / 16];

        vm_msi_set(t->msi[off / 16], (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
    }
    return true;
}

static uint64_t get(const uint8_t *data, uint32_t len)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < len; i++)
        v |= (uint64_t)data[i] << (8 * i);
    return v;
}

static bool bar_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
    virtio_pci *t = opaque;
    struct virtio_dev *d = t->dev;
    uint64_t v = is_write ? get(data, len) : 0;

    if (len > 8)
        return false;
    g_rec_mutex_lock(&t->lock);
    if (!(pci_config_read(&t->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY)) {
        if (!is_write)
            memset(data, 0xff, len);    /* decoding off: as if nothing answered */
    } else if (off < VIRTIO_PCI_ISR_OFF) {
        if (is_write)
            common_write(t, (uint32_t)off, v, len);
        else
            common_read(t, (uint32_t)off, data, len);
    } else if (off < VIRTIO_PCI_DEVICE_OFF) {
        if (!is_write) {
            memset(data, 0, len);
            if (off == VIRTIO_PCI_ISR_OFF) {
                data[0] = t->isr;       /* reading acknowledges */
                t->isr = 0;
            }
        }
    } else if (off < VIRTIO_PCI_NOTIFY_OFF) {
        uint32_t o = (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF);
        bool inside = o < d->ops->config_size && len <= d->ops->config_size - o;

        if (!is_write) {
            memset(data, 0, len);
            if (inside && d->ops->config_read)
                d->ops->config_read(d, o, data, len);
        } else if (inside && d->ops->config_write) {
            d->ops->config_write(d, o, data, len);
        }
    } else if (off < VIRTIO_PCI_MSIX_TABLE_OFF) {
        uint64_t qi = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULTIPLIER;

        if (!is_write)
            memset(data, 0, len);
        else if (qi < d->num_queues && d->vq_ready[qi] &&
                 (t->status & VIRTIO_STATUS_DRIVER_OK) &&
                 !(t->status & VIRTIO_STATUS_NEEDS_RESET))
            d->ops->queue_notify(d, (unsigned)qi);
    } else {
        msix_access(t, off, data, len, is_write);
    }
    g_rec_mutex_unlock(&t->lock);
    return true;
}

/* ---- config space ---- */

/*
 * VIRTIO_PCI_CAP_PCI_CFG: a window onto the BAR through config space, for
 * firmware without MMIO. The driver sets bar, offset and length, then reads or
 * writes pci_cfg_data; anything but an aligned 1, 2 or 4 bytes in BAR 0 is ignored.
 */
static bool pci_cfg_window(virtio_pci *t, uint32_t *off, uint32_t *len)
{
    *off = pci_config_read(&t->cfg, CAP_PCI_CFG + 8, 4);
    *len = pci_config_read(&t->cfg, CAP_PCI_CFG + 12, 4);
    return pci_config_read(&t->cfg, CAP_PCI_CFG + 4, 1) == 0 &&
           (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 &&
           *off < VIRTIO_PCI_BAR_SIZE;
}

static bool touches_window_data(uint16_t reg, unsigned len)
{
    return reg < CAP_PCI_CFG + 20 && reg + len > CAP_PCI_CFG + 16;
}

static uint32_t cfg_read(void *opaque, uint16_t reg, unsigned len)
{
    virtio_pci *t = opaque;
    uint32_t off;
    uint32_t wlen;
    uint32_t v;

    g_rec_mutex_lock(&t->lock);
    if (touches_window_data(reg, len) && pci_cfg_window(t, &off, &wlen))
        bar_access(t, off, &t->cfg.data[CAP_PCI_CFG + 16], wlen, false);
    v = pci_config_read(&t->cfg, reg, len);
    g_rec_mutex_unlock(&t->lock);
    return v;
}

static void cfg_write(void *opaque, uint16_t reg, uint32_t value, unsigned len)
{
    virtio_pci *t = opaque;
    uint32_t off;
    uint32_t wlen;
    uint32_t bar;

    g_rec_mutex_lock(&t->lock);
    pci_config_write(&t->cfg, reg, value, len);
    if (touches_window_data(reg, len) && pci_cfg_window(t, &off, &wlen))
        bar_access(t, off, &t->cfg.data[CAP_PCI_CFG + 16], wlen, true);
    if (reg < PCI_BAR0 + 4 && reg + len > PCI_BAR0) {
        bar = pci_config_read(&t->cfg, PCI_BAR0, 4);
        /* Sizing writes all ones and reads back the mask: that is not a move. */
        if (bar != (uint32_t)t->bar_gpa && bar != (uint32_t)-VIRTIO_PCI_BAR_SIZE &&
            !t->warned_bar_move) {
            t->warned_bar_move = true;
            log_warning(_("%s %s: the guest moved BAR 0 to 0x%x; skiff keeps it at 0x%" PRIx64),
                        t->dev->ops->name, t->dev->id, bar, t->bar_gpa);
        }
    }
    if (reg < CAP_MSIX + 4 && reg + len > CAP_MSIX + 2)
        msix_flush_pending(t);
    g_rec_mutex_unlock(&t->lock);
}

static const pci_function virtio_pci_function = {
    .config_read = cfg_read,
    .config_write = cfg_write,
};

static void add_cap(pci_config *c, uint16_t at, uint16_t next, uint8_t type, uint32_t off,
                    uint32_t len, uint8_t cap_len)
{
    pci_config_set(c, at, PCI_CAP_ID_VNDR | next << 8 | cap_len << 16 | type << 24, 4);
    pci_config_set(c, at + 4, 0, 4);      /* bar 0, id 0, padding */
    pci_config_set(c, at + 8, off, 4);
    pci_config_set(c, at + 12, len, 4);
}

static void config_init(virtio_pci *t)
{
    pci_config *c = &t->cfg;
    const struct virtio_dev_ops *ops = t->dev->ops;

    memset(c, 0, sizeof(*c));
    pci_config_set(c, PCI_VENDOR_ID, VIRTIO_PCI_VENDOR, 2);
    pci_config_set(c, PCI_DEVICE_ID, VIRTIO_PCI_DEVICE_BASE + ops->device_id, 2);
    pci_config_set_wmask(c, PCI_COMMAND,
                         PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
    pci_config_set(c, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
    pci_config_set(c, PCI_CLASS_REVISION, ops->pci_class << 8 | 1, 4);
    pci_config_set(c, PCI_BAR0, (uint32_t)t->bar_gpa, 4);   /* 32-bit, non-prefetchable */
    pci_config_set_wmask(c, PCI_BAR0, (uint32_t)-VIRTIO_PCI_BAR_SIZE, 4);
    pci_config_set(c, PCI_SUBSYSTEM_VENDOR, VIRTIO_PCI_VENDOR, 2);
    pci_config_set(c, PCI_SUBSYSTEM_ID, SUBSYSTEM_ID, 2);
    pci_config_set_wmask(c, PCI_INTERRUPT_LINE, 0xff, 1);   /* no INTx pin: MSI-X only */
    pci_config_set(c, CAP_PTR, CAP_COMMON, 1);

    add_cap(c, CAP_COMMON, CAP_NOTIFY, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
            COMMON_SIZE, 16);
    add_cap(c, CAP_NOTIFY, CAP_ISR, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
            t->dev->num_queues * VIRTIO_PCI_NOTIFY_MULTIPLIER, 20);
    pci_config_set(c, CAP_NOTIFY + 16, VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
    add_cap(c, CAP_ISR, CAP_DEVICE, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 4, 16);
    add_cap(c, CAP_DEVICE, CAP_MSIX, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
            MAX(ops->config_size, 4u), 16);

    pci_config_set(c, CAP_MSIX, PCI_CAP_ID_MSIX | CAP_PCI_CFG << 8, 2);
    pci_config_set(c, CAP_MSIX + 2, t->msix_n - 1, 2);
    pci_config_set_wmask(c, CAP_MSIX + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL, 2);
    pci_config_set(c, CAP_MSIX + 4, VIRTIO_PCI_MSIX_TABLE_OFF, 4);   /* BIR 0 */
    pci_config_set(c, CAP_MSIX + 8, VIRTIO_PCI_MSIX_PBA_OFF, 4);

    add_cap(c, CAP_PCI_CFG, 0, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 20);     /* last */
    pci_config_set_wmask(c, CAP_PCI_CFG + 4, 0xff, 1);
    pci_config_set_wmask(c, CAP_PCI_CFG + 8, 0xffffffff, 4);
    pci_config_set_wmask(c, CAP_PCI_CFG + 12, 0xffffffff, 4);
    pci_config_set_wmask(c, CAP_PCI_CFG + 16, 0xffffffff, 4);
}

virtio_pci *virtio_pci_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              struct virtio_dev *dev, GError **error)
{
    const struct virtio_dev_ops *ops = dev->ops;
    g_autoptr(virtio_pci) t = NULL;

    if (!dev->num_queues)
        dev->num_queues = ops->num_queues;
    if (!dev->max_queue_size)
        dev->max_queue_size = ops->max_queue_size;
    g_return_val_if_fail(dev->num_queues >= 1 && dev->num_queues <= VIRTIO_DEV_MAX_QUEUES, NULL);
    g_return_val_if_fail(dev->max_queue_size >= 1 && dev->max_queue_size <= VIRTQ_MAX_SIZE &&
                         !(dev->max_queue_size & (dev->max_queue_size - 1)), NULL);
    g_return_val_if_fail(ops->config_size <= VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF, NULL);
    g_return_val_if_fail(!(bar_gpa & (VIRTIO_PCI_BAR_SIZE - 1)) && bar_gpa < (1ULL << 32), NULL);

    t = g_new0(virtio_pci, 1);
    g_rec_mutex_init(&t->lock);
    t->vm = vm;
    t->dev = dev;
    t->bar_gpa = bar_gpa;
    t->msix_n = dev->num_queues + 1;
    for (unsigned i = 0; i < t->msix_n; i++) {
        t->msix[i].ctrl = 1;    /* masked until the driver programs it */
        t->msi[i] = vm_msi_new(vm, error);
        if (!t->msi[i])
            return NULL;
    }
    device_reset(t);
    config_init(t);
    t->owner = g_strdup_printf("%s %s", ops->name, dev->id);
    if (vm_register_mmio(vm, bar_gpa, VIRTIO_PCI_BAR_SIZE, t->owner, bar_access, t, error) < 0 ||
        pci_host_add_function(host, slot, 0, &virtio_pci_function, t, error) < 0)
        return NULL;
    dev->transport = t;
    return g_steal_pointer(&t);
}

void virtio_pci_free(virtio_pci *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < G_N_ELEMENTS(t->msi); i++)
        vm_msi_free(t->msi[i]);
    g_rec_mutex_clear(&t->lock);
    g_free(t->owner);
    g_free(t);
}
