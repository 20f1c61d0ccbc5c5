/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Split virtqueues. The guest can rewrite its rings and descriptor tables at
 * any moment from another vCPU, so every guest-controlled value is fetched
 * exactly once into a local and only the local is checked and used.
 *
 * Choices beyond the spec's letter:
 * - A zero-length descriptor breaks the queue (the spec says a driver must not
 *   create one; Cloud Hypervisor rejects them too): no device has a use for an
 *   empty buffer, and accepting them would let a guest feed VIRTQ_MAX_SEGS
 *   empty segments to every request.
 * - A chain holds at most min(queue size, VIRTQ_MAX_SEGS) direct descriptors,
 *   an indirect table at most VIRTQ_MAX_SEGS entries, and the whole chain at
 *   most VIRTQ_MAX_SEGS segments; anything longer is a loop or abuse.
 * - An indirect descriptor is accepted wherever it ends a chain (as Cloud
 *   Hypervisor does), whether or not VIRTIO_F_INDIRECT_DESC was offered: its
 *   table gets the same checks as the ring's own.
 * - Unknown descriptor flag bits are ignored.
 */
#include "devices/virtio-queue.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "vmm/error.h"

/* Ring layout (2.7.5-2.7.8), all little-endian. */
#define DESC_SIZE 16
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4
#define USED_ELEM_SIZE 8

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static uint64_t desc_table_bytes(uint16_t size)
{
    return (uint64_t)DESC_SIZE * size;
}

/* flags, idx, ring[size], used_event */
static uint64_t avail_bytes(uint16_t size)
{
    return AVAIL_RING + 2ull * size + 2;
}

/* flags, idx, ring[size], avail_event */
static uint64_t used_bytes(uint16_t size)
{
    return USED_RING + (uint64_t)USED_ELEM_SIZE * size + 2;
}

/* Ring fields are naturally aligned (virtq_start checks the ring addresses),
 * so a relaxed atomic access is one untorn load or store the compiler cannot
 * repeat. */
static uint16_t load16(const uint8_t *p)
{
    return GUINT16_FROM_LE(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static void store16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, GUINT16_TO_LE(v), __ATOMIC_RELAXED);
}

static void store32(uint8_t *p, uint32_t v)
{
    __atomic_store_n((uint32_t *)p, GUINT32_TO_LE(v), __ATOMIC_RELAXED);
}

/* Indirect tables need not be aligned, so descriptors are copied bytewise; the
 * compiler barrier keeps the compiler from re-reading guest memory in place of
 * the copy. */
static void desc_fetch(const uint8_t *p, struct desc *d)
{
    uint8_t raw[DESC_SIZE];
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;

    memcpy(raw, p, sizeof(raw));
    __asm__ __volatile__("" ::: "memory");
    memcpy(&addr, raw, 8);
    memcpy(&len, raw + 8, 4);
    memcpy(&flags, raw + 12, 2);
    memcpy(&next, raw + 14, 2);
    d->addr = GUINT64_FROM_LE(addr);
    d->len = GUINT32_FROM_LE(len);
    d->flags = GUINT16_FROM_LE(flags);
    d->next = GUINT16_FROM_LE(next);
}

static int queue_break(struct virtq *q, const char *reason)
{
    q->broken = true;
    q->broken_reason = reason;
    return -1;
}

