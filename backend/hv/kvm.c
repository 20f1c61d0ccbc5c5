/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hypervisor interface on Linux KVM. */
#include "hv/hv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KVM_DEVICE "/dev/kvm"
/* Intel VMX needs these three pages somewhere the guest will not use; just below 4 GiB,
 * under the LAPIC/IOAPIC/BIOS area, as other VMMs place them. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_TSS_ADDR 0xfeffd000ULL

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

struct hv {
    int fd;
    int vcpu_mmap_size;
    unsigned max_vcpus;
};

struct hv_vm {
    hv *hv;
    int fd;
};

struct hv_vcpu {
    hv_vm *vm;
    int fd;
    uint32_t id;
    struct kvm_run *run;
    const struct hv_io_ops *io;
    void *io_opaque;
    pthread_t thread;
    int thread_known;   /* atomic: thread is valid */
};

G_DEFINE_QUARK(hv-error-quark, hv_error)

static int fail_errno(GError **error, const char *what)
{
    int saved = errno;

    g_set_error(error, HV_ERROR, saved, _("KVM: %s failed: %s"), what, g_strerror(saved));
    return -1;
}

static void kick_handler(int sig)
{
    /* Only here to make KVM_RUN return with EINTR. */
}

static int kvm_open(hv **out, GError **error)
{
    g_autofree hv *h = g_new0(hv, 1);
    struct sigaction sa = { .sa_handler = kick_handler };
    int version;
    int n;
    static const struct {
        int cap;
        const char *name;
    } required[] = {
        { KVM_CAP_IRQCHIP, "IRQCHIP" },
        { KVM_CAP_IOEVENTFD, "IOEVENTFD" },
        { KVM_CAP_IRQFD, "IRQFD" },
        { KVM_CAP_USER_MEMORY, "USER_MEMORY" },
        { KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
        { KVM_CAP_EXT_CPUID, "EXT_CPUID" },
        { KVM_CAP_MP_STATE, "MP_STATE" },
        { KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
    };

    h->fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    if (h->fd < 0) {
        g_set_error(error, HV_ERROR, errno, _("cannot open %s: %s"), KVM_DEVICE,
                    g_strerror(errno));
        return -1;
    }
    version = ioctl(h->fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        g_set_error(error, HV_ERROR, EINVAL, _("KVM API version %d, skiff needs %d"), version,
                    KVM_API_VERSION);
        close(h->fd);
        return -1;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
        if (ioctl(h->fd, KVM_CHECK_EXTENSION, required[i].cap) <= 0) {
            g_set_error(error, HV_ERROR, ENOTSUP, _("KVM lacks the %s capability"),
                        required[i].name);
            close(h->fd);
            return -1;
        }
    }
    h->vcpu_mmap_size = ioctl(h->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (h->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        fail_errno(error, "KVM_GET_VCPU_MMAP_SIZE");
        close(h->fd);
        return -1;
    }
    n = ioctl(h->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(h->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    h->max_vcpus = n > 0 ? (unsigned)n : 1;
    sigemptyset(&sa.sa_mask);
    sigaction(HV_KICK_SIGNAL, &sa, NULL);
    *out = g_steal_pointer(&h);
    return 0;
}

static void kvm_close(hv *h)
{
    if (!h)
        return;
    close(h->fd);
    g_free(h);
}

static unsigned kvm_max_vcpus(hv *h)
{
    return h->max_vcpus;
}

static int kvm_supported_cpuid(hv *h, GArray **entries, GError **error)
{
    /* Each call costs a round of CPUID exits on nested hosts: ask big enough at once. */
    for (unsigned nent = 256; nent <= 4096; nent *= 2) {
        g_autofree struct kvm_cpuid2 *c =
            g_malloc0(sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
        GArray *a;

        c->nent = nent;
        if (ioctl(h->fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            if (errno == E2BIG)
                continue;
            return fail_errno(error, "KVM_GET_SUPPORTED_CPUID");
        }
        a = g_array_sized_new(FALSE, TRUE, sizeof(struct hv_cpuid_entry), c->nent);
        for (unsigned i = 0; i < c->nent; i++) {
            const struct kvm_cpuid_entry2 *k = &c->entries[i];
            struct hv_cpuid_entry e = {
                .function = k->function, .index = k->index,
                .flags = (k->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ?
                         HV_CPUID_FLAG_SIGNIFICANT_INDEX : 0,
                .eax = k->eax, .ebx = k->ebx, .ecx = k->ecx, .edx = k->edx,
            };
            g_array_append_val(a, e);
        }
        *entries = a;
        return 0;
    }
    g_set_error(error, HV_ERROR, E2BIG, _("KVM: too many CPUID entries"));
    return -1;
}

static int kvm_vm_create(hv *h, hv_vm **out, GError **error)
{
    g_autofree hv_vm *vm = g_new0(hv_vm, 1);

    vm->hv = h;
    vm->fd = ioctl(h->fd, KVM_CREATE_VM, 0);
    if (vm->fd < 0)
        return fail_errno(error, "KVM_CREATE_VM");
    fcntl(vm->fd, F_SETFD, FD_CLOEXEC);
    if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        fail_errno(error, "KVM_SET_TSS_ADDR");
        close(vm->fd);
        return -1;
    }
    if (ioctl(h->fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
        uint64_t addr = KVM_IDENTITY_MAP_ADDR;

        if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
            fail_errno(error, "KVM_SET_IDENTITY_MAP_ADDR");
            close(vm->fd);
            return -1;
        }
    }
    *out = g_steal_pointer(&vm);
    return 0;
}

static void kvm_vm_destroy(hv_vm *vm)
{
    if (!vm)
        return;
    close(vm->fd);
    g_free(vm);
}

static int kvm_vm_map_memory(hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
                             GError **error)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot, .guest_phys_addr = gpa, .memory_size = size,
        .userspace_addr = (uintptr_t)host,
    };

    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return fail_errno(error, "KVM_SET_USER_MEMORY_REGION");
    return 0;
}

static int kvm_vm_unmap_memory(hv_vm *vm, uint32_t slot, GError **error)
{
    struct kvm_userspace_memory_region r = { .slot = slot };

    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return fail_errno(error, "KVM_SET_USER_MEMORY_REGION (remove)");
    return 0;
}

static int kvm_vm_create_irqchip(hv_vm *vm, GError **error)
{
    if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail_errno(error, "KVM_CREATE_IRQCHIP");
    return 0;
}

static int kvm_vm_set_irq_line(hv_vm *vm, uint32_t gsi, bool level, GError **error)
{
    struct kvm_irq_level l = { .irq = gsi, .level = level };

    if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
        return fail_errno(error, "KVM_IRQ_LINE");
    return 0;
}

/* KVM's default routes for the in-kernel irqchip (GSIs 0-15 on the PICs and
 * the IOAPIC, 16-23 on the IOAPIC), which a routing table must repeat, then
 * one MSI route per GSI the devices use. */
static int kvm_vm_set_msi_routes(hv_vm *vm, const struct hv_msi_route *routes, unsigned n,
                                 GError **error)
{
    unsigned max = 16 + HV_FIRST_MSI_GSI + n;
    g_autofree struct kvm_irq_routing *r =
        g_malloc0(sizeof(*r) + max * sizeof(struct kvm_irq_routing_entry));
    struct kvm_irq_routing_entry *e = r->entries;

    for (uint32_t gsi = 0; gsi < HV_FIRST_MSI_GSI; gsi++) {
        if (gsi < 16) {
            *e++ = (struct kvm_irq_routing_entry){
                .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
                .u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
                                                  : KVM_IRQCHIP_PIC_SLAVE,
                               .pin = gsi % 8 },
            };
        }
        *e++ = (struct kvm_irq_routing_entry){
            .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi },
        };
    }
    for (unsigned i = 0; i < n; i++) {
        *e++ = (struct kvm_irq_routing_entry){
            .gsi = routes[i].gsi, .type = KVM_IRQ_ROUTING_MSI,
            .u.msi = { .address_lo = (uint32_t)routes[i].addr,
                       .address_hi = (uint32_t)(routes[i].addr >> 32),
                       .data = routes[i].data },
        };
    }
    r->nr = (uint32_t)(e - r->entries);
    if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, r) < 0)
        return fail_errno(error, "KVM_SET_GSI_ROUTING");
    return 0;
}

static int irqfd(hv_vm *vm, int fd, uint32_t gsi, uint32_t flags, GError **error)
{
    struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = gsi, .flags = flags };

    if (ioctl(vm->fd, KVM_IRQFD, &f) < 0)
        return fail_errno(error, "KVM_IRQFD");
    return 0;
}

