/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The i8042 keyboard controller, for its reset line (Linux's "reboot=k" path and its
 * fallback after ACPI reset) and just enough of the controller for a probing guest
 * to get sane answers: controller command byte (CTR) read/write, self and interface
 * tests, the status register. No keyboard or mouse is attached: bytes sent to
 * either device go nowhere, so a driver probing them times out and finds nothing.
 * No interrupts are raised (there is never keyboard or mouse data to announce).
 * Unknown commands are ignored, as a real controller does.
 */
#include "devices/i8042.h"

#include "arch/x86_64/layout.h"

#define STATUS_OBF 0x01       /* output buffer full: a byte waits at the data port */
#define STATUS_SYS 0x04       /* system flag: POST passed */
#define STATUS_CMD 0x08       /* last write went to the command port */
#define STATUS_UNLOCKED 0x10  /* keyboard not inhibited by the keylock */

#define CTR_KBDINT 0x01
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_WRITE_OUTPUT_PORT 0xd1
#define CMD_PULSE_OUTPUT_PORT 0xf0  /* 0xf0-0xff: pulse the output port lines that are 0 */

#define SELF_TEST_OK 0x55
#define INTERFACE_TEST_OK 0x00
#define OUTPUT_PORT_RESET 0x01      /* output port bit 0 drives the CPU reset line (low = reset) */

struct i8042 {
    GMutex lock;
    vm *vm;
    uint8_t ctr;
    uint8_t pending_cmd;   /* a command waiting for its data byte, or 0 */
    uint8_t out;           /* output buffer */
    bool obf;
    bool last_was_cmd;
};

static void output(i8042 *k, uint8_t v)
{
    k->out = v;
    k->obf = true;
}

static void command(i8042 *k, uint8_t cmd)
{
    k->pending_cmd = 0;
    switch (cmd) {
    case CMD_READ_CTR:
        output(k, k->ctr);
        break;
    case CMD_WRITE_CTR:
    case CMD_WRITE_OUTPUT_PORT:
        k->pending_cmd = cmd;
        break;
    case CMD_AUX_DISABLE:
        k->ctr |= CTR_AUXDIS;
        break;
    case CMD_AUX_ENABLE:
        k->ctr &= ~CTR_AUXDIS;
        break;
    case CMD_AUX_TEST:
    case CMD_KBD_TEST:
        output(k, INTERFACE_TEST_OK);
        break;
    case CMD_SELF_TEST:
        output(k, SELF_TEST_OK);
        break;
    case CMD_KBD_DISABLE:
        k->ctr |= CTR_KBDDIS;
        break;
    case CMD_KBD_ENABLE:
        k->ctr &= ~CTR_KBDDIS;
        break;
    default:
        /* 0xfe is the common one; 0xff pulses nothing. */
        if ((cmd & 0xf0) == CMD_PULSE_OUTPUT_PORT && !(cmd & OUTPUT_PORT_RESET))
            vm_request_stop(k->vm, VM_STOP_RESET);
        break;
    }
}

static void data_write(i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;

    k->pending_cmd = 0;
    switch (cmd) {
    case CMD_WRITE_CTR:
        k->ctr = v;
        break;
    case CMD_WRITE_OUTPUT_PORT:
        if (!(v & OUTPUT_PORT_RESET))
            vm_request_stop(k->vm, VM_STOP_RESET);
        break;
    default:
        /* For the keyboard, which is not there. */
        break;
    }
}

static uint8_t data_read(i8042 *k)
{
    /* With nothing waiting a real controller shows the stale byte again. */
    k->obf = false;
    return k->out;
}

static uint8_t status_read(const i8042 *k)
{
    return (k->obf ? STATUS_OBF : 0) | STATUS_SYS | (k->last_was_cmd ? STATUS_CMD : 0) |
           STATUS_UNLOCKED;
}

static bool i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                          bool is_write)
{
    i8042 *k = opaque;

    if (offset != 0 || len != 1)
        return false;
    g_mutex_lock(&k->lock);
    if (is_write) {
        k->last_was_cmd = false;
        data_write(k, data[0]);
    } else {
        data[0] = data_read(k);
    }
    g_mutex_unlock(&k->lock);
    return true;
}

static bool i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                         bool is_write)
{
    i8042 *k = opaque;

    if (offset != 0 || len != 1)
        return false;
    g_mutex_lock(&k->lock);
    if (is_write) {
        k->last_was_cmd = true;
        command(k, data[0]);
    } else {
        data[0] = status_read(k);
    }
    g_mutex_unlock(&k->lock);
    return true;
}

i8042 *i8042_create(vm *vm, GError **error)
{
    g_autoptr(i8042) k = g_new0(i8042, 1);

    g_mutex_init(&k->lock);
    k->vm = vm;
    /* What a BIOS leaves: keyboard interrupt on, POST passed, scan code translation. */
    k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
    if (vm_register_pio(vm, LAYOUT_I8042_DATA_PORT, 1, "i8042", i8042_data_io, k, error) < 0)
        return NULL;
    if (vm_register_pio(vm, LAYOUT_I8042_CMD_PORT, 1, "i8042", i8042_cmd_io, k, error) < 0)
        return NULL;
    return g_steal_pointer(&k);
}

/* Only after the vCPUs are gone: the port ranges keep pointing here. */
void i8042_free(i8042 *k)
{
    if (!k)
        return;
    g_mutex_clear(&k->lock);
    g_free(k);
}
