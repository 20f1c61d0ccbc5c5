/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The legacy devices (16550A UART, i8042, MC146818 RTC, PCI host) driven through
 * their registered handlers, on a fake VM defined here: vm.c is not linked.
 */
#include <inttypes.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/absent.h"
#include "devices/i8042.h"
#include "devices/pci-host.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "vmm/vm.h"

/* ---- the fake VM ---- */

#define MAX_RANGES 32
#define MAX_GSI 24

struct fake_range {
    bool is_pio;
    uint64_t base;
    uint64_t len;
    io_handler_fn fn;
    void *opaque;
};

struct vm {
    struct fake_range ranges[MAX_RANGES];
    unsigned n_ranges;
    bool irq_level[MAX_GSI];
    unsigned irq_calls[MAX_GSI];
    enum vm_stop_reason stop_reason;
    unsigned stop_calls;
};

static int fake_register(vm *vm, bool is_pio, uint64_t base, uint64_t len, io_handler_fn fn,
                         void *opaque, GError **error)
{
    for (unsigned i = 0; i < vm->n_ranges; i++) {
        const struct fake_range *r = &vm->ranges[i];

        if (r->is_pio == is_pio && base < r->base + r->len && r->base < base + len) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "overlap at 0x%" PRIx64 "",
                        base);
            return -1;
        }
    }
    ck_assert_uint_lt(vm->n_ranges, MAX_RANGES);
    vm->ranges[vm->n_ranges++] = (struct fake_range){ is_pio, base, len, fn, opaque };
    return 0;
}

int vm_register_pio(vm *vm, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    return fake_register(vm, true, base, len, fn, opaque, error);
}

int vm_register_mmio(vm *vm, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    return fake_register(vm, false, base, len, fn, opaque, error);
}

void vm_request_stop(vm *vm, enum vm_stop_reason reason)
{
    if (vm->stop_reason == VM_STOP_NONE)
        vm->stop_reason = reason;
    vm->stop_calls++;
}

void vm_set_irq_line(vm *vm, uint32_t gsi, bool level)
{
    ck_assert_uint_lt(gsi, MAX_GSI);
    vm->irq_level[gsi] = level;
    vm->irq_calls[gsi]++;
}

guest_mem *vm_guest_mem(vm *vm)
{
    return NULL;
}

/* Like the iobus: the access must lie wholly inside one range, and the handler must take it. */
static void fake_access(vm *vm, bool is_pio, uint64_t addr, uint8_t *data, uint32_t len,
                        bool is_write)
{
    for (unsigned i = 0; i < vm->n_ranges; i++) {
        const struct fake_range *r = &vm->ranges[i];

        if (r->is_pio == is_pio && addr >= r->base && addr - r->base < r->len) {
            ck_assert_msg(len <= r->len - (addr - r->base), "access straddles a range end");
            ck_assert_msg(r->fn(r->opaque, addr - r->base, data, len, is_write),
                          "handler rejected access at 0x%" PRIx64 "", addr);
            return;
        }
    }
    ck_abort_msg("no handler at 0x%" PRIx64 "", addr);
}

static vm fake;

static void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
}

static void out(uint16_t port, uint32_t len, uint32_t v)
{
    uint8_t b[4];

    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fake_access(&fake, true, port, b, len, true);
}

