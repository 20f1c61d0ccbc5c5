/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AML encoding per ACPI 6.5 chapter 20 (grammar) and 6.4 (resource data types).
 */
#include "arch/x86_64/aml.h"

#include <string.h>

/* Opcodes (ACPI 6.5 §20.3). */
#define AML_ZERO_OP           0x00
#define AML_ONE_OP            0x01
#define AML_NAME_OP           0x08
#define AML_BYTE_PREFIX       0x0a
#define AML_WORD_PREFIX       0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_STRING_PREFIX     0x0d
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP          0x10
#define AML_BUFFER_OP         0x11
#define AML_PACKAGE_OP        0x12
#define AML_METHOD_OP         0x14
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX     0x5b
#define AML_EXT_REGION_OP     0x80
#define AML_EXT_FIELD_OP      0x81
#define AML_EXT_DEVICE_OP     0x82
#define AML_ROOT_CHAR         '\\'
#define AML_PARENT_CHAR       '^'
#define AML_LOCAL0_OP         0x60
#define AML_ARG0_OP           0x68
#define AML_STORE_OP          0x70
#define AML_AND_OP            0x7b
#define AML_NOTIFY_OP         0x86
#define AML_LEQUAL_OP         0x93
#define AML_IF_OP             0xa0
#define AML_ONES_OP           0xff

/* Resource descriptor tags (ACPI 6.5 §6.4). */
#define RES_IRQ_3             0x23   /* small, IRQ with information byte */
#define RES_IO                0x47   /* small, I/O port */
#define RES_END_TAG           0x79
#define RES_MEMORY32_FIXED    0x86
#define RES_DWORD_ADDRESS     0x87
#define RES_WORD_ADDRESS      0x88
#define RES_EXT_INTERRUPT     0x89
#define RES_QWORD_ADDRESS     0x8a

#define RES_TYPE_MEMORY       0
#define RES_TYPE_IO           1
#define RES_TYPE_BUS_NUMBER   2

/* General flags of address space descriptors: producer, PosDecode, MinFixed, MaxFixed. */
#define RES_ADDR_FLAGS_BRIDGE_WINDOW ((1 << 3) | (1 << 2))

enum aml_kind {
    AML_RAW,        /* body is the encoding */
    AML_BLOCK,      /* head, PkgLength, body */
    AML_PACKAGE,    /* PackageOp, PkgLength, NumElements, body */
    AML_BUFFER,     /* BufferOp, PkgLength, BufferSize, body */
    AML_RESOURCES,  /* a buffer whose body gets an end tag */
};

struct aml {
    enum aml_kind kind;
    uint8_t head[2];
    unsigned head_len;
    unsigned n_elements;   /* AML_PACKAGE */
    GByteArray *body;
};

static aml *node_new(enum aml_kind kind)
{
    aml *node = g_new0(aml, 1);

    node->kind = kind;
    node->body = g_byte_array_new();
    return node;
}

static aml *block_new(uint8_t op, int ext_op)
{
    aml *node = node_new(AML_BLOCK);

    if (ext_op >= 0) {
        node->head[0] = AML_EXT_OP_PREFIX;
        node->head[1] = (uint8_t)ext_op;
        node->head_len = 2;
    } else {
        node->head[0] = op;
        node->head_len = 1;
    }
    return node;
}

aml *aml_new(void)
{
    return node_new(AML_RAW);
}

void aml_free(aml *node)
{
    if (!node)
        return;
    g_byte_array_unref(node->body);
    g_free(node);
}

static void put_u8(GByteArray *out, uint8_t v)
{
    g_byte_array_append(out, &v, 1);
}

static void put_le(GByteArray *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        put_u8(out, (uint8_t)(v >> (8 * i)));
}

/* PkgLength (§20.2.4): up to 28 bits in 1-4 bytes. A block's length counts
 * the PkgLength bytes themselves; a field element's bit count does not. */
static void put_pkglen(GByteArray *out, size_t len, bool counts_itself)
{
    size_t n = 1;
    size_t total;

    for (;;) {
        total = len + (counts_itself ? n : 0);
        if ((n == 1 && total <= 0x3f) || (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))))
            break;
        n++;
        g_assert(n <= 4);
    }
    if (n == 1) {
        put_u8(out, (uint8_t)total);
        return;
    }
    put_u8(out, (uint8_t)(((n - 1) << 6) | (total & 0x0f)));
    for (size_t i = 1; i < n; i++)
        put_u8(out, (uint8_t)(total >> (4 + 8 * (i - 1))));
}

