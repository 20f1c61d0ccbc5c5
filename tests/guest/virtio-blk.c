/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny modern virtio-blk driver, without interrupts (the virtio-rng guest's
 * driver with three-descriptor requests): find 1af4:1042, check the config
 * space (capacity 8 sectors, blk_size 512), read sector 0 and compare it with
 * the pattern the test wrote there, write sector 1 with another pattern and
 * read it back, read the serial with GET_ID, and check that a read past the
 * end fails. With "ro" on the command line the disk is read-only: the write
 * must fail with VIRTIO_BLK_S_IOERR and sector 1 stay zero.
 */
#include "guest.h"

#include "../../backend/arch/x86_64/layout.h"

#define VQ_SIZE 8
#define SECTOR 512
#define CAPACITY 8              /* the test's image: 4096 bytes */
#define SERIAL "SKIFFDISK"
#define SPIN_LIMIT 2000000u     /* ~3 s of emulated loop: the device answers in far less */

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define S_OK 0
#define S_IOERR 1

#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9

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
static struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} req_hdr __attribute__((aligned(16)));
static uint8_t data[SECTOR] __attribute__((aligned(512)));
static volatile uint8_t status;
static uint64_t notify;
static uint16_t qsize;

static uint8_t rd8(uint64_t a) { return *(volatile uint8_t *)(uintptr_t)a; }
static uint16_t rd16(uint64_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static void wr8(uint64_t a, uint8_t v) { *(volatile uint8_t *)(uintptr_t)a = v; }
static void wr16(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static void barrier(void) { __asm__ volatile("" : : : "memory"); }

static uint64_t ecam(unsigned dev, unsigned reg)
{
    return LAYOUT_ECAM_BASE + ((uint64_t)dev << 15) + reg;
}

/* One request, polled to completion: header, data (len bytes, device-writable
 * unless writing; none when len is 0), status. Returns the status byte; *used the used length. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, uint32_t *used)
{
    uint16_t want = (uint16_t)(ring_used.idx + 1);
    unsigned spins = 0;
    uint16_t data_flags = type == T_OUT ? 1 /* NEXT */ : 3 /* NEXT | WRITE */;

    req_hdr.type = type;
    req_hdr.reserved = 0;
    req_hdr.sector = sector;
    status = 0xff;
    /* No data descriptor without data: an empty descriptor breaks the queue. */
    ring_desc[0] = (struct desc){ (uint64_t)(uintptr_t)&req_hdr, sizeof(req_hdr), 1,
                                  (uint16_t)(len ? 1 : 2) };
    ring_desc[1] = (struct desc){ (uint64_t)(uintptr_t)data, len, data_flags, 2 };
    ring_desc[2] = (struct desc){ (uint64_t)(uintptr_t)&status, 1, 2 /* WRITE */, 0 };
    ring_avail.ring[ring_avail.idx % qsize] = 0;
    barrier();
    ring_avail.idx = (uint16_t)(ring_avail.idx + 1);
    barrier();
    wr16(notify, 0);
    while (ring_used.idx != want) {
        if (++spins > SPIN_LIMIT)
            guest_fail("no used buffer from virtio-blk");
        cpu_relax();
    }
    GUEST_CHECK(ring_used.ring[(uint16_t)(want - 1) % qsize].id == 0);
    *used = ring_used.ring[(uint16_t)(want - 1) % qsize].len;
    return status;
}

static bool cmdline_is_ro(void)
{
    uint64_t si = guest_start_info;
    const char *c;

    if (!si || mmio_read32(si) != 0x336ec578)
        guest_fail("no PVH start info");
    c = (const char *)(uintptr_t)*(volatile uint64_t *)(uintptr_t)(si + 24);
    return c && strlen(c) >= 2 && !memcmp(c, "ro", 2);
}

int guest_main(void)
{
    unsigned dev;
    uint64_t bar;
    uint64_t common = 0;
    uint64_t notify_base = 0;
    uint64_t devcfg = 0;
    uint32_t notify_mult = 0;
    uint32_t features;
    uint32_t used;
    bool ro = cmdline_is_ro();

    for (dev = 0; dev < 32; dev++) {
        if (mmio_read32(ecam(dev, 0)) == 0x10421af4)
            break;
    }
    if (dev == 32)
        guest_fail("no 1af4:1042 on bus 0");
    serial_put_kv("virtio-blk slot", dev);
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
        case 4:
            devcfg = bar + mmio_read32(ecam(dev, p + 8u));
            break;
        case 2:
            notify_base = bar + mmio_read32(ecam(dev, p + 8u));
            notify_mult = mmio_read32(ecam(dev, p + 16u));
            break;
        }
    }
    GUEST_CHECK(common && notify_base && devcfg);

    wr8(common + C_STATUS, 0);
    GUEST_CHECK(rd8(common + C_STATUS) == 0);
    wr8(common + C_STATUS, ST_ACK | ST_DRIVER);
    mmio_write32(common + C_DFSELECT, 1);
    GUEST_CHECK(mmio_read32(common + C_DF) & 1);      /* VIRTIO_F_VERSION_1 */
    mmio_write32(common + C_DFSELECT, 0);
    features = mmio_read32(common + C_DF);
    GUEST_CHECK(features & (1u << F_BLK_SIZE));
    GUEST_CHECK(features & (1u << F_FLUSH));
    GUEST_CHECK(!!(features & (1u << F_RO)) == ro);
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

    notify = notify_base + (uint64_t)rd16(common + C_Q_NOFF) * notify_mult;

    GUEST_CHECK(mmio_read32(devcfg + 0) == CAPACITY && mmio_read32(devcfg + 4) == 0);
    GUEST_CHECK(mmio_read32(devcfg + 20) == SECTOR);

    /* Sector 0: the test wrote byte i = i * 7 + 3. */
    memset(data, 0, sizeof(data));
    GUEST_CHECK(request(T_IN, 0, SECTOR, &used) == S_OK);
    GUEST_CHECK(used == SECTOR + 1);
    for (unsigned i = 0; i < SECTOR; i++) {
        if (data[i] != (uint8_t)(i * 7 + 3))
            guest_fail("sector 0 does not hold the test's pattern");
    }
    serial_puts("read ok\n");

    /* Sector 1: byte i = i * 13 + 0x11, which the test looks for in the file. */
    for (unsigned i = 0; i < SECTOR; i++)
        data[i] = (uint8_t)(i * 13 + 0x11);
    if (ro) {
        GUEST_CHECK(request(T_OUT, 1, SECTOR, &used) == S_IOERR);
        serial_puts("write refused\n");
    } else {
        GUEST_CHECK(request(T_OUT, 1, SECTOR, &used) == S_OK);
        GUEST_CHECK(request(T_FLUSH, 0, 0, &used) == S_OK);
    }
    memset(data, 0, sizeof(data));
    GUEST_CHECK(request(T_IN, 1, SECTOR, &used) == S_OK);
    for (unsigned i = 0; i < SECTOR; i++) {
        uint8_t want = ro ? 0 : (uint8_t)(i * 13 + 0x11);

        if (data[i] != want)
            guest_fail("sector 1 does not read back as expected");
    }
    serial_puts("write ok\n");

    /* Past the end, and an unaligned length: both refused. */
    GUEST_CHECK(request(T_IN, CAPACITY, SECTOR, &used) == S_IOERR);
    GUEST_CHECK(request(T_IN, CAPACITY - 1, SECTOR, &used) == S_OK);
    GUEST_CHECK(request(T_IN, 0, 100, &used) == S_IOERR);

    memset(data, 0, sizeof(data));
    GUEST_CHECK(request(T_GET_ID, 0, 20, &used) == S_OK);
    GUEST_CHECK(memcmp(data, SERIAL, sizeof(SERIAL)) == 0);    /* zero-padded */
    serial_puts("serial ok\n");
    serial_puts("blk ok\n");
    guest_poweroff();
}
