/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtio PCI transport driven as a guest driver would: config space through
 * the PCI host's ECAM window, BAR 0 through its MMIO handler, on a fake VM
 * (vm.c is not linked) with a fake device and a guest RAM buffer.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/pci-host.h"
#include "devices/virtio-pci.h"
#include "devices/virtio-rng.h"
#include "vmm/vm.h"

#define RAM_SIZE (1u << 20)
#define BAR LAYOUT_PCI_MMIO32_BASE
#define SLOT 3
#define MAX_RANGES 8
#define MAX_EVENTFDS 4

/* ---- the fake VM ---- */

struct fake_range {
    bool is_pio;
    uint64_t base;
    uint64_t len;
    io_handler_fn fn;
    void *opaque;
};

struct vm {
    struct fake_range ranges[MAX_RANGES];
    unsigned n_ranges;
    guest_mem *gm;
    struct { int fd; uint64_t addr; uint32_t len; } eventfds[MAX_EVENTFDS];
    unsigned n_eventfds;
    unsigned msi_calls;     /* atomic: device threads signal too */
    uint64_t msi_addr;
    uint32_t msi_data;
};

static int fake_register(vm *v, bool is_pio, uint64_t base, uint64_t len, io_handler_fn fn,
                         void *opaque)
{
    ck_assert_uint_lt(v->n_ranges, MAX_RANGES);
    v->ranges[v->n_ranges++] = (struct fake_range){ is_pio, base, len, fn, opaque };
    return 0;
}

int vm_register_pio(vm *v, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    return fake_register(v, true, base, len, fn, opaque);
}

int vm_register_mmio(vm *v, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    return fake_register(v, false, base, len, fn, opaque);
}

void vm_request_stop(vm *v, enum vm_stop_reason reason)
{
    ck_abort_msg("the transport must never stop the VM");
}

void vm_set_irq_line(vm *v, uint32_t gsi, bool level)
{
    ck_abort_msg("the transport has no INTx line");
}

guest_mem *vm_guest_mem(vm *v)
{
    return v->gm;
}

int vm_register_ioeventfd(vm *v, int fd, uint64_t addr, uint32_t len, GError **error)
{
    ck_assert_uint_lt(v->n_eventfds, MAX_EVENTFDS);
    v->eventfds[v->n_eventfds].fd = fd;
    v->eventfds[v->n_eventfds].addr = addr;
    v->eventfds[v->n_eventfds].len = len;
    v->n_eventfds++;
    return 0;
}

/* The message of a vector the device fired (tests/unit/fake-msi.c). */
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data);
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data)
{
    v->msi_addr = addr;
    v->msi_data = data;
    __atomic_add_fetch(&v->msi_calls, 1, __ATOMIC_SEQ_CST);
}

static void mmio(vm *v, uint64_t addr, void *data, uint32_t len, bool is_write)
{
    /* As KVM does: a write matching an ioeventfd signals it and never exits. */
    for (unsigned i = 0; is_write && i < v->n_eventfds; i++) {
        if (v->eventfds[i].addr == addr && v->eventfds[i].len == len) {
            uint64_t one = 1;

            ck_assert_int_eq(write(v->eventfds[i].fd, &one, sizeof(one)), sizeof(one));
            return;
        }
    }
    for (unsigned i = 0; i < v->n_ranges; i++) {
        const struct fake_range *r = &v->ranges[i];

        if (!r->is_pio && addr >= r->base && addr + len <= r->base + r->len) {
            ck_assert(r->fn(r->opaque, addr - r->base, data, len, is_write));
            return;
        }
    }
    ck_abort_msg("no MMIO range at 0x%" G_GINT64_MODIFIER "x", addr);
}

/* ---- the fake device ---- */

#define FAKE_FEATURE 5

struct fake_dev {
    struct virtio_dev dev;
    unsigned notifies;
    unsigned resets;
    unsigned activates;
    struct virtq_chain chain;
};

static void fake_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(0xa0 + off + i);
}

static void fake_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct fake_dev *f = (struct fake_dev *)d;
    const guest_mem *gm = vm_guest_mem(d->vm);

    f->notifies++;
    while (virtq_pop(&d->vq[q], gm, &f->chain) == 1)
        virtq_push(&d->vq[q], gm, f->chain.head, 0);
    virtio_dev_notify(d, q);
}