int virtq_start(struct virtq *q, const guest_mem *gm, GError **error)
{
    uint8_t *desc;
    uint8_t *avail;
    uint8_t *used;

    q->desc_host = NULL;
    q->avail_host = NULL;
    q->used_host = NULL;
    q->last_avail = 0;
    q->used_idx = 0;
    q->signalled_used = 0;
    q->broken = false;
    q->broken_reason = NULL;
    q->kicks_off = false;

    if (q->size == 0 || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1)) != 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("virtqueue size %u is not a power of two between 1 and %u"),
                    q->size, VIRTQ_MAX_SIZE);
        return -1;
    }
    if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("virtqueue rings are misaligned (descriptors 0x%" PRIx64
                      ", available 0x%" PRIx64 ", used 0x%" PRIx64 ")"),
                    q->desc_gpa, q->avail_gpa, q->used_gpa);
        return -1;
    }
    desc = guest_mem_ptr(gm, q->desc_gpa, desc_table_bytes(q->size));
    avail = guest_mem_ptr(gm, q->avail_gpa, avail_bytes(q->size));
    used = guest_mem_ptr(gm, q->used_gpa, used_bytes(q->size));
    if (!desc || !avail || !used) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("virtqueue %s ring at 0x%" PRIx64 " is outside guest RAM"),
                    !desc ? _("descriptor") : !avail ? _("available") : _("used"),
                    !desc ? q->desc_gpa : !avail ? q->avail_gpa : q->used_gpa);
        return -1;
    }
    /* The atomic ring accesses need host alignment too; RAM regions are
     * page-aligned mappings, so this only trips on an odd test buffer. */
    if ((uintptr_t)desc % 16 || (uintptr_t)avail % 2 || (uintptr_t)used % 4) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("virtqueue rings are misaligned in host memory"));
        return -1;
    }
    q->desc_host = desc;
    q->avail_host = avail;
    q->used_host = used;
    return 0;
}

static int chain_add(struct virtq *q, const guest_mem *gm, struct virtq_chain *chain,
                     const struct desc *d)
{
    struct virtq_seg *seg;
    uint8_t *host;
    bool writable = d->flags & VIRTQ_DESC_F_WRITE;

    if (d->len == 0)
        return queue_break(q, _("zero-length descriptor"));
    host = guest_mem_ptr(gm, d->addr, d->len);
    if (!host)
        return queue_break(q, _("descriptor buffer outside guest RAM"));
    if (!writable && chain->n_in)
        return queue_break(q, _("device-readable descriptor after a device-writable one"));
    if (chain->n_out + chain->n_in >= VIRTQ_MAX_SEGS)
        return queue_break(q, _("descriptor chain longer than the segment limit"));
    seg = &chain->seg[chain->n_out + chain->n_in];
    seg->host = host;
    seg->len = d->len;
    seg->device_writable = writable;
    if (writable) {
        chain->n_in++;
        chain->in_bytes += d->len;
    } else {
        chain->n_out++;
        chain->out_bytes += d->len;
    }
    return 0;
}

/* Walks the chain at head into *chain: first the ring's table, then at most
 * one indirect table. Each table's walk is bounded by its own entry count, so
 * a loop ends as "too long" after at most that many steps. */
static int chain_walk(struct virtq *q, const guest_mem *gm, uint16_t head,
                      struct virtq_chain *chain)
{
    const uint8_t *table = q->desc_host;
    uint32_t table_len = q->size;
    uint32_t limit = MIN(q->size, VIRTQ_MAX_SEGS);
    uint32_t steps = 0;
    bool indirect = false;
    uint16_t idx = head;

    chain->head = head;
    chain->n_out = 0;
    chain->n_in = 0;
    chain->out_bytes = 0;
    chain->in_bytes = 0;

    for (;;) {
        struct desc d;

        if (++steps > limit)
            return queue_break(q, indirect ? _("indirect descriptor table loops")
                                           : _("descriptor chain loops or is too long"));
        desc_fetch(table + (size_t)idx * DESC_SIZE, &d);

        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (indirect)
                return queue_break(q, _("nested indirect descriptor"));
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return queue_break(q, _("indirect descriptor with NEXT set"));
            if (d.len == 0 || d.len % DESC_SIZE)
                return queue_break(q, _("indirect table length is not a positive multiple of 16"));
            if (d.len / DESC_SIZE > VIRTQ_MAX_SEGS)
                return queue_break(q, _("indirect table has too many descriptors"));
            table = guest_mem_ptr(gm, d.addr, d.len);
            if (!table)
                return queue_break(q, _("indirect table outside guest RAM"));
            table_len = d.len / DESC_SIZE;
            limit = table_len;
            steps = 0;
            indirect = true;
            idx = 0;
            continue;
        }
        if (chain_add(q, gm, chain, &d) < 0)
            return -1;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= table_len)
            return queue_break(q, _("descriptor next index out of range"));
        idx = d.next;
    }
}

