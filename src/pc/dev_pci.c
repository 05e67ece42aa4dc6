/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2)
 * with one device behind it: the host bridge at 00:00.0, an Intel 82441FX
 * (i440FX) as QEMU's pc machine has it; nothing else answers.
 *
 * 0xCF8 CONFIG_ADDRESS, 32-bit accesses only: 31 enable, 23:16 bus, 15:11
 * device, 10:8 function, 7:2 register (1:0 read 0). 0xCFC-0xCFF
 * CONFIG_DATA, any width: the register CONFIG_ADDRESS selects, plus the
 * port's low two bits. With the enable bit clear, or for a function that
 * does not exist, reads return all ones and writes go nowhere (master
 * abort). A byte at 0xCF9 is the reset control register of the PIIX
 * south bridge (82371SB data sheet 4.1.2): bit 2 set resets the machine.
 *
 * The host bridge's configuration space (82441FX data sheet): vendor 8086,
 * device 1237, revision 02, class 06/00/00, header type 0, subsystem
 * 1af4:1100 (QEMU's), command 0x0103 as SeaBIOS leaves it under QEMU.
 * Writable: the command register (I/O, memory, bus master, parity, SERR),
 * the latency timer, PAM0-6 (0x59-0x5F) and SMRAM (0x72); PAM and SMRAM
 * are kept but change nothing here: the BIOS area stays a ROM and there is
 * no SMM.
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#define CFG_ENABLE  0x80000000u
#define CFG_AMASK   0x80fffffcu
#define RCR_PORT    0xcf9
#define RCR_RESET   0x04

struct dev_pci {
	struct dev_desc desc[3];
	struct dev_bus *bus;
	uint32_t addr;
	uint8_t rcr;
	uint8_t cfg[256], wmask[256];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The selected function is the host bridge. */
static bool host_selected(const struct dev_pci *p)
{
	return (p->addr & CFG_ENABLE) && !(p->addr & 0x00ffff00u);
}

static uint64_t addr_read(void *dev, uint64_t a, unsigned size)
{
	struct dev_pci *p = dev;

	return size == 4 ? p->addr : (a == RCR_PORT && size == 1) ? p->rcr : UINT32_MAX;
}

static void addr_write(void *dev, uint64_t a, unsigned size, uint64_t val)
{
	struct dev_pci *p = dev;

	if (size == 4) {
		p->addr = (uint32_t)val & CFG_AMASK;
	} else if (a == RCR_PORT && size == 1) {
		p->rcr = (uint8_t)val & 0x0e;
		if (val & RCR_RESET)
			dev_bus_stop(p->bus, DEV_STOP_RESET,
				     "PCI reset control (0xCF9 = %#x): the guest reset the machine",
				     (unsigned)(val & 0xff));
	}
}

static uint64_t data_read(void *dev, uint64_t a, unsigned size)
{
	struct dev_pci *p = dev;
	unsigned off = (p->addr & 0xfc) | (unsigned)(a & 3);
	uint64_t v = 0;

	if (!host_selected(p))
		return size >= 4 ? UINT32_MAX : (UINT32_C(1) << (8 * size)) - 1;
	for (unsigned i = 0; i < size && off + i < 256; i++)
		v |= (uint64_t)p->cfg[off + i] << (8 * i);
	return v;
}

static void data_write(void *dev, uint64_t a, unsigned size, uint64_t val)
{
	struct dev_pci *p = dev;
	unsigned off = (p->addr & 0xfc) | (unsigned)(a & 3);

	if (!host_selected(p))
		return;
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		uint8_t m = p->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		p->cfg[off + i] = (uint8_t)((p->cfg[off + i] & ~m) | (b & m));
	}
}

static void pci_free(void *dev)
{
	g_free(dev);
}

int dev_pci_add(struct dev_bus *b)
{
	struct dev_pci *p = g_new0(struct dev_pci, 1);
	int rc;

	p->bus = b;
	put16(&p->cfg[0x00], 0x8086);
	put16(&p->cfg[0x02], 0x1237);
	put16(&p->cfg[0x04], 0x0103);
	p->cfg[0x08] = 0x02;
	p->cfg[0x0b] = 0x06; /* class: bridge, subclass 0: host bridge */
	put16(&p->cfg[0x2c], 0x1af4);
	put16(&p->cfg[0x2e], 0x1100);
	put16(&p->wmask[0x04], 0x0147);
	p->wmask[0x0d] = 0xff;
	memset(&p->wmask[0x59], 0xff, 7);
	p->wmask[0x72] = 0xff;
	p->desc[0] = (struct dev_desc){.name = "pci-config-address", .space = DEV_PIO,
				       .width = 4, .base = 0xcf8, .len = 4, .read = addr_read,
				       .write = addr_write, .free = pci_free};
	p->desc[1] = (struct dev_desc){.name = "pci-config-data", .space = DEV_PIO, .width = 4,
				       .base = 0xcfc, .len = 4, .read = data_read,
				       .write = data_write};
	rc = dev_bus_add(b, &p->desc[0], p);
	if (rc) {
		g_free(p);
		return rc;
	}
	return dev_bus_add(b, &p->desc[1], p);
}