static uint32_t in(uint16_t port, uint32_t len)
{
    uint8_t b[4] = { 0 };
    uint32_t v = 0;

    fake_access(&fake, true, port, b, len, false);
    for (unsigned i = 0; i < len; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static void outb(uint16_t port, uint8_t v) { out(port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)in(port, 1); }
static uint16_t inw(uint16_t port) { return (uint16_t)in(port, 2); }
static void outl(uint16_t port, uint32_t v) { out(port, 4, v); }
static uint32_t inl(uint16_t port) { return in(port, 4); }

static uint64_t mmio_read(uint64_t addr, uint32_t len)
{
    uint8_t b[8] = { 0 };
    uint64_t v = 0;

    fake_access(&fake, false, addr, b, len, false);
    for (unsigned i = 0; i < len; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void mmio_write(uint64_t addr, uint32_t len, uint64_t v)
{
    uint8_t b[8];

    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fake_access(&fake, false, addr, b, len, true);
}

/* ---- 16550A ---- */

#define COM1 LAYOUT_COM1_PORT
#define GSI LAYOUT_COM1_GSI
#define THR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

static serial *uart;
static int pipe_fds[2];
static unsigned rx_ready_calls;

static void on_rx_ready(void *opaque)
{
    ck_assert_ptr_eq(opaque, &rx_ready_calls);
    rx_ready_calls++;
}

static void uart_setup(void)
{
    g_autoptr(GError) error = NULL;

    fake_reset();
    rx_ready_calls = 0;
    ck_assert_int_eq(pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
    uart = serial_create(&fake, COM1, GSI, pipe_fds[1], &error);
    ck_assert_msg(uart, "%s", error ? error->message : "");
    serial_set_rx_ready_notify(uart, on_rx_ready, &rx_ready_calls);
}

static void uart_teardown(void)
{
    g_clear_pointer(&uart, serial_free);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static char *pipe_drain(void)
{
    char buf[256];
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf) - 1);

    if (n < 0)
        n = 0;
    buf[n] = 0;
    return g_strdup(buf);
}

START_TEST(uart_transmit)
{
    g_autofree char *got = NULL;

    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);     /* THRE, TEMT */
    outb(THR, 'h');
    outb(THR, 'i');
    ck_assert_uint_eq(inb(LSR) & 0x61, 0x60);     /* still empty, no data received */
    got = pipe_drain();
    ck_assert_str_eq(got, "hi");
    ck_assert_uint_eq(serial_tx_dropped(uart), 0);
}
END_TEST

START_TEST(uart_divisor_latch)
{
    g_autofree char *got = NULL;

    outb(IER, 0x05);
    outb(LCR, 0x83);
    outb(THR, 0x01);      /* DLL */
    outb(IER, 0x02);      /* DLM */
    ck_assert_uint_eq(inb(THR), 0x01);
    ck_assert_uint_eq(inb(IER), 0x02);
    outb(LCR, 0x03);
    ck_assert_uint_eq(inb(LCR), 0x03);
    ck_assert_uint_eq(inb(IER), 0x05);            /* IER kept apart from DLM */
    outb(THR, 'x');                               /* goes out, not into DLL */
    got = pipe_drain();
    ck_assert_str_eq(got, "x");
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(THR), 0x01);
    ck_assert_uint_eq(inb(IER), 0x02);
}
END_TEST

START_TEST(uart_scratch_and_ier_mask)
{
    outb(SCR, 0xa5);
    ck_assert_uint_eq(inb(SCR), 0xa5);
    outb(SCR, 0x5a);
    ck_assert_uint_eq(inb(SCR), 0x5a);
    /* Linux's probe: IER bits 4-7 do not exist on a 16550A. */
    outb(IER, 0xff);
    ck_assert_uint_eq(inb(IER), 0x0f);
    outb(IER, 0x00);
    ck_assert_uint_eq(inb(IER), 0x00);
}
END_TEST

START_TEST(uart_fifo_identification)
{
    ck_assert_uint_eq(inb(IIR), 0x01);
    outb(FCR, 0x01);
    ck_assert_uint_eq(inb(IIR), 0xc1);            /* bits 6-7: FIFOs on (16550A) */
    outb(FCR, 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(uart_thre_interrupt)
{
    ck_assert(!fake.irq_level[GSI]);
    outb(IER, 0x02);                              /* THR empty: raised at once */
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert(!fake.irq_level[GSI]);              /* reading IIR cleared it */
    ck_assert_uint_eq(inb(IIR), 0x01);
    outb(THR, 'a');                               /* sent at once: THR empty again */
    ck_assert(fake.irq_level[GSI]);
    outb(IER, 0x00);
    ck_assert(!fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(IIR), 0x01);
    /* Linux's start-up check: after an IIR read cleared it, toggling THRI re-raises it. */
    outb(IER, 0x02);
    ck_assert_uint_eq(inb(IIR), 0x02);
    outb(IER, 0x00);
    outb(IER, 0x02);
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(IIR), 0x02);
    /* Rewriting IER with THRI already on does not re-raise a cleared THRE. */
    outb(IER, 0x03);
    ck_assert(!fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(uart_receive)
{
    const uint8_t msg[] = "abc";

    outb(FCR, 0x07);
    outb(IER, 0x01);
    ck_assert(!fake.irq_level[GSI]);
    ck_assert_uint_eq(serial_rx_space(uart), SERIAL_FIFO_SIZE);
    ck_assert_uint_eq(serial_receive(uart, msg, 3), 3);
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(inb(IIR), 0xc4);
    ck_assert_uint_eq(inb(THR), 'a');
    ck_assert_uint_eq(inb(THR), 'b');
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(THR), 'c');
    ck_assert(!fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
    ck_assert_uint_eq(inb(IIR), 0xc1);
    ck_assert_uint_eq(rx_ready_calls, 0);         /* never ran out of space */
}
END_TEST

START_TEST(uart_receive_full)
{
    uint8_t buf[20];

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)('A' + i);
    outb(FCR, 0x01);
    ck_assert_uint_eq(serial_receive(uart, buf, sizeof(buf)), SERIAL_FIFO_SIZE);
    ck_assert_uint_eq(serial_rx_space(uart), 0);
    ck_assert_uint_eq(serial_receive(uart, buf + 16, 4), 0);
    ck_assert_uint_eq(rx_ready_calls, 0);
    ck_assert_uint_eq(inb(THR), 'A');
    ck_assert_uint_eq(rx_ready_calls, 1);         /* room again: the owner is told once */
    ck_assert_uint_eq(serial_rx_space(uart), 1);
    ck_assert_uint_eq(inb(THR), 'B');
    ck_assert_uint_eq(rx_ready_calls, 1);
    ck_assert_uint_eq(serial_receive(uart, buf + 16, 4), 2);
    for (unsigned i = 2; i < 18; i++)
        ck_assert_uint_eq(inb(THR), 'A' + i);
    ck_assert_uint_eq(inb(LSR) & 0x03, 0x00);     /* empty, no overrun */
    /* With the FIFOs off, the receiver holds one byte. */
    outb(FCR, 0x00);
    ck_assert_uint_eq(serial_rx_space(uart), 1);
    ck_assert_uint_eq(serial_receive(uart, buf, 2), 1);
    ck_assert_uint_eq(inb(THR), 'A');
}
END_TEST

START_TEST(uart_fifo_reset_clears_receiver)
{
    const uint8_t msg[] = "xyz";

    outb(FCR, 0x01);
    ck_assert_uint_eq(serial_receive(uart, msg, 3), 3);
    outb(FCR, 0x03);                              /* clear receive FIFO */
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
    ck_assert_uint_eq(serial_rx_space(uart), SERIAL_FIFO_SIZE);
}
END_TEST

START_TEST(uart_loopback)
{
    g_autofree char *got = NULL;
    const uint8_t host = 'h';

    outb(FCR, 0x01);
    /* Linux's probe: loopback with RTS and OUT2 shows CTS and DCD. */
    outb(MCR, 0x1a);
    ck_assert_uint_eq(inb(MSR) & 0xf0, 0x90);
    outb(MCR, 0x1f);
    ck_assert_uint_eq(inb(MSR) & 0xf0, 0xf0);
    ck_assert_uint_eq(serial_rx_space(uart), 0);  /* cut off from the host */
    ck_assert_uint_eq(serial_receive(uart, &host, 1), 0);
    outb(THR, 'z');
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(inb(THR), 'z');
    got = pipe_drain();
    ck_assert_str_eq(got, "");                    /* nothing left the UART */
    outb(MCR, 0x03);
    ck_assert_uint_eq(rx_ready_calls, 1);         /* the host may send again */
    ck_assert_uint_eq(inb(MSR), 0xb0 | 0x04);     /* RI fell: TERI */
    ck_assert_uint_eq(inb(MSR), 0xb0);            /* deltas cleared by the read */
    ck_assert_uint_eq(serial_receive(uart, &host, 1), 1);
}
END_TEST

START_TEST(uart_interrupt_priority)
{
    /* Loopback with a 1-byte receiver makes every source pending at once. */
    outb(FCR, 0x00);
    outb(MCR, 0x10);                              /* loopback: DSR, CTS, DCD fall */
    outb(THR, '1');
    outb(THR, '2');                               /* overrun */
    outb(IER, 0x0f);
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(IIR), 0x06);            /* line status */
    ck_assert_uint_eq(inb(LSR) & 0x03, 0x03);     /* OE and DR; reading clears OE */
    ck_assert_uint_eq(inb(IIR), 0x04);            /* received data */
    ck_assert_uint_eq(inb(THR), '1');
    ck_assert_uint_eq(inb(IIR), 0x02);            /* THR empty; reading clears it */
    ck_assert_uint_eq(inb(IIR), 0x00);            /* modem status */
    ck_assert(fake.irq_level[GSI]);
    ck_assert_uint_eq(inb(MSR), 0x0b);            /* DDCD, DDSR, DCTS; lines low */
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert(!fake.irq_level[GSI]);
}
END_TEST

START_TEST(uart_output_full_drops)
{
    char buf[4096];
    unsigned calls;

    memset(buf, 'x', sizeof(buf));
    ck_assert_int_eq(fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK), 0);
    while (write(pipe_fds[1], buf, sizeof(buf)) > 0) {
    }
    while (write(pipe_fds[1], buf, 1) > 0) {
    }
    ck_assert_int_eq(errno, EAGAIN);
    calls = fake.irq_calls[GSI];
    outb(THR, 'y');                               /* must return, not block */
    outb(THR, 'z');
    ck_assert_uint_eq(serial_tx_dropped(uart), 2);
    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
    ck_assert_uint_eq(fake.irq_calls[GSI], calls);
}
END_TEST

START_TEST(uart_output_discarded)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(serial) s = NULL;

    fake_reset();
    s = serial_create(&fake, COM1, GSI, -1, &error);
    ck_assert_msg(s, "%s", error ? error->message : "");
    outb(THR, 'q');
    ck_assert_uint_eq(serial_tx_dropped(s), 0);
    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
}
END_TEST

/* ---- i8042 ---- */

#define KBD_DATA LAYOUT_I8042_DATA_PORT
#define KBD_CMD LAYOUT_I8042_CMD_PORT
#define STATUS_OBF 0x01

static i8042 *kbd;

static void kbd_setup(void)
{
    g_autoptr(GError) error = NULL;

    fake_reset();
    kbd = i8042_create(&fake, &error);
    ck_assert_msg(kbd, "%s", error ? error->message : "");
}

static void kbd_teardown(void)
{
    g_clear_pointer(&kbd, i8042_free);
}

static uint8_t kbd_command(uint8_t cmd)
{
    outb(KBD_CMD, cmd);
    ck_assert_uint_eq(inb(KBD_CMD) & STATUS_OBF, STATUS_OBF);
    return inb(KBD_DATA);
}

START_TEST(kbd_reset)
{
    outb(KBD_CMD, 0xff);                          /* pulses no line */
    ck_assert_uint_eq(fake.stop_calls, 0);
    outb(KBD_CMD, 0xfe);
    ck_assert_uint_eq(fake.stop_calls, 1);
    ck_assert_int_eq(fake.stop_reason, VM_STOP_RESET);
}
END_TEST

START_TEST(kbd_reset_through_output_port)
{
    outb(KBD_CMD, 0xd1);
    outb(KBD_DATA, 0x03);                         /* reset line high: nothing */
    ck_assert_uint_eq(fake.stop_calls, 0);
    outb(KBD_CMD, 0xd1);
    outb(KBD_DATA, 0x02);
    ck_assert_int_eq(fake.stop_reason, VM_STOP_RESET);
}
END_TEST

START_TEST(kbd_self_tests)
{
    ck_assert_uint_eq(inb(KBD_CMD) & STATUS_OBF, 0);
    ck_assert_uint_eq(kbd_command(0xaa), 0x55);
    ck_assert_uint_eq(inb(KBD_CMD) & STATUS_OBF, 0);   /* the read emptied it */
    ck_assert_uint_eq(kbd_command(0xab), 0x00);
    ck_assert_uint_eq(kbd_command(0xa9), 0x00);
    ck_assert_uint_eq(fake.stop_calls, 0);
}
END_TEST

START_TEST(kbd_ctr)
{
    uint8_t ctr = kbd_command(0x20);

    ck_assert_uint_eq(ctr, 0x45);
    outb(KBD_CMD, 0x60);
    outb(KBD_DATA, 0x74);
    ck_assert_uint_eq(kbd_command(0x20), 0x74);
    outb(KBD_CMD, 0xa8);                          /* enable aux: clears bit 5 */
    ck_assert_uint_eq(kbd_command(0x20), 0x54);
    outb(KBD_CMD, 0xad);                          /* disable keyboard: sets bit 4 */
    ck_assert_uint_eq(kbd_command(0x20), 0x54);
    outb(KBD_CMD, 0xae);
    ck_assert_uint_eq(kbd_command(0x20), 0x44);
    /* An unknown command is ignored, and a byte for the keyboard changes nothing. */
    outb(KBD_CMD, 0x12);
    ck_assert_uint_eq(inb(KBD_CMD) & STATUS_OBF, 0);
    outb(KBD_DATA, 0xff);
    ck_assert_uint_eq(inb(KBD_CMD) & STATUS_OBF, 0);
    ck_assert_uint_eq(kbd_command(0x20), 0x44);
    ck_assert_uint_eq(fake.stop_calls, 0);
}
END_TEST

START_TEST(kbd_status_command_bit)
{
    outb(KBD_CMD, 0xae);
    ck_assert_uint_eq(inb(KBD_CMD) & 0x08, 0x08);
    outb(KBD_DATA, 0x00);
    ck_assert_uint_eq(inb(KBD_CMD) & 0x08, 0x00);
    ck_assert_uint_eq(inb(KBD_CMD) & 0x04, 0x04); /* system flag */
}
END_TEST

/* ---- RTC ---- */

#define CMOS_INDEX LAYOUT_CMOS_PORT
#define CMOS_DATA (LAYOUT_CMOS_PORT + 1)
#define T_2024_02_29_13_05_09 1709211909   /* a Thursday */
#define T_2024_02_29_00_30_00 1709166600
#define T_2024_02_29_12_00_00 1709208000
#define T_2024_02_29_23_59_59 1709251199
#define T_2099_12_31_23_59_59 4102444799   /* a Thursday */

static rtc *clock_dev;
static struct timespec fake_now;

static void fake_clock(void *opaque, struct timespec *now)
{
    ck_assert_ptr_eq(opaque, &fake_now);
    *now = fake_now;
}

static void rtc_setup_with(uint64_t below, uint64_t above)
{
    g_autoptr(GError) error = NULL;

    fake_reset();
    clock_dev = rtc_create(&fake, below, above, &error);
    ck_assert_msg(clock_dev, "%s", error ? error->message : "");
    fake_now = (struct timespec){ .tv_sec = T_2024_02_29_13_05_09, .tv_nsec = 500000000 };
    rtc_set_clock(clock_dev, fake_clock, &fake_now);
}

static void rtc_setup(void)
{
    rtc_setup_with(128 << 20, 0);
}

static void rtc_teardown(void)
{
    g_clear_pointer(&clock_dev, rtc_free);
}

static uint8_t cmos_read(uint8_t idx)
{
    outb(CMOS_INDEX, idx);
    return inb(CMOS_DATA);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
    outb(CMOS_INDEX, idx);
    outb(CMOS_DATA, v);
}

START_TEST(rtc_bcd)
{
    ck_assert_uint_eq(cmos_read(0x0b), 0x02);     /* 24-hour, BCD */
    ck_assert_uint_eq(cmos_read(0x00), 0x09);
    ck_assert_uint_eq(cmos_read(0x02), 0x05);
    ck_assert_uint_eq(cmos_read(0x04), 0x13);
    ck_assert_uint_eq(cmos_read(0x06), 0x05);     /* Thursday; Sunday is 1 */
    ck_assert_uint_eq(cmos_read(0x07), 0x29);
    ck_assert_uint_eq(cmos_read(0x08), 0x02);
    ck_assert_uint_eq(cmos_read(0x09), 0x24);
    ck_assert_uint_eq(cmos_read(0x32), 0x20);
    fake_now.tv_sec = T_2099_12_31_23_59_59;
    ck_assert_uint_eq(cmos_read(0x00), 0x59);
    ck_assert_uint_eq(cmos_read(0x04), 0x23);
    ck_assert_uint_eq(cmos_read(0x07), 0x31);
    ck_assert_uint_eq(cmos_read(0x08), 0x12);
    ck_assert_uint_eq(cmos_read(0x09), 0x99);
    fake_now.tv_sec++;
    ck_assert_uint_eq(cmos_read(0x09), 0x00);
    ck_assert_uint_eq(cmos_read(0x32), 0x21);
    ck_assert_uint_eq(cmos_read(0x08), 0x01);
}
END_TEST

START_TEST(rtc_binary)
{
    cmos_write(0x0b, 0x06);
    ck_assert_uint_eq(cmos_read(0x0b), 0x06);
    ck_assert_uint_eq(cmos_read(0x00), 9);
    ck_assert_uint_eq(cmos_read(0x02), 5);
    ck_assert_uint_eq(cmos_read(0x04), 13);
    ck_assert_uint_eq(cmos_read(0x06), 5);
    ck_assert_uint_eq(cmos_read(0x07), 29);
    ck_assert_uint_eq(cmos_read(0x08), 2);
    ck_assert_uint_eq(cmos_read(0x09), 24);
    ck_assert_uint_eq(cmos_read(0x32), 20);
}
END_TEST

START_TEST(rtc_12_hour)
{
    cmos_write(0x0b, 0x00);                       /* 12-hour, BCD */
    ck_assert_uint_eq(cmos_read(0x04), 0x81);     /* 1 PM */
    fake_now.tv_sec = T_2024_02_29_00_30_00;
    ck_assert_uint_eq(cmos_read(0x04), 0x12);     /* 12 AM */
    fake_now.tv_sec = T_2024_02_29_12_00_00;
    ck_assert_uint_eq(cmos_read(0x04), 0x92);     /* 12 PM */
    fake_now.tv_sec = T_2024_02_29_23_59_59;
    ck_assert_uint_eq(cmos_read(0x04), 0x91);     /* 11 PM */
    cmos_write(0x0b, 0x04);                       /* 12-hour, binary */
    ck_assert_uint_eq(cmos_read(0x04), 0x80 | 11);
    fake_now.tv_sec = T_2024_02_29_00_30_00;
    ck_assert_uint_eq(cmos_read(0x04), 12);
}
END_TEST

START_TEST(rtc_status_registers)
{
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    fake_now.tv_nsec = 999800000;                 /* 200 us before the edge */
    ck_assert_uint_eq(cmos_read(0x0a), 0xa6);
    fake_now.tv_nsec = 999700000;                 /* 300 us before: stable */
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    fake_now.tv_nsec = 999999999;
    ck_assert_uint_eq(cmos_read(0x0a), 0xa6);
    cmos_write(0x0b, 0x82);                       /* SET: no updates, no UIP */
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    cmos_write(0x0a, 0xff);                       /* UIP is read-only */
    ck_assert_uint_eq(cmos_read(0x0a), 0x7f);
    ck_assert_uint_eq(cmos_read(0x0c), 0x00);
    cmos_write(0x0c, 0xff);
    ck_assert_uint_eq(cmos_read(0x0c), 0x00);
    ck_assert_uint_eq(cmos_read(0x0d), 0x80);
    cmos_write(0x0d, 0x00);
    ck_assert_uint_eq(cmos_read(0x0d), 0x80);
}
END_TEST

START_TEST(rtc_ram_and_index)
{
    cmos_write(0x40, 0x5a);
    ck_assert_uint_eq(cmos_read(0x40), 0x5a);
    /* Bit 7 of the index is the NMI mask: same register. */
    ck_assert_uint_eq(cmos_read(0xc0), 0x5a);
    cmos_write(0xff, 0x77);
    ck_assert_uint_eq(cmos_read(0x7f), 0x77);
    ck_assert_uint_eq(cmos_read(0x8d), 0x80);
    ck_assert_uint_eq(inb(CMOS_INDEX), 0xff);     /* write-only */
    /* The guest cannot move the host clock. */
    cmos_write(0x00, 0x30);
    cmos_write(0x32, 0x19);
    ck_assert_uint_eq(cmos_read(0x00), 0x09);
    ck_assert_uint_eq(cmos_read(0x32), 0x20);
    /* Alarm registers are plain storage. */
    cmos_write(0x01, 0x42);
    ck_assert_uint_eq(cmos_read(0x01), 0x42);
    /* outw: index in the low byte, data in the high one. */
    out(CMOS_INDEX, 2, 0x6641);
    ck_assert_uint_eq(cmos_read(0x41), 0x66);
}
END_TEST

START_TEST(rtc_memory_size)
{
    ck_assert_uint_eq(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
    ck_assert_uint_eq(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff);  /* 127 MiB in KiB, clamped */
    ck_assert_uint_eq(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
    ck_assert_uint_eq(cmos_read(0x34) | cmos_read(0x35) << 8, (128 - 16) * 16);
    ck_assert_uint_eq(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16, 0);
    rtc_teardown();
    rtc_setup_with(3ULL << 30, 5ULL << 30);
    ck_assert_uint_eq(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff);
    ck_assert_uint_eq(cmos_read(0x34) | cmos_read(0x35) << 8, (3072 - 16) * 16);
    ck_assert_uint_eq(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16,
                      5 * 1024 * 16);
    rtc_teardown();
    rtc_setup_with(8ULL << 30, 2048ULL << 30);  /* both clamp */
    ck_assert_uint_eq(cmos_read(0x34) | cmos_read(0x35) << 8, 0xffff);
    ck_assert_uint_eq(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16,
                      0xffffff);
}
END_TEST

START_TEST(rtc_nvram_kept)
{
    uint8_t nvram[RTC_NVRAM_SIZE];

    cmos_write(0x40, 0x01);
    cmos_write(0x0b, 0x06);
    cmos_write(0x35, 0x00);                       /* a guest scribbling on the size */
    rtc_save_nvram(clock_dev, nvram);
    ck_assert_uint_eq(nvram[0x40], 0x01);
    rtc_teardown();
    rtc_setup();
    ck_assert_uint_eq(cmos_read(0x40), 0x00);
    rtc_load_nvram(clock_dev, nvram);
    ck_assert_uint_eq(cmos_read(0x40), 0x01);
    ck_assert_uint_eq(cmos_read(0x0b), 0x06);
    ck_assert_uint_eq(cmos_read(0x04), 13);       /* binary, as register B says */
    ck_assert_uint_eq(cmos_read(0x35), (128 - 16) * 16 >> 8);
}
END_TEST

/* ---- PCI host ---- */

#define CONF1_ADDR LAYOUT_PCI_CONF1_PORT
#define CONF1_DATA (LAYOUT_PCI_CONF1_PORT + 4)
#define CONF1(bus, dev, fn, reg) \
    (0x80000000u | (bus) << 16 | (dev) << 11 | (fn) << 8 | (reg))
#define ECAM(bus, dev, fn, reg) \
    (LAYOUT_ECAM_BASE + ((uint64_t)(bus) << 20 | (dev) << 15 | (fn) << 12 | (reg)))

static pci_host *host;

static void pci_setup(void)
{
    g_autoptr(GError) error = NULL;

    fake_reset();
    host = pci_host_create(&fake, &error);
    ck_assert_msg(host, "%s", error ? error->message : "");
}

static void pci_teardown(void)
{
    g_clear_pointer(&host, pci_host_free);
}

static uint32_t conf1_read(uint32_t addr, uint32_t len)
{
    outl(CONF1_ADDR, addr & ~3u);
    return in(CONF1_DATA + (addr & 3), len);
}

static void conf1_write(uint32_t addr, uint32_t len, uint32_t v)
{
    outl(CONF1_ADDR, addr & ~3u);
    out(CONF1_DATA + (addr & 3), len, v);
}

START_TEST(pci_host_bridge_identity)
{
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x00), 4), 0x0d578086);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x08), 4), 0x06000000);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x0c), 4), 0x00000000);  /* header type 0 */
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x04), 4), 0x00000000);
    for (unsigned reg = 0x10; reg < 0x100; reg += 4)
        ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, reg), 4), 0);
}
END_TEST