static int kvm_vm_register_irqfd(hv_vm *vm, int fd, uint32_t gsi, GError **error)
{
    return irqfd(vm, fd, gsi, 0, error);
}

static int kvm_vm_unregister_irqfd(hv_vm *vm, int fd, uint32_t gsi, GError **error)
{
    return irqfd(vm, fd, gsi, KVM_IRQFD_FLAG_DEASSIGN, error);
}

static int ioeventfd(hv_vm *vm, int fd, uint64_t addr, uint32_t len, bool is_pio,
                     int64_t datamatch, uint32_t flags, GError **error)
{
    struct kvm_ioeventfd e = { .addr = addr, .len = len, .fd = fd, .flags = flags };

    if (is_pio)
        e.flags |= KVM_IOEVENTFD_FLAG_PIO;
    if (datamatch >= 0) {
        e.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
        e.datamatch = (uint64_t)datamatch;
    }
    if (ioctl(vm->fd, KVM_IOEVENTFD, &e) < 0)
        return fail_errno(error, "KVM_IOEVENTFD");
    return 0;
}

static int kvm_vm_register_ioeventfd(hv_vm *vm, int fd, uint64_t addr, uint32_t len, bool is_pio,
                                     int64_t datamatch, GError **error)
{
    return ioeventfd(vm, fd, addr, len, is_pio, datamatch, 0, error);
}

