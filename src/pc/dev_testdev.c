/*
 * QEMU's pc-testdev (hw/misc/pc-testdev.c), the device kvm-unit-tests
 * drive: 
 *   port 0xE0-0xE3: a 32-bit register, read and written at any width and
 *     offset (byte lanes, little-endian);
 *   port 0xE4-0xE7: "flush page": a 32-bit write of a guest-physical
 *     address makes QEMU drop the host's mapping of that page; tdpsim's
 *     guest RAM has no host mapping to drop, so the write is only counted;
 *   port 0xE8-0xEB: the same register as 0xE0, byte by byte;
 *   port 0x2000-0x2017: a byte write sets ISA/GSI line n (0 low, else
 *     high) through the board's interrupt routing;
 *   MMIO 0xFF000000-0xFF00FFFF: 64 KiB that read back what was written,
 *     at any width (RAM-like, but MMIO: every access goes through here).
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#define TESTDEV_MEM_BASE UINT64_C(0xff000000)
#define TESTDEV_MEM_LEN	 0x10000u
#define TESTDEV_IRQ_BASE 0x2000
#define TESTDEV_IRQS	 24

struct dev_testdev {
	struct dev_desc desc[4], mem_desc;
	struct dev_bus *bus;
	uint32_t reg;
	uint64_t flushes;
	uint8_t mem[TESTDEV_MEM_LEN];
};

static uint64_t lane_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

static uint64_t reg_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_testdev *t = dev;
	unsigned sh = 8 * (unsigned)(addr & 3);

	return (t->reg >> sh) & lane_mask(size);
}

static void reg_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_testdev *t = dev;
	unsigned sh = 8 * (unsigned)(addr & 3);
	uint32_t m = (uint32_t)(lane_mask(size) << sh);

	t->reg = (t->reg & ~m) | ((uint32_t)(val << sh) & m);
}

static void flush_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_testdev *t = dev;

	t->flushes++;
}

static void irq_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_testdev *t = dev;

	dev_irq_line(t->bus, (unsigned)(addr - TESTDEV_IRQ_BASE), val != 0);
}

static uint64_t mem_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_testdev *t = dev;
	uint64_t off = addr - TESTDEV_MEM_BASE, v = 0;

	if (off + size <= TESTDEV_MEM_LEN)
		memcpy(&v, &t->mem[off], size);
	return v;
}

static void mem_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_testdev *t = dev;

	uint64_t off = addr - TESTDEV_MEM_BASE;

	if (off + size <= TESTDEV_MEM_LEN)
		memcpy(&t->mem[off], &val, size);
}

static void testdev_free(void *dev)
{
	g_free(dev);
}

int dev_testdev_add(struct dev_bus *b)
{
	struct dev_testdev *t = g_new0(struct dev_testdev, 1);
	int rc;

	t->bus = b;
	t->desc[0] = (struct dev_desc){.name = "pc-testdev-ioport", .space = DEV_PIO, .width = 4,
				       .base = 0xe0, .len = 4, .read = reg_read,
				       .write = reg_write, .free = testdev_free};
	t->desc[1] = (struct dev_desc){.name = "pc-testdev-flush-page", .space = DEV_PIO,
				       .width = 4, .base = 0xe4, .len = 4, .write = flush_write};
	t->desc[2] = (struct dev_desc){.name = "pc-testdev-ioport-byte", .space = DEV_PIO,
				       .width = 1, .base = 0xe8, .len = 4, .read = reg_read,
				       .write = reg_write};
	t->desc[3] = (struct dev_desc){.name = "pc-testdev-irq-line", .space = DEV_PIO,
				       .width = 1, .base = TESTDEV_IRQ_BASE, .len = TESTDEV_IRQS,
				       .write = irq_write};
	rc = dev_bus_add(b, &t->desc[0], t);
	if (rc) {
		g_free(t);
		return rc;
	}
	for (unsigned i = 1; i < 4; i++)
		if ((rc = dev_bus_add(b, &t->desc[i], t)))
			return rc; /* the first entry frees @t with the bus */
	t->mem_desc = (struct dev_desc){.name = "pc-testdev-iomem", .space = DEV_MMIO,
					.width = 8, .base = TESTDEV_MEM_BASE,
					.len = TESTDEV_MEM_LEN, .read = mem_read,
					.write = mem_write};
	return dev_bus_add(b, &t->mem_desc, t);
}