static void put_int(GByteArray *out, uint64_t v)
{
    if (v == 0) {
        put_u8(out, AML_ZERO_OP);
    } else if (v == 1) {
        put_u8(out, AML_ONE_OP);
    } else if (v == UINT64_MAX) {
        put_u8(out, AML_ONES_OP);
    } else if (v <= 0xff) {
        put_u8(out, AML_BYTE_PREFIX);
        put_le(out, v, 1);
    } else if (v <= 0xffff) {
        put_u8(out, AML_WORD_PREFIX);
        put_le(out, v, 2);
    } else if (v <= 0xffffffff) {
        put_u8(out, AML_DWORD_PREFIX);
        put_le(out, v, 4);
    } else {
        put_u8(out, AML_QWORD_PREFIX);
        put_le(out, v, 8);
    }
}

static bool name_char_ok(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* One NameSeg from s (1-4 characters up to '.' or the end), padded with '_'. */
static const char *put_nameseg(GByteArray *out, const char *s)
{
    size_t n = 0;

    while (s[n] && s[n] != '.') {
        g_assert(n < 4 && name_char_ok(s[n], n == 0));
        n++;
    }
    g_assert(n > 0);
    g_byte_array_append(out, (const uint8_t *)s, (guint)n);
    for (size_t i = n; i < 4; i++)
        put_u8(out, '_');
    return s + n;
}

/* NameString (§20.2.2) from an ASL path. */
static void put_namestring(GByteArray *out, const char *path)
{
    size_t n_segs = 1;

    if (*path == AML_ROOT_CHAR) {
        put_u8(out, AML_ROOT_CHAR);
        path++;
    } else {
        while (*path == AML_PARENT_CHAR) {
            put_u8(out, AML_PARENT_CHAR);
            path++;
        }
    }
    if (*path == '\0') {
        put_u8(out, AML_ZERO_OP);   /* NullName: the root itself ("\\") */
        return;
    }
    for (const char *p = path; *p; p++) {
        if (*p == '.')
            n_segs++;
    }
    g_assert(n_segs <= 255);
    if (n_segs == 2) {
        put_u8(out, AML_DUAL_NAME_PREFIX);
    } else if (n_segs > 2) {
        put_u8(out, AML_MULTI_NAME_PREFIX);
        put_u8(out, (uint8_t)n_segs);
    }
    for (;;) {
        path = put_nameseg(out, path);
        if (*path == '\0')
            break;
        path++;
    }
}

/* The complete encoding of node. */
static void node_encode(const aml *node, GByteArray *out)
{
    g_autoptr(GByteArray) inner = NULL;

    switch (node->kind) {
    case AML_RAW:
        g_byte_array_append(out, node->body->data, node->body->len);
        return;
    case AML_BLOCK:
        g_byte_array_append(out, node->head, node->head_len);
        put_pkglen(out, node->body->len, true);
        g_byte_array_append(out, node->body->data, node->body->len);
        return;
    case AML_PACKAGE:
        g_assert(node->n_elements <= 255);
        put_u8(out, AML_PACKAGE_OP);
        put_pkglen(out, node->body->len + 1, true);
        put_u8(out, (uint8_t)node->n_elements);
        g_byte_array_append(out, node->body->data, node->body->len);
        return;
    case AML_BUFFER:
    case AML_RESOURCES:
        inner = g_byte_array_new();
        put_int(inner, node->body->len + (node->kind == AML_RESOURCES ? 2 : 0));
        g_byte_array_append(inner, node->body->data, node->body->len);
        if (node->kind == AML_RESOURCES) {
            /* Checksum 0: "treat as correct" (§6.4.2.9). */
            put_u8(inner, RES_END_TAG);
            put_u8(inner, 0);
        }
        put_u8(out, AML_BUFFER_OP);
        put_pkglen(out, inner->len, true);
        g_byte_array_append(out, inner->data, inner->len);
        return;
    }
    g_assert_not_reached();
}

void aml_append(aml *parent, aml *child)
{
    g_assert(parent && child);
    node_encode(child, parent->body);
    if (parent->kind == AML_PACKAGE)
        parent->n_elements++;
    aml_free(child);
}

const uint8_t *aml_data(const aml *node, size_t *len)
{
    g_assert(node->kind == AML_RAW);
    *len = node->body->len;
    return node->body->data;
}

/* Appends operand to node->body and frees operand. */
static void take(aml *node, aml *operand)
{
    node_encode(operand, node->body);
    aml_free(operand);
}

aml *aml_int(uint64_t value)
{
    aml *node = node_new(AML_RAW);

    put_int(node->body, value);
    return node;
}

aml *aml_string(const char *s)
{
    aml *node = node_new(AML_RAW);

    /* AsciiCharList: 0x01-0x7f. */
    for (const char *p = s; *p; p++)
        g_assert((unsigned char)*p < 0x80);
    put_u8(node->body, AML_STRING_PREFIX);
    g_byte_array_append(node->body, (const uint8_t *)s, (guint)strlen(s) + 1);
    return node;
}

static unsigned hex_digit(char c)
{
    g_assert(g_ascii_isxdigit(c));
    return (unsigned)g_ascii_xdigit_value(c);
}

aml *aml_eisaid(const char *id)
{
    aml *node = node_new(AML_RAW);
    uint8_t b[4];

    /* Three letters of 5 bits each, then four hex digits; stored big-endian. */
    g_assert(strlen(id) == 7);
    for (int i = 0; i < 3; i++)
        g_assert(id[i] >= 'A' && id[i] <= 'Z');
    b[0] = (uint8_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
    b[1] = (uint8_t)((((id[1] - 0x40) & 0x7) << 5) | (id[2] - 0x40));
    b[2] = (uint8_t)((hex_digit(id[3]) << 4) | hex_digit(id[4]));
    b[3] = (uint8_t)((hex_digit(id[5]) << 4) | hex_digit(id[6]));
    put_u8(node->body, AML_DWORD_PREFIX);
    g_byte_array_append(node->body, b, 4);
    return node;
}

aml *aml_buffer(const uint8_t *data, size_t len)
{
    aml *node = node_new(AML_BUFFER);

    g_byte_array_append(node->body, data, (guint)len);
    return node;
}

aml *aml_package(void)
{
    return node_new(AML_PACKAGE);
}

aml *aml_name(const char *path)
{
    aml *node = node_new(AML_RAW);

    put_namestring(node->body, path);
    return node;
}

aml *aml_local(unsigned n)
{
    aml *node = node_new(AML_RAW);

    g_assert(n <= 7);
    put_u8(node->body, (uint8_t)(AML_LOCAL0_OP + n));
    return node;
}

aml *aml_arg(unsigned n)
{
    aml *node = node_new(AML_RAW);

    g_assert(n <= 6);
    put_u8(node->body, (uint8_t)(AML_ARG0_OP + n));
    return node;
}

aml *aml_name_decl(const char *name, aml *value)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_NAME_OP);
    put_namestring(node->body, name);
    take(node, value);
    return node;
}