START_TEST(pci_sub_dword_reads)
{
    outl(CONF1_ADDR, CONF1(0, 0, 0, 0x00));
    ck_assert_uint_eq(inb(CONF1_DATA + 0), 0x86);
    ck_assert_uint_eq(inb(CONF1_DATA + 1), 0x80);
    ck_assert_uint_eq(inb(CONF1_DATA + 2), 0x57);
    ck_assert_uint_eq(inb(CONF1_DATA + 3), 0x0d);
    ck_assert_uint_eq(inw(CONF1_DATA + 0), 0x8086);
    ck_assert_uint_eq(inw(CONF1_DATA + 2), 0x0d57);
    ck_assert_uint_eq(inw(CONF1_DATA + 1), 0x5780);              /* unaligned: bytes 1-2 */
    outl(CONF1_ADDR, CONF1(0, 0, 0, 0x08));
    ck_assert_uint_eq(inb(CONF1_DATA + 3), 0x06);                /* base class */
    ck_assert_uint_eq(inw(CONF1_DATA + 2), 0x0600);
    outl(CONF1_ADDR, CONF1(0, 0, 0, 0x0c));
    ck_assert_uint_eq(inb(CONF1_DATA + 2), 0x00);                /* header type */
}
END_TEST

START_TEST(pci_absent_functions)
{
    ck_assert_uint_eq(conf1_read(CONF1(0, 1, 0, 0x00), 4), 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 1, 0x00), 4), 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 31, 7, 0xfc), 4), 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(1, 0, 0, 0x00), 4), 0xffffffff);  /* no bus 1 */
    ck_assert_uint_eq(conf1_read(CONF1(0, 1, 0, 0x02), 2), 0xffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 1, 0, 0x03), 1), 0xff);
    conf1_write(CONF1(0, 1, 0, 0x04), 4, 0x7);                         /* dropped */
    ck_assert_uint_eq(mmio_read(ECAM(0, 1, 0, 0x00), 4), 0xffffffff);
    ck_assert_uint_eq(mmio_read(ECAM(0, 2, 3, 0x100), 4), 0xffffffff);
    mmio_write(ECAM(0, 1, 0, 0x04), 4, 0x7);
    ck_assert_uint_eq(mmio_read(ECAM(0, 1, 0, 0x04), 2), 0xffff);
}
END_TEST