static void fake_reset(struct virtio_dev *d)
{
    ((struct fake_dev *)d)->resets++;
}

static int fake_activate(struct virtio_dev *d, GError **error)
{
    ((struct fake_dev *)d)->activates++;
    return 0;
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake",
    .device_id = VIRTIO_ID_RNG,
    .pci_class = 0xff0000,
    .num_queues = 2,
    .max_queue_size = 16,
    .features = 1ULL << FAKE_FEATURE,
    .config_size = 8,
    .config_read = fake_config_read,
    .queue_notify = fake_queue_notify,
    .reset = fake_reset,
    .activate = fake_activate,
};

/* ---- fixture ---- */

static struct vm fvm;
static uint8_t *ram;
static pci_host *host;
static struct fake_dev fdev;
static virtio_pci *tp;

static void setup(void)
{
    g_autoptr(GError) error = NULL;

    memset(&fvm, 0, sizeof(fvm));
    memset(&fdev, 0, sizeof(fdev));
    ram = g_malloc0(RAM_SIZE);
    fvm.gm = guest_mem_new_from_buffer(ram, RAM_SIZE);
    host = pci_host_create(&fvm, &error);
    ck_assert_msg(host, "%s", error ? error->message : "");
    fdev.dev.ops = &fake_ops;
    fdev.dev.vm = &fvm;
    fdev.dev.id = (char *)"fake0";
    fdev.dev.host_features = fake_ops.features;
    tp = virtio_pci_create(&fvm, host, SLOT, BAR, &fdev.dev, &error);
    ck_assert_msg(tp, "%s", error ? error->message : "");
}

static void teardown(void)
{
    virtio_pci_free(tp);
    pci_host_free(host);
    guest_mem_free(fvm.gm);
    g_free(ram);
}

static uint32_t cfg_rd(uint16_t reg, unsigned len)
{
    uint32_t v = 0;

    mmio(&fvm, LAYOUT_ECAM_BASE + (SLOT << 15) + reg, &v, len, false);
    return v;
}

static void cfg_wr_slot(unsigned slot, uint16_t reg, uint32_t v, unsigned len)
{
    mmio(&fvm, LAYOUT_ECAM_BASE + (slot << 15) + reg, &v, len, true);
}

static void cfg_wr(uint16_t reg, uint32_t v, unsigned len)
{
    cfg_wr_slot(SLOT, reg, v, len);
}

static uint64_t bar_rd(uint32_t off, unsigned len)
{
    uint64_t v = 0;

    mmio(&fvm, BAR + off, &v, len, false);
    return v;
}

static void bar_wr(uint32_t off, uint64_t v, unsigned len)
{
    mmio(&fvm, BAR + off, &v, len, true);
}

#define STATUS 0x14
static uint8_t status(void)
{
    return (uint8_t)bar_rd(STATUS, 1);
}

