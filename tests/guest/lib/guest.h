/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime of skiff's guest test programs: freestanding, 64-bit, integer only.
 * crt0.S enters through PVH (32-bit) or a 64-bit entry, builds an identity map of
 * the first 4 GiB with 2 MiB pages, sets a stack and calls guest_main() on the
 * boot CPU. When guest_main returns 0 the runtime prints "PASS\n" on COM1,
 * otherwise "FAIL\n", and then powers off through the ACPI sleep control register.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical address of hvm_start_info when entered through PVH, else 0. */
extern uint64_t guest_start_info;
/* Physical address of boot_params when entered through the 64-bit Linux entry, else 0. */
extern uint64_t guest_boot_params;

int guest_main(void);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

/* COM1, polled. */
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(uint64_t v);       /* 0x-prefixed */
void serial_put_dec(uint64_t v);
/* puts + hex value + newline: "label=0x..." */
void serial_put_kv(const char *label, uint64_t v);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ACPI S5 through the sleep control register at its fixed port (no table walk). */
__attribute__((noreturn)) void guest_poweroff(void);
/* Print "FAIL: msg\n" and power off. */
__attribute__((noreturn)) void guest_fail(const char *msg);
#define GUEST_CHECK(cond) do { if (!(cond)) guest_fail(#cond); } while (0)

/* The 64-bit entry used by non-PVH images (bzImage test image): rsi = boot_params. */
void guest_start64(void);
