/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk data path against raw io_uring on the same file.
 *
 * "skiff" mode builds a real virtio-blk device (virtio-blk.c, its queue thread
 * and I/O backend, the virtio-pci transport and the PCI host) on a fake VM
 * whose guest RAM is a plain mapping, and plays the guest driver: it enables
 * the function through ECAM, programs MSI-X, the features and queue 0 through
 * the BAR's MMIO handler, fills the available ring, kicks the queue's
 * ioeventfd (here: writes the eventfd the device bound to the doorbell), and
 * sleeps on an eventfd that the fake_msi_delivered() writes, as KVM's irqfd
 * would. EVENT_IDX is negotiated, and the driver suppresses kicks and
 * interrupts as Linux's virtio_ring does. "raw" mode does the same reads with
 * liburing directly at the same depth.
 *
 * Every read is checked: each 4 KiB block of the file starts with its own
 * index (--create writes such a file).
 *
 * Usage: blk-bench --create FILE --size BYTES
 *        blk-bench --file FILE --peer skiff|skiff-sync|raw --pattern rand4k|seq128k
 *                  [--qd N] [--seconds S]
 * Prints one JSON object.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/pci-host.h"
#include "devices/virtio-blk.h"
#include "devices/virtio-pci.h"
#include "vmm/vm.h"

#define BLOCK 4096
#define RAM_SIZE (64u << 20)
#define SLOT 1
#define BAR LAYOUT_PCI_MMIO32_BASE
#define QSIZE 256           /* three descriptors per request: up to 85 in flight */
#define MAX_QD 64
#define DESC_GPA 0x10000
#define AVAIL_GPA 0x20000
#define USED_GPA 0x30000
#define HDR_GPA 0x40000     /* 16 bytes per slot */
#define STATUS_GPA 0x50000  /* 1 byte per slot */
#define DATA_GPA 0x100000   /* 128 KiB per slot */
#define DATA_STRIDE (128u << 10)

static void die(const char *what)
{
    fprintf(stderr, "blk-bench: %s\n", what);
    exit(1);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- workload ---- */

struct workload {
    uint64_t file_size;
    uint32_t bs;
    bool random;
    uint64_t rng;
    uint64_t next_seq;
};

static uint64_t next_offset(struct workload *w)
{
    uint64_t off;

    if (w->random) {
        w->rng ^= w->rng << 13;
        w->rng ^= w->rng >> 7;
        w->rng ^= w->rng << 17;
        return (w->rng % (w->file_size / w->bs)) * w->bs;
    }
    off = w->next_seq;
    w->next_seq += w->bs;
    if (w->next_seq + w->bs > w->file_size)
        w->next_seq = 0;
    return off;
}

/* Every 4 KiB block of the file begins with its index. */
static void check_data(const uint8_t *buf, uint64_t off, uint32_t len)
{
    for (uint32_t b = 0; b < len; b += BLOCK) {
        uint64_t v;

        memcpy(&v, buf + b, sizeof(v));
        if (v != (off + b) / BLOCK) {
            fprintf(stderr, "blk-bench: block at %llu holds %llu\n",
                    (unsigned long long)(off + b), (unsigned long long)v);
            exit(1);
        }
    }
}

/* ---- the fake VM ---- */

struct range {
    uint64_t base;
    uint64_t len;
    io_handler_fn fn;
    void *opaque;
};

struct vm {
    guest_mem *gm;
    struct range mmio[8];
    unsigned n_mmio;
    int kick_fd;            /* queue 0's doorbell */
    int irq_fd;             /* written by MSI-X */
    uint64_t msis;
};

int vm_register_pio(vm *v, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    return 0;
}

int vm_register_mmio(vm *v, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    if (v->n_mmio == G_N_ELEMENTS(v->mmio))
        die("too many MMIO ranges");
    v->mmio[v->n_mmio++] = (struct range){ base, len, fn, opaque };
    return 0;
}

void vm_request_stop(vm *v, enum vm_stop_reason reason)
{
    die("the device stopped the VM");
}

void vm_set_irq_line(vm *v, uint32_t gsi, bool level)
{
}

guest_mem *vm_guest_mem(vm *v)
{
    return v->gm;
}

int vm_register_ioeventfd(vm *v, int fd, uint64_t addr, uint32_t len, GError **error)
{
    if (addr == BAR + VIRTIO_PCI_NOTIFY_OFF)
        v->kick_fd = fd;
    return 0;
}

/* The message of a vector the device fired (tests/unit/fake-msi.c). */
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data);
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data)
{
    uint64_t one = 1;

    __atomic_add_fetch(&v->msis, 1, __ATOMIC_RELAXED);
    if (write(v->irq_fd, &one, sizeof(one)) < 0)
        die("irq eventfd");
}