START_TEST(pci_ecam_matches_conf1)
{
    for (unsigned reg = 0; reg < PCI_CONFIG_SIZE; reg += 4) {
        ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, reg), 4), conf1_read(CONF1(0, 0, 0, reg), 4));
        ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, reg + 2), 2),
                          conf1_read(CONF1(0, 0, 0, reg + 2), 2));
        ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, reg + 1), 1),
                          conf1_read(CONF1(0, 0, 0, reg + 1), 1));
    }
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0x00), 4), 0x0d578086);
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0x00), 8), 0x0d578086);
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0x04), 8), 0x0600000000000000ULL);
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0x100), 4), 0);  /* no extended capabilities */
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0xffc), 4), 0);
}
END_TEST

START_TEST(pci_read_only_fields)
{
    conf1_write(CONF1(0, 0, 0, 0x00), 4, 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x00), 4), 0x0d578086);
    conf1_write(CONF1(0, 0, 0, 0x08), 4, 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x08), 4), 0x06000000);
    conf1_write(CONF1(0, 0, 0, 0x10), 4, 0xffffffff);                  /* BAR sizing */
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x10), 4), 0);
    conf1_write(CONF1(0, 0, 0, 0x3c), 4, 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x3c), 4), 0);
    /* Command: only the bits with a meaning for a host bridge; status stays 0. */
    conf1_write(CONF1(0, 0, 0, 0x04), 4, 0xffffffff);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x04), 4), 0x00000147);
    conf1_write(CONF1(0, 0, 0, 0x04), 2, 0x0000);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x04), 2), 0);
    mmio_write(ECAM(0, 0, 0, 0x04), 1, 0x06);
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x04), 4), 0x00000006);
    mmio_write(ECAM(0, 0, 0, 0x00), 2, 0x1234);
    ck_assert_uint_eq(mmio_read(ECAM(0, 0, 0, 0x00), 2), 0x8086);
}
END_TEST

