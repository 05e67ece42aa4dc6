/*
 * The platform devices of src/pc/ at exact virtual times, through the bus
 * as the machine drives them (ports, MMIO, MSRs, the CPU's INTR/INTA):
 * local APIC (SDM Vol. 3A chapter 11), I/O APIC (82093AA data sheet),
 * pc-testdev (QEMU's hw/misc/pc-testdev.c), the 8042, PCI configuration
 * mechanism #1 with the i440FX host bridge, ACPI (tables and fixed
 * hardware, ACPI 2.0). Expected values are worked out by hand from those
 * documents in the comments.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "pc/acpi.h"
#include "pc/dev.h"

#define APIC 0xfee00000u
#define NS   1000000000ull

struct fx {
	struct dev_bus b;
};

/* The PC with a 2 GHz TSC, x2APIC and TSC-deadline, the 8259 pair at
 * 0x20/0x28 with every line masked. */
static void fx_init(struct fx *f, bool x2apic)
{
	static const uint8_t pic[][2] = {{0x20, 0x11}, {0xa0, 0x11}, {0x21, 0x20}, {0xa1, 0x28},
					 {0x21, 0x04}, {0xa1, 0x02}, {0x21, 0x01}, {0xa1, 0x01},
					 {0x21, 0xff}, {0xa1, 0xff}};
	struct dev_pc_cfg cfg = {.ram_below_4g = 128u << 20, .ncpus = 1, .x2apic = x2apic,
				 .tsc_deadline = true, .tsc_hz = 2 * NS, .maxphyaddr = 46};

	memset(f, 0, sizeof(*f));
	dev_bus_init(&f->b, NULL);
	g_assert_cmpint(dev_pc_init(&f->b, &cfg), ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(pic); i++)
		dev_bus_out(&f->b, pic[i][0], 1, pic[i][1]);
}

static uint32_t ard(struct fx *f, uint32_t off)
{
	return (uint32_t)dev_mem_read(&f->b, APIC + off, 4);
}

static void awr(struct fx *f, uint32_t off, uint32_t v)
{
	dev_mem_write(&f->b, APIC + off, 4, v);
}

static void at(struct fx *f, uint64_t t)
{
	dev_bus_advance(&f->b, t);
}

/* INTA: the vector the CPU takes now, or -1. */
static int take(struct fx *f)
{
	return dev_intr_pending(&f->b) < 0 ? -1 : dev_intr_ack(&f->b);
}

/* As SeaBIOS leaves it (seen under QEMU 7.2): enabled, BSP, virtual wire;
 * version 14H with 6 LVT entries. */
static void test_lapic_reset_state(void)
{
	struct fx f;
	uint64_t v;

	fx_init(&f, false);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x1b, &v), ==, 0);
	g_assert_cmphex(v, ==, 0xfee00900);
	g_assert_cmphex(ard(&f, 0x030), ==, 0x00050014);
	g_assert_cmphex(ard(&f, 0x0f0), ==, 0x1ff);
	g_assert_cmphex(ard(&f, 0x350), ==, 0x8700);
	g_assert_cmphex(ard(&f, 0x360), ==, 0x8400);
	g_assert_cmphex(ard(&f, 0x320), ==, 0x10000);
	g_assert_cmphex(ard(&f, 0x0e0), ==, 0xffffffff);
	/* Not a 32-bit access: nothing (QEMU's rule). */
	g_assert_cmphex(dev_mem_read(&f.b, APIC + 0x30, 2), ==, 0);
	/* x2APIC MSRs without x2APIC mode: #GP. */
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x802, &v), ==, -EINVAL);
	dev_bus_free(&f.b);
}

/* Priority (SDM 11.8.3): PPR follows TPR and the in-service class; a
 * pending class at or below PPR's waits. */
