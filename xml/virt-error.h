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
