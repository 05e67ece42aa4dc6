/*
 * The I/O APIC (Intel 82093AA data sheet, order no. 290566), at QEMU's
 * place and shape: MMIO 0xFEC00000, 24 pins, version 0x20, ID 0.
 *
 * Registers: IOREGSEL at +0x00 (the index, bits 7:0), IOWIN at +0x10 (the
 * selected register), and version 0x20's EOI register at +0x40 (a write of
 * a vector ends a level interrupt as the local APIC's broadcast does).
 * Index 0x00 ID (bits 27:24), 0x01 version (bits 23:16 = 23, the highest
 * entry; bits 7:0 = 0x20), 0x02 arbitration ID, 0x10 + 2n / 0x11 + 2n the
 * low / high half of redirection entry n:
 *   7:0 vector, 10:8 delivery mode, 11 destination mode (1 logical),
 *   12 delivery status (read-only), 13 polarity (1 low), 14 remote IRR
 *   (read-only), 15 trigger mode (1 level), 16 mask, 63:56 destination.
 * Accesses other than 32-bit ones read 0 and write nothing.
 *
 * Inputs: GSI n = pin n; the ISA IRQs 0-15 arrive through the board's
 * dev_irq_line, IRQ 0 on pin 2 (the PIT on GSI 2, as the MADT's interrupt
 * source override says and QEMU's ioapic_set_irq does). An active-low pin
 * is asserted by a low line.
 * Delivery (data sheet 3.2.4): an edge pin delivers on an assertion while
 * unmasked; a level pin delivers while asserted, unmasked and its remote
 * IRR is clear, and sets remote IRR until an EOI of its vector. An edge
 * that arrives while the pin is masked is lost ("edge-sensitive
 * interrupts signaled on a masked interrupt pin are ignored"), as in QEMU.
 * Two departures of QEMU 7.2 from the data sheet are not copied: it takes
 * every assertion of an edge pin as an edge, rising or not, and it ignores
 * the polarity bit (its lines carry "asserted"); here an edge pin needs a
 * rising edge of its input, and an active-low pin is asserted by a low
 * line (guests/pc/ioapic.c checks both).
 * Fixed and lowest-priority entries go to the local APIC when the
 * destination names it (physical ID, logical match or broadcast); other
 * delivery modes, and destinations with no CPU, deliver nothing.
 */
#include "dev.h"

#include <errno.h>

#include <glib.h>

#define IOAPIC_BASE    UINT64_C(0xfec00000)
#define IOAPIC_PAGE    0x1000u
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x20u
#define IOREGSEL       0x00
#define IOWIN	       0x10
#define IOEOI	       0x40

#define RTE_VECTOR   0xffull
#define RTE_MODE(v)  (((v) >> 8) & 7)
#define RTE_LOGICAL  (1ull << 11)
#define RTE_POL_LOW  (1ull << 13)
#define RTE_RIRR     (1ull << 14)
#define RTE_LEVEL    (1ull << 15)
#define RTE_MASKED   (1ull << 16)
#define RTE_DEST(v)  ((uint32_t)((v) >> 56))
#define RTE_RO	     ((1ull << 12) | RTE_RIRR) /* delivery status, remote IRR */
#define RTE_WMASK    (0xff0000000001ffffull & ~RTE_RO)

struct dev_ioapic {
	struct dev_desc desc;
	struct dev_bus *bus;
	uint32_t sel, id;
	uint64_t rte[IOAPIC_PINS];
	uint32_t lines; /* input line levels */
};

static bool asserted(const struct dev_ioapic *io, unsigned pin)
{
	bool high = io->lines & (1u << pin);

	return (io->rte[pin] & RTE_POL_LOW) ? !high : high;
}

/* Send pin @pin's interrupt to the local APIC if it names it. */
static void deliver(struct dev_ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	struct dev_lapic *a = io->bus->lapic;

	if (!a || !dev_lapic_is_dest(a, RTE_DEST(e), e & RTE_LOGICAL))
		return;
	if (dev_lapic_deliver(a, RTE_MODE(e), (uint8_t)(e & RTE_VECTOR), e & RTE_LEVEL) == 0 &&
	    (e & RTE_LEVEL))
		io->rte[pin] |= RTE_RIRR;
}

