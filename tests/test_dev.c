/*
 * Unit tests of the device layer (src/pc/dev_*.c), driven only through
 * port I/O on the bus and the PIC's interrupt line, as the machine drives
 * them. Expected values come from the data sheets (16550D, 8259A, 8254),
 * from QEMU's documented isa-debug-exit rule, and for the PIT from
 * instruction counts worked out by hand in the comments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pc/dev.h"

struct fx {
	struct dev_bus bus;
	char *out;
	size_t outlen;
	FILE *console;
};

/* 128 MiB, one CPU, the RTC at 2000-01-01T00:00:00 UTC. */
static const struct dev_pc_cfg fx_board = {
	.ram_below_4g = 128u << 20, .ncpus = 1, .rtc_base = 946684800};

static void fx_init(struct fx *f)
{
	f->out = NULL;
	f->outlen = 0;
	f->console = open_memstream(&f->out, &f->outlen);
	g_assert_nonnull(f->console);
	dev_bus_init(&f->bus, f->console);
	g_assert_cmpint(dev_pc_init(&f->bus, &fx_board), ==, 0);
	g_assert_nonnull(f->bus.pic);
}

static void fx_free(struct fx *f)
{
	dev_bus_free(&f->bus);
	fclose(f->console);
	free(f->out);
}

static void outb(struct fx *f, uint16_t port, uint8_t v)
{
	dev_bus_out(&f->bus, port, 1, v);
}

static uint8_t inb(struct fx *f, uint16_t port)
{
	return (uint8_t)dev_bus_in(&f->bus, port, 1);
}

/* The PC BIOS / Linux / QEMU programming: ICW1 0x11 (edge, cascade, ICW4),
 * ICW2 vector bases 0x20 and 0x28, ICW3 4 (slave on IR2) and 2 (cascade
 * identity), ICW4 1 (8086 mode, normal EOI); then unmask everything. */
static void pic_program(struct fx *f, uint8_t icw4)
{
	outb(f, 0x20, 0x11);
	outb(f, 0xa0, 0x11);
	outb(f, 0x21, 0x20);
	outb(f, 0xa1, 0x28);
	outb(f, 0x21, 0x04);
	outb(f, 0xa1, 0x02);
	outb(f, 0x21, icw4);
	outb(f, 0xa1, icw4);
	outb(f, 0x21, 0x00);
	outb(f, 0xa1, 0x00);
}

/* OCW3 read-register commands. */
static uint8_t pic_irr(struct fx *f, uint16_t cmd)
{
	outb(f, cmd, 0x0a);
	return inb(f, cmd);
}

static uint8_t pic_isr(struct fx *f, uint16_t cmd)
{
	outb(f, cmd, 0x0b);
	return inb(f, cmd);
}

/* ---- bus ---- */

static uint64_t dummy_in(void *dev, uint64_t port, unsigned size)
{
	return 0xa0u + (port & 0xf);
}

static void dummy_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	GArray *log = dev;
	uint32_t rec = (uint32_t)port << 16 | size << 8 | (val & 0xff);

	g_array_append_val(log, rec);
}

static void test_bus(void)
{
	static const struct dev_desc a = {
	    .name = "a", .base = 0x100, .len = 4, .read = dummy_in, .write = dummy_out};
	static const struct dev_desc overlap = {.name = "b", .base = 0x103, .len = 2};
	static const struct dev_desc adjacent = {.name = "c", .base = 0x104, .len = 2};
	static const struct dev_desc toolong = {.name = "d", .base = 0xffff, .len = 2};
	GArray *log = g_array_new(false, false, sizeof(uint32_t));
	struct dev_bus b;

	dev_bus_init(&b, NULL);
	g_assert_cmpint(dev_bus_add(&b, &a, log), ==, 0);
	g_assert_cmpint(dev_bus_add(&b, &overlap, NULL), ==, -EEXIST);
	g_assert_cmpint(dev_bus_add(&b, &adjacent, NULL), ==, 0);
	g_assert_cmpint(dev_bus_add(&b, &toolong, NULL), ==, -EINVAL);
	/* Unclaimed: all ones of the access size, one count per access. */
	g_assert_cmphex(dev_bus_in(&b, 0x200, 1), ==, 0xff);
	g_assert_cmphex(dev_bus_in(&b, 0x200, 2), ==, 0xffff);
	g_assert_cmphex(dev_bus_in(&b, 0x200, 4), ==, 0xffffffff);
	g_assert_cmpuint(b.un.port_reads, ==, 3);
	dev_bus_out(&b, 0x200, 4, 0);
	g_assert_cmpuint(b.un.port_writes, ==, 1);
	/* A 16-bit access to a byte device: two byte accesses, low port
	 * first; a 32-bit read across its end gets ones from no one. */
	g_assert_cmphex(dev_bus_in(&b, 0x100, 2), ==, 0xa1a0);
	dev_bus_out(&b, 0x102, 2, 0x5566);
	g_assert_cmpuint(log->len, ==, 2);
	g_assert_cmphex(g_array_index(log, uint32_t, 0), ==, 0x1020166);
	g_assert_cmphex(g_array_index(log, uint32_t, 1), ==, 0x1030155);
	g_assert_cmpuint(b.un.port_reads, ==, 3);
	dev_bus_free(&b);
	g_array_free(log, true);
}

