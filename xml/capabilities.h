/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capabilities XML (virsh capabilities, virConnectGetCapabilities): the
 * host CPU, and one guest: hvm, x86_64, domain type kvm run by skiff.
 */
#pragma once

struct capabilities_host {
    const char *arch;      /* uname machine: "x86_64" */
    const char *vendor;    /* "AMD", "Intel", ...; NULL when unknown */
};

/* For this host (uname, /proc/cpuinfo). skiff_path: the emulator. */
char *capabilities_format(const char *skiff_path);
/* For the given host description (tests). */
char *capabilities_format_host(const struct capabilities_host *host, const char *skiff_path);
