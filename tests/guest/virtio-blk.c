/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk through the guest's own tiny virtio driver (lib/virtio.c),
 * three-descriptor requests polled one at a time: find 1af4:1042, check the
 * config space (capacity 64 sectors, blk_size 512), set up every queue the
 * device has, read sector 0 and compare it with the pattern the test wrote
 * there, write sector 1 and read it back, flush, read the serial with GET_ID,
 * check that a read past the end fails; then discard sectors 8..15 and
 * write-zeroes 16..23 (and 24..31 with unmap), reading zeroes back from the
 * latter (the host checks the file for holes and zeroes). With two queues the
 * reads and GET_ID are repeated on queue 1.
 *
 * Command line words: "ro": the disk is read-only, the write, discard and
 * write-zeroes must fail with IOERR and nothing change. "two": a second disk
 * follows on a later slot, with serial SKIFFDISK2 and byte i of sector 0 equal
 * to i * 5 + 1.
 */
#include "guest.h"
#include "virtio.h"

#define SECTOR 512
#define CAPACITY 64             /* the test's image: 32 KiB */
#define SERIAL "SKIFFDISK"
#define SERIAL2 "SKIFFDISK2"
#define SPINS 2000000u

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_MQ 12
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

static struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} req_hdr;
static uint8_t data[SECTOR] __attribute__((aligned(512)));
static volatile uint8_t status;
static struct virtio_guest_queue queues[2];
static struct virtio_guest_queue queue2;     /* the second disk's */

/* One request on queue q, polled to completion: header, data (len bytes,
 * device-writable for IN and GET_ID; none when len is 0), status. Returns the
 * status byte; *used the used length. */
static uint8_t request(struct virtio_guest_queue *q, uint32_t type, uint64_t sector,
                       uint32_t len, uint32_t *used)
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
                                          type == T_IN || type == T_GET_ID ? VRING_F_WRITE : 0,
                                          0 };
    chain[n++] = (struct vring_desc){ (uint64_t)(uintptr_t)&status, 1, VRING_F_WRITE, 0 };
    virtio_queue_post(q, chain, n);
    *used = virtio_queue_wait(q, SPINS);
    return status;
}

/* One discard or write-zeroes segment in data[]. */
static uint8_t dwz(uint32_t type, uint64_t sector, uint32_t sectors, uint32_t flags)
{
    uint32_t used;

    memcpy(data, &sector, 8);
    memcpy(data + 8, &sectors, 4);
    memcpy(data + 12, &flags, 4);
    return request(&queues[0], type, 0, 16, &used);
}

static bool cmdline_has(const char *word)
{
    uint64_t si = guest_start_info;
    const char *c;
    size_t n = strlen(word);

    if (!si || mmio_read32(si) != 0x336ec578)
        guest_fail("no PVH start info");
    c = (const char *)(uintptr_t)*(volatile uint64_t *)(uintptr_t)(si + 24);
    for (; c && *c; c++) {
        if ((c == (const char *)(uintptr_t)*(volatile uint64_t *)(uintptr_t)(si + 24) ||
             c[-1] == ' ') && !memcmp(c, word, n) && (c[n] == ' ' || c[n] == 0))
            return true;
    }
    return false;
}

static void check_sector0(struct virtio_guest_queue *q, unsigned mul, unsigned add)
{
    uint32_t used;

    memset(data, 0, sizeof(data));
    GUEST_CHECK(request(q, T_IN, 0, SECTOR, &used) == S_OK);
    GUEST_CHECK(used == SECTOR + 1);
    for (unsigned i = 0; i < SECTOR; i++) {
        if (data[i] != (uint8_t)(i * mul + add))
            guest_fail("sector 0 does not hold the test's pattern");
    }
}

static void check_serial(struct virtio_guest_queue *q, const char *serial, unsigned len)
{
    uint32_t used;

    memset(data, 0xaa, sizeof(data));
    GUEST_CHECK(request(q, T_GET_ID, 0, 20, &used) == S_OK);
    GUEST_CHECK(used == 21);
    GUEST_CHECK(memcmp(data, serial, len) == 0);
    for (unsigned i = len; i < 20; i++)
        GUEST_CHECK(data[i] == 0);      /* zero-padded */
}

