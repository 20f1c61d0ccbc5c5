/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny modern virtio driver for virtio-rng, without interrupts: find
 * 1af4:1044 on bus 0 through ECAM, walk its capabilities to the common and
 * notify configuration in the BAR skiff assigned, negotiate VIRTIO_F_VERSION_1,
 * set up queue 0 in this program's memory, post 64-byte writable buffers and
 * poll the used index. Two reads must be non-zero and differ.
 */
#include "guest.h"

#include "../../backend/arch/x86_64/layout.h"

#define VQ_SIZE 8
#define BUF_LEN 64
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

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static struct desc ring_desc[VQ_SIZE] __attribute__((aligned(4096)));
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
static uint8_t bufs[2][BUF_LEN] __attribute__((aligned(64)));

static uint8_t rd8(uint64_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static uint16_t rd16(uint64_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }
static void wr16(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static void barrier(void) { __asm__ volatile("" : : : "memory"); }

static uint64_t ecam(unsigned dev, unsigned reg)
{
    return LAYOUT_ECAM_BASE + ((uint64_t)dev << 15) + reg;
}

static void read_random(uint64_t notify, unsigned i, uint16_t qsize)
{
    uint16_t want = (uint16_t)(ring_used.idx + 1);
    unsigned spins = 0;

    ring_desc[i] = (struct desc){ (uint64_t)(uintptr_t)bufs[i], BUF_LEN, 2 /* WRITE */, 0 };
    ring_avail.ring[ring_avail.idx % qsize] = (uint16_t)i;
    barrier();
    ring_avail.idx = (uint16_t)(ring_avail.idx + 1);
    barrier();
    wr16(notify, 0);
    while (ring_used.idx != want) {
        if (++spins > SPIN_LIMIT)
            guest_fail("no used buffer from virtio-rng");
        cpu_relax();
    }
    GUEST_CHECK(ring_used.ring[(uint16_t)(want - 1) % qsize].id == i);
    GUEST_CHECK(ring_used.ring[(uint16_t)(want - 1) % qsize].len == BUF_LEN);
}

int guest_main(void)
{
    unsigned dev;
    uint64_t bar;
    uint64_t common = 0;
    uint64_t notify_base = 0;
    uint32_t notify_mult = 0;
    uint16_t qsize;
    bool nonzero = false;

    for (dev = 0; dev < 32; dev++) {
        if (mmio_read32(ecam(dev, 0)) == 0x10441af4)
            break;
    }
    if (dev == 32)
        guest_fail("no 1af4:1044 on bus 0");
    serial_put_kv("virtio-rng slot", dev);
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
            common = bar + mmio_read32(ecam(dev, p + 8u));
            break;
        case 2:
            notify_base = bar + mmio_read32(ecam(dev, p + 8u));
            notify_mult = mmio_read32(ecam(dev, p + 16u));
            break;
        }
    }
    GUEST_CHECK(common && notify_base);

    wr8(common + C_STATUS, 0);
    GUEST_CHECK(rd8(common + C_STATUS) == 0);
    wr8(common + C_STATUS, ST_ACK | ST_DRIVER);
    mmio_write32(common + C_DFSELECT, 1);
    GUEST_CHECK(mmio_read32(common + C_DF) & 1);      /* VIRTIO_F_VERSION_1 */
    mmio_write32(common + C_GFSELECT, 0);
    mmio_write32(common + C_GF, 0);
    mmio_write32(common + C_GFSELECT, 1);
    mmio_write32(common + C_GF, 1);
    wr8(common + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    GUEST_CHECK(rd8(common + C_STATUS) & ST_FEATURES_OK);

    wr16(common + C_Q_SELECT, 0);
    qsize = rd16(common + C_Q_SIZE);
    GUEST_CHECK(qsize != 0);
    if (qsize > VQ_SIZE) {
        wr16(common + C_Q_SIZE, VQ_SIZE);
        qsize = VQ_SIZE;
    }
    GUEST_CHECK(rd16(common + C_Q_SIZE) == qsize);
    wr16(common + C_Q_MSIX, 0xffff);    /* no interrupts: we poll */
    mmio_write32(common + C_Q_DESC, (uint32_t)(uintptr_t)ring_desc);
    mmio_write32(common + C_Q_DESC + 4, 0);
    mmio_write32(common + C_Q_DRIVER, (uint32_t)(uintptr_t)&ring_avail);
    mmio_write32(common + C_Q_DRIVER + 4, 0);
    mmio_write32(common + C_Q_DEVICE, (uint32_t)(uintptr_t)&ring_used);
    mmio_write32(common + C_Q_DEVICE + 4, 0);
    wr16(common + C_Q_ENABLE, 1);
    GUEST_CHECK(rd16(common + C_Q_ENABLE) == 1);
    wr8(common + C_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    GUEST_CHECK(rd8(common + C_STATUS) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK));

    uint64_t notify = notify_base + (uint64_t)rd16(common + C_Q_NOFF) * notify_mult;

    read_random(notify, 0, qsize);
    read_random(notify, 1, qsize);
    for (unsigned i = 0; i < BUF_LEN; i++)
        nonzero |= bufs[0][i] != 0;
    GUEST_CHECK(nonzero);
    GUEST_CHECK(memcmp(bufs[0], bufs[1], BUF_LEN) != 0);
    serial_puts("rng ok\n");
    guest_poweroff();
}
