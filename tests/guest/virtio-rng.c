/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-rng through the guest's own tiny virtio driver (lib/virtio.c): post
 * 64-byte writable buffers and poll for them. Two reads must be non-zero and
 * differ.
 */
#include "guest.h"
#include "virtio.h"

#define BUF_LEN 64

static uint8_t bufs[2][BUF_LEN] __attribute__((aligned(64)));

static void read_random(struct virtio_guest_dev *d, unsigned i)
{
    struct vring_desc desc = { (uint64_t)(uintptr_t)bufs[i], BUF_LEN, VRING_F_WRITE, 0 };

    GUEST_CHECK(virtio_submit(d, &desc, 1) == BUF_LEN);
}

int guest_main(void)
{
    struct virtio_guest_dev d;
    bool nonzero = false;

    virtio_find(&d, 0x1044, "virtio-rng");
    virtio_begin(&d);
    virtio_finish(&d);
    read_random(&d, 0);
    read_random(&d, 1);
    for (unsigned i = 0; i < BUF_LEN; i++)
        nonzero |= bufs[0][i] != 0;
    GUEST_CHECK(nonzero);
    GUEST_CHECK(memcmp(bufs[0], bufs[1], BUF_LEN) != 0);
    serial_puts("rng ok\n");
    guest_poweroff();
}