static void test_lapic_priority(void)
{
	struct fx f;

	fx_init(&f, false);
	awr(&f, 0x300, (1u << 18) | 0x45); /* self IPI, class 4 */
	awr(&f, 0x300, (1u << 18) | 0x62); /* class 6 */
	awr(&f, 0x080, 0x60);		   /* TPR class 6 blocks both */
	g_assert_cmphex(ard(&f, 0x0a0), ==, 0x60);
	g_assert_cmpint(take(&f), ==, -1);
	awr(&f, 0x080, 0x00);
	g_assert_cmpint(take(&f), ==, 0x62);
	g_assert_cmphex(ard(&f, 0x0a0), ==, 0x60); /* ISR class 6 */
	g_assert_cmpint(take(&f), ==, -1);	   /* 0x45 waits for the EOI */
	awr(&f, 0x0b0, 0);
	g_assert_cmpint(take(&f), ==, 0x45);
	awr(&f, 0x0b0, 0);
	g_assert_cmphex(ard(&f, 0x0a0), ==, 0);
	dev_bus_free(&f.b);
}

/* One-shot: initial count 1000, divide by 2 (DCR 0): the interrupt at
 * (1000 + 1) * 2 ns after the load (QEMU's apic_next_timer); periodic
 * again every 2002 ns. */
static void test_lapic_timer(void)
{
	struct fx f;

	fx_init(&f, false);
	at(&f, 100);
	awr(&f, 0x3e0, 0x0);
	awr(&f, 0x320, 0x30);
	awr(&f, 0x380, 1000);
	g_assert_cmpuint(f.b.next_deadline, ==, 100 + 2002);
	at(&f, 100 + 1000);
	g_assert_cmpuint(ard(&f, 0x390), ==, 500);
	at(&f, 100 + 2001);
	g_assert_cmpint(take(&f), ==, -1);
	at(&f, 100 + 2002);
	g_assert_cmpint(take(&f), ==, 0x30);
	awr(&f, 0x0b0, 0);
	g_assert_cmpuint(ard(&f, 0x390), ==, 0);
	g_assert_cmpuint(f.b.next_deadline, ==, UINT64_MAX);
	awr(&f, 0x320, 0x30 | (1u << 17)); /* periodic */
	awr(&f, 0x380, 1000);
	at(&f, 100 + 2002 + 2002);
	g_assert_cmpint(take(&f), ==, 0x30);
	awr(&f, 0x0b0, 0);
	g_assert_cmpuint(f.b.next_deadline, ==, 100 + 2002 + 2 * 2002);
	/* A masked timer still counts, and interrupts nobody. */
	awr(&f, 0x320, 0x10030 | (1u << 17));
	at(&f, 100 + 2002 + 3 * 2002);
	g_assert_cmpint(take(&f), ==, -1);
	dev_bus_free(&f.b);
}

/* TSC deadline at 2 GHz: TSC 5000 is reached at 2500 ns; the MSR then
 * reads 0 (SDM 11.5.4.1). Outside TSC-deadline mode writes are ignored. */
static void test_lapic_tsc_deadline(void)
{
	struct fx f;
	uint64_t v;

	fx_init(&f, false);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x6e0, 5000), ==, 0);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x6e0, &v), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	awr(&f, 0x320, 0x31 | (2u << 17));
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x6e0, 5000), ==, 0);
	g_assert_cmpuint(f.b.next_deadline, ==, 2500);
	at(&f, 2499);
	g_assert_cmpint(take(&f), ==, -1);
	at(&f, 2500);
	g_assert_cmpint(take(&f), ==, 0x31);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x6e0, &v), ==, 0);
	g_assert_cmpuint(v, ==, 0);
	dev_bus_free(&f.b);
}

/* x2APIC (SDM 11.12): the legal IA32_APIC_BASE changes, the MSR rules,
 * the logical ID, SELF IPI; the page is gone. */
