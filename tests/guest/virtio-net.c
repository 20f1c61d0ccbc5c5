/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-net through the guest's own tiny virtio driver (lib/virtio.c),
 * polled: find 1af4:1041, print the MAC from the config space, check the
 * link is up, accept MAC, STATUS and MRG_RXBUF, post a receive buffer and
 * wait for the host's frame (EtherType 0x88b5 to our MAC; the host kernel's
 * own frames are skipped), print its payload, and answer with a frame that
 * carries "pong " and that payload, our MAC as source.
 *
 * With "mq" on the command line the device has two queue pairs: accept MQ
 * and CTRL_VQ too, check that VQ_PAIRS_SET refuses 3 pairs and an unknown
 * command and takes 2, listen on both receive queues and answer on
 * transmit queue 1.
 *
 * Payloads are one length byte and that many printable characters.
 */
#include "guest.h"
#include "virtio.h"

#define F_MAC 5
#define F_MRG_RXBUF 15
#define F_STATUS 16
#define F_CTRL_VQ 17
#define F_MQ 22

#define HDR 12
#define ETH_HLEN 14
#define ETHERTYPE 0x88b5
#define FRAME_MAX 1514
#define SPIN_LIMIT 12000000u    /* ~20 s of emulated polling: the host answers in far less */

#define Q_RX0 0
#define Q_TX0 1
#define Q_TX1 3
#define Q_CTRL 4

static struct virtio_guest_dev dev;
static struct virtio_guest_queue vq[5];
static uint8_t mac[6];
static uint8_t rxbuf[2][HDR + FRAME_MAX] __attribute__((aligned(64)));
static uint8_t txhdr[HDR];
static uint8_t txframe[ETH_HLEN + 1 + 5 + 255];
static uint8_t ctrl_cmd[4];
static volatile uint8_t ctrl_ack;

static bool cmdline_has_mq(void)
{
    uint64_t si = guest_start_info;
    const char *c;

    if (!si || mmio_read32(si) != 0x336ec578)
        guest_fail("no PVH start info");
    c = (const char *)(uintptr_t)*(volatile uint64_t *)(uintptr_t)(si + 24);
    return c && strlen(c) >= 2 && !memcmp(c, "mq", 2);
}

static void put_hex2(uint8_t v)
{
    static const char digits[] = "0123456789abcdef";

    serial_putc(digits[v >> 4]);
    serial_putc(digits[v & 15]);
}

static void print_mac(const char *label, const uint8_t *m)
{
    serial_puts(label);
    for (unsigned i = 0; i < 6; i++) {
        if (i)
            serial_putc(':');
        put_hex2(m[i]);
    }
    serial_putc('\n');
}

static uint8_t ctrl(uint8_t class, uint8_t cmd, uint16_t arg)
{
    struct vring_desc chain[2] = {
        { (uint64_t)(uintptr_t)ctrl_cmd, sizeof(ctrl_cmd), 0, 0 },
        { (uint64_t)(uintptr_t)&ctrl_ack, 1, VRING_F_WRITE, 0 },
    };

    ctrl_cmd[0] = class;
    ctrl_cmd[1] = cmd;
    ctrl_cmd[2] = (uint8_t)arg;
    ctrl_cmd[3] = (uint8_t)(arg >> 8);
    ctrl_ack = 0xee;
    virtio_queue_post(&vq[Q_CTRL], chain, 2);
    GUEST_CHECK(virtio_queue_wait(&vq[Q_CTRL], SPIN_LIMIT) == 1);
    return ctrl_ack;
}

static void post_rx(unsigned pair)
{
    struct vring_desc d = { (uint64_t)(uintptr_t)rxbuf[pair], sizeof(rxbuf[pair]),
                            VRING_F_WRITE, 0 };

    virtio_queue_post(&vq[Q_RX0 + 2 * pair], &d, 1);
}

/* Whether the frame in rxbuf[pair] (len bytes, header included) is the host's. */
static bool is_ours(const uint8_t *b, uint32_t len)
{
    const uint8_t *eth = b + HDR;
    uint16_t num_buffers = (uint16_t)(b[10] | b[11] << 8);

    GUEST_CHECK(len >= HDR + ETH_HLEN && len <= sizeof(rxbuf[0]));
    GUEST_CHECK(num_buffers == 1);
    return eth[12] == (ETHERTYPE >> 8) && eth[13] == (ETHERTYPE & 0xff) && !memcmp(eth, mac, 6);
}