/* ---- UART ---- */

static void test_uart_output(void)
{
	static const uint8_t msg[] = {'P', 'A', 'S', 'S', '\n', 0x00, 0xff, '\r', 'x'};
	struct fx f;

	fx_init(&f);
	for (unsigned i = 0; i < sizeof(msg); i++) {
		g_assert_cmphex(inb(&f, 0x3fd) & 0x60, ==, 0x60); /* THRE|TEMT */
		outb(&f, 0x3f8, msg[i]);
	}
	fflush(f.console);
	g_assert_cmpuint(f.outlen, ==, sizeof(msg));
	g_assert_cmpmem(f.out, f.outlen, msg, sizeof(msg));
	fx_free(&f);
}

static void test_uart_regs(void)
{
	struct fx f;

	fx_init(&f);
	g_assert_cmphex(inb(&f, 0x3fd), ==, 0x60);
	/* Scratch register. */
	outb(&f, 0x3ff, 0x5a);
	g_assert_cmphex(inb(&f, 0x3ff), ==, 0x5a);
	/* DLAB: offsets 0 and 1 become the divisor latch (115200 / 3 =
	 * 38400 baud); nothing is transmitted, IER is untouched. */
	outb(&f, 0x3f9, 0x05);
	outb(&f, 0x3fb, 0x83);
	outb(&f, 0x3f8, 0x03);
	outb(&f, 0x3f9, 0x00);
	g_assert_cmphex(inb(&f, 0x3f8), ==, 0x03);
	g_assert_cmphex(inb(&f, 0x3f9), ==, 0x00);
	g_assert_cmphex(inb(&f, 0x3fb), ==, 0x83);
	outb(&f, 0x3fb, 0x03); /* 8N1, DLAB off */
	g_assert_cmphex(inb(&f, 0x3f9), ==, 0x05);
	fflush(f.console);
	g_assert_cmpuint(f.outlen, ==, 0);
	/* IIR: nothing pending; FIFOs on sets bits 7:6. */
	g_assert_cmphex(inb(&f, 0x3fa), ==, 0x01);
	outb(&f, 0x3fa, 0x07);
	g_assert_cmphex(inb(&f, 0x3fa), ==, 0xc1);
	/* THR-empty interrupt: enabling ETBEI raises it; reading IIR clears
	 * it; a THR write raises it again. */
	outb(&f, 0x3f9, 0x02);
	g_assert_cmphex(inb(&f, 0x3fa), ==, 0xc2);
	g_assert_cmphex(inb(&f, 0x3fa), ==, 0xc1);
	outb(&f, 0x3f8, 'z');
	g_assert_cmphex(inb(&f, 0x3fa), ==, 0xc2);
	/* MCR keeps bits 4:0; MSR without loopback: DCD|DSR|CTS. */
	outb(&f, 0x3fc, 0xff);
	g_assert_cmphex(inb(&f, 0x3fc), ==, 0x1f);
	outb(&f, 0x3fc, 0x03);
	g_assert_cmphex(inb(&f, 0x3fe), ==, 0xb0);
	/* Loopback, as Linux's 8250 probe does it: MCR = LOOP|OUT2|RTS
	 * (0x1A) must read MSR bits 7:4 = DCD|CTS (0x90). */
	outb(&f, 0x3fc, 0x1a);
	g_assert_cmphex(inb(&f, 0x3fe) & 0xf0, ==, 0x90);
	outb(&f, 0x3fc, 0x1f);
	g_assert_cmphex(inb(&f, 0x3fe) & 0xf0, ==, 0xf0);
	/* A looped-back byte is received, not printed; a second one overruns. */
	outb(&f, 0x3f8, 'q');
	g_assert_cmphex(inb(&f, 0x3fd), ==, 0x61);
	outb(&f, 0x3f8, 'r');
	g_assert_cmphex(inb(&f, 0x3fd), ==, 0x63); /* DR|OE; the read clears OE */
	g_assert_cmphex(inb(&f, 0x3fd), ==, 0x61);
	g_assert_cmphex(inb(&f, 0x3f8), ==, 'r');
	g_assert_cmphex(inb(&f, 0x3fd), ==, 0x60);
	fflush(f.console);
	g_assert_cmpuint(f.outlen, ==, 1);
	g_assert_cmpint(f.out[0], ==, 'z');
	fx_free(&f);
}