static void test_x2apic(void)
{
	struct fx f;
	uint64_t v;

	fx_init(&f, true);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfee00000u | (1u << 10)), ==, -EINVAL);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfee00c00u), ==, 0);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x1b, &v), ==, 0);
	g_assert_cmphex(v, ==, 0xfee00d00); /* BSP kept */
	g_assert_cmphex(ard(&f, 0x030), ==, 0);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x803, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x00050014);
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x80d, &v), ==, 0);
	g_assert_cmphex(v, ==, 1); /* cluster 0, ID bit 0 */
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x80b, &v), ==, -EINVAL); /* EOI: write-only */
	g_assert_cmpint(dev_bus_rdmsr(&f.b, 0x80e, &v), ==, -EINVAL); /* no DFR */
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x80a, 0), ==, -EINVAL);  /* PPR: read-only */
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x80b, 1), ==, -EINVAL);  /* nonzero EOI */
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x83f, 0x77), ==, 0);     /* SELF IPI */
	g_assert_cmpint(take(&f), ==, 0x77);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x80b, 0), ==, 0);
	/* x2APIC -> xAPIC: #GP; -> off -> xAPIC: the power-up state. */
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfee00800u), ==, -EINVAL);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfee00000u), ==, 0);
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfee00800u), ==, 0);
	g_assert_cmphex(ard(&f, 0x0f0), ==, 0xff);
	g_assert_cmphex(ard(&f, 0x350), ==, 0x10000);
	/* Relocation: the page follows IA32_APIC_BASE. */
	g_assert_cmpint(dev_bus_wrmsr(&f.b, 0x1b, 0xfed80800u), ==, 0);
	g_assert_cmphex(dev_mem_read(&f.b, 0xfed80030, 4), ==, 0x00050014);
	dev_bus_free(&f.b);
}

/* The 8259 through LINT0 (ExtINT), and a masked LINT0. */
static void test_lapic_extint(void)
{
	struct fx f;

	fx_init(&f, false);
	dev_bus_out(&f.b, 0x21, 1, 0xef); /* unmask IRQ 4 */
	dev_irq_line(&f.b, 4, true);
	g_assert_cmpint(dev_intr_pending(&f.b), ==, 0x24);
	awr(&f, 0x350, 0x10700);
	g_assert_cmpint(dev_intr_pending(&f.b), ==, -1);
	awr(&f, 0x350, 0x700);
	g_assert_cmpint(take(&f), ==, 0x24);
	dev_bus_free(&f.b);
}

static uint32_t io_rd(struct fx *f, unsigned reg)
{
	dev_mem_write(&f->b, 0xfec00000, 4, reg);
	return (uint32_t)dev_mem_read(&f->b, 0xfec00010, 4);
}

static void io_wr(struct fx *f, unsigned reg, uint32_t v)
{
	dev_mem_write(&f->b, 0xfec00000, 4, reg);
	dev_mem_write(&f->b, 0xfec00010, 4, v);
}

/* 82093AA: version, edges, level with remote IRR until the EOI broadcast,
 * ISA IRQ 0 on pin 2, polarity, absent destinations. */
static void test_ioapic(void)
{
	struct fx f;

	fx_init(&f, false);
	g_assert_cmphex(io_rd(&f, 1), ==, 0x00170020);
	io_wr(&f, 0x10 + 2 * 2, 0x50); /* pin 2: edge, vector 0x50 */
	dev_irq_line(&f.b, 0, true);   /* ISA IRQ 0 */
	dev_irq_line(&f.b, 0, false);
	g_assert_cmpint(take(&f), ==, 0x50);
	awr(&f, 0x0b0, 0);
	io_wr(&f, 0x10 + 2 * 9, 0x8051); /* pin 9: level, vector 0x51 */
	dev_irq_line(&f.b, 9, true);
	g_assert_cmpint(take(&f), ==, 0x51);
	g_assert_cmphex(io_rd(&f, 0x10 + 2 * 9) & (1u << 14), !=, 0); /* remote IRR */
	g_assert_cmpint(take(&f), ==, -1);
	awr(&f, 0x0b0, 0); /* EOI broadcast: line still high, again */
	g_assert_cmpint(take(&f), ==, 0x51);
	dev_irq_line(&f.b, 9, false);
	awr(&f, 0x0b0, 0);
	g_assert_cmphex(io_rd(&f, 0x10 + 2 * 9) & (1u << 14), ==, 0);
	g_assert_cmpint(take(&f), ==, -1);
	io_wr(&f, 0x10 + 2 * 9, 0x10000);
	/* Active low, level: a low line is asserted. */
	dev_irq_line(&f.b, 10, true);
	io_wr(&f, 0x10 + 2 * 10, 0xa052);
	g_assert_cmpint(take(&f), ==, -1);
	dev_irq_line(&f.b, 10, false);
	g_assert_cmpint(take(&f), ==, 0x52);
	io_wr(&f, 0x10 + 2 * 10, 0x10000);
	awr(&f, 0x0b0, 0);
	/* Destination APIC ID 3: nobody there. */
	io_wr(&f, 0x11 + 2 * 11, 3u << 24);
	io_wr(&f, 0x10 + 2 * 11, 0x53);
	dev_irq_line(&f.b, 11, true);
	g_assert_cmpint(take(&f), ==, -1);
	dev_bus_free(&f.b);
}

