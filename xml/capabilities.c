/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capabilities XML as libvirt's capability.rng describes it. The guest
 * features say toggle='no': skiff always has ACPI and a local APIC.
 */
#include "xml/capabilities.h"

#include <glib.h>
#include <string.h>
#include <sys/utsname.h>

/* libvirt's vendor names for the CPUID vendor strings. */
static const char *host_vendor(void)
{
    static const struct {
        const char *cpuid;
        const char *name;
    } vendors[] = {
        { "AuthenticAMD", "AMD" },
        { "GenuineIntel", "Intel" },
        { "HygonGenuine", "Hygon" },
    };
    g_autofree char *cpuinfo = NULL;
    const char *line;

    if (!g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL))
        return NULL;
    line = strstr(cpuinfo, "vendor_id");
    if (!line)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(vendors); i++) {
        const char *eol = strchr(line, '\n');
        const char *found = strstr(line, vendors[i].cpuid);

        if (found && (!eol || found < eol))
            return vendors[i].name;
    }
    return NULL;
}

char *capabilities_format(const char *skiff_path)
{
    struct utsname u;
    struct capabilities_host host = { .arch = "x86_64" };

    if (uname(&u) == 0)
        host.arch = u.machine;
    host.vendor = host_vendor();
    return capabilities_format_host(&host, skiff_path);
}

char *capabilities_format_host(const struct capabilities_host *host, const char *skiff_path)
{
    GString *out = g_string_new("<capabilities>\n");
    g_autofree char *arch = g_markup_escape_text(host->arch, -1);
    g_autofree char *emulator = g_markup_escape_text(skiff_path, -1);

    g_string_append_printf(out, "  <host>\n    <cpu>\n      <arch>%s</arch>\n", arch);
    if (host->vendor) {
        g_autofree char *vendor = g_markup_escape_text(host->vendor, -1);

        g_string_append_printf(out, "      <vendor>%s</vendor>\n", vendor);
    }
    g_string_append(out, "    </cpu>\n  </host>\n");
    g_string_append_printf(out,
        "  <guest>\n"
        "    <os_type>hvm</os_type>\n"
        "    <arch name='x86_64'>\n"
        "      <wordsize>64</wordsize>\n"
        "      <emulator>%s</emulator>\n"
        "      <domain type='kvm'/>\n"
        "    </arch>\n"
        "    <features>\n"
        "      <acpi default='on' toggle='no'/>\n"
        "      <apic default='on' toggle='no'/>\n"
        "    </features>\n"
        "  </guest>\n"
        "</capabilities>\n", emulator);
    return g_string_free(out, FALSE);
}
