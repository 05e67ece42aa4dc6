/*
 * testdev: QEMU's pc-testdev (hw/misc/pc-testdev.c), the device
 * kvm-unit-tests drive, and port 0x61 with the 8254's channel 2.
 *
 * Checks: the 32-bit register at port 0xE0 read back at every width and
 * byte offset, and through its byte view at 0xE8; a "flush page" write at
 * 0xE4 leaves memory as it was; the 64 KiB window at 0xFF000000 reads back
 * what was written, at 1-, 2- and 4-byte widths, at both ends; a line
 * raised at port 0x2000 + 5 reaches the 8259 as IRQ 5; port 0x61: bit 0
 * gates channel 2, whose OUT (bit 5) rises when a mode-0 count ends and
 * stays low while the gate is off (the way Linux calibrates the TSC).
 */
#include "pc.h"

#define MEM 0xff000000u

static volatile unsigned nirq5;

static void irq5(struct pc_frame *f)
{
	nirq5++;
	pic_eoi(5);
}

static void check_ports(void)
{
	uint32_t v;

	outl(0xe0, 0x12345678);
	v = inl(0xe0);
	pc_check(v == 0x12345678, "testdev-port-32", "%08x", v);
	pc_check(inb(0xe1) == 0x56 && inw(0xe2) == 0x1234, "testdev-port-lanes", "%02x %04x",
		 inb(0xe1), inw(0xe2));
	outb(0xe3, 0xab);
	outw(0xe0, 0xcdef);
	pc_check(inl(0xe0) == 0xab34cdef, "testdev-port-partial-writes", "%08x", inl(0xe0));
	pc_check(inb(0xe8) == 0xef && inb(0xeb) == 0xab && inl(0xe8) == 0xab34cdef,
		 "testdev-byte-view", "%02x %02x %08x", inb(0xe8), inb(0xeb), inl(0xe8));
	outb(0xe9, 0x00);
	pc_check(inl(0xe0) == 0xab3400ef, "testdev-byte-view-writes", "%08x", inl(0xe0));
}

static volatile uint32_t page[1024] __attribute__((aligned(4096)));

static void check_flush(void)
{
	page[7] = 0x5a5a1234;
	outl(0xe4, (uint32_t)(uintptr_t)page);
	pc_check(page[7] == 0x5a5a1234, "testdev-flush-page-keeps-data", "%08x", page[7]);
}

static void check_mem(void)
{
	mmio_write32(MEM, 0xdeadbeef);
	mmio_write32(MEM + 0xfffc, 0x01020304);
	pc_check(mmio_read32(MEM) == 0xdeadbeef && mmio_read32(MEM + 0xfffc) == 0x01020304,
		 "testdev-mem-32", "%08x %08x", mmio_read32(MEM), mmio_read32(MEM + 0xfffc));
	mmio_write8(MEM + 1, 0x55);
	*(volatile uint16_t *)(uintptr_t)(MEM + 2) = 0xaa99;
	pc_check(mmio_read32(MEM) == 0xaa9955ef && mmio_read8(MEM + 0xfffd) == 0x03,
		 "testdev-mem-widths", "%08x %02x", mmio_read32(MEM), mmio_read8(MEM + 0xfffd));
	for (unsigned i = 0; i < 256; i++)
		mmio_write32(MEM + 0x100 + 4 * i, i * 0x01010101u);
	bool ok = true;
	for (unsigned i = 0; i < 256; i++)
		ok = ok && mmio_read32(MEM + 0x100 + 4 * i) == i * 0x01010101u;
	pc_check(ok, "testdev-mem-pattern", "a word differs");
}

static void check_irq_line(void)
{
	pc_set_handler(0x25, irq5);
	pic_unmask(5);
	outb(0x2005, 1);
	irq_window();
	outb(0x2005, 0);
	pc_check(nirq5 == 1, "testdev-irq-line-8259", "%u interrupts", nirq5);
	outb(0x21, inb(0x21) | 0x20);
}

/* Port 0x61: gate channel 2, count 1000 ticks in mode 0, watch OUT. */
static void check_port61(void)
{
	uint8_t p = inb(0x61) & 0x0c;
	unsigned spins = 0;

	outb(0x61, p);	  /* gate off, speaker off */
	outb(0x43, 0xb0); /* channel 2, LSB then MSB, mode 0 */
	outb(0x42, 0xe8);
	outb(0x42, 0x03); /* 1000 */
	pc_check(!(inb(0x61) & 0x20), "port61-out2-low-after-load", "port 61 %02x", inb(0x61));
	/* A count of 2 (1.7 us) that the loop outlasts many times over: a
	 * counter that ignores GATE reaches terminal count on any machine
	 * and under any load, so the outcome never depends on real time. */
	outb(0x42, 0x02);
	outb(0x42, 0x00);
	for (volatile unsigned i = 0; i < 100000; i++)
		;
	if (inb(0x61) & 0x20)
		/* 8254 data sheet, mode 0: GATE = 0 disables counting. */
		pc_deviation("port61-gate-off-holds",
			     "QEMU's i8254 counts in mode 0 with GATE low (pit_set_gate ignores it)");
	else
		pc_check(true, "port61-gate-off-holds", "port 61 %02x", inb(0x61));
	outb(0x61, p | 1); /* gate on */
	while (!(inb(0x61) & 0x20) && spins < 100000000)
		spins++;
	pc_check(inb(0x61) & 0x20, "port61-out2-rises", "OUT2 still low");
	outb(0x61, p);
}

void test_main(void)
{
	check_ports();
	check_flush();
	check_mem();
	check_irq_line();
	check_port61();
}