/* pc-testdev: byte lanes of the 0xE0 register, the MMIO window, the IRQ
 * ports driving the 8259. */
static void test_testdev(void)
{
	struct fx f;

	fx_init(&f, false);
	dev_bus_out(&f.b, 0xe0, 4, 0x11223344);
	dev_bus_out(&f.b, 0xe9, 1, 0xaa);
	g_assert_cmphex(dev_bus_in(&f.b, 0xe0, 4), ==, 0x1122aa44);
	g_assert_cmphex(dev_bus_in(&f.b, 0xe2, 2), ==, 0x1122);
	dev_mem_write(&f.b, 0xff00fff8, 8, 0x0102030405060708ull);
	g_assert_cmphex(dev_mem_read(&f.b, 0xff00fffc, 4), ==, 0x01020304);
	dev_bus_out(&f.b, 0x21, 1, 0xdf); /* unmask IRQ 5 */
	dev_bus_out(&f.b, 0x2005, 1, 1);
	g_assert_cmpint(take(&f), ==, 0x25);
	dev_bus_free(&f.b);
}

/* The 8042: self-test 0x55, the command byte, no keyboard (time-out,
 * 0xFE), and the reset line (0xFE pulses output-port bit 0). */
static void test_i8042(void)
{
	struct fx f;

	fx_init(&f, false);
	dev_bus_out(&f.b, 0x64, 1, 0xaa);
	g_assert_cmphex(dev_bus_in(&f.b, 0x64, 1) & 1, ==, 1);
	g_assert_cmphex(dev_bus_in(&f.b, 0x60, 1), ==, 0x55);
	dev_bus_out(&f.b, 0x64, 1, 0x60);
	dev_bus_out(&f.b, 0x60, 1, 0x44);
	dev_bus_out(&f.b, 0x64, 1, 0x20);
	g_assert_cmphex(dev_bus_in(&f.b, 0x60, 1), ==, 0x44);
	dev_bus_out(&f.b, 0x60, 1, 0xff); /* keyboard reset: nobody there */
	g_assert_cmphex(dev_bus_in(&f.b, 0x64, 1) & 0x41, ==, 0x41);
	g_assert_cmphex(dev_bus_in(&f.b, 0x60, 1), ==, 0xfe);
	g_assert_false(f.b.exit_requested);
	dev_bus_out(&f.b, 0x64, 1, 0xfe);
	g_assert_true(f.b.exit_requested);
	g_assert_cmpint(f.b.stop_kind, ==, DEV_STOP_RESET);
	dev_bus_free(&f.b);
}

/* PCI mechanism #1: the i440FX at 00:00.0, master abort elsewhere, the
 * enable bit, byte access, the reset control register. */
static void test_pci(void)
{
	struct fx f;

	fx_init(&f, false);
	dev_bus_out(&f.b, 0xcf8, 4, 0x80000000);
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfc, 4), ==, 0x12378086);
	g_assert_cmphex(dev_bus_in(&f.b, 0xcf8, 4), ==, 0x80000000);
	dev_bus_out(&f.b, 0xcf8, 4, 0x80000008);
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfc, 4), ==, 0x06000002);
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfe, 1), ==, 0x00); /* subclass */
	dev_bus_out(&f.b, 0xcf8, 4, 0x80000800); /* 00:01.0: nothing */
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfc, 4), ==, 0xffffffff);
	dev_bus_out(&f.b, 0xcf8, 4, 0x00000000); /* enable clear */
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfc, 2), ==, 0xffff);
	dev_bus_out(&f.b, 0xcf8, 4, 0x80000000);
	dev_bus_out(&f.b, 0xcfc, 4, 0); /* vendor ID: read-only */
	g_assert_cmphex(dev_bus_in(&f.b, 0xcfc, 2), ==, 0x8086);
	dev_bus_out(&f.b, 0xcf9, 1, 0x02); /* hard reset bit alone: no reset */
	g_assert_false(f.b.exit_requested);
	dev_bus_out(&f.b, 0xcf9, 1, 0x06);
	g_assert_true(f.b.exit_requested);
	g_assert_cmpint(f.b.stop_kind, ==, DEV_STOP_RESET);
	dev_bus_free(&f.b);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The tables: every checksum 0; the pointers resolve; the hand-written
 * _S5 AML. Then the fixed hardware: the PM timer at 3.579545 MHz, S5. */