START_TEST(pci_conf1_address_register)
{
    outl(CONF1_ADDR, 0x80000000);
    ck_assert_uint_eq(inl(CONF1_ADDR), 0x80000000);
    outl(CONF1_ADDR, 0xffffffff);                 /* reserved and low bits read 0 */
    ck_assert_uint_eq(inl(CONF1_ADDR), 0x80fffffc);
    outl(CONF1_ADDR, 0x12345678);
    ck_assert_uint_eq(inl(CONF1_ADDR), 0x00345678);
    /* Linux's type-1 probe writes a byte at 0xcfb first: not the address register. */
    outl(CONF1_ADDR, 0x80000000);
    outb(CONF1_ADDR + 3, 0x01);
    ck_assert_uint_eq(inl(CONF1_ADDR), 0x80000000);
    ck_assert_uint_eq(inb(CONF1_ADDR + 1), 0xff);
    ck_assert_uint_eq(inw(CONF1_ADDR), 0xffff);
}
END_TEST

START_TEST(pci_conf1_disabled)
{
    outl(CONF1_ADDR, 0x00000000);
    ck_assert_uint_eq(inl(CONF1_DATA), 0xffffffff);
    ck_assert_uint_eq(inw(CONF1_DATA + 2), 0xffff);
    outl(CONF1_ADDR, 0x00000004);
    outl(CONF1_DATA, 0x6);                        /* dropped */
    ck_assert_uint_eq(conf1_read(CONF1(0, 0, 0, 0x04), 4), 0);
}
END_TEST