static int kvm_vm_unregister_ioeventfd(hv_vm *vm, int fd, uint64_t addr, uint32_t len,
                                       bool is_pio, int64_t datamatch, GError **error)
{
    return ioeventfd(vm, fd, addr, len, is_pio, datamatch, KVM_IOEVENTFD_FLAG_DEASSIGN, error);
}

static int kvm_vcpu_create(hv_vm *vm, uint32_t id, const struct hv_io_ops *io, void *io_opaque,
                           hv_vcpu **out, GError **error)
{
    g_autofree hv_vcpu *v = g_new0(hv_vcpu, 1);
    void *run;

    v->vm = vm;
    v->id = id;
    v->io = io;
    v->io_opaque = io_opaque;
    v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (v->fd < 0)
        return fail_errno(error, "KVM_CREATE_VCPU");
    fcntl(v->fd, F_SETFD, FD_CLOEXEC);
    run = mmap(NULL, vm->hv->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED) {
        fail_errno(error, "mmap of the vCPU run area");
        close(v->fd);
        return -1;
    }
    v->run = run;
    *out = g_steal_pointer(&v);
    return 0;
}

static void kvm_vcpu_destroy(hv_vcpu *v)
{
    if (!v)
        return;
    munmap(v->run, v->vm->hv->vcpu_mmap_size);
    close(v->fd);
    g_free(v);
}

static int kvm_vcpu_set_cpuid(hv_vcpu *v, const struct hv_cpuid_entry *entries, unsigned n,
                              GError **error)
{
    g_autofree struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));

    c->nent = n;
    for (unsigned i = 0; i < n; i++) {
        c->entries[i] = (struct kvm_cpuid_entry2){
            .function = entries[i].function, .index = entries[i].index,
            .flags = (entries[i].flags & HV_CPUID_FLAG_SIGNIFICANT_INDEX) ?
                     KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
            .eax = entries[i].eax, .ebx = entries[i].ebx,
            .ecx = entries[i].ecx, .edx = entries[i].edx,
        };
    }
    if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
        return fail_errno(error, "KVM_SET_CPUID2");
    return 0;
}

