/*
 * ioapic: the I/O APIC at 0xFEC00000 (Intel 82093AA data sheet) routing
 * interrupt lines to the local APIC, driven the way kvm-unit-tests'
 * ioapic test drives it: pc-testdev's ports 0x2000 + n set line n.
 *
 * The 8259 pair is masked throughout, so every interrupt seen came
 * through the I/O APIC. Checks: the version register (0x20, 24 entries)
 * and a writable ID; an edge pin delivers once per rising edge; a level
 * pin sets remote IRR and TMR, is delivered again after each EOI while
 * the line stays asserted, and not after it drops; an active-low level
 * pin; a level pin asserted while masked is delivered when unmasked; an
 * edge that arrives while masked is lost. ISA IRQ 0 (the PIT) arrives on
 * pin 2; logical destinations (flat model) reach this CPU only when LDR
 * matches; a physical destination with no CPU delivers nothing.
 *
 * QEMU 7.2 departs from the data sheet twice, and prints DEVIATION there
 * (guests/pc/expected/ioapic.qemu.txt): it takes every assertion of an
 * edge pin as an edge (no rising edge needed), and ignores the polarity
 * bit (its lines carry "asserted", not the pin's level).
 */
#include "pc.h"

#define IOAPIC	    0xfec00000u
#define APIC	    0xfee00000u
#define A_EOI	    0x0b0
#define A_LDR	    0x0d0
#define A_DFR	    0x0e0
#define A_TMR	    0x180
#define RTE_LEVEL   (1u << 15)
#define RTE_LOW	    (1u << 13)
#define RTE_RIRR    (1u << 14)
#define RTE_MASKED  (1u << 16)
#define RTE_LOGICAL (1u << 11)

static uint32_t io_rd(unsigned reg)
{
	mmio_write32(IOAPIC, reg);
	return mmio_read32(IOAPIC + 0x10);
}

static void io_wr(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC, reg);
	mmio_write32(IOAPIC + 0x10, v);
}

static void rte(unsigned pin, uint32_t lo, uint8_t dest)
{
	io_wr(0x11 + 2 * pin, (uint32_t)dest << 24);
	io_wr(0x10 + 2 * pin, lo);
}

static void line(unsigned n, bool level)
{
	outb((uint16_t)(0x2000 + n), level);
}

static volatile unsigned nint, last_vec;
static volatile bool rirr_seen, tmr_seen;
/* The handler deasserts line handler_pin (to deassert_to) once nint
 * reaches drop_after (0: never): a level line left asserted would be
 * delivered again after every EOI. */
static volatile unsigned handler_pin, drop_after;
static volatile bool deassert_to;

static void handler(struct pc_frame *f)
{
	nint++;
	last_vec = f->vec;
	rirr_seen = io_rd(0x10 + 2 * handler_pin) & RTE_RIRR;
	tmr_seen = mmio_read32(APIC + A_TMR + 0x10 * (f->vec >> 5)) & (1u << (f->vec & 31));
	if (drop_after && nint >= drop_after)
		line(handler_pin, deassert_to);
	mmio_write32(APIC + A_EOI, 0);
}

static void check_registers(void)
{
	uint32_t v = io_rd(0x01);

	con_printf("ioapic: version %02x, %u redirection entries\n", v & 0xff,
		   ((v >> 16) & 0xff) + 1);
	pc_check((v & 0xff) == 0x20 && ((v >> 16) & 0xff) == 23, "ioapic-version", "%08x", v);
	io_wr(0x00, 5u << 24);
	pc_check(((io_rd(0x00) >> 24) & 0xf) == 5, "ioapic-id", "ID register %08x", io_rd(0x00));
	io_wr(0x00, 0);
	pc_check(io_rd(0x10 + 2 * 9) & RTE_MASKED, "ioapic-reset-masked", "entry 9 %08x",
		 io_rd(0x10 + 2 * 9));
}

static void check_edge(void)
{
	handler_pin = 14;
	drop_after = 0;
	line(14, false);
	rte(14, 0x60, 0);
	nint = 0;
	line(14, true);
	irq_window();
	line(14, false);
	line(14, true);
	irq_window();
	pc_check(nint == 2 && last_vec == 0x60, "ioapic-edge", "%u interrupts", nint);
	line(14, true); /* already high: no edge */
	irq_window();
	if (nint == 2)
		pc_check(true, "ioapic-edge-needs-a-rising-edge", "-");
	else if (nint == 3)
		pc_deviation("ioapic-edge-needs-a-rising-edge",
			     "QEMU takes every assertion of an edge pin as an edge");
	else
		pc_check(false, "ioapic-edge-needs-a-rising-edge", "%u interrupts", nint);
	pc_check(!tmr_seen, "ioapic-edge-tmr-clear", "TMR set for an edge interrupt");
	line(14, false);
	rte(14, RTE_MASKED | 0x60, 0);
}

