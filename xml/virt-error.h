/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Errors that travel to libvirt clients: a GError in the VIRT_ERROR domain
 * whose code is libvirt's public virErrorNumber (VIR_ERR_* from
 * <libvirt/virterror.h>), e.g. VIR_ERR_XML_ERROR, VIR_ERR_CONFIG_UNSUPPORTED,
 * VIR_ERR_NO_DOMAIN, VIR_ERR_OPERATION_INVALID, VIR_ERR_OPERATION_FAILED,
 * VIR_ERR_NO_SUPPORT, VIR_ERR_INTERNAL_ERROR. The daemon sends the code with
 * the message; anything else (another GError domain) goes out as
 * VIR_ERR_INTERNAL_ERROR.
 */
#pragma once

#include <glib.h>
#include <libvirt/virterror.h>

GQuark virt_error_quark(void);
#define VIRT_ERROR virt_error_quark()

#define virt_error_set(error, code, ...) g_set_error(error, VIRT_ERROR, code, __VA_ARGS__)

/* The libvirt code to send for any GError: its code when in VIRT_ERROR, else
 * VIR_ERR_INTERNAL_ERROR. */
int virt_error_code(const GError *error);
/* The message as libvirt itself would send it: messages set here are bare
 * ("element <graphics> in <devices> is not supported by skiff"); this adds
 * libvirt's prefix for the code ("unsupported configuration: ..."), the one
 * libvirt's own daemons put in front. The daemon sends this text on the wire
 * so that virsh prints what it prints for libvirt's own drivers. */
char *virt_error_format_message(const GError *error);
/* "VIR_ERR_CONFIG_UNSUPPORTED" (for logs and tests); "VIR_ERR_<n>" for codes
 * skiff does not use. */
const char *virt_error_code_name(int code);
