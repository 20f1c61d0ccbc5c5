/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-console through the guest's own tiny virtio driver (lib/virtio.c):
 * find 1af4:1043, check the config space (one port), set up receiveq0 and
 * transmitq0, post a receive buffer, write "hello from virtio-console" on
 * transmitq0, then read one line the host typed (in as many buffers as it
 * takes) and answer "console got: LINE", then wait for "quit". With "out" on
 * the command line (backends without input: file, null) it stops after the
 * first line; with "bad" it then sends a transmit chain with a
 * device-writable descriptor, which must leave the device needing a reset.
 * Progress goes to COM1 ("console ok"), so the host can tell the device's
 * output from the guest's verdict.
 */
#include "guest.h"
#include "virtio.h"

#define RXQ 0
#define TXQ 1
#define HELLO "hello from virtio-console\n"
#define REPLY "console got: "
#define LINE_MAX 200
#define RX_BUF 16                /* small: a line takes several buffers */
/* Polls of a used index: ~5 s for the device, ~60 s for a person or script
 * on the host side to type (each poll is a few emulated instructions). */
#define TX_SPINS 3000000u
#define RX_SPINS 40000000u

#define CFG_MAX_NR_PORTS 4
#define C_STATUS 0x14            /* common configuration: device status */
#define ST_NEEDS_RESET 64

static struct virtio_guest_dev dev;
static struct virtio_guest_queue queues[2];
static uint8_t rx_buf[RX_BUF];
static char out[sizeof(REPLY) + LINE_MAX];

/* Whether the command line starts with word. */
static bool cmdline_is(const char *word)
{
    uint64_t si = guest_start_info;
    const char *c;

    if (!si || mmio_read32(si) != 0x336ec578)
        guest_fail("no PVH start info");
    c = (const char *)(uintptr_t)*(volatile uint64_t *)(uintptr_t)(si + 24);
    return c && strlen(c) >= strlen(word) && !memcmp(c, word, strlen(word));
}

/* A transmit chain with a device-writable descriptor must set
 * DEVICE_NEEDS_RESET, not crash skiff or come back as used. */
static void transmit_writable(void)
{
    struct vring_desc d = { (uint64_t)(uintptr_t)rx_buf, RX_BUF, VRING_F_WRITE, 0 };
    volatile uint8_t *status = (volatile uint8_t *)(uintptr_t)(dev.common + C_STATUS);
    uint32_t spins = 0;

    virtio_queue_post(&queues[TXQ], &d, 1);
    while (!(*status & ST_NEEDS_RESET)) {
        if (++spins > TX_SPINS)
            guest_fail("the device took a writable transmit buffer");
        cpu_relax();
    }
    GUEST_CHECK(queues[TXQ].used.idx == (uint16_t)(queues[TXQ].next_used - 1));
    serial_puts("needs reset\n");
}

static void transmit(const void *buf, uint32_t len)
{
    struct vring_desc d = { (uint64_t)(uintptr_t)buf, len, 0, 0 };

    virtio_queue_post(&queues[TXQ], &d, 1);
    GUEST_CHECK(virtio_queue_wait(&queues[TXQ], TX_SPINS) == 0);
}

static void post_receive(void)
{
    struct vring_desc d = { (uint64_t)(uintptr_t)rx_buf, RX_BUF, VRING_F_WRITE, 0 };

    memset(rx_buf, 0, sizeof(rx_buf));
    virtio_queue_post(&queues[RXQ], &d, 1);
}

/* One line of host input into line (without the newline), in as many
 * receive buffers as it takes; a buffer is posted on entry. */
static size_t receive_line(char *line, size_t max)
{
    size_t len = 0;

    for (;;) {
        uint32_t got = virtio_queue_wait(&queues[RXQ], RX_SPINS);

        GUEST_CHECK(got >= 1 && got <= RX_BUF);
        for (uint32_t i = 0; i < got; i++) {
            if (rx_buf[i] == '\r')
                continue;
            if (rx_buf[i] == '\n') {
                /* The host sends one line and waits: nothing may follow. */
                GUEST_CHECK(i + 1 == got);
                line[len] = 0;
                return len;
            }
            if (len == max)
                guest_fail("line too long");
            line[len++] = (char)rx_buf[i];
        }
        post_receive();
    }
}

int guest_main(void)
{
    static char line[LINE_MAX + 1];
    bool bad = cmdline_is("bad");
    bool out_only = bad || cmdline_is("out");
    size_t len;

    virtio_find(&dev, 0x1043, "virtio-console");
    GUEST_CHECK(dev.devcfg);
    virtio_begin(&dev);
    GUEST_CHECK(mmio_read32(dev.devcfg + CFG_MAX_NR_PORTS) == 1);
    virtio_finish_queues(&dev, queues, 2);
    /* Posted before the hello, so the host's answer always finds a buffer;
     * the device still has to hold the input back until then otherwise. */
    if (!out_only)
        post_receive();
    transmit(HELLO, sizeof(HELLO) - 1);
    serial_puts("hello sent\n");
    if (bad)
        transmit_writable();
    if (out_only) {
        serial_puts("console ok\n");
        return 0;
    }

    len = receive_line(line, LINE_MAX);
    serial_put_kv("line bytes", len);
    memcpy(out, REPLY, sizeof(REPLY) - 1);
    memcpy(out + sizeof(REPLY) - 1, line, len);
    out[sizeof(REPLY) - 1 + len] = '\n';
    transmit(out, (uint32_t)(sizeof(REPLY) + len));
    /* Powering off closes a pty, and whatever its reader had not read yet
     * goes with it: stay until the host has read the answer and says so. */
    post_receive();
    len = receive_line(line, LINE_MAX);
    GUEST_CHECK(len == 4 && !memcmp(line, "quit", 4));
    serial_puts("console ok\n");
    return 0;
}
