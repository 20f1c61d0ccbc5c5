/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 16550A UART. Transmission is instantaneous: a byte written to THR goes to the
 * output fd at once, so THR and the shift register are always empty again by the
 * time the guest looks (LSR THRE and TEMT stay set). That is also what makes the
 * THRE interrupt re-arm right after each THR write, as on a real chip whose FIFO
 * drains. The receive FIFO is real (16 bytes, 1 with FIFOs off) so that host input
 * waits in the caller while the guest is slow, instead of overrunning.
 *
 * Not modelled: baud rate and line timing (the divisor latch only stores values),
 * parity/framing errors and break, and the FIFO trigger level and character timeout
 * (the guest is told about received data as soon as one byte is there, IIR 0x04).
 * The interrupt line is not gated by MCR OUT2, like QEMU and Cloud Hypervisor.
 */
#include "devices/serial.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "vmm/log.h"

/* Register offsets. DLAB (LCR bit 7) turns 0 and 1 into the divisor latch. */
#define UART_RBR 0  /* read: receive buffer; write: THR */
#define UART_IER 1
#define UART_IIR 2  /* read: interrupt identification; write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_NREGS 8

#define IER_RDI 0x01    /* received data available */
#define IER_THRI 0x02   /* transmit holding register empty */
#define IER_RLSI 0x04   /* receiver line status */
#define IER_MSI 0x08    /* modem status */
#define IER_MASK 0x0f   /* the 16550A has no more; Linux's probe checks the rest read 0 */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE_FIFO 0x01
#define FCR_CLEAR_RCVR 0x02
#define FCR_DMA_SELECT 0x08
#define FCR_TRIGGER_MASK 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e  /* OE, PE, FE, BI: cleared by reading LSR */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct serial {
    GMutex lock;
    vm *vm;
    uint32_t gsi;
    int out_fd;
    uint64_t tx_dropped;
    bool tx_drop_logged;
    void (*rx_ready)(void *opaque);
    void *rx_ready_opaque;

    uint8_t ier;
    uint8_t fcr;          /* FCR_ENABLE_FIFO | FCR_DMA_SELECT | trigger bits */
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr_errors;   /* LSR_ERRORS bits; DR, THRE and TEMT are computed */
    uint8_t msr_delta;    /* MSR bits 0-3, cleared by reading MSR */
    uint8_t scr;
    uint8_t dll;
    uint8_t dlm;
    uint8_t rbr;          /* last byte read, what RBR shows when the FIFO is empty */
    bool thr_ipending;    /* THRE interrupt armed; reading IIR with it as the source clears it */
    bool irq_level;       /* what the GSI was last driven to */

    uint8_t rx_fifo[SERIAL_FIFO_SIZE];
    unsigned rx_head;
    unsigned rx_count;
};

static unsigned rx_capacity(const serial *s)
{
    return (s->fcr & FCR_ENABLE_FIFO) ? SERIAL_FIFO_SIZE : 1;
}

/* In loopback mode the receiver is cut off from the outside world. */
static size_t rx_space_locked(const serial *s)
{
    if (s->mcr & MCR_LOOP)
        return 0;
    return rx_capacity(s) - s->rx_count;
}

static void rx_clear(serial *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
}

static bool rx_push(serial *s, uint8_t b)
{
    if (s->rx_count >= rx_capacity(s))
        return false;
    s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = b;
    s->rx_count++;
    return true;
}

/* The modem input lines: wired to the MCR outputs in loopback, else a host that is
 * always there (carrier, data set ready, clear to send). */