static void disk_main(struct virtio_guest_dev *dev, bool ro)
{
    uint32_t features;
    uint32_t used;
    unsigned nq = 1;

    features = virtio_begin(dev);
    GUEST_CHECK(features & (1u << F_BLK_SIZE));
    GUEST_CHECK(features & (1u << F_FLUSH));
    GUEST_CHECK(!!(features & (1u << F_RO)) == ro);
    GUEST_CHECK(!!(features & (1u << F_DISCARD)) == !ro);
    GUEST_CHECK(!!(features & (1u << F_WRITE_ZEROES)) == !ro);
    if (features & (1u << F_MQ))
        nq = mmio_read32(dev->devcfg + 32) >> 16;       /* num_queues, le16 at 34 */
    GUEST_CHECK(nq == 1 || nq == 2);
    virtio_finish_queues_features(dev, features & (1u << F_MQ), queues, nq);
    serial_put_kv("queues", nq);

    GUEST_CHECK(mmio_read32(dev->devcfg + 0) == CAPACITY && mmio_read32(dev->devcfg + 4) == 0);
    GUEST_CHECK(mmio_read32(dev->devcfg + 20) == SECTOR);

    /* Sector 0: the test wrote byte i = i * 7 + 3. */
    check_sector0(&queues[0], 7, 3);
    serial_puts("read ok\n");

    /* Sector 1: byte i = i * 13 + 0x11, which the test looks for in the file. */
    for (unsigned i = 0; i < SECTOR; i++)
        data[i] = (uint8_t)(i * 13 + 0x11);
    if (ro) {
        GUEST_CHECK(request(&queues[0], T_OUT, 1, SECTOR, &used) == S_IOERR);
        serial_puts("write refused\n");
    } else {
        GUEST_CHECK(request(&queues[0], T_OUT, 1, SECTOR, &used) == S_OK);
        GUEST_CHECK(request(&queues[0], T_FLUSH, 0, 0, &used) == S_OK);
    }
    memset(data, 0, sizeof(data));
    GUEST_CHECK(request(&queues[0], T_IN, 1, SECTOR, &used) == S_OK);
    for (unsigned i = 0; i < SECTOR; i++) {
        uint8_t want = ro ? (uint8_t)((SECTOR + i) * 7 + 3) : (uint8_t)(i * 13 + 0x11);

        if (data[i] != want)
            guest_fail("sector 1 does not read back as expected");
    }
    serial_puts("write ok\n");

    /* Past the end, and an unaligned length: both refused. */
    GUEST_CHECK(request(&queues[0], T_IN, CAPACITY, SECTOR, &used) == S_IOERR);
    GUEST_CHECK(request(&queues[0], T_IN, CAPACITY - 1, SECTOR, &used) == S_OK);
    GUEST_CHECK(request(&queues[0], T_IN, 0, 100, &used) == S_IOERR);

    check_serial(&queues[0], SERIAL, sizeof(SERIAL) - 1);
    serial_puts("serial ok\n");

    /* Discard 8..15, write-zeroes 16..23, and 24..31 with unmap. */
    if (ro) {
        GUEST_CHECK(dwz(T_DISCARD, 8, 8, 0) == S_IOERR);
        GUEST_CHECK(dwz(T_WRITE_ZEROES, 16, 8, 0) == S_IOERR);
        serial_puts("discard refused\n");
    } else {
        GUEST_CHECK(dwz(T_DISCARD, 8, 8, 0) == S_OK);
        GUEST_CHECK(dwz(T_WRITE_ZEROES, 16, 8, 0) == S_OK);
        GUEST_CHECK(dwz(T_WRITE_ZEROES, 24, 8, 1) == S_OK);
        GUEST_CHECK(dwz(T_DISCARD, CAPACITY - 1, 2, 0) == S_IOERR);
        GUEST_CHECK(dwz(T_DISCARD, 8, 8, 1) == S_UNSUPP);       /* unmap: zeroes only */
        for (uint64_t s = 16; s < 32; s += 15) {
            memset(data, 0xaa, sizeof(data));
            GUEST_CHECK(request(&queues[0], T_IN, s, SECTOR, &used) == S_OK);
            for (unsigned i = 0; i < SECTOR; i++)
                GUEST_CHECK(data[i] == 0);
        }
        serial_puts("discard ok\n");
    }

    if (nq == 2) {
        check_sector0(&queues[1], 7, 3);
        check_serial(&queues[1], SERIAL, sizeof(SERIAL) - 1);
        serial_puts("queue 1 ok\n");
    }
}

int guest_main(void)
{
    struct virtio_guest_dev dev;
    struct virtio_guest_dev dev2;
    bool ro = cmdline_has("ro");

    virtio_find(&dev, 0x1042, "virtio-blk");
    GUEST_CHECK(dev.devcfg);
    disk_main(&dev, ro);
    if (cmdline_has("two")) {
        virtio_find_from(&dev2, 0x1042, "virtio-blk", dev.slot + 1);
        GUEST_CHECK(dev2.slot > dev.slot);
        virtio_begin(&dev2);
        virtio_finish_queues_features(&dev2, 0, &queue2, 1);
        check_sector0(&queue2, 5, 1);
        check_serial(&queue2, SERIAL2, sizeof(SERIAL2) - 1);
        serial_puts("second disk ok\n");
    }
    serial_puts("blk ok\n");
    guest_poweroff();
}