/* Waits for the host's frame on the first n_pairs receive queues; returns the pair. */
static unsigned receive(unsigned n_pairs)
{
    for (unsigned p = 0; p < n_pairs; p++)
        post_rx(p);
    serial_puts("rx ready\n");
    for (uint32_t spins = 0; spins < SPIN_LIMIT; spins++) {
        for (unsigned p = 0; p < n_pairs; p++) {
            uint32_t len;

            if (!virtio_queue_done(&vq[Q_RX0 + 2 * p]))
                continue;
            len = virtio_queue_wait(&vq[Q_RX0 + 2 * p], 1);
            if (is_ours(rxbuf[p], len))
                return p;
            post_rx(p);     /* the host kernel's own traffic */
        }
        cpu_relax();
    }
    guest_fail("no frame from the host");
}

int guest_main(void)
{
    bool mq = cmdline_has_mq();
    unsigned n_pairs = mq ? 2 : 1;
    uint32_t features;
    uint32_t want;
    const uint8_t *eth;
    uint8_t plen;
    unsigned pair;
    unsigned n;

    virtio_find(&dev, 0x1041, "virtio-net");
    GUEST_CHECK(dev.devcfg);
    features = virtio_begin(&dev);
    GUEST_CHECK(features & (1u << F_MAC));
    GUEST_CHECK(features & (1u << F_STATUS));
    GUEST_CHECK(features & (1u << F_MRG_RXBUF));
    for (unsigned i = 0; i < 6; i++)
        mac[i] = *(volatile uint8_t *)(uintptr_t)(dev.devcfg + i);
    print_mac("mac ", mac);
    GUEST_CHECK(*(volatile uint16_t *)(uintptr_t)(dev.devcfg + 6) & 1);
    serial_puts("link up\n");
    want = 1u << F_MAC | 1u << F_STATUS | 1u << F_MRG_RXBUF;
    if (mq) {
        GUEST_CHECK(features & (1u << F_MQ));
        GUEST_CHECK(features & (1u << F_CTRL_VQ));
        GUEST_CHECK(*(volatile uint16_t *)(uintptr_t)(dev.devcfg + 8) == 2);
        want |= 1u << F_MQ | 1u << F_CTRL_VQ;
    } else {
        GUEST_CHECK(!(features & (1u << F_MQ)));
    }
    virtio_finish_queues_features(&dev, want, vq, mq ? 5 : 2);
    if (mq) {
        GUEST_CHECK(ctrl(4, 0, 3) == 1);        /* more pairs than the device has */
        GUEST_CHECK(ctrl(9, 9, 0) == 1);        /* no such class */
        GUEST_CHECK(ctrl(4, 0, 2) == 0);
        serial_puts("pairs 2 ok\n");
    }

    pair = receive(n_pairs);
    eth = rxbuf[pair] + HDR;
    plen = eth[ETH_HLEN];
    serial_puts("received on queue ");
    serial_put_dec(2 * pair);
    serial_puts(": ");
    for (unsigned i = 0; i < plen; i++) {
        char ch = (char)eth[ETH_HLEN + 1 + i];

        GUEST_CHECK(ch >= 0x20 && ch < 0x7f);
        serial_putc(ch);
    }
    serial_putc('\n');

    /* The answer: to the sender, from our MAC. */
    memcpy(txframe, eth + 6, 6);
    memcpy(txframe + 6, mac, 6);
    txframe[12] = ETHERTYPE >> 8;
    txframe[13] = ETHERTYPE & 0xff;
    txframe[ETH_HLEN] = (uint8_t)(plen + 5);
    memcpy(txframe + ETH_HLEN + 1, "pong ", 5);
    memcpy(txframe + ETH_HLEN + 6, eth + ETH_HLEN + 1, plen);
    n = ETH_HLEN + 6 + plen;
    {
        struct vring_desc chain[2] = {
            { (uint64_t)(uintptr_t)txhdr, HDR, 0, 0 },
            { (uint64_t)(uintptr_t)txframe, n, 0, 0 },
        };
        unsigned q = mq ? Q_TX1 : Q_TX0;

        virtio_queue_post(&vq[q], chain, 2);
        GUEST_CHECK(virtio_queue_wait(&vq[q], SPIN_LIMIT) == 0);
        serial_puts("sent on queue ");
        serial_put_dec(q);
        serial_putc('\n');
    }
    serial_puts("net ok\n");
    return 0;
}
