/*
 * The ACPI tables of the PC (ACPI 2.0 layouts, the ones every OS since
 * reads), written into the BIOS-area ROM where an OS looks for the RSDP
 * (ACPI 5.2.5.1: on a 16-byte boundary in 0xE0000-0xFFFFF):
 *
 *   +0x000 RSDP rev 2: RSDT and XSDT addresses, both checksums
 *   +0x040 RSDT -> FADT, MADT;  +0x080 XSDT -> the same, 64-bit
 *   +0x100 FADT rev 3 (244 bytes): FACS, DSDT, SCI on IRQ 9, SMI_CMD 0 (no
 *          SMM, so ACPI mode is always on: SCI_EN reads 1), PM1a event
 *          block 0x600 (4 bytes), PM1a control 0x604 (2), PM timer 0x608
 *          (4, 24-bit), no GPE block; the century at CMOS 0x32; IA-PC
 *          boot flags: legacy devices, 8042; flags WBINVD, PROC_C1,
 *          PWR_BUTTON and SLP_BUTTON (no buttons), RESET_REG_SUP with the
 *          reset register = I/O byte 0xCF9, value 6 (dev_pci.c)
 *   +0x200 FACS (64-byte aligned, version 1; in ROM, so the OS cannot take
 *          the global lock or set a waking vector: no sleep state but S5)
 *   +0x240 MADT: local APIC at 0xFEE00000, PCAT_COMPAT; processor 0 (APIC
 *          ID 0, enabled); I/O APIC 0 at 0xFEC00000, GSI base 0; source
 *          overrides ISA IRQ 0 -> GSI 2 (bus default polarity and trigger)
 *          and IRQ 9 -> GSI 9 active high, level (the SCI); NMI on LINT1
 *          of every processor
 *   +0x300 DSDT rev 1 whose AML is one object, written by hand:
 *            08             NameOp
 *            5F 53 35 5F    NameString "_S5_"
 *            12 06 04       PackageOp, PkgLength 6, NumElements 4
 *            00 00 00 00    Zero (SLP_TYPa), Zero (SLP_TYPb), 2 reserved
 *          i.e. Name (_S5, Package (4) { 0, 0, 0, 0 }), QEMU's own _S5:
 *          writing SLP_TYP 0 with SLP_EN to PM1a_CNT powers off.
 * The OEM ID is "TDPSIM", the creator "TDPS".
 */
#include "acpi.h"

#include <string.h>

#define OFF_RSDP 0x000
#define OFF_RSDT 0x040
#define OFF_XSDT 0x080
#define OFF_FADT 0x100
#define OFF_FACS 0x200
#define OFF_MADT 0x240
#define OFF_DSDT 0x300
#define HDR	 36 /* the common table header (ACPI 5.2.6) */

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The common header; the checksum is fixed once the table is complete. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, "TDPSIM", 6);
	memcpy(t + 16, "TDPSIM  ", 8);
	le(t + 24, 1, 4);	 /* OEM revision */
	memcpy(t + 28, "TDPS", 4); /* creator ID */
	le(t + 32, 1, 4);	 /* creator revision */
}

