/*
 * The PC: its guest-physical layout, which devices, at which ports, on
 * which IRQ lines; and port 0x80, the POST-code port that kernels also
 * write for a short I/O delay (Linux's outb_p). Writes there are swallowed
 * (the last code is kept in bus->post_code); reads return all ones, as
 * QEMU's ioport80.
 *
 * Layout (QEMU 7.2, hw/i386/pc_piix.c and pc.c):
 *   [0, 0xA0000)          RAM (conventional memory)
 *   [0xA0000, 0xC0000)    the VGA window: no VGA here, so unassigned
 *   [0xC0000, 0xF0000)    RAM (the shadow RAM SeaBIOS leaves writable)
 *   [0xF0000, 0x100000)   the BIOS area: a ROM (firmware tables live here;
 *                         SeaBIOS write-protects it through the PAM)
 *   [1 MiB, low)          RAM; low = all of it up to 3.5 GiB, else 3 GiB
 *   [low, 4 GiB)          the PCI hole: MMIO (local APIC, I/O APIC, ...)
 *   [4 GiB, 4 GiB + rest) RAM above 4 GiB
 *   everything else       unassigned
 * Unassigned space reads 0 and drops writes, as QEMU 7.2's pc machine does
 * (unassigned_mem_ops; a real chipset's master abort returns all ones):
 * tdpsim's oracle for what a guest sees is QEMU, and guests written for
 * QEMU, which probe memory, expect its answer.
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

static uint64_t port80_in(void *dev, uint64_t port, unsigned size)
{
	return 0xff;
}

static void port80_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_bus *b = dev;

	b->post_code = (uint8_t)val;
}

static const struct dev_desc port80_desc = {
    .name = "port80",
    .base = 0x80,
    .len = 1,
    .read = port80_in,
    .write = port80_out,
};

int dev_port80_add(struct dev_bus *b)
{
	return dev_bus_add(b, &port80_desc, b);
}

int dev_pc_ram_layout(struct cpu_ram *ram, uint64_t mem_bytes)
{
	uint64_t low = mem_bytes, high = 0;
	int rc;

	*ram = (struct cpu_ram){0};
	if (mem_bytes <= DEV_PC_BIOS_HI || (mem_bytes & 0xfff))
		return -EINVAL;
	if (mem_bytes >= DEV_PC_LOWMEM_SPLIT) {
		low = DEV_PC_LOWMEM_GB;
		high = mem_bytes - low;
	}
	ram->size = high ? DEV_PC_HIGH_RAM + high : low;
	if ((rc = cpu_ram_add_hole(ram, DEV_PC_VGA_LO, DEV_PC_VGA_HI)) ||
	    (rc = cpu_ram_add_hole(ram, DEV_PC_BIOS_LO, DEV_PC_BIOS_HI)) ||
	    (high && (rc = cpu_ram_add_hole(ram, low, DEV_PC_HIGH_RAM))))
		return rc;
	return 0;
}

int dev_pc_ram_init(struct cpu_ram *ram, uint64_t mem_bytes)
{
	struct cpu_ram l;
	int rc = dev_pc_ram_layout(&l, mem_bytes);

	if (rc)
		return rc;
	rc = cpu_ram_init(ram, l.size);
	if (rc)
		return rc;
	ram->nholes = l.nholes;
	memcpy(ram->hole, l.hole, sizeof(l.hole));
	return 0;
}

int dev_pc_init(struct dev_bus *b, const struct dev_pc_cfg *cfg)
{
	uint8_t *bios;
	int rc;

	b->ram = cfg->ram;
	if ((rc = dev_mem_add_rom(b, "bios", DEV_PC_BIOS_LO, DEV_PC_BIOS_HI - DEV_PC_BIOS_LO,
				  &bios)))
		return rc;
	/* The PIC first: it is the CPU's interrupt controller. */
	if ((rc = dev_pic_add(b)))
		return rc;
	/* The local APIC takes the CPU's INTR and asks the PIC through LINT0;
	 * the I/O APIC delivers to it. */
	if ((rc = dev_lapic_add(b, cfg)) || (rc = dev_ioapic_add(b)))
		return rc;
	if ((rc = dev_pit_add(b)))
		return rc;
	if ((rc = dev_uart_add(b, 0x3f8, 4))) /* COM1 */
		return rc;
	if ((rc = dev_debugexit_add(b, 0xf4)))
		return rc;
	if ((rc = dev_rtc_add(b, cfg)))
		return rc;
	if ((rc = dev_fwcfg_add(b, cfg)))
		return rc;
	if ((rc = dev_testdev_add(b)) || (rc = dev_i8042_add(b)) || (rc = dev_pci_add(b)) ||
	    (rc = dev_acpi_add(b)))
		return rc;
	return dev_port80_add(b);
}