static int kvm_vcpu_get_regs(hv_vcpu *v, struct hv_regs *r, GError **error)
{
    struct kvm_regs k;

    if (ioctl(v->fd, KVM_GET_REGS, &k) < 0)
        return fail_errno(error, "KVM_GET_REGS");
    *r = (struct hv_regs){
        k.rax, k.rbx, k.rcx, k.rdx, k.rsi, k.rdi, k.rsp, k.rbp,
        k.r8, k.r9, k.r10, k.r11, k.r12, k.r13, k.r14, k.r15, k.rip, k.rflags,
    };
    return 0;
}

static int kvm_vcpu_set_regs(hv_vcpu *v, const struct hv_regs *r, GError **error)
{
    struct kvm_regs k = {
        r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
        r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip, r->rflags,
    };

    if (ioctl(v->fd, KVM_SET_REGS, &k) < 0)
        return fail_errno(error, "KVM_SET_REGS");
    return 0;
}

static void seg_from_kvm(struct hv_segment *s, const struct kvm_segment *k)
{
    *s = (struct hv_segment){
        .base = k->base, .limit = k->limit, .selector = k->selector, .type = k->type,
        .present = k->present, .dpl = k->dpl, .db = k->db, .s = k->s, .l = k->l, .g = k->g,
        .avl = k->avl, .unusable = k->unusable,
    };
}

static void seg_to_kvm(struct kvm_segment *k, const struct hv_segment *s)
{
    *k = (struct kvm_segment){
        .base = s->base, .limit = s->limit, .selector = s->selector, .type = s->type,
        .present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l, .g = s->g,
        .avl = s->avl, .unusable = s->unusable,
    };
}

static int kvm_vcpu_get_sregs(hv_vcpu *v, struct hv_sregs *s, GError **error)
{
    struct kvm_sregs k;

    if (ioctl(v->fd, KVM_GET_SREGS, &k) < 0)
        return fail_errno(error, "KVM_GET_SREGS");
    seg_from_kvm(&s->cs, &k.cs);
    seg_from_kvm(&s->ds, &k.ds);
    seg_from_kvm(&s->es, &k.es);
    seg_from_kvm(&s->fs, &k.fs);
    seg_from_kvm(&s->gs, &k.gs);
    seg_from_kvm(&s->ss, &k.ss);
    seg_from_kvm(&s->tr, &k.tr);
    seg_from_kvm(&s->ldt, &k.ldt);
    s->gdt = (struct hv_dtable){ k.gdt.base, k.gdt.limit };
    s->idt = (struct hv_dtable){ k.idt.base, k.idt.limit };
    s->cr0 = k.cr0;
    s->cr2 = k.cr2;
    s->cr3 = k.cr3;
    s->cr4 = k.cr4;
    s->cr8 = k.cr8;
    s->efer = k.efer;
    s->apic_base = k.apic_base;
    return 0;
}

static int kvm_vcpu_set_sregs(hv_vcpu *v, const struct hv_sregs *s, GError **error)
{
    struct kvm_sregs k;

    /* Read first: the interrupt bitmap must survive. */
    if (ioctl(v->fd, KVM_GET_SREGS, &k) < 0)
        return fail_errno(error, "KVM_GET_SREGS");
    seg_to_kvm(&k.cs, &s->cs);
    seg_to_kvm(&k.ds, &s->ds);
    seg_to_kvm(&k.es, &s->es);
    seg_to_kvm(&k.fs, &s->fs);
    seg_to_kvm(&k.gs, &s->gs);
    seg_to_kvm(&k.ss, &s->ss);
    seg_to_kvm(&k.tr, &s->tr);
    seg_to_kvm(&k.ldt, &s->ldt);
    k.gdt = (struct kvm_dtable){ .base = s->gdt.base, .limit = s->gdt.limit };
    k.idt = (struct kvm_dtable){ .base = s->idt.base, .limit = s->idt.limit };
    k.cr0 = s->cr0;
    k.cr2 = s->cr2;
    k.cr3 = s->cr3;
    k.cr4 = s->cr4;
    k.cr8 = s->cr8;
    k.efer = s->efer;
    k.apic_base = s->apic_base;
    if (ioctl(v->fd, KVM_SET_SREGS, &k) < 0)
        return fail_errno(error, "KVM_SET_SREGS");
    return 0;
}

