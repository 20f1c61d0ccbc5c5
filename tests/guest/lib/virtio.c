/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "virtio.h"

#include "../../../backend/arch/x86_64/layout.h"

#define VQ_SIZE 8
#define SPIN_LIMIT 2000000u     /* ~3 s of emulated loop: the device answers in far less */

#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8

/* Common configuration offsets (virtio 1.x, 4.1.4.3). */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_STATUS 0x14
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_MSIX 0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_NOFF 0x1e
#define C_Q_DESC 0x20
#define C_Q_DRIVER 0x28
#define C_Q_DEVICE 0x30

static struct vring_desc ring_desc[VQ_SIZE] __attribute__((aligned(4096)));
static volatile struct {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[VQ_SIZE];
    uint16_t used_event;
} ring_avail __attribute__((aligned(4096)));
static volatile struct {
    uint16_t flags;
    uint16_t idx;
    struct { uint32_t id; uint32_t len; } ring[VQ_SIZE];
    uint16_t avail_event;
} ring_used __attribute__((aligned(4096)));

static uint8_t rd8(uint64_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static uint16_t rd16(uint64_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }
static void wr16(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static void barrier(void) { __asm__ volatile("" : : : "memory"); }

static uint64_t ecam(unsigned dev, unsigned reg)
{
    return LAYOUT_ECAM_BASE + ((uint64_t)dev << 15) + reg;
}

void virtio_find(struct virtio_guest_dev *d, uint16_t pci_device, const char *name)
{
    virtio_find_from(d, pci_device, name, 0);
}

void virtio_find_from(struct virtio_guest_dev *d, uint16_t pci_device, const char *name,
                      unsigned first_slot)
{
    uint32_t id = ((uint32_t)pci_device << 16) | 0x1af4;
    uint64_t bar;
    unsigned dev;

    memset(d, 0, sizeof(*d));
    d->name = name;
    for (dev = first_slot; dev < 32; dev++) {
        if (mmio_read32(ecam(dev, 0)) == id)
            break;
    }
    if (dev == 32)
        guest_fail("no such virtio device on bus 0");
    d->slot = dev;
    serial_puts(name);
    serial_put_kv(" slot", dev);
    wr16(ecam(dev, 0x04), 0x0006);      /* memory decoding, bus master */
    bar = mmio_read32(ecam(dev, 0x10));
    GUEST_CHECK((bar & 0x7) == 0);      /* 32-bit memory BAR */
    bar &= ~0xfULL;
    GUEST_CHECK(bar >= LAYOUT_PCI_MMIO32_BASE && bar < LAYOUT_ECAM_BASE);
    GUEST_CHECK(mmio_read32(ecam(dev, 0x04)) & 0x100000);   /* capability list */

    for (uint8_t p = rd8(ecam(dev, 0x34)), n = 0; p; p = rd8(ecam(dev, p + 1u))) {
        GUEST_CHECK(++n < 16);
        if (rd8(ecam(dev, p)) != 0x09)
            continue;
        GUEST_CHECK(rd8(ecam(dev, p + 4u)) == 0);   /* everything in BAR 0 */
        switch (rd8(ecam(dev, p + 3u))) {
        case 1:
            d->common = bar + mmio_read32(ecam(dev, p + 8u));
            break;
        case 2:
            d->notify = bar + mmio_read32(ecam(dev, p + 8u));
            d->notify_mult = mmio_read32(ecam(dev, p + 16u));
            break;
        case 4:
            d->devcfg = bar + mmio_read32(ecam(dev, p + 8u));
            break;
        }
    }
    GUEST_CHECK(d->common && d->notify);
}

uint32_t virtio_begin(struct virtio_guest_dev *d)
{
    wr8(d->common + C_STATUS, 0);
    GUEST_CHECK(rd8(d->common + C_STATUS) == 0);
    wr8(d->common + C_STATUS, ST_ACK | ST_DRIVER);
    mmio_write32(d->common + C_DFSELECT, 1);
    GUEST_CHECK(mmio_read32(d->common + C_DF) & 1);      /* VIRTIO_F_VERSION_1 */
    mmio_write32(d->common + C_DFSELECT, 0);
    return mmio_read32(d->common + C_DF);
}

void virtio_finish(struct virtio_guest_dev *d)
{
    uint64_t c = d->common;

    mmio_write32(c + C_GFSELECT, 0);
    mmio_write32(c + C_GF, 0);
    mmio_write32(c + C_GFSELECT, 1);
    mmio_write32(c + C_GF, 1);
    wr8(c + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    GUEST_CHECK(rd8(c + C_STATUS) & ST_FEATURES_OK);

    wr16(c + C_Q_SELECT, 0);
    d->qsize = rd16(c + C_Q_SIZE);
    GUEST_CHECK(d->qsize != 0);
    if (d->qsize > VQ_SIZE) {
        wr16(c + C_Q_SIZE, VQ_SIZE);
        d->qsize = VQ_SIZE;
    }
    GUEST_CHECK(rd16(c + C_Q_SIZE) == d->qsize);
    wr16(c + C_Q_MSIX, 0xffff);    /* no interrupts: we poll */
    mmio_write32(c + C_Q_DESC, (uint32_t)(uintptr_t)ring_desc);
    mmio_write32(c + C_Q_DESC + 4, 0);
    mmio_write32(c + C_Q_DRIVER, (uint32_t)(uintptr_t)&ring_avail);
    mmio_write32(c + C_Q_DRIVER + 4, 0);
    mmio_write32(c + C_Q_DEVICE, (uint32_t)(uintptr_t)&ring_used);
    mmio_write32(c + C_Q_DEVICE + 4, 0);
    wr16(c + C_Q_ENABLE, 1);
    GUEST_CHECK(rd16(c + C_Q_ENABLE) == 1);
    wr8(c + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    GUEST_CHECK(rd8(c + C_STATUS) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK));
    d->notify += (uint64_t)rd16(c + C_Q_NOFF) * d->notify_mult;
}

uint32_t virtio_submit(struct virtio_guest_dev *d, struct vring_desc *chain, unsigned n)
{
    uint16_t want = (uint16_t)(ring_used.idx + 1);
    unsigned spins = 0;

    GUEST_CHECK(n >= 1 && n <= VQ_SIZE && n <= d->qsize);
    for (unsigned i = 0; i < n; i++) {
        ring_desc[i] = chain[i];
        if (i + 1 < n) {
            ring_desc[i].flags |= VRING_F_NEXT;
            ring_desc[i].next = (uint16_t)(i + 1);
        }
    }
    ring_avail.ring[ring_avail.idx % d->qsize] = 0;
    barrier();
    ring_avail.idx = (uint16_t)(ring_avail.idx + 1);
    barrier();
    wr16(d->notify, 0);
    while (ring_used.idx != want) {
        if (++spins > SPIN_LIMIT)
            guest_fail("no used buffer from the virtio device");
        cpu_relax();
    }
    GUEST_CHECK(ring_used.ring[(uint16_t)(want - 1) % d->qsize].id == 0);
    return ring_used.ring[(uint16_t)(want - 1) % d->qsize].len;
}

void virtio_finish_queues(struct virtio_guest_dev *d, struct virtio_guest_queue *qs, unsigned n)
{
    virtio_finish_queues_features(d, 0, qs, n);
}

void virtio_queue_post(struct virtio_guest_queue *q, const struct vring_desc *chain, unsigned n)
{
    volatile uint16_t *avail_idx = &q->avail.idx;

    GUEST_CHECK(!q->busy && n >= 1 && n <= q->size);
    for (unsigned i = 0; i < n; i++) {
        q->desc[i] = chain[i];
        if (i + 1 < n) {
            q->desc[i].flags |= VRING_F_NEXT;
            q->desc[i].next = (uint16_t)(i + 1);
        }
    }
    q->avail.ring[*avail_idx % q->size] = 0;
    barrier();
    *avail_idx = (uint16_t)(*avail_idx + 1);
    barrier();
    q->busy = true;
    q->next_used = (uint16_t)(q->next_used + 1);
    wr16(q->notify, 0);
}

uint32_t virtio_queue_wait(struct virtio_guest_queue *q, uint32_t spin_limit)
{
    volatile uint16_t *used_idx = &q->used.idx;
    uint16_t slot = (uint16_t)(q->next_used - 1) % q->size;
    uint32_t spins = 0;

    GUEST_CHECK(q->busy);
    while (*used_idx != q->next_used) {
        if (++spins > spin_limit)
            guest_fail("no used buffer from the virtio device");
        cpu_relax();
    }
    barrier();
    q->busy = false;
    GUEST_CHECK(*(volatile uint32_t *)&q->used.ring[slot].id == 0);
    return *(volatile uint32_t *)&q->used.ring[slot].len;
}

void virtio_finish_queues_features(struct virtio_guest_dev *d, uint32_t features,
                                   struct virtio_guest_queue *qs, unsigned n)
{
    uint64_t c = d->common;

    mmio_write32(c + C_GFSELECT, 0);
    mmio_write32(c + C_GF, features);
    mmio_write32(c + C_GFSELECT, 1);
    mmio_write32(c + C_GF, 1);
    wr8(c + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    GUEST_CHECK(rd8(c + C_STATUS) & ST_FEATURES_OK);
    for (unsigned i = 0; i < n; i++) {
        struct virtio_guest_queue *q = &qs[i];

        memset(q, 0, sizeof(*q));
        wr16(c + C_Q_SELECT, (uint16_t)i);
        q->size = rd16(c + C_Q_SIZE);
        GUEST_CHECK(q->size != 0);
        if (q->size > VIRTIO_GQ_SIZE) {
            wr16(c + C_Q_SIZE, VIRTIO_GQ_SIZE);
            q->size = VIRTIO_GQ_SIZE;
        }
        GUEST_CHECK(rd16(c + C_Q_SIZE) == q->size);
        wr16(c + C_Q_MSIX, 0xffff);    /* no interrupts: we poll */
        mmio_write32(c + C_Q_DESC, (uint32_t)(uintptr_t)q->desc);
        mmio_write32(c + C_Q_DESC + 4, 0);
        mmio_write32(c + C_Q_DRIVER, (uint32_t)(uintptr_t)&q->avail);
        mmio_write32(c + C_Q_DRIVER + 4, 0);
        mmio_write32(c + C_Q_DEVICE, (uint32_t)(uintptr_t)&q->used);
        mmio_write32(c + C_Q_DEVICE + 4, 0);
        wr16(c + C_Q_ENABLE, 1);
        GUEST_CHECK(rd16(c + C_Q_ENABLE) == 1);
        q->notify = d->notify + (uint64_t)rd16(c + C_Q_NOFF) * d->notify_mult;
    }
    wr8(c + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    GUEST_CHECK(rd8(c + C_STATUS) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK));
}

bool virtio_queue_done(const struct virtio_guest_queue *q)
{
    return q->busy && *(const volatile uint16_t *)&q->used.idx == q->next_used;
}