/* Memory decoding on, as firmware or the driver does before touching the BAR. */
static void enable_memory(void)
{
    cfg_wr(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static void negotiate(uint64_t features)
{
    bar_wr(STATUS, 0, 1);
    bar_wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    bar_wr(0x08, 0, 4);
    bar_wr(0x0c, (uint32_t)features, 4);
    bar_wr(0x08, 1, 4);
    bar_wr(0x0c, (uint32_t)(features >> 32), 4);
    bar_wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
           VIRTIO_STATUS_FEATURES_OK, 1);
}

#define VERSION_1 (1ULL << VIRTIO_F_VERSION_1)

/* Queue q with rings at 0x1000 (desc), 0x2000 (avail), 0x3000 (used). */
static void setup_queue(uint16_t q, uint64_t desc, uint16_t size)
{
    bar_wr(0x16, q, 2);
    bar_wr(0x18, size, 2);
    bar_wr(0x20, desc, 8);
    bar_wr(0x28, 0x2000, 4);
    bar_wr(0x2c, 0, 4);
    bar_wr(0x30, 0x3000, 4);
    bar_wr(0x34, 0, 4);
    bar_wr(0x1c, 1, 2);
}

START_TEST(identity_and_capabilities)
{
    uint8_t types_seen = 0;
    unsigned walked = 0;
    bool msix = false;

    ck_assert_uint_eq(cfg_rd(PCI_VENDOR_ID, 2), 0x1af4);
    ck_assert_uint_eq(cfg_rd(PCI_DEVICE_ID, 2), 0x1044);
    ck_assert_uint_eq(cfg_rd(PCI_CLASS_REVISION, 4), 0xff000001);
    ck_assert_uint_ge(cfg_rd(0x2e, 2), 0x40);
    ck_assert(cfg_rd(PCI_STATUS, 2) & 0x10);
    ck_assert_uint_eq(cfg_rd(0x10, 4), BAR);
    for (uint8_t p = (uint8_t)cfg_rd(0x34, 1); p; p = (uint8_t)cfg_rd(p + 1, 1)) {
        ck_assert_uint_lt(++walked, 16);     /* no loop */
        ck_assert_uint_ge(p, 0x40);
        if (cfg_rd(p, 1) == 0x11) {
            msix = true;
            ck_assert_uint_eq(cfg_rd(p + 2, 2) & 0x7ff, 2);    /* 3 vectors */
            ck_assert_uint_eq(cfg_rd(p + 4, 4), VIRTIO_PCI_MSIX_TABLE_OFF);
            ck_assert_uint_eq(cfg_rd(p + 8, 4), VIRTIO_PCI_MSIX_PBA_OFF);
            continue;
        }
        ck_assert_uint_eq(cfg_rd(p, 1), 0x09);
        uint8_t type = (uint8_t)cfg_rd(p + 3, 1);
        uint32_t off = cfg_rd(p + 8, 4);
        uint32_t len = cfg_rd(p + 12, 4);

        ck_assert_uint_eq(cfg_rd(p + 4, 1), 0);   /* BAR 0 */
        ck_assert_uint_le((uint64_t)off + len, VIRTIO_PCI_BAR_SIZE);
        types_seen |= 1u << type;
        if (type == 2) {
            ck_assert_uint_eq(cfg_rd(p + 2, 1), 20);
            ck_assert_uint_eq(cfg_rd(p + 16, 4), VIRTIO_PCI_NOTIFY_MULTIPLIER);
            ck_assert_uint_eq(off, VIRTIO_PCI_NOTIFY_OFF);
        }
        if (type == 1)
            ck_assert_uint_ge(len, 0x38);
    }
    ck_assert_uint_eq(types_seen, 0x3e);      /* common, notify, ISR, device, PCI cfg */
    ck_assert(msix);
}
END_TEST

START_TEST(bar_sizing_and_decoding)
{
    ck_assert_uint_eq(bar_rd(0x12, 2), 0xffff);     /* decoding off: reads all ones */
    cfg_wr(0x10, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_rd(0x10, 4), (uint32_t)-VIRTIO_PCI_BAR_SIZE);
    cfg_wr(0x10, BAR, 4);
    ck_assert_uint_eq(cfg_rd(0x10, 4), BAR);
    enable_memory();
    ck_assert_uint_eq(bar_rd(0x12, 2), 2);          /* num_queues */
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_DEVICE_OFF + 2, 2), 0xa3a2);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 4), 0);   /* past config_size */
}
END_TEST

START_TEST(feature_negotiation)
{
    enable_memory();
    bar_wr(0x00, 0, 4);
    ck_assert_uint_eq(bar_rd(0x04, 4), 1u << FAKE_FEATURE);
    bar_wr(0x00, 1, 4);
    ck_assert_uint_eq(bar_rd(0x04, 4), 1);          /* VERSION_1 */
    bar_wr(0x00, 2, 4);
    ck_assert_uint_eq(bar_rd(0x04, 4), 0);

    negotiate(VERSION_1 | (1ULL << FAKE_FEATURE) | (1ULL << 6));   /* 6 was never offered */
    ck_assert(!(status() & VIRTIO_STATUS_FEATURES_OK));
    negotiate(1ULL << FAKE_FEATURE);                              /* legacy driver */
    ck_assert(!(status() & VIRTIO_STATUS_FEATURES_OK));
    negotiate(VERSION_1 | (1ULL << FAKE_FEATURE));
    ck_assert(status() & VIRTIO_STATUS_FEATURES_OK);
    ck_assert_uint_eq(fdev.dev.features, VERSION_1 | (1ULL << FAKE_FEATURE));
    /* Once accepted the features are frozen. */
    bar_wr(0x08, 0, 4);
    bar_wr(0x0c, 0, 4);
    ck_assert_uint_eq(bar_rd(0x0c, 4), 1u << FAKE_FEATURE);
    /* DRIVER_OK without FEATURES_OK is not taken. */
    negotiate(1ULL << 6);
    bar_wr(STATUS, status() | VIRTIO_STATUS_DRIVER_OK, 1);
    ck_assert(!(status() & VIRTIO_STATUS_DRIVER_OK));
    ck_assert_uint_eq(fdev.activates, 0);
}
END_TEST

