/*
 * acpi: the ACPI tables and fixed hardware an OS finds (ACPI 2.0), the way
 * Linux finds them, and the S5 power-off that ends the run.
 *
 * Checks: the RSDP in 0xE0000-0xFFFFF with a valid checksum (and extended
 * checksum from revision 2); the RSDT or XSDT and every table it lists
 * checksum to 0; the FADT (its PM1a event/control and PM timer ports and
 * SCI, printed), its DSDT and FACS; the DSDT's _S5 package (the AML is
 * parsed by hand: NameOp "_S5_" PackageOp PkgLength NumElements, then the
 * first element, Zero/One/BytePrefix); the MADT (local APIC address, one
 * processor per fw_cfg's CPU count, the I/O APIC, the IRQ 0 -> GSI 2 and
 * SCI overrides); ACPI mode (SMI_CMD/ACPI_ENABLE if SCI_EN is clear); the
 * PM timer counts. Then SUMMARY, and on success S5: SLP_TYPa from _S5
 * with SLP_EN to PM1a_CNT. The emulator powers off: exit status 0 (QEMU
 * and tdpsim alike). A failure exits through isa-debug-exit with 1.
 *
 * Options: reset=kbd|pci|triple instead asks for a machine reset (i8042
 * command 0xFE, 6 to the reset control register 0xCF9, or a triple fault:
 * an empty IDT and INT3; SDM Vol. 3A 6.15, "Interrupt 8": a fault while
 * delivering #DF shuts the processor down, and a PC's chipset turns the
 * shutdown cycle into a reset) after writing a mark in
 * CMOS NVRAM byte 0x50; a boot that finds the mark clears it, says so, and
 * goes on with the checks (a reset keeps NVRAM, as on a PC).
 */
#include "pc.h"

#define SCI_EN	0x0001
#define SLP_EN	0x2000
#define NV_MARK 0x50
#define MARK	0xa5

static uint32_t u32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static bool sig(const uint8_t *t, const char *s)
{
	return t[0] == s[0] && t[1] == s[1] && t[2] == s[2] && t[3] == s[3];
}

static const uint8_t *find_rsdp(void)
{
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)a;

		if (sig(p, "RSD ") && sig(p + 4, "PTR ") && sum(p, 20) == 0)
			return p;
	}
	return NULL;
}

static const uint8_t *fadt, *madt;

static bool walk_tables(const uint8_t *rsdp)
{
	bool x = rsdp[15] >= 2 && u32(rsdp + 24);
	const uint8_t *root = (const uint8_t *)(uintptr_t)(x ? u32(rsdp + 24) : u32(rsdp + 16));
	unsigned step = x ? 8 : 4;
	bool ok = sig(root, x ? "XSDT" : "RSDT") && sum(root, u32(root + 4)) == 0;

	for (uint32_t off = 36; ok && off + step <= u32(root + 4); off += step) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)u32(root + off);

		if (sum(t, u32(t + 4)) != 0) {
			con_printf("FAIL acpi-table-checksum: %c%c%c%c\n", t[0], t[1], t[2], t[3]);
			ok = false;
		}
		if (sig(t, "FACP"))
			fadt = t;
		else if (sig(t, "APIC"))
			madt = t;
	}
	return ok;
}

/* _S5's first element (SLP_TYPa), or -1. */
static int s5_type(const uint8_t *dsdt)
{
	uint32_t len = u32(dsdt + 4);

	for (uint32_t i = 36; i + 8 < len; i++) {
		const uint8_t *p = dsdt + i;

		if (!(p[0] == '_' && p[1] == 'S' && p[2] == '5' && p[3] == '_' && p[4] == 0x12))
			continue;
		p += 5 + 1 + ((p[5] >> 6) & 3); /* PkgLength: 1 + its extra bytes */
		p++;			       /* NumElements */
		if (p[0] == 0x0a)
			return p[1];
		if (p[0] == 0x00 || p[0] == 0x01)
			return p[0];
		return -1;
	}
	return -1;
}

static void check_fadt(int *slp)
{
	const uint8_t *dsdt, *facs;

	con_printf("fadt: pm1a_evt %x pm1a_cnt %x pm_tmr %x sci %u\n", u32(fadt + 56),
		   u32(fadt + 64), u32(fadt + 76), fadt[46] | fadt[47] << 8);
	pc_check(u32(fadt + 64) && fadt[89] >= 2, "acpi-fadt-pm1a-cnt", "PM1a_CNT %x len %u",
		 u32(fadt + 64), fadt[89]);
	dsdt = (const uint8_t *)(uintptr_t)u32(fadt + 40);
	facs = (const uint8_t *)(uintptr_t)u32(fadt + 36);
	pc_check(sig(dsdt, "DSDT") && sum(dsdt, u32(dsdt + 4)) == 0, "acpi-dsdt", "bad DSDT");
	pc_check(sig(facs, "FACS") && u32(facs + 4) >= 64, "acpi-facs", "bad FACS");
	*slp = s5_type(dsdt);
	con_printf("dsdt: _S5 SLP_TYPa %d\n", *slp);
	pc_check(*slp >= 0 && *slp < 8, "acpi-dsdt-s5", "no _S5 package");
}