static void check_level(void)
{
	handler_pin = 15;
	drop_after = 3;
	deassert_to = false;
	line(15, false);
	rte(15, RTE_LEVEL | 0x61, 0);
	nint = 0;
	line(15, true);
	irq_window();
	/* Delivered, EOI'd with the line still asserted, delivered again,
	 * until the third handler drops the line. */
	pc_check(nint == 3, "ioapic-level-redelivered", "%u interrupts", nint);
	pc_check(rirr_seen && tmr_seen, "ioapic-level-remote-irr-tmr", "remote IRR %d, TMR %d",
		 rirr_seen, tmr_seen);
	irq_window();
	pc_check(nint == 3 && !(io_rd(0x10 + 2 * 15) & RTE_RIRR), "ioapic-level-deasserted",
		 "%u interrupts, entry %08x", nint, io_rd(0x10 + 2 * 15));
	rte(15, RTE_MASKED | RTE_LEVEL | 0x61, 0);
	/* Active low: asserted by a low line. */
	handler_pin = 13;
	drop_after = 1;
	deassert_to = true;
	line(13, true);
	rte(13, RTE_LEVEL | RTE_LOW | 0x62, 0);
	nint = 0;
	irq_window();
	pc_check(nint == 0, "ioapic-active-low-idle", "%u interrupts", nint);
	drop_after = 1;
	line(13, false);
	irq_window();
	if (nint == 1 && last_vec == 0x62)
		pc_check(true, "ioapic-active-low", "-");
	else if (nint == 0)
		pc_deviation("ioapic-active-low", "QEMU ignores the polarity bit: its lines carry "
			     "the asserted state");
	else
		pc_check(false, "ioapic-active-low", "%u interrupts", nint);
	rte(13, RTE_MASKED | 0x62, 0);
	line(13, true);
	deassert_to = false;
}

static void check_masked(void)
{
	/* Level, asserted while masked: delivered at unmasking. */
	handler_pin = 12;
	drop_after = 1;
	rte(12, RTE_MASKED | RTE_LEVEL | 0x63, 0);
	nint = 0;
	line(12, true);
	irq_window();
	pc_check(nint == 0, "ioapic-masked-level-held", "%u interrupts", nint);
	rte(12, RTE_LEVEL | 0x63, 0);
	irq_window();
	pc_check(nint == 1, "ioapic-masked-level-unmask", "%u interrupts", nint);
	rte(12, RTE_MASKED | 0x63, 0);
	/* Edge while masked: ignored (82093AA data sheet, "Interrupt Mask"). */
	handler_pin = 11;
	drop_after = 0;
	line(11, false);
	rte(11, RTE_MASKED | 0x64, 0);
	nint = 0;
	line(11, true);
	line(11, false);
	rte(11, 0x64, 0);
	irq_window();
	pc_check(nint == 0, "ioapic-masked-edge-lost", "%u interrupts", nint);
	rte(11, RTE_MASKED | 0x64, 0);
}

/* ISA IRQ 0, the PIT, is GSI 2 (the MADT's interrupt source override). */
static void check_pit_on_pin2(void)
{
	handler_pin = 2;
	drop_after = 0;
	rte(2, 0x65, 0);
	nint = 0;
	outb(0x43, 0x30); /* channel 0, mode 0: one interrupt */
	outb(0x40, 0x00);
	outb(0x40, 0x10);
	pc_check(pc_wait(&nint, 1, 1000000) && last_vec == 0x65, "ioapic-irq0-is-gsi2",
		 "%u interrupts, vector %x", nint, last_vec);
	rte(2, RTE_MASKED | 0x65, 0);
}

static void check_destinations(void)
{
	handler_pin = 10;
	drop_after = 0;
	mmio_write32(APIC + A_DFR, 0xffffffffu); /* flat */
	mmio_write32(APIC + A_LDR, 0x01000000u);
	line(10, false);
	rte(10, RTE_LOGICAL | 0x66, 0x01);
	nint = 0;
	line(10, true);
	irq_window();
	line(10, false);
	pc_check(nint == 1, "ioapic-logical-match", "%u interrupts", nint);
	rte(10, RTE_LOGICAL | 0x66, 0x02);
	nint = 0;
	line(10, true);
	irq_window();
	line(10, false);
	pc_check(nint == 0, "ioapic-logical-other", "%u interrupts", nint);
	rte(10, 0x66, 0x01); /* physical APIC ID 1: no such CPU */
	line(10, true);
	irq_window();
	line(10, false);
	pc_check(nint == 0, "ioapic-physical-absent", "%u interrupts", nint);
	rte(10, RTE_MASKED | 0x66, 0);
}

void test_main(void)
{
	for (unsigned v = 0x60; v < 0x70; v++)
		pc_set_handler(v, handler);
	check_registers();
	check_edge();
	check_level();
	check_masked();
	check_pit_on_pin2();
	check_destinations();
}