static void finish(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
		       (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = (uint8_t)-sum(t, len);
}

/* A generic address structure (ACPI 5.2.3.1) for an I/O port block. */
static void gas_io(uint8_t *g, uint16_t port, unsigned bytes)
{
	g[0] = 1; /* system I/O */
	g[1] = (uint8_t)(8 * bytes);
	g[2] = 0;
	g[3] = (uint8_t)(bytes == 1 ? 1 : bytes == 2 ? 2 : 3); /* access size */
	le(g + 4, port, 8);
}

static void fadt(uint8_t *t, uint64_t base)
{
	header(t, "FACP", 244, 3);
	le(t + 36, base + OFF_FACS, 4);
	le(t + 40, base + OFF_DSDT, 4);
	le(t + 46, ACPI_SCI_IRQ, 2);
	le(t + 56, ACPI_PM1A_EVT, 4);
	le(t + 64, ACPI_PM1A_CNT, 4);
	le(t + 76, ACPI_PM_TMR, 4);
	t[88] = 4; /* PM1_EVT_LEN */
	t[89] = 2; /* PM1_CNT_LEN */
	t[91] = 4; /* PM_TMR_LEN */
	le(t + 96, 0x0fff, 2);  /* P_LVL2_LAT > 100: no C2 */
	le(t + 98, 0x0fff, 2);  /* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;		/* CENTURY: the CMOS byte */
	le(t + 109, 0x0003, 2); /* IAPC_BOOT_ARCH: LEGACY_DEVICES, 8042 */
	le(t + 112, ACPI_FADT_FLAGS, 4);
	gas_io(t + 116, ACPI_RESET_PORT, 1);
	t[128] = ACPI_RESET_VALUE;
	le(t + 132, base + OFF_FACS, 8);
	le(t + 140, base + OFF_DSDT, 8);
	gas_io(t + 148, ACPI_PM1A_EVT, 4);
	gas_io(t + 172, ACPI_PM1A_CNT, 2);
	gas_io(t + 208, ACPI_PM_TMR, 4);
	finish(t);
}

static void madt(uint8_t *t)
{
	static const uint8_t entries[] = {
	    0, 8, 0, 0, 1, 0, 0, 0,		     /* processor 0, APIC ID 0, enabled */
	    1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0, /* I/O APIC 0 */
	    2, 10, 0, 0, 2, 0, 0, 0, 0, 0,	     /* ISA IRQ 0 -> GSI 2 */
	    2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0,	     /* IRQ 9 -> GSI 9, high, level */
	    4, 6, 0xff, 0, 0, 1,		     /* NMI on LINT1, all processors */
	};
	uint32_t len = HDR + 8 + sizeof(entries);

	header(t, "APIC", len, 1);
	le(t + 36, 0xfee00000u, 4);
	le(t + 40, 1, 4); /* PCAT_COMPAT: there are 8259s too */
	memcpy(t + 44, entries, sizeof(entries));
	finish(t);
}

static void dsdt(uint8_t *t)
{
	static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0};

	header(t, "DSDT", HDR + sizeof(aml), 1);
	memcpy(t + HDR, aml, sizeof(aml));
	finish(t);
}

static void facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	le(t + 4, 64, 4);
	t[32] = 1; /* version */
}

static void rsdt_xsdt(uint8_t *rom, uint64_t base)
{
	uint8_t *r = rom + OFF_RSDT, *x = rom + OFF_XSDT;

	header(r, "RSDT", HDR + 2 * 4, 1);
	le(r + HDR, base + OFF_FADT, 4);
	le(r + HDR + 4, base + OFF_MADT, 4);
	finish(r);
	header(x, "XSDT", HDR + 2 * 8, 1);
	le(x + HDR, base + OFF_FADT, 8);
	le(x + HDR + 8, base + OFF_MADT, 8);
	finish(x);
}

static void rsdp(uint8_t *p, uint64_t base)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "TDPSIM", 6);
	p[15] = 2; /* revision: ACPI 2.0 and later */
	le(p + 16, base + OFF_RSDT, 4);
	le(p + 20, 36, 4);
	le(p + 24, base + OFF_XSDT, 8);
	p[8] = (uint8_t)-sum(p, 20);
	p[32] = (uint8_t)-sum(p, 36);
}

int acpi_build(uint8_t *rom, size_t len, uint64_t base)
{
	if (len < ACPI_TABLES_SIZE || (base & 0x3f))
		return -1;
	memset(rom, 0, ACPI_TABLES_SIZE);
	fadt(rom + OFF_FADT, base);
	facs(rom + OFF_FACS);
	madt(rom + OFF_MADT);
	dsdt(rom + OFF_DSDT);
	rsdt_xsdt(rom, base);
	rsdp(rom + OFF_RSDP, base);
	return 0;
}