START_TEST(queue_setup_validation)
{
    enable_memory();
    negotiate(VERSION_1);
    bar_wr(0x16, 1, 2);
    ck_assert_uint_eq(bar_rd(0x18, 2), 16);
    bar_wr(0x18, 3, 2);                              /* not a power of two */
    ck_assert_uint_eq(bar_rd(0x18, 2), 16);
    bar_wr(0x18, 32, 2);                             /* above the maximum */
    ck_assert_uint_eq(bar_rd(0x18, 2), 16);
    bar_wr(0x18, 0, 2);
    ck_assert_uint_eq(bar_rd(0x18, 2), 16);
    bar_wr(0x18, 8, 2);
    ck_assert_uint_eq(bar_rd(0x18, 2), 8);
    ck_assert_uint_eq(bar_rd(0x1e, 2), 1);           /* notify_off */
    bar_wr(0x1a, 7, 2);                              /* no such MSI-X vector */
    ck_assert_uint_eq(bar_rd(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
    bar_wr(0x1a, 1, 2);
    ck_assert_uint_eq(bar_rd(0x1a, 2), 1);

    bar_wr(0x16, 9, 2);                              /* no such queue */
    ck_assert_uint_eq(bar_rd(0x18, 2), 0);
    bar_wr(0x18, 4, 2);
    bar_wr(0x1c, 1, 2);
    ck_assert_uint_eq(bar_rd(0x1c, 2), 0);

    setup_queue(0, 0x1000, 8);
    ck_assert_uint_eq(bar_rd(0x1c, 2), 1);
    ck_assert(fdev.dev.vq_ready[0]);
    ck_assert_uint_eq(fdev.dev.vq[0].size, 8);
    ck_assert_uint_eq(bar_rd(0x20, 8), 0x1000);
    bar_wr(0x20, 0x5000, 8);                         /* frozen once enabled */
    bar_wr(0x18, 4, 2);
    ck_assert_uint_eq(bar_rd(0x20, 8), 0x1000);
    ck_assert_uint_eq(bar_rd(0x18, 2), 8);

    /* Kicks before DRIVER_OK go nowhere, after it reach the device. */
    bar_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
    ck_assert_uint_eq(fdev.notifies, 0);
    bar_wr(STATUS, status() | VIRTIO_STATUS_DRIVER_OK, 1);
    ck_assert_uint_eq(fdev.activates, 1);
    bar_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
    ck_assert_uint_eq(fdev.notifies, 1);
    bar_wr(VIRTIO_PCI_NOTIFY_OFF + 4, 1, 2);         /* queue 1 never enabled */
    bar_wr(VIRTIO_PCI_NOTIFY_OFF + 400, 1, 2);       /* no such queue */
    ck_assert_uint_eq(fdev.notifies, 1);
}
END_TEST

START_TEST(reset_restores_defaults)
{
    enable_memory();
    negotiate(VERSION_1);
    bar_wr(0x10, 0, 2);
    setup_queue(0, 0x1000, 4);
    bar_wr(0x1a, 0, 2);
    bar_wr(STATUS, status() | VIRTIO_STATUS_DRIVER_OK, 1);
    ck_assert_uint_eq(status(), 0x0f);
    unsigned resets = fdev.resets;

    bar_wr(STATUS, 0, 1);
    ck_assert_uint_eq(status(), 0);
    ck_assert_uint_eq(fdev.resets, resets + 1);
    ck_assert_uint_eq(fdev.dev.features, 0);
    ck_assert_uint_eq(bar_rd(0x10, 2), VIRTIO_MSI_NO_VECTOR);
    ck_assert_uint_eq(bar_rd(0x16, 2), 0);
    ck_assert_uint_eq(bar_rd(0x18, 2), 16);
    ck_assert_uint_eq(bar_rd(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
    ck_assert_uint_eq(bar_rd(0x1c, 2), 0);
    ck_assert_uint_eq(bar_rd(0x20, 8), 0);
    ck_assert(!fdev.dev.vq_ready[0]);
    bar_wr(0x08, 0, 4);
    ck_assert_uint_eq(bar_rd(0x0c, 4), 0);
}
END_TEST

START_TEST(hostile_queue_addresses)
{
    enable_memory();
    negotiate(VERSION_1);
    setup_queue(0, RAM_SIZE - 16, 16);              /* the table runs past RAM */
    ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert(!fdev.dev.vq_ready[0]);
    bar_wr(STATUS, status() | VIRTIO_STATUS_DRIVER_OK, 1);
    bar_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
    ck_assert_uint_eq(fdev.notifies, 0);
    ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);  /* sticky until a reset */
    bar_wr(STATUS, 0, 1);
    ck_assert_uint_eq(status(), 0);

    negotiate(VERSION_1);
    setup_queue(0, 0xffffffffffff0000ULL, 16);      /* wraps */
    ck_assert(status() & VIRTIO_STATUS_NEEDS_RESET);

    /* Every offset and width of the BAR, with junk: never a crash, never a stop. */
    g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
    for (uint32_t off = 0; off < VIRTIO_PCI_BAR_SIZE; off++) {
        for (unsigned len = 1; len <= 8; len *= 2) {
            if (off + len > VIRTIO_PCI_BAR_SIZE)
                continue;
            if (off < 0x1000 && off <= STATUS && off + len > STATUS)
                continue;   /* status writes are covered above */
            bar_wr(off, ((uint64_t)g_rand_int(rnd) << 32) | g_rand_int(rnd), len);
            bar_rd(off, len);
        }
    }
    /* And config space, the BAR window capability included. */
    for (unsigned round = 0; round < 64; round++) {
        for (uint16_t reg = 0x40; reg < 0x100; reg += 4) {
            cfg_wr(reg, g_rand_int(rnd), 4);
            cfg_rd(reg, 4);
        }
    }
}
END_TEST

START_TEST(msix_delivery_and_masking)
{
    uint8_t *r = ram;
    uint32_t msix_ctrl_reg = 0x84 + 2;

    enable_memory();
    negotiate(VERSION_1);
    setup_queue(0, 0x1000, 8);
    bar_wr(0x1a, 1, 2);
    bar_wr(STATUS, status() | VIRTIO_STATUS_DRIVER_OK, 1);
    ck_assert_uint_eq(cfg_rd(0x84, 1), 0x11);
    cfg_wr((uint16_t)msix_ctrl_reg, 0x8000, 2);      /* enable */
    bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16, 0xfee00000, 4);
    bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 20, 0, 4);
    bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 24, 0x41, 4);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_MSIX_TABLE_OFF + 28, 4), 1);   /* masked */

    /* One 64-byte writable buffer: desc 0 at 0x1000, avail idx 1. */
    uint64_t addr = 0x4000;
    uint32_t len = 64;
    uint16_t flags = 2;
    memcpy(r + 0x1000, &addr, 8);
    memcpy(r + 0x1008, &len, 4);
    memcpy(r + 0x100c, &flags, 2);
    r[0x2002] = 1;
    bar_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
    ck_assert_uint_eq(r[0x3002], 1);                 /* used idx */
    ck_assert_uint_eq(fvm.msi_calls, 0);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_MSIX_PBA_OFF, 8), 2);   /* pending */
    bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 28, 0, 4);    /* unmask: the pending one goes */
    ck_assert_uint_eq(fvm.msi_calls, 1);
    ck_assert_uint_eq(fvm.msi_addr, 0xfee00000);
    ck_assert_uint_eq(fvm.msi_data, 0x41);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_MSIX_PBA_OFF, 8), 0);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_ISR_OFF, 1), 1);
    ck_assert_uint_eq(bar_rd(VIRTIO_PCI_ISR_OFF, 1), 0);  /* read clears */

    r[0x1000 + 16 + 8] = 64;
    memcpy(r + 0x1010, &addr, 8);
    memcpy(r + 0x101c, &flags, 2);
    r[0x2006] = 1;
    r[0x2002] = 2;
    bar_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
    ck_assert_uint_eq(fvm.msi_calls, 2);
}
END_TEST