static void test_uart_irq(void)
{
	struct fx f;

	fx_init(&f);
	pic_program(&f, 0x01);
	outb(&f, 0x3f9, 0x02);				     /* ETBEI: THRE pending in the UART */
	g_assert_cmpint(dev_pic_pending(f.bus.pic), ==, -1); /* OUT2 clear: line gated */
	outb(&f, 0x3fc, 0x08);				     /* OUT2 */
	g_assert_cmpint(dev_pic_pending(f.bus.pic), ==, 0x24);
	g_assert_cmpint(dev_pic_ack(f.bus.pic), ==, 0x24);
	fx_free(&f);
}

/* ---- isa-debug-exit ---- */

static void test_debugexit(void)
{
	struct fx f;

	fx_init(&f);
	g_assert_false(f.bus.exit_requested);
	outb(&f, 0xf4, 0x10);
	g_assert_true(f.bus.exit_requested);
	g_assert_cmpint(f.bus.exit_status, ==, 0x21); /* (0x10 << 1) | 1 */
	outb(&f, 0xf4, 0x00);			      /* the first request wins */
	g_assert_cmpint(f.bus.exit_status, ==, 0x21);
	fx_free(&f);

	/* A 32-bit write to 0xF4 counts whole (iosize 4); so does a byte at
	 * 0xF6, inside the 4-port range. */
	fx_init(&f);
	dev_bus_out(&f.bus, 0xf4, 4, 0x100);
	g_assert_cmpint(f.bus.exit_status, ==, 0x201);
	fx_free(&f);
	fx_init(&f);
	outb(&f, 0xf6, 0);
	g_assert_true(f.bus.exit_requested);
	g_assert_cmpint(f.bus.exit_status, ==, 1);
	fx_free(&f);
}

static void test_port80(void)
{
	struct fx f;

	fx_init(&f);
	outb(&f, 0x80, 0x42);
	g_assert_cmphex(f.bus.post_code, ==, 0x42);
	g_assert_cmphex(inb(&f, 0x80), ==, 0xff);
	g_assert_cmpuint(f.bus.un.port_writes + f.bus.un.port_reads, ==, 0);
	fx_free(&f);
}

/* ---- 8259 ---- */

static void test_pic_basic(void)
{
	struct fx f;
	struct dev_pic *p;

	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x01);
	g_assert_cmphex(inb(&f, 0x21), ==, 0x00);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	/* IRQ 0 -> vector 0x20; in service until EOI. */
	dev_pic_set_irq(p, 0, true);
	dev_pic_set_irq(p, 0, false);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x20);
	g_assert_cmphex(pic_irr(&f, 0x20), ==, 0x01);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x20);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x01);
	g_assert_cmphex(pic_irr(&f, 0x20), ==, 0x00); /* edge IRR cleared at INTA */
	/* A new edge while in service waits in IRR. */
	dev_pic_set_irq(p, 0, true);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	outb(&f, 0x20, 0x20); /* non-specific EOI */
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x20);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x20);
	outb(&f, 0x20, 0x60); /* specific EOI, level 0 */
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	/* A held-high edge line does not retrigger. */
	dev_pic_set_irq(p, 0, true);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);

	/* Masked: latched in IRR, not pending until unmasked. */
	outb(&f, 0x21, 0x08);
	dev_pic_set_irq(p, 3, true);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	g_assert_cmphex(pic_irr(&f, 0x20) & 0x08, ==, 0x08);
	g_assert_cmphex(inb(&f, 0x21), ==, 0x08);
	outb(&f, 0x21, 0x00);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x23);
	fx_free(&f);
}