/* A stand-in endpoint that records how the host calls it. */
struct probe_fn {
    uint32_t regs[PCIE_CONFIG_SIZE / 4];
    unsigned bad_calls;
    unsigned calls;
};

static void probe_check(struct probe_fn *p, uint16_t reg, unsigned len)
{
    p->calls++;
    if ((len != 1 && len != 2 && len != 4) || reg % len || reg + len > PCIE_CONFIG_SIZE)
        p->bad_calls++;
}

static uint32_t probe_read(void *opaque, uint16_t reg, unsigned len)
{
    struct probe_fn *p = opaque;
    uint32_t v;

    probe_check(p, reg, len);
    v = p->regs[reg / 4] >> (8 * (reg % 4));
    return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

static void probe_write(void *opaque, uint16_t reg, uint32_t value, unsigned len)
{
    struct probe_fn *p = opaque;
    uint32_t mask = len == 4 ? 0xffffffff : ((1u << (8 * len)) - 1);
    unsigned shift = 8 * (reg % 4);

    probe_check(p, reg, len);
    p->regs[reg / 4] = (p->regs[reg / 4] & ~(mask << shift)) | ((value & mask) << shift);
}

static const pci_function probe_function = {
    .config_read = probe_read,
    .config_write = probe_write,
};

START_TEST(pci_added_function)
{
    g_autoptr(GError) error = NULL;
    struct probe_fn p = { .regs = { 0x10011af4 } };

    ck_assert_int_eq(pci_host_add_function(host, 3, 0, &probe_function, &p, &error), 0);
    ck_assert_uint_eq(conf1_read(CONF1(0, 3, 0, 0x00), 4), 0x10011af4);
    ck_assert_uint_eq(mmio_read(ECAM(0, 3, 0, 0x00), 4), 0x10011af4);
    ck_assert_uint_eq(conf1_read(CONF1(0, 3, 1, 0x00), 4), 0xffffffff);
    conf1_write(CONF1(0, 3, 0, 0x10), 4, 0xfebf0000);
    ck_assert_uint_eq(p.regs[4], 0xfebf0000);
    mmio_write(ECAM(0, 3, 0, 0x204), 4, 0xdeadbeef);      /* extended space reaches it */
    ck_assert_uint_eq(p.regs[0x204 / 4], 0xdeadbeef);
    /* Unaligned and 8-byte accesses arrive as aligned pieces. */
    ck_assert_uint_eq(conf1_read(CONF1(0, 3, 0, 0x01), 2), 0x011a);
    ck_assert_uint_eq(mmio_read(ECAM(0, 3, 0, 0x03), 2), 0x0010);
    ck_assert_uint_eq(mmio_read(ECAM(0, 3, 0, 0x200), 8), 0xdeadbeef00000000ULL);
    mmio_write(ECAM(0, 3, 0, 0x201), 2, 0xabcd);
    ck_assert_uint_eq(p.regs[0x200 / 4], 0x00abcd00);
    ck_assert_uint_eq(p.bad_calls, 0);
    ck_assert_uint_gt(p.calls, 0);

    ck_assert_int_eq(pci_host_add_function(host, 3, 0, &probe_function, &p, &error), -1);
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    ck_assert_int_eq(pci_host_add_function(host, 0, 0, &probe_function, &p, &error), -1);
    g_clear_error(&error);
    ck_assert_int_eq(pci_host_add_function(host, 32, 0, &probe_function, &p, &error), -1);
    g_clear_error(&error);
    ck_assert_int_eq(pci_host_add_function(host, 1, 8, &probe_function, &p, &error), -1);
    g_clear_error(&error);
}
END_TEST

/* ---- absent ports ---- */

START_TEST(absent_ports)
{
    g_autoptr(GError) error = NULL;

    fake_reset();
    ck_assert_int_eq(absent_ports_register(&fake, &error), 0);
    ck_assert_uint_eq(inb(0x80), 0xff);
    outb(0x80, 0x12);
    ck_assert_uint_eq(inb(0x2f8 + 1), 0xff);
    outb(0x2f8 + 1, 0x00);
    ck_assert_uint_eq(inb(0x2f8 + 1), 0xff);      /* the 8250 probe sees no UART */
    ck_assert_uint_eq(in(0x40, 4), 0xffffffff);
    ck_assert_uint_eq(inb(0x61), 0xff);
    ck_assert_int_eq(absent_port_range_register(&fake, 0x3f8, 8, "test", &error), 0);
    ck_assert_uint_eq(inb(0x3fd), 0xff);
}
END_TEST

/* The whole legacy platform on one VM: no range overlaps another. */
START_TEST(platform_fits_together)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(serial) s = NULL;
    g_autoptr(i8042) k = NULL;
    g_autoptr(rtc) r = NULL;
    g_autoptr(pci_host) h = NULL;

    fake_reset();
    s = serial_create(&fake, COM1, GSI, -1, &error);
    ck_assert_msg(s, "%s", error ? error->message : "");
    k = i8042_create(&fake, &error);
    ck_assert_msg(k, "%s", error ? error->message : "");
    r = rtc_create(&fake, 128 << 20, 0, &error);
    ck_assert_msg(r, "%s", error ? error->message : "");
    h = pci_host_create(&fake, &error);
    ck_assert_msg(h, "%s", error ? error->message : "");
    ck_assert_msg(absent_ports_register(&fake, &error) == 0, "%s", error ? error->message : "");
    ck_assert_uint_eq(cmos_read(0x0d), 0x80);
    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
}
END_TEST