static void test_acpi(void)
{
	static const uint8_t s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0};
	struct fx f;
	struct dev_rom *rom;
	const uint8_t *r, *rsdt, *xsdt, *fadt, *dsdt;

	fx_init(&f, false);
	rom = dev_mem_rom(&f.b, 0xf0000);
	g_assert_nonnull(rom);
	r = rom->bytes;
	g_assert_cmpmem(r, 8, "RSD PTR ", 8);
	g_assert_cmpuint(sum(r, 20), ==, 0);
	g_assert_cmpuint(sum(r, 36), ==, 0);
	rsdt = rom->bytes + (le32(r + 16) - 0xf0000);
	xsdt = rom->bytes + (le32(r + 24) - 0xf0000);
	g_assert_cmpmem(rsdt, 4, "RSDT", 4);
	g_assert_cmpmem(xsdt, 4, "XSDT", 4);
	g_assert_cmpuint(sum(rsdt, le32(rsdt + 4)), ==, 0);
	g_assert_cmpuint(sum(xsdt, le32(xsdt + 4)), ==, 0);
	fadt = rom->bytes + (le32(rsdt + 36) - 0xf0000);
	g_assert_cmpmem(fadt, 4, "FACP", 4);
	g_assert_cmpuint(le32(fadt + 4), ==, 244);
	g_assert_cmpuint(sum(fadt, 244), ==, 0);
	g_assert_cmphex(le32(fadt + 64), ==, ACPI_PM1A_CNT);
	dsdt = rom->bytes + (le32(fadt + 40) - 0xf0000);
	g_assert_cmpuint(sum(dsdt, le32(dsdt + 4)), ==, 0);
	g_assert_cmpmem(dsdt + 36, le32(dsdt + 4) - 36, s5, sizeof(s5));
	g_assert_cmpmem(rom->bytes + (le32(fadt + 36) - 0xf0000), 4, "FACS", 4);
	/* PM timer: 3579545 ticks per second, 24 bits. */
	at(&f, 2 * NS);
	g_assert_cmpuint(dev_bus_in(&f.b, ACPI_PM_TMR, 4), ==, (2 * 3579545) & 0xffffff);
	g_assert_cmphex(dev_bus_in(&f.b, ACPI_PM1A_CNT, 2) & 1, ==, 1); /* SCI_EN */
	dev_bus_out(&f.b, ACPI_PM1A_CNT, 2, (5u << 10) | (1u << 13)); /* no such state */
	g_assert_false(f.b.exit_requested);
	dev_bus_out(&f.b, ACPI_PM1A_CNT, 2, 1u << 13); /* SLP_TYP 0 = _S5 */
	g_assert_true(f.b.exit_requested);
	g_assert_cmpint(f.b.stop_kind, ==, DEV_STOP_POWEROFF);
	g_assert_cmpint(f.b.exit_status, ==, 0);
	dev_bus_free(&f.b);
}

/* Random port, MMIO and MSR traffic to every device of the board, with
 * random time steps and INTA cycles: nothing crashes, deadlines stay in
 * the future, vectors are vectors, and the same seed gives the same run. */