static void mmio(vm *v, uint64_t addr, uint64_t val, uint32_t len, bool is_write, void *out)
{
    for (unsigned i = 0; i < v->n_mmio; i++) {
        struct range *r = &v->mmio[i];

        if (addr >= r->base && addr + len <= r->base + r->len) {
            uint8_t buf[8];

            memcpy(buf, &val, sizeof(buf));
            r->fn(r->opaque, addr - r->base, buf, len, is_write);
            if (out)
                memcpy(out, buf, len);
            return;
        }
    }
    die("no MMIO range");
}

static void wr(vm *v, uint64_t addr, uint64_t val, uint32_t len)
{
    mmio(v, addr, val, len, true, NULL);
}

static uint64_t rd(vm *v, uint64_t addr, uint32_t len)
{
    uint64_t val = 0;

    mmio(v, addr, 0, len, false, &val);
    return val;
}

/* ---- the guest driver ---- */

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct driver {
    vm *v;
    uint8_t *ram;
    struct vring_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[QSIZE], used_event */
    volatile uint16_t *used;        /* flags, idx, then 8-byte elements; avail_event */
    uint16_t avail_idx;
    uint16_t kicked_idx;
    uint16_t last_used;
    uint64_t slot_off[MAX_QD];
};

static void driver_init(struct driver *dr, vm *v, uint8_t *ram)
{
    uint64_t cfg = LAYOUT_ECAM_BASE + ((uint64_t)SLOT << 15);
    uint8_t cap;

    memset(dr, 0, sizeof(*dr));
    dr->v = v;
    dr->ram = ram;
    dr->desc = (struct vring_desc *)(ram + DESC_GPA);
    dr->avail = (volatile uint16_t *)(ram + AVAIL_GPA);
    dr->used = (volatile uint16_t *)(ram + USED_GPA);
    wr(v, cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    for (cap = (uint8_t)rd(v, cfg + 0x34, 1); cap; cap = (uint8_t)rd(v, cfg + cap + 1, 1)) {
        if (rd(v, cfg + cap, 1) == 0x11)
            break;
    }
    if (!cap)
        die("no MSI-X capability");
    wr(v, cfg + cap + 2, 0x8000, 2);                       /* MSI-X enable */
    wr(v, BAR + VIRTIO_PCI_MSIX_TABLE_OFF + 0, 0xfee00000, 4);
    wr(v, BAR + VIRTIO_PCI_MSIX_TABLE_OFF + 4, 0, 4);
    wr(v, BAR + VIRTIO_PCI_MSIX_TABLE_OFF + 8, 0x31, 4);
    wr(v, BAR + VIRTIO_PCI_MSIX_TABLE_OFF + 12, 0, 4);     /* unmasked */

    wr(v, BAR + 0x14, 0, 1);
    wr(v, BAR + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    wr(v, BAR + 0x08, 0, 4);
    wr(v, BAR + 0x0c, 1u << VIRTIO_F_RING_EVENT_IDX, 4);
    wr(v, BAR + 0x08, 1, 4);
    wr(v, BAR + 0x0c, 1, 4);                                /* VERSION_1 */
    wr(v, BAR + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
       VIRTIO_STATUS_FEATURES_OK, 1);
    if (!(rd(v, BAR + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK))
        die("FEATURES_OK refused");
    wr(v, BAR + 0x16, 0, 2);
    wr(v, BAR + 0x18, QSIZE, 2);
    wr(v, BAR + 0x1a, 0, 2);                                /* MSI-X vector 0 */
    wr(v, BAR + 0x20, DESC_GPA, 8);
    wr(v, BAR + 0x28, AVAIL_GPA, 8);
    wr(v, BAR + 0x30, USED_GPA, 8);
    wr(v, BAR + 0x1c, 1, 2);
    wr(v, BAR + 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
    if (rd(v, BAR + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET)
        die("device needs a reset");
    if (v->kick_fd < 0)
        die("no ioeventfd for queue 0");
}

/* Slot i: descriptors 3i (header), 3i+1 (data), 3i+2 (status). */
static void driver_add(struct driver *dr, unsigned i, uint64_t off, uint32_t len)
{
    uint8_t *hdr = dr->ram + HDR_GPA + 16 * i;
    uint32_t type = VIRTIO_BLK_T_IN;
    uint64_t sector = off / VIRTIO_BLK_SECTOR;

    memcpy(hdr, &type, 4);
    memset(hdr + 4, 0, 4);
    memcpy(hdr + 8, &sector, 8);
    dr->ram[STATUS_GPA + i] = 0xff;
    dr->desc[3 * i] = (struct vring_desc){ HDR_GPA + 16 * i, 16, 1, (uint16_t)(3 * i + 1) };
    dr->desc[3 * i + 1] = (struct vring_desc){ DATA_GPA + (uint64_t)DATA_STRIDE * i, len, 3,
                                               (uint16_t)(3 * i + 2) };
    dr->desc[3 * i + 2] = (struct vring_desc){ STATUS_GPA + i, 1, 2, 0 };
    dr->slot_off[i] = off;
    dr->avail[2 + dr->avail_idx % QSIZE] = (uint16_t)(3 * i);
    dr->avail_idx++;
}

/* Publishes the new entries and kicks when the device asked for it (vring_need_event). */
static void driver_kick(struct driver *dr)
{
    uint16_t old = dr->kicked_idx;
    uint16_t new = dr->avail_idx;
    uint16_t event;
    uint64_t one = 1;

    __atomic_store_n(&dr->avail[1], new, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    event = *(volatile uint16_t *)(dr->ram + USED_GPA + 4 + 8 * QSIZE);
    dr->kicked_idx = new;
    if ((uint16_t)(new - event - 1) < (uint16_t)(new - old) &&
        write(dr->v->kick_fd, &one, sizeof(one)) < 0)
        die("kick");
}

struct result {
    uint64_t ios;
    double seconds;
    uint64_t waits;
    double cpu;             /* seconds of CPU, every thread of the process */
    double cpu_driver;      /* of this thread: the guest driver, or all of raw */
};

static double cpu_seconds(int who)
{
    struct rusage ru;

    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static struct result run_skiff(const char *path, struct workload *w, unsigned qd, double secs,
                               bool sync)
{
    static struct vm fvm;
    g_autoptr(GError) error = NULL;
    struct disk_config dc = { 0 };
    struct driver dr;
    struct result res = { 0 };
    uint8_t *ram;
    pci_host *host;
    virtio_blk *b;
    unsigned in_flight = 0;
    double t0;
    double deadline;

    ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap");
    fvm.gm = guest_mem_new_from_buffer(ram, RAM_SIZE);
    fvm.kick_fd = -1;
    fvm.irq_fd = eventfd(0, EFD_CLOEXEC);
    host = pci_host_create(&fvm, &error);
    if (!host)
        die(error->message);
    dc.path = (char *)path;
    dc.id = (char *)"bench0";
    dc.direct = true;
    dc.num_queues = 1;
    dc.queue_size = QSIZE;
    dc.disable_io_uring = sync;
    b = virtio_blk_create(&fvm, host, SLOT, BAR, &dc, &error);
    if (!b)
        die(error->message);
    if (virtio_blk_uses_io_uring(b) == sync)
        die(sync ? "io_uring in use though disabled" : "io_uring is unavailable");
    driver_init(&dr, &fvm, ram);

    t0 = now();
    res.cpu = cpu_seconds(RUSAGE_SELF);
    res.cpu_driver = cpu_seconds(RUSAGE_THREAD);
    deadline = t0 + secs;
    for (unsigned i = 0; i < qd; i++)
        driver_add(&dr, i, next_offset(w), w->bs);
    in_flight = qd;
    driver_kick(&dr);
    while (in_flight) {
        uint64_t n;
        bool more = now() < deadline;

        /* Interrupt at the next completion, then look once more (virtqueue_enable_cb). */
        dr.avail[2 + QSIZE] = dr.last_used;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&dr.used[1], __ATOMIC_ACQUIRE) == dr.last_used) {
            if (read(fvm.irq_fd, &n, sizeof(n)) < 0)
                die("irq read");
            res.waits++;
        }
        while (dr.last_used != __atomic_load_n(&dr.used[1], __ATOMIC_ACQUIRE)) {
            const uint8_t *e = dr.ram + USED_GPA + 4 + 8 * (dr.last_used % QSIZE);
            uint32_t id;
            uint32_t len;
            unsigned i;

            memcpy(&id, e, 4);
            memcpy(&len, e + 4, 4);
            i = id / 3;
            if (id % 3 || i >= qd || dr.ram[STATUS_GPA + i] != VIRTIO_BLK_S_OK ||
                len != w->bs + 1)
                die("bad completion");
            check_data(ram + DATA_GPA + (uint64_t)DATA_STRIDE * i, dr.slot_off[i], w->bs);
            dr.last_used++;
            res.ios++;
            in_flight--;
            if (more) {
                driver_add(&dr, i, next_offset(w), w->bs);
                in_flight++;
            }
        }
        driver_kick(&dr);
    }
    res.seconds = now() - t0;
    res.cpu = cpu_seconds(RUSAGE_SELF) - res.cpu;
    res.cpu_driver = cpu_seconds(RUSAGE_THREAD) - res.cpu_driver;
    virtio_blk_free(b);
    pci_host_free(host);
    guest_mem_free(fvm.gm);
    munmap(ram, RAM_SIZE);
    close(fvm.irq_fd);
    return res;
}

static struct result run_raw(const char *path, struct workload *w, unsigned qd, double secs)
{
    struct io_uring ring;
    struct result res = { 0 };
    uint8_t *bufs;
    uint64_t offs[MAX_QD];
    unsigned in_flight = 0;
    double t0;
    double deadline;
    int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

    if (fd < 0)
        die("open");
    if (io_uring_queue_init(qd, &ring, 0) < 0)
        die("io_uring_queue_init");
    bufs = mmap(NULL, (size_t)qd * DATA_STRIDE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bufs == MAP_FAILED)
        die("mmap");
    t0 = now();
    res.cpu = cpu_seconds(RUSAGE_SELF);
    res.cpu_driver = cpu_seconds(RUSAGE_THREAD);
    deadline = t0 + secs;
    for (unsigned i = 0; i < qd; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

        offs[i] = next_offset(w);
        io_uring_prep_read(sqe, fd, bufs + (size_t)i * DATA_STRIDE, w->bs, offs[i]);
        io_uring_sqe_set_data64(sqe, i);
    }
    in_flight = qd;
    while (in_flight) {
        struct io_uring_cqe *cqe;
        unsigned head;
        unsigned n = 0;
        bool more = now() < deadline;

        if (io_uring_submit_and_wait(&ring, 1) < 0)
            die("io_uring_submit_and_wait");
        res.waits++;
        io_uring_for_each_cqe(&ring, head, cqe) {
            unsigned i = (unsigned)cqe->user_data;

            n++;
            if (cqe->res != (int)w->bs)
                die("short or failed read");
            check_data(bufs + (size_t)i * DATA_STRIDE, offs[i], w->bs);
            res.ios++;
            in_flight--;
            if (more) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

                offs[i] = next_offset(w);
                io_uring_prep_read(sqe, fd, bufs + (size_t)i * DATA_STRIDE, w->bs, offs[i]);
                io_uring_sqe_set_data64(sqe, i);
                in_flight++;
            }
        }
        io_uring_cq_advance(&ring, n);
    }
    res.seconds = now() - t0;
    res.cpu = cpu_seconds(RUSAGE_SELF) - res.cpu;
    res.cpu_driver = cpu_seconds(RUSAGE_THREAD) - res.cpu_driver;
    io_uring_queue_exit(&ring);
    munmap(bufs, (size_t)qd * DATA_STRIDE);
    close(fd);
    return res;
}

static int create(const char *path, uint64_t size)
{
    g_autofree uint8_t *buf = g_malloc0(1u << 20);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        die("create");
    for (uint64_t off = 0; off < size; off += 1u << 20) {
        for (uint32_t b = 0; b < (1u << 20); b += BLOCK) {
            uint64_t idx = (off + b) / BLOCK;

            memcpy(buf + b, &idx, sizeof(idx));
            memset(buf + b + 8, (int)(idx & 0xff), BLOCK - 8);
        }
        if (pwrite(fd, buf, 1u << 20, (off_t)off) != (ssize_t)(1u << 20))
            die("write");
    }
    if (fsync(fd) < 0)
        die("fsync");
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    const char *peer = "skiff";
    const char *pattern = "rand4k";
    const char *create_path = NULL;
    uint64_t size = 1ULL << 30;
    unsigned qd = 32;
    double secs = 5;
    struct workload w = { .rng = 0x9e3779b97f4a7c15ULL };
    struct result r;
    struct stat st;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--file"))
            file = argv[i + 1];
        else if (!strcmp(argv[i], "--peer"))
            peer = argv[i + 1];
        else if (!strcmp(argv[i], "--pattern"))
            pattern = argv[i + 1];
        else if (!strcmp(argv[i], "--qd"))
            qd = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--create"))
            create_path = argv[i + 1];
        else if (!strcmp(argv[i], "--size"))
            size = strtoull(argv[i + 1], NULL, 0);
        else
            die("unknown option");
    }
    if (create_path)
        return create(create_path, size);
    if (!file || qd < 1 || qd > MAX_QD || stat(file, &st) < 0)
        die("usage: blk-bench --file FILE [--peer skiff|skiff-sync|raw] "
            "[--pattern rand4k|seq128k] [--qd N] [--seconds S]");
    w.file_size = (uint64_t)st.st_size;
    w.random = !strcmp(pattern, "rand4k");
    w.bs = w.random ? 4096 : 128u << 10;
    if (!strcmp(peer, "raw"))
        r = run_raw(file, &w, qd, secs);
    else
        r = run_skiff(file, &w, qd, secs, !strcmp(peer, "skiff-sync"));
    printf("{\"peer\": \"%s\", \"pattern\": \"%s\", \"qd\": %u, \"ios\": %llu, "
           "\"seconds\": %.4f, \"iops\": %.1f, \"mb_per_s\": %.2f, \"waits\": %llu, "
           "\"cpu_us_per_io\": %.3f, \"driver_cpu_us_per_io\": %.3f}\n",
           peer, pattern, qd, (unsigned long long)r.ios, r.seconds, r.ios / r.seconds,
           r.ios * (double)w.bs / r.seconds / 1e6, (unsigned long long)r.waits,
           r.cpu * 1e6 / (double)r.ios, r.cpu_driver * 1e6 / (double)r.ios);
    return 0;
}
