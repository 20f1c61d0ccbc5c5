/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waits for the ACPI power button the way an OS does: interrupt-driven, not by
 * polling. The GED's GSI is routed through the IOAPIC to a vector whose handler
 * reads (and so clears) the GED event selector and sends the LAPIC EOI. The
 * boot CPU sleeps in hlt with interrupts on; when the selector shows the power
 * button the program says so and powers off. Any other vector is a failure.
 * It runs again from the start after a reset, so a reboot shows the banner twice.
 */
#include "guest.h"

#define LAPIC 0xfee00000ULL
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_SVR_ENABLE 0x100
#define SPURIOUS_VECTOR 0xff

#define IOAPIC 0xfec00000ULL
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_LEVEL (1u << 15)

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

#define GED_PORT 0x610
#define GED_GSI 9
#define GED_EVENT_POWER_BUTTON 0x1
#define GED_VECTOR 0x40

#define CODE_SELECTOR 0x08      /* crt0.S's 64-bit code segment */
#define GATE_INTERRUPT 0x8e     /* present, DPL 0, 64-bit interrupt gate */
#define IDT_ENTRIES 256
#define STUB_SIZE 16

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static volatile uint32_t power_button_events;

void isr_dispatch(uint64_t vector);
extern const char isr_stubs[];

/*
 * One 16-byte stub per vector pushes its number and joins the common path.
 * Vectors with a CPU error code leave an extra word on the stack; they only
 * ever fail the test, so the frame is never unwound for them. The common
 * path saves the registers the C ABI lets isr_dispatch clobber.
 */
__asm__(
    "    .text\n"
    "    .p2align 4\n"
    "    .globl isr_stubs\n"
    "isr_stubs:\n"
    "    .set vec, 0\n"
    "    .rept 256\n"
    "    .p2align 4\n"
    "    pushq $vec\n"
    "    jmp isr_common\n"
    "    .set vec, vec + 1\n"
    "    .endr\n"
    "isr_common:\n"
    "    pushq %rax\n"
    "    pushq %rcx\n"
    "    pushq %rdx\n"
    "    pushq %rsi\n"
    "    pushq %rdi\n"
    "    pushq %r8\n"
    "    pushq %r9\n"
    "    pushq %r10\n"
    "    pushq %r11\n"
    "    movq 72(%rsp), %rdi\n"     /* the vector pushed by the stub */
    "    subq $8, %rsp\n"           /* 16-byte aligned at the call */
    "    call isr_dispatch\n"
    "    addq $8, %rsp\n"
    "    popq %r11\n"
    "    popq %r10\n"
    "    popq %r9\n"
    "    popq %r8\n"
    "    popq %rdi\n"
    "    popq %rsi\n"
    "    popq %rdx\n"
    "    popq %rcx\n"
    "    popq %rax\n"
    "    addq $8, %rsp\n"
    "    iretq\n");

void isr_dispatch(uint64_t vector)
{
    uint32_t selector;

    if (vector != GED_VECTOR) {
        serial_puts("unexpected vector ");
        serial_put_hex(vector);
        serial_putc('\n');
        guest_fail(vector == SPURIOUS_VECTOR ? "spurious interrupt" : "unexpected interrupt");
    }
    /* Reading the selector clears the events it returns, as _EVT does. */
    selector = inl(GED_PORT);
    mmio_write32(LAPIC + LAPIC_EOI, 0);
    if (!(selector & GED_EVENT_POWER_BUTTON)) {
        serial_put_kv("ged selector", selector);
        guest_fail("GED interrupt without a power button event");
    }
    power_button_events++;
}

static void idt_install(void)
{
    struct idt_ptr ptr;

    for (unsigned i = 0; i < IDT_ENTRIES; i++) {
        uint64_t handler = (uint64_t)(uintptr_t)(isr_stubs + i * STUB_SIZE);

        idt[i].offset_low = (uint16_t)handler;
        idt[i].selector = CODE_SELECTOR;
        idt[i].ist = 0;
        idt[i].attr = GATE_INTERRUPT;
        idt[i].offset_mid = (uint16_t)(handler >> 16);
        idt[i].offset_high = (uint32_t)(handler >> 32);
        idt[i].reserved = 0;
    }
    ptr.limit = sizeof(idt) - 1;
    ptr.base = (uint64_t)(uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
    mmio_write32(IOAPIC + IOAPIC_REGSEL, reg);
    mmio_write32(IOAPIC + IOAPIC_WIN, value);
}

/* Level-triggered (as the DSDT's _CRS says), active high, fixed delivery in
 * physical mode to apic_id. The LAPIC EOI re-arms the pin. */
static void ioapic_route(unsigned pin, uint8_t vector, uint32_t apic_id)
{
    ioapic_write(IOAPIC_REDTBL(pin) + 1, apic_id << 24);
    ioapic_write(IOAPIC_REDTBL(pin), IOAPIC_LEVEL | vector);   /* unmasked last */
}

int guest_main(void)
{
    uint32_t apic_id;

    idt_install();
    /* The IOAPIC delivers the GSI; the 8259s would deliver it a second time. */
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
    mmio_write32(LAPIC + LAPIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
    apic_id = mmio_read32(LAPIC + LAPIC_ID) >> 24;
    GUEST_CHECK(apic_id == 0);
    ioapic_route(GED_GSI, GED_VECTOR, apic_id);

    serial_puts("waiting for the power button\n");
    for (;;) {
        __asm__ volatile("cli" : : : "memory");
        if (power_button_events)
            break;
        /* sti's one-instruction shadow: no interrupt slips in before hlt. */
        __asm__ volatile("sti; hlt" : : : "memory");
    }
    serial_puts("power button pressed\n");
    return 0;
}