static uint8_t modem_lines(const serial *s)
{
    if (!(s->mcr & MCR_LOOP))
        return MSR_DCD | MSR_DSR | MSR_CTS;
    return ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
           ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

/* Highest-priority enabled interrupt source, as IIR bits 0-3. */
static uint8_t pending_iid(const serial *s)
{
    if ((s->ier & IER_RLSI) && (s->lsr_errors & LSR_ERRORS))
        return IIR_RLSI;
    if ((s->ier & IER_RDI) && s->rx_count > 0)
        return IIR_RDI;
    if ((s->ier & IER_THRI) && s->thr_ipending)
        return IIR_THRI;
    if ((s->ier & IER_MSI) && s->msr_delta)
        return IIR_MSI;
    return IIR_NO_INT;
}

/* Called with the lock held after every state change, so the line follows the state
 * in order even when two threads touch the device. */
static void update_irq(serial *s)
{
    bool level = pending_iid(s) != IIR_NO_INT;

    if (level != s->irq_level) {
        s->irq_level = level;
        vm_set_irq_line(s->vm, s->gsi, level);
    }
}

static void tx_byte(serial *s, uint8_t b)
{
    ssize_t n;

    if (s->out_fd < 0)
        return;
    do {
        n = write(s->out_fd, &b, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1)
        return;
    s->tx_dropped++;
    if (!s->tx_drop_logged) {
        s->tx_drop_logged = true;
        log_warning(_("serial: dropping guest output: %s"),
                    n < 0 ? g_strerror(errno) : _("short write"));
    }
}

static void write_thr(serial *s, uint8_t b)
{
    if (s->mcr & MCR_LOOP) {
        if (!rx_push(s, b))
            s->lsr_errors |= LSR_OE;
    } else {
        tx_byte(s, b);
    }
    /* THR is empty again at once, which re-arms the THRE interrupt. */
    s->thr_ipending = true;
}

static void write_ier(serial *s, uint8_t val)
{
    uint8_t changed = (s->ier ^ val) & IER_MASK;

    s->ier = val & IER_MASK;
    /* Enabling THRI while THR is empty raises the interrupt even if an IIR read had
     * cleared it: Linux's start-up test and Windows rely on this (QEMU does the same). */
    if (changed & IER_THRI)
        s->thr_ipending = (s->ier & IER_THRI) != 0;
}

static void write_fcr(serial *s, uint8_t val)
{
    /* Switching the FIFOs on or off resets them; the other bits only count with
     * FIFOs on. The transmit FIFO is always empty, so its reset bit has nothing to do. */
    if (!(val & FCR_ENABLE_FIFO)) {
        if (s->fcr & FCR_ENABLE_FIFO)
            rx_clear(s);
        s->fcr = 0;
        return;
    }
    if (!(s->fcr & FCR_ENABLE_FIFO) || (val & FCR_CLEAR_RCVR))
        rx_clear(s);
    s->fcr = val & (FCR_ENABLE_FIFO | FCR_DMA_SELECT | FCR_TRIGGER_MASK);
}

static void write_mcr(serial *s, uint8_t val)
{
    uint8_t before = modem_lines(s);
    uint8_t after;
    uint8_t changed;

    s->mcr = val & MCR_MASK;
    after = modem_lines(s);
    changed = before ^ after;
    if (changed & MSR_CTS)
        s->msr_delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        s->msr_delta |= MSR_DDSR;
    if ((before & MSR_RI) && !(after & MSR_RI))
        s->msr_delta |= MSR_TERI;
    if (changed & MSR_DCD)
        s->msr_delta |= MSR_DDCD;
}

static void reg_write(serial *s, unsigned reg, uint8_t val)
{
    bool dlab = s->lcr & LCR_DLAB;

    switch (reg) {
    case UART_RBR:
        if (dlab)
            s->dll = val;
        else
            write_thr(s, val);
        break;
    case UART_IER:
        if (dlab)
            s->dlm = val;
        else
            write_ier(s, val);
        break;
    case UART_IIR:
        write_fcr(s, val);
        break;
    case UART_LCR:
        s->lcr = val;
        break;
    case UART_MCR:
        write_mcr(s, val);
        break;
    case UART_SCR:
        s->scr = val;
        break;
    default:
        /* LSR and MSR writes are a factory test mode on real parts: ignored. */
        break;
    }
}

static uint8_t reg_read(serial *s, unsigned reg)
{
    bool dlab = s->lcr & LCR_DLAB;
    uint8_t v;

    switch (reg) {
    case UART_RBR:
        if (dlab)
            return s->dll;
        if (s->rx_count > 0) {
            s->rbr = s->rx_fifo[s->rx_head];
            s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
            s->rx_count--;
        }
        return s->rbr;
    case UART_IER:
        return dlab ? s->dlm : s->ier;
    case UART_IIR:
        v = pending_iid(s);
        if (v == IIR_THRI)
            s->thr_ipending = false;
        if (s->fcr & FCR_ENABLE_FIFO)
            v |= IIR_FIFO_ENABLED;
        return v;
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        v = s->lsr_errors | LSR_THRE | LSR_TEMT | (s->rx_count > 0 ? LSR_DR : 0);
        s->lsr_errors = 0;
        return v;
    case UART_MSR:
        v = modem_lines(s) | s->msr_delta;
        s->msr_delta = 0;
        return v;
    case UART_SCR:
        return s->scr;
    default:
        return 0xff;
    }
}

/* Wider accesses are split into bytes, as the ISA bus does for an 8-bit device. */
static bool serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    serial *s = opaque;
    bool space_before;
    bool space_after;
    void (*notify)(void *opaque);
    void *notify_opaque;

    if (offset >= UART_NREGS || len > UART_NREGS - offset)
        return false;
    g_mutex_lock(&s->lock);
    space_before = rx_space_locked(s) > 0;
    for (uint32_t i = 0; i < len; i++) {
        if (is_write)
            reg_write(s, (unsigned)offset + i, data[i]);
        else
            data[i] = reg_read(s, (unsigned)offset + i);
    }
    update_irq(s);
    space_after = rx_space_locked(s) > 0;
    notify = s->rx_ready;
    notify_opaque = s->rx_ready_opaque;
    g_mutex_unlock(&s->lock);

    if (!space_before && space_after && notify)
        notify(notify_opaque);
    return true;
}

size_t serial_receive(serial *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;

    g_mutex_lock(&s->lock);
    if (!(s->mcr & MCR_LOOP)) {
        while (n < len && rx_push(s, buf[n]))
            n++;
    }
    update_irq(s);
    g_mutex_unlock(&s->lock);
    return n;
}

size_t serial_rx_space(serial *s)
{
    size_t n;

    g_mutex_lock(&s->lock);
    n = rx_space_locked(s);
    g_mutex_unlock(&s->lock);
    return n;
}

void serial_set_rx_ready_notify(serial *s, void (*fn)(void *opaque), void *opaque)
{
    g_mutex_lock(&s->lock);
    s->rx_ready = fn;
    s->rx_ready_opaque = opaque;
    g_mutex_unlock(&s->lock);
}

uint64_t serial_tx_dropped(serial *s)
{
    uint64_t n;

    g_mutex_lock(&s->lock);
    n = s->tx_dropped;
    g_mutex_unlock(&s->lock);
    return n;
}

serial *serial_create(vm *vm, uint16_t port, uint32_t gsi, int out_fd, GError **error)
{
    g_autoptr(serial) s = g_new0(serial, 1);

    g_mutex_init(&s->lock);
    s->vm = vm;
    s->gsi = gsi;
    s->out_fd = out_fd;
    s->dll = 12;   /* 9600 baud, what firmware would have left */
    if (vm_register_pio(vm, port, UART_NREGS, "serial", serial_io, s, error) < 0)
        return NULL;
    return g_steal_pointer(&s);
}

/* Only after the vCPUs are gone: the port range keeps pointing here. */
void serial_free(serial *s)
{
    if (!s)
        return;
    g_mutex_clear(&s->lock);
    g_free(s);
}