/* ---- virtio-rng on the transport, its worker thread doing the work ---- */

#define RNG_BAR (BAR + VIRTIO_PCI_BAR_SIZE)
#define RNG_SLOT 4
#define RNG_SRC_LEN 100

static virtio_rng *rng;
static char *rng_src;

static void rng_setup(void)
{
    g_autoptr(GError) error = NULL;
    uint8_t src[RNG_SRC_LEN];
    int fd;

    memset(&fvm, 0, sizeof(fvm));
    ram = g_malloc0(RAM_SIZE);
    fvm.gm = guest_mem_new_from_buffer(ram, RAM_SIZE);
    host = pci_host_create(&fvm, &error);
    ck_assert_msg(host, "%s", error ? error->message : "");
    for (unsigned i = 0; i < RNG_SRC_LEN; i++)
        src[i] = (uint8_t)(i + 1);
    fd = g_file_open_tmp("skiff-rng-XXXXXX", &rng_src, &error);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, src, sizeof(src)), sizeof(src));
    close(fd);
    rng = virtio_rng_create(&fvm, host, RNG_SLOT, RNG_BAR, "rng7", rng_src, &error);
    ck_assert_msg(rng, "%s", error ? error->message : "");
}

static void rng_teardown(void)
{
    virtio_rng_free(rng);
    pci_host_free(host);
    guest_mem_free(fvm.gm);
    g_free(ram);
    unlink(rng_src);
    g_free(rng_src);
}