static Suite *legacy_suite(void)
{
    Suite *s = suite_create("legacy-devices");
    TCase *tc;

    tc = tcase_create("serial");
    tcase_add_checked_fixture(tc, uart_setup, uart_teardown);
    tcase_add_test(tc, uart_transmit);
    tcase_add_test(tc, uart_divisor_latch);
    tcase_add_test(tc, uart_scratch_and_ier_mask);
    tcase_add_test(tc, uart_fifo_identification);
    tcase_add_test(tc, uart_thre_interrupt);
    tcase_add_test(tc, uart_receive);
    tcase_add_test(tc, uart_receive_full);
    tcase_add_test(tc, uart_fifo_reset_clears_receiver);
    tcase_add_test(tc, uart_loopback);
    tcase_add_test(tc, uart_interrupt_priority);
    tcase_add_test(tc, uart_output_full_drops);
    suite_add_tcase(s, tc);

    tc = tcase_create("serial-discard");
    tcase_add_test(tc, uart_output_discarded);
    suite_add_tcase(s, tc);

    tc = tcase_create("i8042");
    tcase_add_checked_fixture(tc, kbd_setup, kbd_teardown);
    tcase_add_test(tc, kbd_reset);
    tcase_add_test(tc, kbd_reset_through_output_port);
    tcase_add_test(tc, kbd_self_tests);
    tcase_add_test(tc, kbd_ctr);
    tcase_add_test(tc, kbd_status_command_bit);
    suite_add_tcase(s, tc);

    tc = tcase_create("rtc");
    tcase_add_checked_fixture(tc, rtc_setup, rtc_teardown);
    tcase_add_test(tc, rtc_bcd);
    tcase_add_test(tc, rtc_binary);
    tcase_add_test(tc, rtc_12_hour);
    tcase_add_test(tc, rtc_status_registers);
    tcase_add_test(tc, rtc_ram_and_index);
    tcase_add_test(tc, rtc_memory_size);
    tcase_add_test(tc, rtc_nvram_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("pci-host");
    tcase_add_checked_fixture(tc, pci_setup, pci_teardown);
    tcase_add_test(tc, pci_host_bridge_identity);
    tcase_add_test(tc, pci_sub_dword_reads);
    tcase_add_test(tc, pci_absent_functions);
    tcase_add_test(tc, pci_ecam_matches_conf1);
    tcase_add_test(tc, pci_read_only_fields);
    tcase_add_test(tc, pci_conf1_address_register);
    tcase_add_test(tc, pci_conf1_disabled);
    tcase_add_test(tc, pci_added_function);
    suite_add_tcase(s, tc);

    tc = tcase_create("absent");
    tcase_add_test(tc, absent_ports);
    tcase_add_test(tc, platform_fits_together);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(legacy_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
