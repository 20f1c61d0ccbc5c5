/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain capabilities XML (virsh domcapabilities,
 * virConnectGetDomainCapabilities): what a skiff domain may contain, in the
 * form of libvirt's domaincaps.rng. Clients such as virt-manager read it to
 * decide what to offer (firmware, CPU modes, graphics, disk buses).
 */
#pragma once

#include <glib.h>

/* The document for one query. emulator, arch, machine and virttype may each
 * be NULL for skiff's own default; default_emulator is the daemon's skiff.
 * A value skiff cannot serve (another architecture or virtualization type,
 * a machine type, an emulator that is not an executable) is an error:
 * VIR_ERR_CONFIG_UNSUPPORTED, or VIR_ERR_INVALID_ARG for unknown flags and
 * a bad emulator path. */
char *domcaps_format(const char *default_emulator, const char *emulator, const char *arch,
                     const char *machine, const char *virttype, unsigned flags, GError **error);