static void test_pic_priority(void)
{
	struct fx f;
	struct dev_pic *p;

	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x01);
	/* IRQ 1 beats IRQ 3; IRQ 3 waits while 1 is in service. */
	dev_pic_set_irq(p, 3, true);
	dev_pic_set_irq(p, 1, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x21);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x21);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	outb(&f, 0x20, 0x20);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x23);
	/* Fully nested: IRQ 1 interrupts the IRQ 3 handler. */
	dev_pic_set_irq(p, 1, false);
	dev_pic_set_irq(p, 1, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x21);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x21);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x0a);
	outb(&f, 0x20, 0x20); /* clears the highest: IRQ 1 */
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x08);
	outb(&f, 0x20, 0x20);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	/* Set priority (OCW2 0xC0 | 4): IR4 lowest, IR5 highest, so IRQ 6
	 * beats IRQ 1. */
	outb(&f, 0x20, 0xc4);
	dev_pic_set_irq(p, 1, false);
	dev_pic_set_irq(p, 1, true);
	dev_pic_set_irq(p, 6, true);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x26);
	outb(&f, 0x20, 0x20);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x21);
	outb(&f, 0x20, 0x20);
	/* Rotate on non-specific EOI (OCW2 0xA0): the IR just served becomes
	 * the lowest. Back to IR0 highest (0xC7), serve IRQ 1 with a
	 * rotating EOI: now IR2 is highest, so IRQ 5 beats IRQ 1. */
	outb(&f, 0x20, 0xc7);
	dev_pic_set_irq(p, 1, false);
	dev_pic_set_irq(p, 1, true);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x21);
	outb(&f, 0x20, 0xa0);
	dev_pic_set_irq(p, 1, false);
	dev_pic_set_irq(p, 1, true);
	dev_pic_set_irq(p, 5, true);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x25);
	fx_free(&f);
}

static void test_pic_cascade(void)
{
	struct fx f;
	struct dev_pic *p;

	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x01);
	/* IRQ 8 -> the slave's IR0 -> master IR2 -> vector 0x28. */
	dev_pic_set_irq(p, 8, true);
	g_assert_cmphex(pic_irr(&f, 0x20), ==, 0x04);
	g_assert_cmphex(pic_irr(&f, 0xa0), ==, 0x01);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x28);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x28);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x04);
	g_assert_cmphex(pic_isr(&f, 0xa0), ==, 0x01);
	/* Slave's IRQ 8 blocks master IRQ 3 (IR2 > IR3), not IRQ 1. */
	dev_pic_set_irq(p, 3, true);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	dev_pic_set_irq(p, 1, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x21);
	outb(&f, 0x21, 0x02); /* mask IRQ 1 */
	outb(&f, 0xa0, 0x20);
	outb(&f, 0x20, 0x20);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	g_assert_cmphex(pic_isr(&f, 0xa0), ==, 0x00);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x23);
	/* IRQ 15 on the slave. */
	dev_pic_set_irq(p, 15, true);
	outb(&f, 0x20, 0x20);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x2f);
	fx_free(&f);
}

static void test_pic_spurious(void)
{
	struct fx f;
	struct dev_pic *p;

	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x01);
	/* Request gone (masked) by INTA: vector of IR7, no ISR bit. */
	dev_pic_set_irq(p, 5, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x25);
	outb(&f, 0x21, 0x20);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x27);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	/* On the slave: IR2 was latched by the master, the slave's request
	 * is masked by INTA: vector 0x2F, master ISR bit 2 set, slave clear. */
	dev_pic_set_irq(p, 10, true);
	outb(&f, 0xa1, 0x04);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x2f);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x2f);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x04);
	g_assert_cmphex(pic_isr(&f, 0xa0), ==, 0x00);
	/* Level-triggered through ELCR (IRQ 10 is slave bit 2): the request
	 * follows the line; a line dropped before INTA is spurious. */
	outb(&f, 0x20, 0x20);
	outb(&f, 0x4d1, 0x04);
	g_assert_cmphex(inb(&f, 0x4d1), ==, 0x04);
	dev_pic_set_irq(p, 10, false);
	outb(&f, 0xa1, 0x00);
	g_assert_cmpint(dev_pic_pending(p), ==, -1);
	dev_pic_set_irq(p, 10, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x2a);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x2a);
	g_assert_cmphex(pic_irr(&f, 0xa0), ==, 0x04); /* level IRR stays at INTA */
	/* ELCR can never make IRQ 0, 1, 2, 8, 13 level (PIIX). */
	outb(&f, 0x4d0, 0xff);
	outb(&f, 0x4d1, 0xff);
	g_assert_cmphex(inb(&f, 0x4d0), ==, 0xf8);
	g_assert_cmphex(inb(&f, 0x4d1), ==, 0xde);
	fx_free(&f);
}

