/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: a hostile guest's split virtqueue. The input is a small
 * header (queue size, ring addresses, starting index, options) followed by
 * the guest's memory. The target pops and pushes until the queue is empty or
 * broken and touches every byte of every segment it is given, so ASan sees
 * any segment that reaches outside guest RAM; the checks below catch a walker
 * that accepts a chain breaking its own rules or fails without saying why.
 *
 * Header (little-endian):
 *   0     log2 of the queue size (low 4 bits)
 *   1     options: bit 0 EVENT_IDX, bit 1 kicks off, bit 2 ask should_notify
 *   2..3  descriptor table gpa (rounded down to 16)
 *   4..5  available ring gpa (rounded down to 2)
 *   6..7  used ring gpa (rounded down to 4)
 *   8..9  starting last_avail / used_idx
 *   10..  guest memory from gpa 0, zero-filled to FUZZ_MEM_SIZE
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio-queue.h"

#define FUZZ_MEM_SIZE (64u << 10)
#define FUZZ_HEADER 10
#define FUZZ_MAX_POPS 4096
/* Bytes touched one by one per input, so that chains of 1024 overlapping
 * 64 KiB segments do not stall the run. */
#define FUZZ_TOUCH_BUDGET (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *fuzz_buf;
static guest_mem *fuzz_gm;
static struct virtq_chain fuzz_chain;
static uint64_t fuzz_touched;

static uint16_t le16_at(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
    uint64_t out = 0;
    uint64_t in = 0;
    uint8_t scratch[4096];
    size_t want;
    volatile uint8_t sink = 0;

    if (c->head >= q->size || c->n_out + c->n_in == 0 || c->n_out + c->n_in > VIRTQ_MAX_SEGS) {
        abort();
    }
    for (unsigned i = 0; i < c->n_out + c->n_in; i++) {
        const struct virtq_seg *s = &c->seg[i];
        /* Past the budget only each segment's ends. */
        uint32_t step = fuzz_touched < FUZZ_TOUCH_BUDGET ? 1 : MAX(1, s->len - 1);

        if (s->len == 0 || s->device_writable != (i >= c->n_out) ||
            s->host < fuzz_buf || s->host + s->len > fuzz_buf + FUZZ_MEM_SIZE) {
            abort();
        }
        fuzz_touched += s->len;
        /* Every byte: a device reads what is out and writes what is in. */
        for (uint32_t j = 0; j < s->len; j += step) {
            if (s->device_writable) {
                s->host[j] = (uint8_t)j;
            } else {
                sink ^= s->host[j];
            }
        }
        if (s->device_writable) {
            in += s->len;
        } else {
            out += s->len;
        }
    }
    (void)sink;
    if (out != c->out_bytes || in != c->in_bytes) {
        abort();
    }
    /* The copy helpers, from the middle, so that they cross segments. */
    want = MIN(sizeof(scratch), out - out / 2);
    if (virtq_chain_read(c, out / 2, scratch, sizeof(scratch)) != want) {
        abort();
    }
    want = MIN(sizeof(scratch), in - in / 2);
    if (virtq_chain_write(c, in / 2, scratch, sizeof(scratch)) != want) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtq q = { 0 };
    GError *err = NULL;
    uint16_t start;
    uint8_t opts;

    if (size < FUZZ_HEADER) {
        return 0;
    }
    if (fuzz_gm == NULL) {
        /* Exactly the guest's size, so that ASan's redzone starts where RAM ends. */
        fuzz_buf = g_malloc(FUZZ_MEM_SIZE);
        fuzz_gm = guest_mem_new_from_buffer(fuzz_buf, FUZZ_MEM_SIZE);
    }
    memset(fuzz_buf, 0, FUZZ_MEM_SIZE);
    fuzz_touched = 0;
    memcpy(fuzz_buf, data + FUZZ_HEADER, MIN(size - FUZZ_HEADER, FUZZ_MEM_SIZE));

    q.size = 1u << (data[0] & 15);
    opts = data[1];
    q.desc_gpa = le16_at(data + 2) & ~15u;
    q.avail_gpa = le16_at(data + 4) & ~1u;
    q.used_gpa = le16_at(data + 6) & ~3u;
    q.event_idx = opts & 1;
    start = le16_at(data + 8);
    if (virtq_start(&q, fuzz_gm, &err) < 0) {
        if (err == NULL || err->message == NULL || err->message[0] == '\0') {
            abort();
        }
        g_error_free(err);
        return 0;
    }
    q.last_avail = q.used_idx = q.signalled_used = start;
    if (opts & 2) {
        virtq_set_notify(&q, fuzz_gm, false);
    }

    /* The used ring may overlap the available one, so pushing can make more
     * chains appear: bound the rounds. */
    for (unsigned n = 0; n < FUZZ_MAX_POPS; n++) {
        int r = virtq_pop(&q, fuzz_gm, &fuzz_chain);

        if (r < 0) {
            if (!q.broken || q.broken_reason == NULL || q.broken_reason[0] == '\0') {
                abort();
            }
            break;
        }
        if (q.broken) {
            abort();
        }
        if (r == 0) {
            break;
        }
        check_chain(&q, &fuzz_chain);
        virtq_push(&q, fuzz_gm, fuzz_chain.head, (uint32_t)fuzz_chain.in_bytes);
        if (opts & 4) {
            virtq_should_notify(&q, fuzz_gm);
        }
    }
    virtq_set_notify(&q, fuzz_gm, true);
    return 0;
}