static void check_madt(void)
{
	unsigned cpus = 0, n0 = 0;
	uint32_t io_addr = 0, sci_flags = 0xffff, sci = fadt[46];
	int io_id = -1, irq0_gsi = -1, sci_gsi = -1;

	for (uint32_t off = 44; off + 2 <= u32(madt + 4) && madt[off + 1]; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		if (e[0] == 0 && (u32(e + 4) & 1))
			cpus++;
		else if (e[0] == 1 && io_id < 0)
			io_id = e[2], io_addr = u32(e + 4), n0 = u32(e + 8);
		else if (e[0] == 2 && e[3] == 0)
			irq0_gsi = (int)u32(e + 4);
		else if (e[0] == 2 && e[3] == sci)
			sci_gsi = (int)u32(e + 4), sci_flags = e[8] | e[9] << 8;
	}
	con_printf("madt: lapic %x, %u processor(s), ioapic %d at %x gsi %u, irq 0 -> gsi %d, "
		   "sci -> gsi %d flags %04x\n",
		   u32(madt + 36), cpus, io_id, io_addr, n0, irq0_gsi, sci_gsi, sci_flags);
	pc_check(u32(madt + 36) == 0xfee00000u, "acpi-madt-lapic", "%x", u32(madt + 36));
	pc_check(cpus == pc_ncpus, "acpi-madt-cpus", "%u, fw_cfg says %u", cpus, pc_ncpus);
	pc_check(io_id >= 0 && io_addr == 0xfec00000u, "acpi-madt-ioapic", "%x", io_addr);
	pc_check(irq0_gsi == 2, "acpi-madt-irq0-override", "GSI %d", irq0_gsi);
}

static void acpi_mode_on(void)
{
	uint16_t cnt = (uint16_t)u32(fadt + 64);
	uint32_t smi = u32(fadt + 48);

	if (!(inw(cnt) & SCI_EN) && smi && fadt[52]) {
		outb((uint16_t)smi, fadt[52]); /* ACPI_ENABLE */
		for (unsigned i = 0; i < 1000000 && !(inw(cnt) & SCI_EN); i++)
			;
	}
	pc_check(inw(cnt) & SCI_EN, "acpi-mode", "SCI_EN clear");
}

static void check_pm_timer(void)
{
	uint16_t port = (uint16_t)u32(fadt + 76);
	uint32_t a = inl(port), b;
	unsigned spins = 0;

	do
		b = inl(port);
	while (b == a && ++spins < 10000000);
	pc_check(b != a && a < (1u << 24) && b < (1u << 24), "acpi-pm-timer", "%x then %x", a, b);
}

static void maybe_reset(void)
{
	if (cmos_read(NV_MARK) == MARK) {
		cmos_write(NV_MARK, 0);
		con_printf("after the reset\n");
		return;
	}
	if (opt_is("reset", "kbd")) {
		cmos_write(NV_MARK, MARK);
		con_printf("reset through the 8042\n");
		outb(0x64, 0xfe);
	} else if (opt_is("reset", "pci")) {
		cmos_write(NV_MARK, MARK);
		con_printf("reset through 0xcf9\n");
		outb(0xcf9, 0x06);
	} else if (opt_is("reset", "triple")) {
		static const struct {
			uint16_t limit;
			uint32_t base;
		} __attribute__((packed)) none = {0, 0};

		cmos_write(NV_MARK, MARK);
		con_printf("reset through a triple fault\n");
		__asm__ volatile("lidt %0; int3" : : "m"(none));
	} else {
		return;
	}
	/* The reset comes asynchronously in QEMU: wait for it halted (a
	 * machine that does not reset hangs here, or tdpsim stops on a halt
	 * with interrupts off). */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void test_main(void)
{
	const uint8_t *rsdp;
	int slp = -1;
	uint16_t pm_tmr;

	maybe_reset();
	rsdp = find_rsdp();
	pc_check(rsdp != NULL, "acpi-rsdp", "no RSDP in 0xE0000-0xFFFFF");
	if (!rsdp)
		return;
	pc_check(rsdp[15] < 2 || sum(rsdp, u32(rsdp + 20)) == 0, "acpi-rsdp-extended-checksum",
		 "bad");
	pc_check(walk_tables(rsdp) && fadt && madt, "acpi-tables", "RSDT/XSDT, FACP or APIC bad");
	if (!fadt || !madt)
		return;
	check_fadt(&slp);
	check_madt();
	acpi_mode_on();
	check_pm_timer();
	if (!pc_summary() || slp < 0)
		guest_exit(1);
	pm_tmr = (uint16_t)u32(fadt + 76);
	con_printf("S5: power off\n");
	outw((uint16_t)u32(fadt + 64), (uint16_t)(slp << 10 | SLP_EN));
	/* QEMU's main loop acts on the request a moment later: give it three
	 * seconds of PM-timer time (tdpsim stops at the write itself). */
	for (uint32_t waited = 0, last = inl(pm_tmr), now; waited < 3 * 3579545u; last = now) {
		now = inl(pm_tmr);
		waited += (now - last) & 0xffffff;
	}
	con_printf("FAIL acpi-s5: still running\n");
	guest_exit(1);
}