static int kvm_vcpu_set_msrs(hv_vcpu *v, const struct hv_msr *msrs, unsigned n, GError **error)
{
    g_autofree struct kvm_msrs *m = g_malloc0(sizeof(*m) + n * sizeof(struct kvm_msr_entry));
    int done;

    m->nmsrs = n;
    for (unsigned i = 0; i < n; i++)
        m->entries[i] = (struct kvm_msr_entry){ .index = msrs[i].index, .data = msrs[i].value };
    done = ioctl(v->fd, KVM_SET_MSRS, m);
    if (done < 0)
        return fail_errno(error, "KVM_SET_MSRS");
    if ((unsigned)done != n) {
        g_set_error(error, HV_ERROR, EINVAL, _("KVM refused MSR 0x%x"), msrs[done].index);
        return -1;
    }
    return 0;
}

static int kvm_vcpu_set_fpu_default(hv_vcpu *v, GError **error)
{
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
        return fail_errno(error, "KVM_SET_FPU");
    return 0;
}

static void lapic_set_delivery_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
    uint32_t v;

    memcpy(&v, &l->regs[reg], sizeof(v));
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&l->regs[reg], &v, sizeof(v));
}

static int kvm_vcpu_set_lapic_lint(hv_vcpu *v, GError **error)
{
    struct kvm_lapic_state l;

    if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
        return fail_errno(error, "KVM_GET_LAPIC");
    lapic_set_delivery_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
    lapic_set_delivery_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
    if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
        return fail_errno(error, "KVM_SET_LAPIC");
    return 0;
}

static int kvm_vcpu_set_mp_state(hv_vcpu *v, enum hv_mp_state state, GError **error)
{
    struct kvm_mp_state mp = {
        .mp_state = state == HV_MP_RUNNABLE ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_INIT_RECEIVED,
    };

    if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
        return fail_errno(error, "KVM_SET_MP_STATE");
    return 0;
}

static bool handle_pio(hv_vcpu *v, struct hv_exit *exit)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    /* data_offset/size/count come from the kernel, but stay inside the run page anyway. */
    if (run->io.data_offset + (uint64_t)run->io.size * run->io.count >
        (uint64_t)v->vm->hv->vcpu_mmap_size)
        return false;
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        if (!v->io->pio(v->io_opaque, run->io.port, data, run->io.size, is_write)) {
            exit->reason = HV_EXIT_UNHANDLED_IO;
            exit->io_is_mmio = false;
            exit->io_is_write = is_write;
            exit->io_addr = run->io.port;
            exit->io_len = run->io.size;
            exit->io_data = 0;
            memcpy(&exit->io_data, data, MIN(run->io.size, sizeof(exit->io_data)));
            return false;
        }
    }
    return true;
}

static bool handle_mmio(hv_vcpu *v, struct hv_exit *exit)
{
    struct kvm_run *run = v->run;
    uint32_t len = MIN(run->mmio.len, sizeof(run->mmio.data));

    if (!v->io->mmio(v->io_opaque, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write)) {
        exit->reason = HV_EXIT_UNHANDLED_IO;
        exit->io_is_mmio = true;
        exit->io_is_write = run->mmio.is_write;
        exit->io_addr = run->mmio.phys_addr;
        exit->io_len = len;
        exit->io_data = 0;
        memcpy(&exit->io_data, run->mmio.data, MIN(len, sizeof(exit->io_data)));
        return false;
    }
    return true;
}