static void test_pic_modes(void)
{
	struct fx f;
	struct dev_pic *p;

	/* Auto-EOI (ICW4 0x03): INTA leaves ISR clear. */
	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x03);
	dev_pic_set_irq(p, 4, true);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x24);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	dev_pic_set_irq(p, 3, true);
	g_assert_cmpint(dev_pic_pending(p), ==, 0x23);
	fx_free(&f);

	/* Poll (OCW3 0x0C): the read acknowledges and returns 0x80 | IR. */
	fx_init(&f);
	p = f.bus.pic;
	pic_program(&f, 0x01);
	dev_pic_set_irq(p, 6, true);
	outb(&f, 0x20, 0x0c);
	g_assert_cmphex(inb(&f, 0x20), ==, 0x86);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x40);
	outb(&f, 0x20, 0x0c);
	g_assert_cmphex(inb(&f, 0x20), ==, 0x00);
	/* ICW1 again: IMR, ISR and IRR cleared. */
	outb(&f, 0x21, 0xff);
	outb(&f, 0x20, 0x11);
	outb(&f, 0x21, 0x30);
	outb(&f, 0x21, 0x04);
	outb(&f, 0x21, 0x01);
	g_assert_cmphex(inb(&f, 0x21), ==, 0x00);
	g_assert_cmphex(pic_isr(&f, 0x20), ==, 0x00);
	dev_pic_set_irq(p, 6, false);
	dev_pic_set_irq(p, 6, true);
	g_assert_cmpint(dev_pic_ack(p), ==, 0x36); /* new base 0x30 */
	fx_free(&f);
}

/* ---- 8254 ---- */

/*
 * Tick n of the 1193182 Hz clock is at instruction floor(n * 10^9 /
 * 1193182). By hand: 11932 / 1193182 s = 0.01 s + 0.18 / 1193182 s =
 * 10 000 000 ns + 150.86 ns, so tick 11932 is at 10 000 150; tick 23864 at
 * 20 000 301.7 -> 20 000 301; tick 35796 at 30 000 452.6 -> 30 000 452;
 * tick 1 193 200 (the 100th period) at 1 000 015 085.9 -> 1 000 015 085.
 */
static void test_pit_clock(void)
{
	g_assert_cmpuint(dev_pit_tick_time(11932), ==, 10000150);
	g_assert_cmpuint(dev_pit_tick_time(23864), ==, 20000301);
	g_assert_cmpuint(dev_pit_tick_time(100 * 11932), ==, 1000015085);
	/* ticks(t) is the inverse: tick n has happened exactly from T(n) on. */
	g_assert_cmpuint(dev_pit_ticks(10000150), ==, 11932);
	g_assert_cmpuint(dev_pit_ticks(10000149), ==, 11931);
	g_assert_cmpuint(dev_pit_ticks(0), ==, 0);
	g_assert_cmpuint(dev_pit_ticks(837), ==, 0); /* tick 1: floor(10^9 / 1193182) = 838 */
	g_assert_cmpuint(dev_pit_ticks(838), ==, 1);
	for (uint64_t n = 0; n < 200000; n += 7)
		g_assert_cmpuint(dev_pit_ticks(dev_pit_tick_time(n)), ==, n);
	/* Far out: no overflow (a year of virtual time). */
	g_assert_cmpuint(dev_pit_ticks(dev_pit_tick_time(UINT64_C(37627000000000))), ==,
			 UINT64_C(37627000000000));
}

/* Advance to @t and report whether IRQ 0 (vector 0x20) is pending; if so,
 * acknowledge and EOI it. */
static bool irq0_at(struct fx *f, uint64_t t)
{
	dev_bus_advance(&f->bus, t);
	if (dev_pic_pending(f->bus.pic) != 0x20)
		return false;
	g_assert_cmpint(dev_pic_ack(f->bus.pic), ==, 0x20);
	outb(f, 0x20, 0x20);
	return true;
}

static void test_pit_periodic(void)
{
	static const uint64_t at[] = {10000150, 20000301, 30000452};
	struct fx f;
	uint64_t prev = 0;

	fx_init(&f);
	pic_program(&f, 0x01);
	/* Counter 0, LSB then MSB, mode 2, binary; 11932 = 0x2E9C (~100 Hz). */
	outb(&f, 0x43, 0x34);
	outb(&f, 0x40, 0x9c);
	outb(&f, 0x40, 0x2e);
	g_assert_cmpuint(f.bus.next_deadline, ==, 10000150);
	for (unsigned i = 0; i < G_N_ELEMENTS(at); i++) {
		g_assert_false(irq0_at(&f, at[i] - 1));
		g_assert_true(irq0_at(&f, at[i]));
		g_assert_cmpuint(at[i] - prev, >=, 10000150);
		prev = at[i];
	}
	/* Skip to just before the 100th period: the edges in between
	 * coalesce into one interrupt; the 100th falls where computed. */
	g_assert_true(irq0_at(&f, 1000015085 - 1));
	g_assert_cmpuint(f.bus.next_deadline, ==, 1000015085);
	g_assert_true(irq0_at(&f, 1000015085));
	g_assert_false(irq0_at(&f, 1000015085 + 5000));
	fx_free(&f);
}