aml *aml_scope(const char *path)
{
    aml *node = block_new(AML_SCOPE_OP, -1);

    put_namestring(node->body, path);
    return node;
}

aml *aml_device(const char *path)
{
    aml *node = block_new(0, AML_EXT_DEVICE_OP);

    put_namestring(node->body, path);
    return node;
}

aml *aml_method(const char *name, unsigned nargs, bool serialized)
{
    aml *node = block_new(AML_METHOD_OP, -1);

    g_assert(nargs <= 7);
    put_namestring(node->body, name);
    /* SyncLevel 0. */
    put_u8(node->body, (uint8_t)(nargs | (serialized ? 1 << 3 : 0)));
    return node;
}

aml *aml_operation_region(const char *name, enum aml_region_space space, uint64_t offset,
                          uint64_t len)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_EXT_OP_PREFIX);
    put_u8(node->body, AML_EXT_REGION_OP);
    put_namestring(node->body, name);
    put_u8(node->body, (uint8_t)space);
    put_int(node->body, offset);
    put_int(node->body, len);
    return node;
}

aml *aml_field(const char *region, enum aml_field_access access)
{
    aml *node = block_new(0, AML_EXT_FIELD_OP);

    put_namestring(node->body, region);
    /* NoLock (bit 4 clear), Preserve (bits 5-6 clear). */
    put_u8(node->body, (uint8_t)access);
    return node;
}

aml *aml_field_entry(const char *name, unsigned bits)
{
    aml *node = node_new(AML_RAW);

    if (name) {
        const char *end = put_nameseg(node->body, name);

        g_assert(*end == '\0');
    } else {
        put_u8(node->body, 0x00);   /* ReservedField */
    }
    put_pkglen(node->body, bits, false);
    return node;
}

aml *aml_if(aml *predicate)
{
    aml *node = block_new(AML_IF_OP, -1);

    take(node, predicate);
    return node;
}

aml *aml_store(aml *value, aml *target)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_STORE_OP);
    take(node, value);
    take(node, target);
    return node;
}