static uint64_t fuzz_run(guint32 seed, unsigned steps)
{
	static const uint16_t ports[] = {0x60, 0x64, 0x70, 0x71, 0xe0, 0xe4, 0xe8, 0x2003, 0x2009,
					 0x200e, 0x510, 0x511, 0xcf8, 0xcf9, 0xcfc, 0xcfe, 0x600,
					 0x602, 0x604, 0x608, 0x21, 0xa1, 0x43, 0x40};
	static const uint64_t mmio[] = {0xfee00020, 0xfee00080, 0xfee000b0, 0xfee000f0,
					0xfee00280, 0xfee00300, 0xfee00320, 0xfee00350,
					0xfee00380, 0xfee00390, 0xfee003e0, 0xfec00000,
					0xfec00010, 0xfec00040, 0xff000000, 0xff00fffc};
	static const uint32_t msrs[] = {0x1b, 0x6e0, 0x802, 0x808, 0x80b, 0x80f, 0x828, 0x830,
					0x832, 0x838, 0x83f, 0x8ff};
	GRand *r = g_rand_new_with_seed(seed);
	uint64_t now = 0, hash = 1469598103934665603ull, v = 0;
	struct fx f;

	fx_init(&f, true);
	for (unsigned i = 0; i < steps; i++) {
		unsigned k = (unsigned)g_rand_int_range(r, 0, 7);
		unsigned sz = 1u << g_rand_int_range(r, 0, 3);
		uint32_t val = g_rand_int(r);
		int vec;

		if (k == 0) {
			uint16_t p = ports[g_rand_int_range(r, 0, G_N_ELEMENTS(ports))];

			if (p == 0x604) /* not S5 every time: keep the machine up */
				val &= ~(1u << 13);
			dev_bus_out(&f.b, p, sz, val);
		} else if (k == 1) {
			v = dev_bus_in(&f.b, ports[g_rand_int_range(r, 0, G_N_ELEMENTS(ports))], sz);
		} else if (k == 2) {
			dev_mem_write(&f.b, mmio[g_rand_int_range(r, 0, G_N_ELEMENTS(mmio))], 4, val);
		} else if (k == 3) {
			v = dev_mem_read(&f.b, mmio[g_rand_int_range(r, 0, G_N_ELEMENTS(mmio))], 4);
		} else if (k == 4) {
			uint32_t m = msrs[g_rand_int_range(r, 0, G_N_ELEMENTS(msrs))];

			if (g_rand_boolean(r))
				v = (uint64_t)dev_bus_wrmsr(&f.b, m, m == 0x1b ? 0xfee00000u | (val & 0xc00)
											: val);
			else
				v = (uint64_t)dev_bus_rdmsr(&f.b, m, &v) ^ v;
		} else if (k == 5) {
			vec = dev_intr_pending(&f.b);
			g_assert_cmpint(vec, >=, -1);
			g_assert_cmpint(vec, <=, 255);
			v = (uint64_t)(vec < 0 ? 0x1ff : dev_intr_ack(&f.b));
			g_assert_cmpuint(v, <=, 0x1ff);
		} else {
			now += (uint64_t)g_rand_int_range(r, 0, 3000000);
			dev_bus_advance(&f.b, now);
			g_assert_cmpuint(f.b.next_deadline, >, now);
		}
		hash = (hash ^ v ^ f.b.next_deadline) * 1099511628211ull;
	}
	g_rand_free(r);
	dev_bus_free(&f.b);
	return hash;
}

static void test_fuzz(void)
{
	unsigned steps = g_test_slow() ? 2000000 : 100000;

	g_assert_cmphex(fuzz_run(7, steps), ==, fuzz_run(7, steps));
	g_assert_cmphex(fuzz_run(7, steps), !=, fuzz_run(8, steps));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pcdev/lapic/reset-state", test_lapic_reset_state);
	g_test_add_func("/pcdev/lapic/priority", test_lapic_priority);
	g_test_add_func("/pcdev/lapic/timer", test_lapic_timer);
	g_test_add_func("/pcdev/lapic/tsc-deadline", test_lapic_tsc_deadline);
	g_test_add_func("/pcdev/lapic/x2apic", test_x2apic);
	g_test_add_func("/pcdev/lapic/extint", test_lapic_extint);
	g_test_add_func("/pcdev/ioapic", test_ioapic);
	g_test_add_func("/pcdev/testdev", test_testdev);
	g_test_add_func("/pcdev/i8042", test_i8042);
	g_test_add_func("/pcdev/pci", test_pci);
	g_test_add_func("/pcdev/acpi", test_acpi);
	g_test_add_func("/pcdev/fuzz", test_fuzz);
	return g_test_run();
}
