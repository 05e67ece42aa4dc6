/*
 * The ACPI fixed hardware the FADT describes (acpi.h; ACPI 2.0 section
 * 4.7.3, "fixed hardware registers"), at QEMU's PIIX4 ports:
 *
 *   PM1_STS 0x600 (16-bit, write 1 to clear): 0 TMR_STS (the timer's bit
 *     23 changed), 15 WAK_STS;  PM1_EN 0x602: 0 TMR_EN;
 *   PM1_CNT 0x604 (16-bit): 0 SCI_EN (reads 1: the FADT names no SMI
 *     command port, so the machine is always in ACPI mode), 12:10
 *     SLP_TYP, 13 SLP_EN (write-only): SLP_EN with the SLP_TYP of _S5
 *     powers the machine off (dev_bus_stop DEV_STOP_POWEROFF, exit status
 *     0, as QEMU's exit on a guest shutdown); the DSDT names no other sleep
 *     state, and SLP_EN with another type does nothing;
 *   PM_TMR 0x608 (32-bit read): a 24-bit counter at 3.579545 MHz on
 *     virtual time (ACPI 4.7.3.3).
 * SCI (IRQ 9, level) is asserted while TMR_STS and TMR_EN are both set.
 */
#include "acpi.h"
#include "dev.h"

#include <errno.h>

#include <glib.h>

#define PM_TMR_HZ   3579545ull
#define PM_TMR_BITS 24
#define STS_TMR	    0x0001
#define STS_WAK	    0x8000
#define EN_TMR	    0x0001
#define CNT_SCI_EN  0x0001
#define CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define CNT_SLP_EN  0x2000
#define CNT_WMASK   0x1c06 /* BM_RLD, GBL_RLS, SLP_TYP */

struct dev_acpi_pm {
	struct dev_desc desc[3];
	struct dev_bus *bus;
	uint16_t sts, en, cnt;
	uint64_t tmr_seen; /* timer ticks up to which TMR_STS is brought */
	bool sci;
};

static uint64_t ticks(uint64_t now)
{
	return (uint64_t)((unsigned __int128)now * PM_TMR_HZ / DEV_INSNS_PER_SEC);
}

/* The first virtual time at which tick @n has happened. */
static uint64_t tick_time(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)n * DEV_INSNS_PER_SEC + PM_TMR_HZ - 1) / PM_TMR_HZ);
}

/* TMR_STS: bit 23 of the count changed since it was last brought up. */
static void catch_up(struct dev_acpi_pm *p)
{
	uint64_t t = ticks(p->bus->now);

	if ((t >> (PM_TMR_BITS - 1)) != (p->tmr_seen >> (PM_TMR_BITS - 1)))
		p->sts |= STS_TMR;
	p->tmr_seen = t;
	if ((bool)(p->sts & p->en & EN_TMR) != p->sci)
		dev_irq_line(p->bus, ACPI_SCI_IRQ, p->sci = !p->sci);
}

static uint64_t pm_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_acpi_pm *p = dev;
	uint32_t v;

	catch_up(p);
	switch (addr & ~(uint64_t)1) {
	case ACPI_PM1A_EVT: v = p->sts | (uint32_t)p->en << 16; break;
	case ACPI_PM1A_EVT + 2: v = p->en; break;
	case ACPI_PM1A_CNT: v = p->cnt | CNT_SCI_EN; break;
	default: v = (uint32_t)ticks(p->bus->now) & ((1u << PM_TMR_BITS) - 1); break;
	}
	return size >= 4 ? v : (v >> (8 * (addr & 1))) & ((1u << (8 * size)) - 1);
}

static void pm_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_acpi_pm *p = dev;

	catch_up(p);
	if (addr == ACPI_PM1A_EVT) {
		p->sts &= (uint16_t)~val; /* write 1 to clear */
		if (size == 4)
			p->en = (uint16_t)(val >> 16) & EN_TMR;
	} else if (addr == ACPI_PM1A_EVT + 2) {
		p->en = (uint16_t)val & EN_TMR;
	} else if (addr == ACPI_PM1A_CNT) {
		p->cnt = (uint16_t)val & CNT_WMASK;
		if ((val & CNT_SLP_EN) && CNT_SLP_TYP(val) == ACPI_S5_SLP_TYP)
			dev_bus_stop(p->bus, DEV_STOP_POWEROFF, "ACPI: the guest entered S5 "
				     "(PM1a_CNT = %#x): power off", (unsigned)(val & 0xffff));
	}
	catch_up(p);
}

/* The next change of bit 23, while it would raise the SCI. */
static uint64_t pm_advance(void *dev, uint64_t now)
{
	struct dev_acpi_pm *p = dev;
	uint64_t half = UINT64_C(1) << (PM_TMR_BITS - 1);

	catch_up(p);
	if (!(p->en & EN_TMR) || (p->sts & STS_TMR))
		return UINT64_MAX;
	return tick_time((ticks(now) / half + 1) * half);
}

static void pm_free(void *dev)
{
	g_free(dev);
}

int dev_acpi_add(struct dev_bus *b)
{
	struct dev_acpi_pm *p = g_new0(struct dev_acpi_pm, 1);
	struct dev_rom *rom = dev_mem_rom(b, DEV_PC_BIOS_LO);
	int rc;

	p->bus = b;
	p->desc[0] = (struct dev_desc){.name = "acpi-pm1-evt", .space = DEV_PIO, .width = 4,
				       .base = ACPI_PM1A_EVT, .len = 4, .read = pm_read,
				       .write = pm_write, .advance = pm_advance, .free = pm_free};
	p->desc[1] = (struct dev_desc){.name = "acpi-pm1-cnt", .space = DEV_PIO, .width = 2,
				       .base = ACPI_PM1A_CNT, .len = 2, .read = pm_read,
				       .write = pm_write};
	p->desc[2] = (struct dev_desc){.name = "acpi-pm-tmr", .space = DEV_PIO, .width = 4,
				       .base = ACPI_PM_TMR, .len = 4, .read = pm_read};
	rc = dev_bus_add(b, &p->desc[0], p);
	if (rc) {
		g_free(p);
		return rc;
	}
	if ((rc = dev_bus_add(b, &p->desc[1], p)) || (rc = dev_bus_add(b, &p->desc[2], p)))
		return rc;
	/* The tables go at the start of the BIOS ROM, where the RSDP search
	 * begins. */
	if (!rom || rom->base != DEV_PC_BIOS_LO)
		return -ENODEV;
	return acpi_build(rom->bytes, rom->len, rom->base) ? -ENOSPC : 0;
}