static uint8_t rng_status(void)
{
    uint8_t v = 0;

    mmio(&fvm, RNG_BAR + STATUS, &v, 1, false);
    return v;
}

static void rng_wr(uint32_t off, uint64_t v, unsigned len)
{
    mmio(&fvm, RNG_BAR + off, &v, len, true);
}

/* The worker runs on its own: wait for the condition, bounded. */
#define WAIT_FOR(cond) do { \
        gint64 end_ = g_get_monotonic_time() + 10 * G_USEC_PER_SEC; \
        while (!(cond) && g_get_monotonic_time() < end_) \
            g_usleep(1000); \
        ck_assert_msg((cond), "timed out waiting for " #cond); \
    } while (0)

static uint16_t used_idx(void)
{
    return __atomic_load_n((uint16_t *)(ram + 0x3002), __ATOMIC_ACQUIRE);
}

/* Posts descriptor i (one writable buffer) and kicks with a 16-bit write. */
static void rng_post(uint16_t i, uint64_t addr, uint32_t len)
{
    uint16_t flags = 2;
    uint16_t idx;

    memcpy(ram + 0x1000 + 16 * i, &addr, 8);
    memcpy(ram + 0x1008 + 16 * i, &len, 4);
    memcpy(ram + 0x100c + 16 * i, &flags, 2);
    memcpy(&idx, ram + 0x2002, 2);
    memcpy(ram + 0x2004 + 2 * (idx % 8), &i, 2);
    idx++;
    __atomic_store_n((uint16_t *)(ram + 0x2002), idx, __ATOMIC_RELEASE);
    rng_wr(VIRTIO_PCI_NOTIFY_OFF, 0, 2);
}

static void rng_start(void)
{
    cfg_wr_slot(RNG_SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    cfg_wr_slot(RNG_SLOT, 0x84 + 2, 0x8000, 2);     /* MSI-X on */
    rng_wr(VIRTIO_PCI_MSIX_TABLE_OFF, 0xfee00000, 4);
    rng_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 8, 0x51, 4);
    rng_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 12, 0, 4);
    rng_wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    rng_wr(0x08, 1, 4);
    rng_wr(0x0c, 1, 4);
    rng_wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
           VIRTIO_STATUS_FEATURES_OK, 1);
    rng_wr(0x16, 0, 2);
    rng_wr(0x18, 8, 2);
    rng_wr(0x1a, 0, 2);
    rng_wr(0x20, 0x1000, 8);
    rng_wr(0x28, 0x2000, 8);
    rng_wr(0x30, 0x3000, 8);
    rng_wr(0x1c, 1, 2);
    rng_wr(STATUS, 0x0f, 1);
    ck_assert_uint_eq(rng_status(), 0x0f);
}