aml *aml_and(aml *a, aml *b)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_AND_OP);
    take(node, a);
    take(node, b);
    put_u8(node->body, AML_ZERO_OP);   /* Target: NullName */
    return node;
}

aml *aml_lequal(aml *a, aml *b)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_LEQUAL_OP);
    take(node, a);
    take(node, b);
    return node;
}

aml *aml_notify(aml *object, aml *value)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, AML_NOTIFY_OP);
    take(node, object);
    take(node, value);
    return node;
}

aml *aml_resource_template(void)
{
    return node_new(AML_RESOURCES);
}

aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, RES_IO);
    put_u8(node->body, 0x01);   /* Decode16 */
    put_le(node->body, min, 2);
    put_le(node->body, max, 2);
    put_u8(node->body, align);
    put_u8(node->body, len);
    return node;
}

aml *aml_irq_edge_high(uint8_t irq)
{
    aml *node = node_new(AML_RAW);

    g_assert(irq < 16);
    put_u8(node->body, RES_IRQ_3);
    put_le(node->body, 1U << irq, 2);
    put_u8(node->body, 0x01);   /* edge, active high, exclusive, not wake capable */
    return node;
}

aml *aml_memory32_fixed(uint32_t base, uint32_t len, bool writable)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, RES_MEMORY32_FIXED);
    put_le(node->body, 9, 2);
    put_u8(node->body, writable ? 1 : 0);
    put_le(node->body, base, 4);
    put_le(node->body, len, 4);
    return node;
}

/* Word/DWord/QWord address space descriptor (§6.4.3.5): granularity 0,
 * translation 0, length max - min + 1. */
static aml *address_space(uint8_t tag, unsigned size, uint8_t type, uint8_t type_flags,
                          uint64_t min, uint64_t max)
{
    aml *node = node_new(AML_RAW);

    g_assert(min <= max);
    put_u8(node->body, tag);
    put_le(node->body, 3 + 5 * size, 2);
    put_u8(node->body, type);
    put_u8(node->body, RES_ADDR_FLAGS_BRIDGE_WINDOW);
    put_u8(node->body, type_flags);
    put_le(node->body, 0, size);
    put_le(node->body, min, size);
    put_le(node->body, max, size);
    put_le(node->body, 0, size);
    put_le(node->body, max - min + 1, size);
    return node;
}

/* I/O type-specific flags: _RNG = entire range (ISA and non-ISA). */
#define RES_IO_FLAGS_ENTIRE_RANGE 0x03

/* Memory type-specific flags: bit 0 ReadWrite, bits 1-2 cacheability. */
static uint8_t memory_flags(bool cacheable)
{
    return (uint8_t)(0x01 | (cacheable ? 1 << 1 : 0));
}

aml *aml_word_bus_number(uint16_t min, uint16_t max)
{
    return address_space(RES_WORD_ADDRESS, 2, RES_TYPE_BUS_NUMBER, 0, min, max);
}

aml *aml_word_io(uint16_t min, uint16_t max)
{
    return address_space(RES_WORD_ADDRESS, 2, RES_TYPE_IO, RES_IO_FLAGS_ENTIRE_RANGE, min, max);
}

aml *aml_dword_io(uint32_t min, uint32_t max)
{
    return address_space(RES_DWORD_ADDRESS, 4, RES_TYPE_IO, RES_IO_FLAGS_ENTIRE_RANGE, min, max);
}

aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable)
{
    return address_space(RES_DWORD_ADDRESS, 4, RES_TYPE_MEMORY, memory_flags(cacheable), min,
                         max);
}

aml *aml_qword_memory(uint64_t min, uint64_t max, bool cacheable)
{
    g_assert(max - min != UINT64_MAX);
    return address_space(RES_QWORD_ADDRESS, 8, RES_TYPE_MEMORY, memory_flags(cacheable), min,
                         max);
}

aml *aml_interrupt(bool consumer, bool edge, bool active_low, bool shared, uint32_t gsi)
{
    aml *node = node_new(AML_RAW);

    put_u8(node->body, RES_EXT_INTERRUPT);
    put_le(node->body, 2 + 4, 2);
    put_u8(node->body, (uint8_t)((consumer ? 1 : 0) | (edge ? 1 << 1 : 0) |
                                 (active_low ? 1 << 2 : 0) | (shared ? 1 << 3 : 0)));
    put_u8(node->body, 1);   /* interrupt table length */
    put_le(node->body, gsi, 4);
    return node;
}
