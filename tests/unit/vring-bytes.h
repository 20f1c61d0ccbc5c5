/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Playing the guest driver on a fake guest memory: little-endian fields and
 * split-ring descriptors written byte by byte, as a guest would lay them out
 * (no host struct in between that could hide an endianness or layout bug).
 */
#pragma once

#include <stdint.h>

static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Descriptor i of the table at table: le64 addr, le32 len, le16 flags, le16 next. */
static inline void vring_desc_put(uint8_t *table, unsigned i, uint64_t addr, uint32_t len,
                                  uint16_t flags, uint16_t next)
{
    uint8_t *d = table + 16 * i;

    le_put64(d, addr);
    le_put32(d + 8, len);
    le_put16(d + 12, flags);
    le_put16(d + 14, next);
}