static int kvm_vcpu_run(hv_vcpu *v, struct hv_exit *exit, GError **error)
{
    struct kvm_run *run = v->run;

    if (!g_atomic_int_get(&v->thread_known)) {
        v->thread = pthread_self();
        g_atomic_int_set(&v->thread_known, 1);
    }
    memset(exit, 0, sizeof(*exit));
    for (;;) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                run->immediate_exit = 0;
                exit->reason = HV_EXIT_KICKED;
                return 0;
            }
            return fail_errno(error, "KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (!handle_pio(v, exit))
                return 0;
            break;
        case KVM_EXIT_MMIO:
            if (!handle_mmio(v, exit))
                return 0;
            break;
        case KVM_EXIT_INTR:
            run->immediate_exit = 0;
            exit->reason = HV_EXIT_KICKED;
            return 0;
        case KVM_EXIT_SHUTDOWN:
            exit->reason = HV_EXIT_SHUTDOWN;
            return 0;
        case KVM_EXIT_SYSTEM_EVENT:
            exit->raw_reason = run->system_event.type;
            if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
                exit->reason = HV_EXIT_SYSTEM_RESET;
            else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
                exit->reason = HV_EXIT_SYSTEM_SHUTDOWN;
            else
                exit->reason = HV_EXIT_UNKNOWN;
            return 0;
        case KVM_EXIT_INTERNAL_ERROR:
            exit->reason = HV_EXIT_INTERNAL_ERROR;
            exit->raw_reason = run->exit_reason;
            exit->suberror = run->internal.suberror;
            return 0;
        case KVM_EXIT_FAIL_ENTRY:
            exit->reason = HV_EXIT_INTERNAL_ERROR;
            exit->raw_reason = run->exit_reason;
            exit->suberror = (uint32_t)run->fail_entry.hardware_entry_failure_reason;
            return 0;
        default:
            exit->reason = HV_EXIT_UNKNOWN;
            exit->raw_reason = run->exit_reason;
            return 0;
        }
    }
}

static void kvm_vcpu_kick(hv_vcpu *v)
{
    /* immediate_exit covers a kick that lands before the thread enters KVM_RUN,
     * the signal one that lands while it is inside. */
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (g_atomic_int_get(&v->thread_known))
        pthread_kill(v->thread, HV_KICK_SIGNAL);
}

static const struct hv_ops kvm_ops = {
    .name = "kvm",
    .open = kvm_open,
    .close = kvm_close,
    .max_vcpus = kvm_max_vcpus,
    .supported_cpuid = kvm_supported_cpuid,
    .vm_create = kvm_vm_create,
    .vm_destroy = kvm_vm_destroy,
    .vm_map_memory = kvm_vm_map_memory,
    .vm_unmap_memory = kvm_vm_unmap_memory,
    .vm_create_irqchip = kvm_vm_create_irqchip,
    .vm_set_irq_line = kvm_vm_set_irq_line,
    .vm_register_irqfd = kvm_vm_register_irqfd,
    .vm_unregister_irqfd = kvm_vm_unregister_irqfd,
    .vm_set_msi_routes = kvm_vm_set_msi_routes,
    .vm_register_ioeventfd = kvm_vm_register_ioeventfd,
    .vm_unregister_ioeventfd = kvm_vm_unregister_ioeventfd,
    .vcpu_create = kvm_vcpu_create,
    .vcpu_destroy = kvm_vcpu_destroy,
    .vcpu_set_cpuid = kvm_vcpu_set_cpuid,
    .vcpu_get_regs = kvm_vcpu_get_regs,
    .vcpu_set_regs = kvm_vcpu_set_regs,
    .vcpu_get_sregs = kvm_vcpu_get_sregs,
    .vcpu_set_sregs = kvm_vcpu_set_sregs,
    .vcpu_set_msrs = kvm_vcpu_set_msrs,
    .vcpu_set_fpu_default = kvm_vcpu_set_fpu_default,
    .vcpu_set_lapic_lint = kvm_vcpu_set_lapic_lint,
    .vcpu_set_mp_state = kvm_vcpu_set_mp_state,
    .vcpu_run = kvm_vcpu_run,
    .vcpu_kick = kvm_vcpu_kick,
};

const struct hv_ops *hv_kvm_ops(void)
{
    return &kvm_ops;
}