/* A level pin delivers while asserted, unmasked, remote IRR clear. */
static void service_level(struct dev_ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];

	if ((e & RTE_LEVEL) && !(e & (RTE_MASKED | RTE_RIRR)) && asserted(io, pin))
		deliver(io, pin);
}

static void ioapic_set_irq(void *opaque, unsigned n, bool level)
{
	struct dev_ioapic *io = opaque;
	unsigned pin = n == 0 ? 2 : n; /* ISA IRQ 0 is GSI 2 */
	bool was;

	if (pin >= IOAPIC_PINS || n == 2)
		return; /* ISA IRQ 2 is the 8259 cascade: no I/O APIC pin */
	was = asserted(io, pin);
	io->lines = level ? io->lines | (1u << pin) : io->lines & ~(1u << pin);
	if (io->rte[pin] & RTE_LEVEL)
		service_level(io, pin);
	else if (!was && asserted(io, pin) && !(io->rte[pin] & RTE_MASKED))
		deliver(io, pin);
}

void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vec)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		if ((io->rte[pin] & RTE_RIRR) && (io->rte[pin] & RTE_VECTOR) == vec) {
			io->rte[pin] &= ~RTE_RIRR;
			service_level(io, pin);
		}
}

static uint32_t reg_read(const struct dev_ioapic *io)
{
	unsigned idx = io->sel & 0xff;

	switch (idx) {
	case 0x00:
		return io->id << 24;
	case 0x01:
		return (IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	case 0x02:
		return io->id << 24; /* arbitration ID: the ID after reset */
	default:
		if (idx >= 0x10 && idx < 0x10 + 2 * IOAPIC_PINS) {
			uint64_t e = io->rte[(idx - 0x10) / 2];

			return (idx & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0;
	}
}

static void reg_write(struct dev_ioapic *io, uint32_t v)
{
	unsigned idx = io->sel & 0xff, pin;
	uint64_t e, w;

	if (idx == 0x00) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (idx < 0x10 || idx >= 0x10 + 2 * IOAPIC_PINS)
		return; /* version and arbitration are read-only */
	pin = (idx - 0x10) / 2;
	e = io->rte[pin];
	w = (idx & 1) ? (uint64_t)v << 32 | (uint32_t)e : (e & 0xffffffff00000000ull) | v;
	io->rte[pin] = (e & ~RTE_WMASK) | (w & RTE_WMASK);
	if (!(io->rte[pin] & RTE_LEVEL))
		io->rte[pin] &= ~RTE_RIRR;
	service_level(io, pin);
}

static uint64_t ioapic_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_ioapic *io = dev;

	if (size != 4)
		return 0;
	switch (addr & 0xff) {
	case IOREGSEL:
		return io->sel;
	case IOWIN:
		return reg_read(io);
	default:
		return 0;
	}
}

static void ioapic_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_ioapic *io = dev;

	if (size != 4)
		return;
	switch (addr & 0xff) {
	case IOREGSEL:
		io->sel = (uint32_t)val & 0xff;
		break;
	case IOWIN:
		reg_write(io, (uint32_t)val);
		break;
	case IOEOI:
		dev_ioapic_eoi(io, (uint8_t)val);
		break;
	default:
		break;
	}
}

static void ioapic_free(void *dev)
{
	g_free(dev);
}

int dev_ioapic_add(struct dev_bus *b)
{
	struct dev_ioapic *io = g_new0(struct dev_ioapic, 1);
	int rc;

	io->bus = b;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	io->desc = (struct dev_desc){.name = "ioapic",
				     .space = DEV_MMIO,
				     .width = 4,
				     .base = IOAPIC_BASE,
				     .len = IOAPIC_PAGE,
				     .read = ioapic_read,
				     .write = ioapic_write,
				     .free = ioapic_free};
	rc = dev_bus_add(b, &io->desc, io);
	if (rc) {
		g_free(io);
		return rc;
	}
	b->ioapic = io;
	return dev_irq_listen(b, ioapic_set_irq, io);
}