static void test_pit_mode3(void)
{
	struct fx f;

	fx_init(&f);
	pic_program(&f, 0x01);
	/* Mode 3 interrupts at the same ticks as mode 2 (rising OUT at kN). */
	outb(&f, 0x43, 0x36);
	outb(&f, 0x40, 0x9c);
	outb(&f, 0x40, 0x2e);
	g_assert_false(irq0_at(&f, 10000149));
	g_assert_true(irq0_at(&f, 10000150));
	g_assert_true(irq0_at(&f, 20000301));
	fx_free(&f);
}

static void test_pit_oneshot(void)
{
	struct fx f;

	fx_init(&f);
	pic_program(&f, 0x01);
	/* Programmed at instruction 5000: ticks(5000) = floor((5001 *
	 * 1193182 - 1) / 10^9) = floor(5.967) = 5. Mode 0, count 1000: OUT
	 * rises at tick 1005, instruction floor(1005 * 10^9 / 1193182) =
	 * floor(842285.6) = 842285; once. */
	dev_bus_advance(&f.bus, 5000);
	outb(&f, 0x43, 0x30);
	outb(&f, 0x40, 1000 & 0xff);
	outb(&f, 0x40, 1000 >> 8);
	g_assert_false(irq0_at(&f, 842284));
	g_assert_true(irq0_at(&f, 842285));
	g_assert_cmpuint(f.bus.next_deadline, ==, UINT64_MAX);
	g_assert_false(irq0_at(&f, 100000000));
	fx_free(&f);
}

static void test_pit_latch_readback(void)
{
	struct fx f;
	uint8_t lo, hi;

	fx_init(&f);
	outb(&f, 0x43, 0x34);
	outb(&f, 0x40, 0x9c);
	outb(&f, 0x40, 0x2e);
	/* At instruction 83809 = floor(100 * 10^9 / 1193182) the counter has
	 * made 100 ticks: count 11932 - 100 = 11832 = 0x2E38. Latch it
	 * there and read it later: the latched value holds. */
	dev_bus_advance(&f.bus, 83809);
	outb(&f, 0x43, 0x00);
	dev_bus_advance(&f.bus, 84647); /* tick 101 */
	lo = inb(&f, 0x40);
	hi = inb(&f, 0x40);
	g_assert_cmphex(hi << 8 | lo, ==, 0x2e38);
	/* Live read now: 11932 - 101 = 11831 = 0x2E37. */
	lo = inb(&f, 0x40);
	hi = inb(&f, 0x40);
	g_assert_cmphex(hi << 8 | lo, ==, 0x2e37);
	/* Read-back status of counter 0 (0xE2: latch status only): OUT high,
	 * count loaded, RW=3, mode 2, binary = 0x80 | 0x30 | 0x04. */
	outb(&f, 0x43, 0xe2);
	g_assert_cmphex(inb(&f, 0x40), ==, 0xb4);
	/* Read-back of status and count (0xC2): status first, then count. */
	outb(&f, 0x43, 0xc2);
	g_assert_cmphex(inb(&f, 0x40), ==, 0xb4);
	lo = inb(&f, 0x40);
	hi = inb(&f, 0x40);
	g_assert_cmphex(hi << 8 | lo, ==, 0x2e37);
	/* Status right after a count write: NULL COUNT set until a tick. */
	outb(&f, 0x43, 0x34);
	outb(&f, 0x40, 0x10);
	outb(&f, 0x40, 0x00);
	outb(&f, 0x43, 0xe2);
	g_assert_cmphex(inb(&f, 0x40), ==, 0xf4);
	/* BCD (control 0x31: counter 0, LSB/MSB, mode 0, BCD), count 0x1000
	 * = 1000 decimal, loaded at tick 101: one tick later (tick 102 at
	 * floor(102 * 10^9 / 1193182) = 85485) it reads 999 = 0x0999. */
	outb(&f, 0x43, 0x31);
	outb(&f, 0x40, 0x00);
	outb(&f, 0x40, 0x10);
	dev_bus_advance(&f.bus, 85485);
	outb(&f, 0x43, 0x00);
	lo = inb(&f, 0x40);
	hi = inb(&f, 0x40);
	g_assert_cmphex(hi << 8 | lo, ==, 0x0999);
	/* LSB-only access (counter 1, mode 2): one byte each way. */
	outb(&f, 0x43, 0x54);
	outb(&f, 0x41, 0x12);
	g_assert_cmphex(inb(&f, 0x41), ==, 0x12);
	fx_free(&f);
}

