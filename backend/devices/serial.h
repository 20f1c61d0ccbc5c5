/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A 16550A UART on an I/O port range of 8, with a level interrupt on one GSI. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vm.h"

#define SERIAL_FIFO_SIZE 16

typedef struct serial serial;

/* out_fd receives what the guest transmits; -1 discards it. The fd stays the caller's.
 * If it is non-blocking and full, bytes are dropped (and counted) rather than stalling
 * the vCPU that wrote them. */
serial *serial_create(vm *vm, uint16_t port, uint32_t gsi, int out_fd, GError **error);
void serial_free(serial *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(serial, serial_free)

/* Queue host input into the receive FIFO; returns how many bytes were taken (fewer than
 * len when the FIFO fills: keep the rest and offer it again when there is space). */
size_t serial_receive(serial *s, const uint8_t *buf, size_t len);
/* How many bytes serial_receive() would take now. */
size_t serial_rx_space(serial *s);
/* fn is called when the receive FIFO goes from no space to some space (the guest read a
 * byte, reset the FIFO or left loopback mode). It runs on a vCPU thread without the
 * device lock held, so it may call serial_receive(), but it should just wake the thread
 * that owns the input. */
void serial_set_rx_ready_notify(serial *s, void (*fn)(void *opaque), void *opaque);
/* Output bytes dropped because out_fd could not take them. */
uint64_t serial_tx_dropped(serial *s);
