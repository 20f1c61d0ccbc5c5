/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to xml/: strict reading of libvirt XML with libxml2. Each helper
 * reports its own error (VIRT_ERROR): VIR_ERR_CONFIG_UNSUPPORTED for what
 * libvirt knows and skiff cannot honour ("element <graphics> in <devices> is
 * not supported by skiff", "<disk type='network'> is not supported by skiff
 * (supported: file)"), VIR_ERR_XML_ERROR for what is wrong in any libvirt
 * ("missing attribute 'dev' of <target>", "invalid value 'x' for <vcpu>
 * (expected a positive integer)").
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "xml/domain-conf.h"

/* An attribute list for xml_check_attrs(). */
#define ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ATTRS ((const char *const[]){ NULL })

/* A document value for a message: at most 64 characters, then "...". */
char *xml_shorten(const char *s);
/* The element's name as written ("graphics", "qemu:commandline"). */
char *xml_elem_name(const xmlNode *n);
/* n is the element `name` in no namespace (libvirt's domain XML has none). */
bool xml_is(const xmlNode *n, const char *name);

int xml_err_element(const xmlNode *parent, const xmlNode *child, GError **error);
int xml_err_attr(const xmlNode *n, const xmlAttr *a, GError **error);
/* <n attr='value'> is not supported; supported lists what is. */
int xml_err_value(const xmlNode *n, const char *attr, const char *value, const char *supported,
                  GError **error);
int xml_err_text_value(const xmlNode *n, const char *value, const char *supported,
                       GError **error);
int xml_err_missing_attr(const xmlNode *n, const char *attr, GError **error);
int xml_err_missing_element(const char *parent, const char *child, GError **error);
/* what: "<vcpu>", "'queues' of <driver>"; expected: "a positive integer". */
int xml_err_invalid(const char *what, const char *value, const char *expected, GError **error);

/* Only child elements (and blanks, comments) inside n. */
int xml_check_no_text(const xmlNode *n, GError **error);
/* Nothing but blanks and comments inside n. */
int xml_check_empty(const xmlNode *n, GError **error);
/* Every attribute of n is in allowed (NULL-terminated). */
int xml_check_attrs(const xmlNode *n, const char *const *allowed, GError **error);
/* The attribute's value (g_free), NULL when absent. */
char *xml_get_attr(const xmlNode *n, const char *name);
/* The text of a text-only element; empty text reads as absent (NULL). */
int xml_get_text(const xmlNode *n, char **out, GError **error);
/* xml_get_text() for an element without attributes; replaces *out. */
int xml_get_plain_text(const xmlNode *n, char **out, GError **error);
/* Refuses a second c in parent. */
int xml_once(const xmlNode *parent, const xmlNode *c, bool *seen, GError **error);
/* Decimal digits only (surrounding blanks allowed). */
bool xml_parse_u64(const char *s, uint64_t *out);
int xml_parse_uint(const char *s, const char *what, uint64_t min, uint64_t max, unsigned *out,
                   GError **error);
int xml_check_path(const char *what, const char *path, GError **error);

/* domain-parse-devices.c: the children of <devices>. */
int domain_parse_devices(domain_def *def, const xmlNode *devices, GError **error);