static void test_pit_gate(void)
{
	struct fx f;

	fx_init(&f);
	/* Linux's PIT calibration: gate counter 2 off, mode 0, count 100,
	 * gate on, poll OUT2 in port 0x61 bit 5. Gate rises at instruction
	 * 1000 (tick 1); OUT2 rises 100 ticks later, at floor(101 * 10^9 /
	 * 1193182) = 84647. */
	outb(&f, 0x61, (inb(&f, 0x61) & ~0x02) & ~0x01);
	outb(&f, 0x43, 0xb0);
	outb(&f, 0x42, 100);
	outb(&f, 0x42, 0);
	dev_bus_advance(&f.bus, 1000);
	g_assert_cmphex(inb(&f, 0x61) & 0x20, ==, 0);
	outb(&f, 0x61, inb(&f, 0x61) | 0x01);
	g_assert_cmphex(inb(&f, 0x61) & 0x01, ==, 0x01);
	dev_bus_advance(&f.bus, 84646);
	g_assert_cmphex(inb(&f, 0x61) & 0x20, ==, 0);
	dev_bus_advance(&f.bus, 84647);
	g_assert_cmphex(inb(&f, 0x61) & 0x20, ==, 0x20);
	/* Gate low pauses mode 0: count frozen. */
	outb(&f, 0x43, 0xb0);
	outb(&f, 0x42, 0x00);
	outb(&f, 0x42, 0x10);		       /* 4096 */
	dev_bus_advance(&f.bus, 84647 + 8381); /* >= 10 ticks later */
	outb(&f, 0x61, inb(&f, 0x61) & ~0x01);
	outb(&f, 0x43, 0x80); /* latch counter 2 */
	{
		uint16_t a = inb(&f, 0x42), b;

		a |= (uint16_t)(inb(&f, 0x42) << 8);
		dev_bus_advance(&f.bus, 84647 + 8381 + 100000);
		outb(&f, 0x43, 0x80);
		b = inb(&f, 0x42);
		b |= (uint16_t)(inb(&f, 0x42) << 8);
		g_assert_cmpuint(a, ==, b);
		g_assert_cmpuint(a, <, 4096);
		g_assert_cmpuint(a, >, 4096 - 20);
	}
	fx_free(&f);
}

/*
 * Device fuzz (fixed seed): random port I/O to every device, random line
 * changes, acknowledgements and time steps. Nothing may crash; after every
 * advance the next deadline lies strictly in the future (else the machine's
 * idle loop would spin); a pending vector is one the programmed bases allow;
 * and the same seed gives the same trace (determinism).
 */
static uint64_t dev_fuzz_run(guint32 seed, unsigned steps)
{
	static const uint16_t ports[] = {0x20,	0x21,  0xa0,  0xa1,  0x40,  0x41,  0x42,  0x43,
					 0x61,	0x80,  0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
					 0x3fe, 0x3ff, 0x4d0, 0x4d1, 0xf4,  0x70};
	GRand *r = g_rand_new_with_seed(seed);
	uint64_t now = 0, hash = 1469598103934665603ull;
	struct fx f;

	fx_init(&f);
	pic_program(&f, 0x01);
	for (unsigned i = 0; i < steps; i++) {
		uint16_t port = ports[g_rand_int_range(r, 0, G_N_ELEMENTS(ports))];
		uint32_t v = 0;
		int vec;

		switch (g_rand_int_range(r, 0, 6)) {
		case 0:
			if (port != 0xf4)
				outb(&f, port, (uint8_t)g_rand_int(r));
			break;
		case 1:
			v = inb(&f, port);
			break;
		case 2:
			dev_pic_set_irq(f.bus.pic, (unsigned)g_rand_int_range(r, 0, 16),
					g_rand_boolean(r));
			break;
		case 3:
			vec = dev_pic_pending(f.bus.pic);
			v = (uint32_t)(vec < 0 ? 0xffff : dev_pic_ack(f.bus.pic));
			break;
		default:
			now += (uint64_t)g_rand_int_range(r, 0, 3000000);
			dev_bus_advance(&f.bus, now);
			g_assert_cmpuint(f.bus.next_deadline, >, now);
			break;
		}
		vec = dev_pic_pending(f.bus.pic);
		g_assert_cmpint(vec, >=, -1);
		g_assert_cmpint(vec, <=, 0xff);
		hash = (hash ^ v ^ ((uint64_t)(uint32_t)vec << 16) ^ f.bus.next_deadline) *
		       1099511628211ull;
	}
	fflush(f.console);
	hash ^= f.outlen;
	g_rand_free(r);
	fx_free(&f);
	return hash;
}

static void test_dev_fuzz(void)
{
	unsigned steps = g_test_slow() ? 2000000 : 200000;
	uint64_t a = dev_fuzz_run(0xc3, steps), b = dev_fuzz_run(0xc3, steps);

	g_assert_cmphex(a, ==, b);
	g_assert_cmphex(a, !=, dev_fuzz_run(0xc4, steps));
}

/* ---- interrupt routing, relocation, device MSRs ---- */

static unsigned heard[32];

