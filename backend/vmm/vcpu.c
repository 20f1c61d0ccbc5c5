/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/vcpu.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <pthread.h>
#include <signal.h>

#include "arch/x86_64/cpuid.h"
#include "seccomp/seccomp.h"
#include "vmm/log.h"
#include "vmm/vmm.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 1ULL
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_ENABLE (1ULL << 11)
#define MTRR_TYPE_WRBACK 6ULL

struct vcpu {
    vm *vm;
    const struct hv_ops *ops;
    hv_vcpu *hv;
    uint32_t index;
    GThread *thread;
};

void vcpu_free(vcpu *v)
{
    if (!v)
        return;
    vcpu_join(v);
    if (v->hv)
        v->ops->vcpu_destroy(v->hv);
    g_free(v);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vcpu, vcpu_free)

vcpu *vcpu_create(vm *vm, uint32_t index, const GArray *supported_cpuid, unsigned max_vcpus,
                  const struct hv_io_ops *io, void *io_opaque, GError **error)
{
    g_autoptr(GArray) cpuid = cpuid_for_vcpu(supported_cpuid, index, max_vcpus);
    static const struct hv_msr msrs[] = {
        { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
        /* What firmware leaves behind: MTRRs on, write-back by default. */
        { MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WRBACK },
    };
    g_autoptr(vcpu) v = g_new0(vcpu, 1);

    v->vm = vm;
    v->index = index;
    v->ops = vm_hv_ops(vm);
    if (v->ops->vcpu_create(vm_hv_vm(vm), index, io, io_opaque, &v->hv, error) < 0 ||
        v->ops->vcpu_set_cpuid(v->hv, (const struct hv_cpuid_entry *)cpuid->data, cpuid->len,
                               error) < 0 ||
        v->ops->vcpu_set_msrs(v->hv, msrs, G_N_ELEMENTS(msrs), error) < 0 ||
        v->ops->vcpu_set_fpu_default(v->hv, error) < 0 ||
        v->ops->vcpu_set_lapic_lint(v->hv, error) < 0) {
        g_prefix_error(error, _("vCPU %u: "), index);
        return NULL;
    }
    return g_steal_pointer(&v);
}

int vcpu_setup_boot(vcpu *v, const struct boot_info *boot, GError **error)
{
    return boot_setup_bsp(v->ops, v->hv, vm_guest_mem(v->vm), boot, error);
}

static void log_registers(vcpu *v)
{
    struct hv_regs r;
    struct hv_sregs s;

    if (v->ops->vcpu_get_regs(v->hv, &r, NULL) < 0 || v->ops->vcpu_get_sregs(v->hv, &s, NULL) < 0) {
        log_error(_("vCPU %u: registers unavailable"), v->index);
        return;
    }
    log_error("vCPU %u: rip=%016" PRIx64 " rflags=%016" PRIx64 " "
              "rsp=%016" PRIx64 " rbp=%016" PRIx64 "",
              v->index, r.rip, r.rflags, r.rsp, r.rbp);
    log_error("vCPU %u: rax=%016" PRIx64 " rbx=%016" PRIx64 " "
              "rcx=%016" PRIx64 " rdx=%016" PRIx64 " "
              "rsi=%016" PRIx64 " rdi=%016" PRIx64 "",
              v->index, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi);
    log_error("vCPU %u: r8=%016" PRIx64 " r9=%016" PRIx64 " "
              "r10=%016" PRIx64 " r11=%016" PRIx64 " "
              "r12=%016" PRIx64 " r13=%016" PRIx64 " "
              "r14=%016" PRIx64 " r15=%016" PRIx64 "",
              v->index, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15);
    log_error("vCPU %u: cs=%04x(base %" PRIx64 " l=%u db=%u) ds=%04x ss=%04x "
              "cr0=%" PRIx64 " cr2=%" PRIx64 " cr3=%" PRIx64
              " cr4=%" PRIx64 " efer=%" PRIx64 "",
              v->index, s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.ds.selector, s.ss.selector,
              s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

/* What one exit means for the VM; VM_STOP_NONE to keep running. */
static enum vm_stop_reason handle_exit(vcpu *v, const struct hv_exit *e)
{
    switch (e->reason) {
    case HV_EXIT_KICKED:
        return VM_STOP_NONE;
    case HV_EXIT_SYSTEM_RESET:
        return VM_STOP_RESET;
    case HV_EXIT_SYSTEM_SHUTDOWN:
        return VM_STOP_POWEROFF;
    case HV_EXIT_SHUTDOWN:
        log_error(_("vCPU %u: triple fault (the guest took an exception it could not handle)"),
                  v->index);
        vm_note_crash(v->vm, "triple fault");
        break;
    case HV_EXIT_UNHANDLED_IO:
        if (e->io_is_write)
            log_error(_("vCPU %u: unsupported %s write at 0x%" PRIx64 ", %u byte(s), "
                        "value 0x%" PRIx64 ": no device there"),
                      v->index, e->io_is_mmio ? "MMIO" : _("I/O port"), e->io_addr, e->io_len,
                      e->io_data);
        else
            log_error(_("vCPU %u: unsupported %s read at 0x%" PRIx64 ", %u byte(s): "
                        "no device there"),
                      v->index, e->io_is_mmio ? "MMIO" : _("I/O port"), e->io_addr, e->io_len);
        vm_note_crash(v->vm, "unsupported device access");
        break;
    case HV_EXIT_INTERNAL_ERROR:
        log_error(_("vCPU %u: hypervisor internal error (exit %u, suberror %u)"), v->index,
                  e->raw_reason, e->suberror);
        vm_note_crash(v->vm, "hypervisor internal error");
        break;
    case HV_EXIT_UNKNOWN:
        log_error(_("vCPU %u: unexpected hypervisor exit %u"), v->index, e->raw_reason);
        vm_note_crash(v->vm, "unexpected hypervisor exit");
        break;
    }
    log_registers(v);
    return VM_STOP_ERROR;
}

static gpointer vcpu_thread(gpointer data)
{
    vcpu *v = data;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, HV_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
    {
        g_autoptr(GError) error = NULL;

        if (seccomp_apply(SECCOMP_THREAD_VCPU, seccomp_main_mode(), &error) < 0) {
            log_error(_("vCPU %u: %s"), v->index, error->message);
            vm_request_stop(v->vm, VM_STOP_ERROR);
            vm_vcpu_exited(v->vm);
            return NULL;
        }
    }
    for (;;) {
        g_autoptr(GError) error = NULL;
        struct hv_exit exit;
        enum vm_stop_reason reason;

        vm_vcpu_pause_point(v->vm);
        if (vm_stop_requested(v->vm) != VM_STOP_NONE)
            break;
        if (v->ops->vcpu_run(v->hv, &exit, &error) < 0) {
            log_error(_("vCPU %u: %s"), v->index, error->message);
            vm_request_stop(v->vm, VM_STOP_ERROR);
            break;
        }
        reason = handle_exit(v, &exit);
        if (reason != VM_STOP_NONE)
            vm_request_stop(v->vm, reason);
    }
    vm_vcpu_exited(v->vm);
    return NULL;
}

int vcpu_start(vcpu *v, GError **error)
{
    g_autofree char *name = g_strdup_printf("vcpu%u", v->index);

    v->thread = g_thread_try_new(name, vcpu_thread, v, error);
    return v->thread ? 0 : -1;
}

void vcpu_kick(vcpu *v)
{
    v->ops->vcpu_kick(v->hv);
}

void vcpu_join(vcpu *v)
{
    if (v->thread) {
        g_thread_join(v->thread);
        v->thread = NULL;
    }
}