int virtq_pop(struct virtq *q, const guest_mem *gm, struct virtq_chain *chain)
{
    uint16_t avail_idx;
    uint16_t pending;
    uint16_t head;

    if (q->broken)
        return -1;
    if (!q->desc_host)
        return queue_break(q, _("virtqueue used before it was started"));

    avail_idx = load16(q->avail_host + AVAIL_IDX);
    pending = (uint16_t)(avail_idx - q->last_avail);
    if (pending == 0 && q->event_idx && !q->kicks_off) {
        /* Ask for a kick at the next chain, then look again: a chain the
         * guest added before it could see avail_event would otherwise wait
         * for a kick that never comes. */
        store16(q->used_host + USED_RING + (size_t)USED_ELEM_SIZE * q->size, q->last_avail);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        avail_idx = load16(q->avail_host + AVAIL_IDX);
        pending = (uint16_t)(avail_idx - q->last_avail);
    }
    if (pending == 0)
        return 0;
    if (pending > q->size)
        return queue_break(q, _("available index ran more than the queue size ahead"));
    /* The ring entry and the descriptors were written before the index. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);

    head = load16(q->avail_host + AVAIL_RING + 2 * (size_t)(q->last_avail & (q->size - 1)));
    if (head >= q->size)
        return queue_break(q, _("available ring entry out of range"));
    if (chain_walk(q, gm, head, chain) < 0)
        return -1;
    q->last_avail++;
    if (q->event_idx && !q->kicks_off)
        store16(q->used_host + USED_RING + (size_t)USED_ELEM_SIZE * q->size, q->last_avail);
    return 1;
}

void virtq_push(struct virtq *q, const guest_mem *gm G_GNUC_UNUSED, uint16_t head, uint32_t len)
{
    uint8_t *elem;

    if (q->broken || !q->used_host)
        return;
    /* A device bug, not the guest's: still never write outside the ring. */
    if (head >= q->size) {
        queue_break(q, _("device returned an out-of-range descriptor head"));
        return;
    }
    elem = q->used_host + USED_RING + (size_t)USED_ELEM_SIZE * (q->used_idx & (q->size - 1));
    store32(elem, head);
    store32(elem + 4, len);
    q->used_idx++;
    /* The element and the data written into the buffers before the index. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    store16(q->used_host + USED_IDX, q->used_idx);
}

bool virtq_should_notify(struct virtq *q, const guest_mem *gm G_GNUC_UNUSED)
{
    uint16_t old = q->signalled_used;
    uint16_t new = q->used_idx;

    if (!q->used_host || old == new)
        return false;
    q->signalled_used = new;
    /* Our used idx store must be visible before we read the guest's
     * suppression state, or both sides can decide the other one acts. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (q->event_idx) {
        uint16_t used_event = load16(q->avail_host + AVAIL_RING + 2 * (size_t)q->size);

        return (uint16_t)(new - used_event - 1) < (uint16_t)(new - old);
    }
    return !(load16(q->avail_host + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_set_notify(struct virtq *q, const guest_mem *gm G_GNUC_UNUSED, bool on)
{
    if (q->broken || !q->used_host)
        return false;
    q->kicks_off = !on;
    if (q->event_idx) {
        /* Off: avail_event stays behind and virtq_pop() stops moving it, so
         * the guest kicks at most once more, when its index wraps past it. */
        if (on)
            store16(q->used_host + USED_RING + (size_t)USED_ELEM_SIZE * q->size, q->last_avail);
    } else {
        store16(q->used_host + USED_FLAGS, on ? 0 : VIRTQ_USED_F_NO_NOTIFY);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load16(q->avail_host + AVAIL_IDX) != q->last_avail;
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t offset, void *dst, size_t len)
{
    uint8_t *out = dst;
    size_t done = 0;

    for (unsigned i = 0; i < c->n_out && done < len; i++) {
        const struct virtq_seg *s = &c->seg[i];
        size_t n;

        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        n = MIN(s->len - offset, len - done);
        memcpy(out + done, s->host + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t offset, const void *src, size_t len)
{
    const uint8_t *in = src;
    size_t done = 0;

    for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < len; i++) {
        const struct virtq_seg *s = &c->seg[i];
        size_t n;

        if (offset >= s->len) {
            offset -= s->len;
            continue;
        }
        n = MIN(s->len - offset, len - done);
        memcpy(s->host + offset, in + done, n);
        done += n;
        offset = 0;
    }
    return done;
}