START_TEST(rng_fills_from_source)
{
    uint8_t want[64];

    ck_assert_uint_eq(fvm.n_eventfds, 1);           /* the doorbell is an ioeventfd */
    ck_assert_uint_eq(fvm.eventfds[0].addr, RNG_BAR + VIRTIO_PCI_NOTIFY_OFF);
    rng_start();
    rng_post(0, 0x4000, 64);
    WAIT_FOR(used_idx() == 1);
    for (unsigned i = 0; i < 64; i++)
        want[i] = (uint8_t)(i + 1);
    ck_assert_mem_eq(ram + 0x4000, want, 64);
    ck_assert_uint_eq(ram[0x3008], 64);             /* used len */
    WAIT_FOR(__atomic_load_n(&fvm.msi_calls, __ATOMIC_SEQ_CST) == 1);
    ck_assert_uint_eq(fvm.msi_data, 0x51);

    /* 36 bytes left in the source: a 64-byte buffer hits its end. */
    rng_post(1, 0x5000, 64);
    WAIT_FOR(rng_status() & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(used_idx(), 1);
}
END_TEST

START_TEST(rng_hostile_buffer)
{
    rng_start();
    rng_post(0, RAM_SIZE - 32, 64);                 /* runs past the end of RAM */
    WAIT_FOR(rng_status() & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(used_idx(), 0);
    rng_wr(STATUS, 0, 1);                           /* a reset brings it back */
    ck_assert_uint_eq(rng_status(), 0);
    memset(ram + 0x1000, 0, 0x3000);
    rng_start();
    rng_post(0, 0x4000, 16);
    WAIT_FOR(used_idx() == 1);
}
END_TEST

START_TEST(rng_missing_source)
{
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_null(virtio_rng_create(&fvm, host, RNG_SLOT + 1, RNG_BAR + VIRTIO_PCI_BAR_SIZE,
                                         "rng8", "/nonexistent/rng", &error));
    ck_assert_msg(strstr(error->message, "/nonexistent/rng"), "%s", error->message);
}
END_TEST

/* The config-space window onto the BAR reaches the same registers. */
START_TEST(pci_cfg_window)
{
    enable_memory();
    ck_assert_uint_eq(cfg_rd(0x90, 1), 0x09);
    ck_assert_uint_eq(cfg_rd(0x93, 1), 5);
    cfg_wr(0x94, 0, 1);                 /* BAR 0 */
    cfg_wr(0x98, 0x12, 4);              /* num_queues */
    cfg_wr(0x9c, 2, 4);
    ck_assert_uint_eq(cfg_rd(0xa0, 2), 2);
    cfg_wr(0x98, STATUS, 4);
    cfg_wr(0x9c, 1, 4);
    cfg_wr(0xa0, VIRTIO_STATUS_ACKNOWLEDGE, 1);
    ck_assert_uint_eq(status(), VIRTIO_STATUS_ACKNOWLEDGE);
    cfg_wr(0x98, 0x13, 4);              /* misaligned for 2 bytes: ignored */
    cfg_wr(0x9c, 2, 4);
    cfg_wr(0xa0, 0xffff, 2);
    ck_assert_uint_eq(status(), VIRTIO_STATUS_ACKNOWLEDGE);
    cfg_wr(0x98, VIRTIO_PCI_BAR_SIZE, 4);   /* outside the BAR: ignored */
    cfg_wr(0x9c, 4, 4);
    cfg_wr(0xa0, 0, 4);
    ck_assert_uint_eq(status(), VIRTIO_STATUS_ACKNOWLEDGE);
}
END_TEST

static Suite *virtio_pci_suite(void)
{
    Suite *s = suite_create("virtio-pci");
    TCase *tc = tcase_create("transport");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, identity_and_capabilities);
    tcase_add_test(tc, bar_sizing_and_decoding);
    tcase_add_test(tc, feature_negotiation);
    tcase_add_test(tc, queue_setup_validation);
    tcase_add_test(tc, reset_restores_defaults);
    tcase_add_test(tc, hostile_queue_addresses);
    tcase_add_test(tc, msix_delivery_and_masking);
    tcase_add_test(tc, pci_cfg_window);
    suite_add_tcase(s, tc);

    tc = tcase_create("rng");
    tcase_add_checked_fixture(tc, rng_setup, rng_teardown);
    tcase_add_test(tc, rng_fills_from_source);
    tcase_add_test(tc, rng_hostile_buffer);
    tcase_add_test(tc, rng_missing_source);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(virtio_pci_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
