/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain capabilities. Every element says what the domain XML parser
 * (xml/domain-parse*.c) and the translation to skiff accept, no more:
 * a client that trusts this document must not build XML that is then
 * refused. Blocks skiff has nothing for say supported='no' rather than
 * being left out, so that clients do not fall back on guesses made for
 * QEMU (virt-manager assumes SPICE when <graphics> is missing).
 */
#include "driver/domcaps.h"

#include <glib/gi18n.h>
#include <string.h>

#include "xml/domain-conf.h"
#include "xml/virt-error.h"

static int check_query(const char *emulator, const char *arch, const char *machine,
                       const char *virttype, unsigned flags, GError **error)
{
    /* No flag is defined for this call by the libvirt skiff is built on. */
    if (flags) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unsupported flags (%#x)"), flags);
        return -1;
    }
    if (virttype && g_ascii_strcasecmp(virttype, "kvm") != 0) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("virtualization type '%s' is not supported by skiff: only kvm"),
                       virttype);
        return -1;
    }
    if (arch && strcmp(arch, "x86_64") != 0) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("architecture '%s' is not supported by skiff: only x86_64"), arch);
        return -1;
    }
    /* The same rule as the domain XML's <type machine=...>. */
    if (machine) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("machine type '%s' is not supported by skiff: leave it out "
                         "(skiff has one platform of its own)"), machine);
        return -1;
    }
    /* A domain may name another skiff binary in <emulator>. */
    if (emulator && (!g_path_is_absolute(emulator) ||
                     !g_file_test(emulator, G_FILE_TEST_IS_REGULAR) ||
                     !g_file_test(emulator, G_FILE_TEST_IS_EXECUTABLE))) {
        virt_error_set(error, VIR_ERR_INVALID_ARG,
                       _("emulator '%s' is not an executable file given by an absolute path"),
                       emulator);
        return -1;
    }
    return 0;
}

char *domcaps_format(const char *default_emulator, const char *emulator, const char *arch,
                     const char *machine, const char *virttype, unsigned flags, GError **error)
{
    g_autofree char *path = NULL;
    GString *out;

    if (check_query(emulator, arch, machine, virttype, flags, error) < 0)
        return NULL;
    path = g_markup_escape_text(emulator ? emulator : default_emulator, -1);
    out = g_string_new("<domainCapabilities>\n");
    g_string_append_printf(out,
        "  <path>%s</path>\n"
        "  <domain>kvm</domain>\n"
        "  <arch>x86_64</arch>\n"
        "  <vcpu max='%d'/>\n", path, DOMAIN_VCPUS_MAX);
    g_string_append(out,
        "  <iothreads supported='no'/>\n"
        /* Direct kernel boot only: no firmware, so no loader and no
         * firmware auto-selection (an empty enum says "none"). */
        "  <os supported='yes'>\n"
        "    <enum name='firmware'/>\n"
        "    <loader supported='no'/>\n"
        "  </os>\n"
        /* The guest sees the host's CPUID as KVM reports it; the parser
         * takes host-passthrough with migratable='on' and nothing else. */
        "  <cpu>\n"
        "    <mode name='host-passthrough' supported='yes'>\n"
        "      <enum name='hostPassthroughMigratable'>\n"
        "        <value>on</value>\n"
        "      </enum>\n"
        "    </mode>\n"
        "    <mode name='maximum' supported='no'/>\n"
        "    <mode name='host-model' supported='no'/>\n"
        "    <mode name='custom' supported='no'/>\n"
        "  </cpu>\n"
        "  <memoryBacking supported='no'/>\n"
        "  <devices>\n"
        "    <disk supported='yes'>\n"
        "      <enum name='diskDevice'>\n"
        "        <value>disk</value>\n"
        "      </enum>\n"
        "      <enum name='bus'>\n"
        "        <value>virtio</value>\n"
        "      </enum>\n"
        "    </disk>\n"
        "    <graphics supported='no'/>\n"
        "    <video supported='no'/>\n"
        "    <hostdev supported='no'/>\n"
        "    <rng supported='yes'>\n"
        "      <enum name='model'>\n"
        "        <value>virtio</value>\n"
        "      </enum>\n"
        "      <enum name='backendModel'>\n"
        "        <value>random</value>\n"
        "      </enum>\n"
        "    </rng>\n"
        "    <filesystem supported='no'/>\n"
        "    <tpm supported='no'/>\n"
        "    <redirdev supported='no'/>\n"
        "    <channel supported='no'/>\n"
        "  </devices>\n"
        "  <features>\n"
        "    <gic supported='no'/>\n"
        "    <vmcoreinfo supported='no'/>\n"
        "    <genid supported='no'/>\n"
        "    <backingStoreInput supported='no'/>\n"
        "    <backup supported='no'/>\n"
        "    <s390-pv supported='no'/>\n"
        "    <sev supported='no'/>\n"
        "    <sgx supported='no'/>\n"
        "    <hyperv supported='no'/>\n"
        "  </features>\n"
        "</domainCapabilities>\n");
    return g_string_free(out, FALSE);
}