static void listen_line(void *opaque, unsigned n, bool level)
{
	if (n < 32)
		heard[n] = level ? heard[n] + 1 : heard[n];
}

/* A stand-in device owning two MSRs of a range no PC device uses. */
#define TEST_MSR 0x4b564d10u
static int msr_rd(void *dev, uint32_t msr, uint64_t *val)
{
	*val = msr == TEST_MSR ? 0x1234 : 0;
	return msr == TEST_MSR + 1 ? -EINVAL : 0;
}

static void test_routing(void)
{
	static const struct dev_desc win = {
	    .name = "win", .space = DEV_MMIO, .base = 0xfed00000, .len = 0x1000};
	static const struct dev_msr_desc msrs = {
	    .first = TEST_MSR, .last = TEST_MSR + 1, .rdmsr = msr_rd};
	struct fx f;
	uint64_t v = 0;

	fx_init(&f);
	memset(heard, 0, sizeof(heard));
	/* Every listener hears a line: the 8259 and a second controller. */
	g_assert_cmpint(dev_irq_listen(&f.bus, listen_line, NULL), ==, 0);
	outb(&f, 0x21, 0xff);
	dev_irq_line(&f.bus, 4, true);
	dev_irq_line(&f.bus, 20, true); /* above the 8259's lines: the other only */
	g_assert_cmpuint(heard[4], ==, 1);
	g_assert_cmpuint(heard[20], ==, 1);
	g_assert_cmpint(dev_intr_pending(&f.bus), ==, -1); /* masked at the 8259 */
	outb(&f, 0x21, 0);
	g_assert_cmpint(dev_intr_pending(&f.bus), ==, dev_pic_pending(f.bus.pic));
	/* An MMIO window moves (IA32_APIC_BASE), not onto another range. */
	g_assert_cmpint(dev_bus_add(&f.bus, &win, &f), ==, 0);
	g_assert_cmpint(dev_bus_move(&f.bus, &f, &win, 0xfed40000), ==, 0);
	g_assert_cmpint(dev_bus_move(&f.bus, &f, &win, 0xf0000), ==, -EEXIST); /* the BIOS ROM */
	g_assert_cmpint(dev_bus_move(&f.bus, NULL, &win, 0xfec00000), ==, -ENOENT);
	/* Device MSRs: its own, its #GP, and one it does not own. */
	g_assert_cmpint(dev_bus_add_msr(&f.bus, &msrs, NULL), ==, 0);
	g_assert_cmpint(dev_bus_add_msr(&f.bus, &msrs, NULL), ==, -EEXIST);
	g_assert_cmpint(dev_bus_rdmsr(&f.bus, TEST_MSR, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x1234);
	g_assert_cmpint(dev_bus_rdmsr(&f.bus, TEST_MSR + 1, &v), ==, -EINVAL);
	g_assert_cmpint(dev_bus_wrmsr(&f.bus, TEST_MSR, 0), ==, -EINVAL); /* no wrmsr: #GP */
	/* The board's local APIC owns IA32_APIC_BASE: enabled, BSP. */
	g_assert_cmpint(dev_bus_rdmsr(&f.bus, 0x1b, &v), ==, 0);
	g_assert_cmphex(v, ==, 0xfee00900);
	g_assert_cmpint(dev_bus_rdmsr(&f.bus, 0x10, &v), ==, -ENOENT);
	fx_free(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dev/bus", test_bus);
	g_test_add_func("/dev/routing", test_routing);
	g_test_add_func("/dev/uart/output", test_uart_output);
	g_test_add_func("/dev/uart/regs", test_uart_regs);
	g_test_add_func("/dev/uart/irq", test_uart_irq);
	g_test_add_func("/dev/debugexit", test_debugexit);
	g_test_add_func("/dev/port80", test_port80);
	g_test_add_func("/dev/pic/basic", test_pic_basic);
	g_test_add_func("/dev/pic/priority", test_pic_priority);
	g_test_add_func("/dev/pic/cascade", test_pic_cascade);
	g_test_add_func("/dev/pic/spurious", test_pic_spurious);
	g_test_add_func("/dev/pic/modes", test_pic_modes);
	g_test_add_func("/dev/pit/clock", test_pit_clock);
	g_test_add_func("/dev/pit/periodic", test_pit_periodic);
	g_test_add_func("/dev/pit/mode3", test_pit_mode3);
	g_test_add_func("/dev/pit/oneshot", test_pit_oneshot);
	g_test_add_func("/dev/pit/latch_readback", test_pit_latch_readback);
	g_test_add_func("/dev/pit/gate", test_pit_gate);
	g_test_add_func("/dev/fuzz", test_dev_fuzz);
	return g_test_run();
}
