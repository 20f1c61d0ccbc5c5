/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small builder for ACPI Machine Language (AML) byte code: just what skiff's
 * DSDT needs. Every constructor returns a new node; aml_append() moves a child
 * into its parent (and frees it). Blocks whose length depends on their contents
 * (scopes, devices, methods, packages, buffers, fields) are sized when they are
 * appended, so children can be added in any order before that.
 *
 * Names are ASL-style paths: "\\_SB.PCI0", "^FOO", "GDAT"; segments shorter than
 * four characters are padded with '_'. A malformed name is a programming error.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct aml aml;

/* An empty term list: the body of a definition block. */
aml *aml_new(void);
void aml_free(aml *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(aml, aml_free)

/* Moves child (finished, with its length) to the end of parent and frees it. */
void aml_append(aml *parent, aml *child);
/* The encoded bytes of a term list made by aml_new(). */
const uint8_t *aml_data(const aml *node, size_t *len);

/* Data objects and references. */
aml *aml_int(uint64_t value);            /* Zero/One/Ones or the smallest prefix */
aml *aml_string(const char *s);
aml *aml_eisaid(const char *id);         /* "PNP0A08" → compressed EISA id (DWord) */
aml *aml_buffer(const uint8_t *data, size_t len);
aml *aml_package(void);                  /* elements are aml_append()ed */
aml *aml_name(const char *path);         /* a reference to a named object */
aml *aml_local(unsigned n);              /* Local0..Local7 */
aml *aml_arg(unsigned n);                /* Arg0..Arg6 */

/* Named objects and blocks. */
aml *aml_name_decl(const char *name, aml *value);   /* Name (name, value); takes value */
aml *aml_scope(const char *path);
aml *aml_device(const char *path);
aml *aml_method(const char *name, unsigned nargs, bool serialized);

enum aml_region_space {
    AML_SYSTEM_MEMORY = 0x00,
    AML_SYSTEM_IO = 0x01,
};
aml *aml_operation_region(const char *name, enum aml_region_space space, uint64_t offset,
                          uint64_t len);

enum aml_field_access {
    AML_ANY_ACC = 0,
    AML_BYTE_ACC = 1,
    AML_WORD_ACC = 2,
    AML_DWORD_ACC = 3,
    AML_QWORD_ACC = 4,
};
/* Field (region, access, NoLock, Preserve); entries are aml_field_entry()s. */
aml *aml_field(const char *region, enum aml_field_access access);
aml *aml_field_entry(const char *name, unsigned bits);   /* name NULL: reserved bits */

/* Statements and expressions; each takes ownership of its operands. */
aml *aml_if(aml *predicate);             /* the body is aml_append()ed */
aml *aml_store(aml *value, aml *target);
aml *aml_and(aml *a, aml *b);            /* result not stored (NullName target) */
aml *aml_lequal(aml *a, aml *b);
aml *aml_notify(aml *object, aml *value);

/* Resource templates: a buffer of descriptors, closed by an end tag. */
aml *aml_resource_template(void);        /* descriptors are aml_append()ed */
aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len);   /* 16-bit decode */
aml *aml_irq_edge_high(uint8_t irq);     /* IRQ (Edge, ActiveHigh, Exclusive) */
aml *aml_memory32_fixed(uint32_t base, uint32_t len, bool writable);

/* Address space descriptors for a bridge's windows: ResourceProducer,
 * PosDecode, MinFixed, MaxFixed, no translation. */
aml *aml_word_bus_number(uint16_t min, uint16_t max);
aml *aml_word_io(uint16_t min, uint16_t max);
aml *aml_dword_io(uint32_t min, uint32_t max);
aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable);   /* ReadWrite */
aml *aml_qword_memory(uint64_t min, uint64_t max, bool cacheable);   /* ReadWrite */

/* Extended interrupt descriptor for one GSI. */
aml *aml_interrupt(bool consumer, bool edge, bool active_low, bool shared, uint32_t gsi);
