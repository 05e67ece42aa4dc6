/*
 * The freestanding runtime every guest kernel links: port I/O, the 16550
 * console at 0x3F8, a small printf, isa-debug-exit, CPUID and Multiboot
 * command-line options. No libc; the same source builds for -m32 and -m64.
 *
 * Output rule: guest output must be byte-identical across emulators with the
 * same CPUID features, so nothing printed may depend on timing (no TSC, no
 * tick counts, no addresses that come from speed).
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Port I/O (SDM Vol. 2 IN/OUT). */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
struct cpuid_regs {
	uint32_t a, b, c, d;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub));
	return r;
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

void con_init(void);
void con_putc(char c);
/* %s %c %d %u %x %lx %llx %p, with optional 0-padding width (%08x). */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_vprintf(const char *fmt, va_list ap);

/* isa-debug-exit (port 0xF4, iosize 4): the emulator exits with status
 * (code << 1) | 1. Never returns. */
__attribute__((noreturn)) void guest_exit(uint32_t code);

/*
 * Command-line options: whitespace-separated words, "key=value" or "flag".
 * opt_str returns a pointer to the value (terminated by space or NUL) and
 * its length, or NULL; opt_flag is true for a bare "flag" word or
 * "flag=1"; opt_num parses a decimal or 0x-hex value, else @def.
 */
void opt_init(const char *cmdline);
const char *opt_str(const char *key, size_t *len);
bool opt_is(const char *key, const char *value);
bool opt_flag(const char *key);
uint64_t opt_num(const char *key, uint64_t def);

/* Multiboot v1 information (Multiboot spec 3.3), the fields we read. */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};
#define MB_INFO_MEM	(1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_BOOT_MAGIC	0x2BADB002u

#endif
