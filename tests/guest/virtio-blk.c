/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk through the guest's own tiny virtio driver (lib/virtio.c),
 * three-descriptor requests: find 1af4:1042, check the config
 * space (capacity 8 sectors, blk_size 512), read sector 0 and compare it with
 * the pattern the test wrote there, write sector 1 with another pattern and
 * read it back, read the serial with GET_ID, and check that a read past the
 * end fails. With "ro" on the command line the disk is read-only: the write
 * must fail with VIRTIO_BLK_S_IOERR and sector 1 stay zero.
 */
#include "guest.h"
#include "virtio.h"

#define SECTOR 512
#define CAPACITY 8              /* the test's image: 4096 bytes */
#define SERIAL "SKIFFDISK"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define S_OK 0
#define S_IOERR 1

#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9

static struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} req_hdr;
static uint8_t data[SECTOR] __attribute__((aligned(512)));
static volatile uint8_t status;
static struct virtio_guest_dev dev;

/* One request, polled to completion: header, data (len bytes, device-writable
 * unless writing; none when len is 0), status. Returns the status byte; *used the used length. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, uint32_t *used)
{
    struct vring_desc chain[3];
    unsigned n = 0;

    req_hdr.type = type;
    req_hdr.reserved = 0;
    req_hdr.sector = sector;
    status = 0xff;
    chain[n++] = (struct vring_desc){ (uint64_t)(uintptr_t)&req_hdr, sizeof(req_hdr), 0, 0 };
    /* No data descriptor without data: an empty descriptor breaks the queue. */
    if (len)
        chain[n++] = (struct vring_desc){ (uint64_t)(uintptr_t)data, len,
                                          type == T_OUT ? 0 : VRING_F_WRITE, 0 };
    chain[n++] = (struct vring_desc){ (uint64_t)(uintptr_t)&status, 1, VRING_F_WRITE, 0 };
    *used = virtio_submit(&dev, chain, n);
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
    uint32_t features;
    uint32_t used;
    bool ro = cmdline_is_ro();

    virtio_find(&dev, 0x1042, "virtio-blk");
    GUEST_CHECK(dev.devcfg);
    features = virtio_begin(&dev);
    GUEST_CHECK(features & (1u << F_BLK_SIZE));
    GUEST_CHECK(features & (1u << F_FLUSH));
    GUEST_CHECK(!!(features & (1u << F_RO)) == ro);
    virtio_finish(&dev);

    GUEST_CHECK(mmio_read32(dev.devcfg + 0) == CAPACITY && mmio_read32(dev.devcfg + 4) == 0);
    GUEST_CHECK(mmio_read32(dev.devcfg + 20) == SECTOR);

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
