/*
 * The freestanding runtime (see lib.h): console on the 16550 UART at 0x3F8,
 * printf, isa-debug-exit and command-line options.
 */
#include "lib.h"

/* 16550 registers (offsets from 0x3F8) and bits. */
#define COM1		0x3F8
#define UART_THR	0 /* transmit holding (DLAB=0) */
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_DLL	0 /* divisor latch low (DLAB=1) */
#define UART_DLM	1
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define LSR_THRE	0x20 /* transmit holding register empty */
#define DEBUG_EXIT_PORT 0xF4

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void con_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, both cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

void con_putc(char c)
{
	for (unsigned spin = 0; spin < 100000; spin++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void put_num(unsigned long long v, unsigned base, unsigned width, bool zero, bool neg)
{
	char buf[24];
	unsigned n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width)
		con_putc(zero ? '0' : ' '), width--;
	while (n)
		con_putc(buf[--n]);
}

void con_vprintf(const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		unsigned width = 0, lng = 0;
		bool zero = false;

		if (*p != '%') {
			con_putc(*p);
			continue;
		}
		p++;
		if (*p == '0')
			zero = true, p++;
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		while (*p == 'l')
			lng++, p++;
		switch (*p) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			while (*s)
				con_putc(*s++);
			break;
		}
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long long v = lng >= 2 ? va_arg(ap, long long)
				      : lng    ? va_arg(ap, long)
					       : va_arg(ap, int);
			put_num(v < 0 ? (unsigned long long)-v : (unsigned long long)v, 10, width,
				zero, v < 0);
			break;
		}
		case 'u':
			put_num(lng >= 2 ? va_arg(ap, unsigned long long)
				: lng	 ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned),
				10, width, zero, false);
			break;
		case 'x':
			put_num(lng >= 2 ? va_arg(ap, unsigned long long)
				: lng	 ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned),
				16, width, zero, false);
			break;
		case 'p':
			put_num((uintptr_t)va_arg(ap, void *), 16, width, zero, false);
			break;
		case '%':
			con_putc('%');
			break;
		default:
			con_putc('?');
			break;
		}
	}
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}

void guest_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- command line ---- */

/* A copy: the loader's string may lie outside what the kernel maps later. */
static char cmdline[512];

void opt_init(const char *c)
{
	size_t n = 0;

	while (c && c[n] && n < sizeof(cmdline) - 1) {
		cmdline[n] = c[n];
		n++;
	}
	cmdline[n] = 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Find word "key" or "key=...": returns the word start, or NULL. */
static const char *opt_find(const char *key)
{
	size_t kl = strlen(key);
	const char *p = cmdline;

	while (*p) {
		while (is_space(*p))
			p++;
		const char *w = p;
		size_t i = 0;

		while (i < kl && w[i] == key[i])
			i++;
		if (i == kl && (w[i] == '=' || is_space(w[i]) || !w[i]))
			return w;
		while (*p && !is_space(*p))
			p++;
	}
	return NULL;
}

const char *opt_str(const char *key, size_t *len)
{
	const char *w = opt_find(key);
	size_t n = 0;

	if (!w || w[strlen(key)] != '=')
		return NULL;
	w += strlen(key) + 1;
	while (w[n] && !is_space(w[n]))
		n++;
	*len = n;
	return w;
}

bool opt_is(const char *key, const char *value)
{
	size_t n, vl = strlen(value);
	const char *v = opt_str(key, &n);

	if (!v || n != vl)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] != value[i])
			return false;
	return true;
}

bool opt_flag(const char *key)
{
	const char *w = opt_find(key);

	if (!w)
		return false;
	if (w[strlen(key)] != '=')
		return true;
	return opt_num(key, 0) != 0;
}

uint64_t opt_num(const char *key, uint64_t def)
{
	size_t n;
	const char *v = opt_str(key, &n);
	uint64_t x = 0;
	unsigned base = 10;

	if (!v || !n)
		return def;
	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		base = 16, v += 2, n -= 2;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return def;
		x = x * base + d;
	}
	return x;
}
