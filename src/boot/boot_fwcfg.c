/*
 * What the boot path tells fw_cfg about the kernel, as QEMU's -kernel path
 * does (hw/i386/multiboot.c and x86.c): a firmware or an option ROM reads
 * these items to load the kernel itself, and a guest can read them back.
 *
 * Multiboot (QEMU's multiboot.c): KERNEL_ADDR = where the image is loaded,
 * KERNEL_ENTRY = its entry, KERNEL_SIZE/KERNEL_DATA = the image as loaded
 * (bss included); INITRD_ADDR = the Multiboot information structure,
 * INITRD_SIZE/INITRD_DATA = its 88 bytes (Multiboot spec 3.3). The command
 * line travels inside the information structure, so the command-line items
 * stay empty, as in QEMU.
 * A 64-bit ELF: the same kernel items, and CMDLINE_ADDR/SIZE/DATA = the
 * command line the loader placed (NUL included).
 */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "cpu/cpu.h"

#define MB_INFO_SIZE 88u /* struct multiboot_info, Multiboot spec 3.3 */

static int set_ram(struct dev_fwcfg *f, const struct cpu_ram *ram, uint16_t key, uint64_t pa,
		   uint64_t len)
{
	void *buf;
	int rc;

	if (len > ram->size || pa > ram->size - len)
		return -ERANGE;
	buf = g_malloc(len ? len : 1);
	rc = cpu_ram_read(ram, pa, buf, len);
	if (!rc)
		rc = dev_fwcfg_set(f, key, buf, len);
	g_free(buf);
	return rc;
}

int cpu_boot_fwcfg(struct dev_fwcfg *f, const struct cpu_ram *ram, const struct cpu_boot *b)
{
	uint64_t size = b->image_hi - b->image_lo;
	int rc;

	if (!f)
		return 0;
	dev_fwcfg_set_le(f, DEV_FWCFG_KERNEL_ADDR, b->image_lo, 4);
	dev_fwcfg_set_le(f, DEV_FWCFG_KERNEL_ENTRY, b->entry, 4);
	dev_fwcfg_set_le(f, DEV_FWCFG_KERNEL_SIZE, size, 4);
	rc = set_ram(f, ram, DEV_FWCFG_KERNEL_DATA, b->image_lo, size);
	if (rc)
		return rc;
	if (b->kind == CPU_BOOT_MULTIBOOT) {
		dev_fwcfg_set_le(f, DEV_FWCFG_INITRD_ADDR, b->ebx, 4);
		dev_fwcfg_set_le(f, DEV_FWCFG_INITRD_SIZE, MB_INFO_SIZE, 4);
		return set_ram(f, ram, DEV_FWCFG_INITRD_DATA, b->ebx, MB_INFO_SIZE);
	}
	if (b->initrd_hi > b->initrd_lo) {
		dev_fwcfg_set_le(f, DEV_FWCFG_INITRD_ADDR, b->initrd_lo, 4);
		dev_fwcfg_set_le(f, DEV_FWCFG_INITRD_SIZE, b->initrd_hi - b->initrd_lo, 4);
		rc = set_ram(f, ram, DEV_FWCFG_INITRD_DATA, b->initrd_lo,
			     b->initrd_hi - b->initrd_lo);
		if (rc)
			return rc;
	}
	uint64_t cmd = b->cmdline_pa ? b->cmdline_pa : b->rdi;
	for (uint64_t n = 0; cmd + n < ram->size; n++) {
		uint8_t ch;

		if (cpu_ram_read(ram, cmd + n, &ch, 1))
			break;
		if (!ch) {
			dev_fwcfg_set_le(f, DEV_FWCFG_CMDLINE_ADDR, cmd, 4);
			dev_fwcfg_set_le(f, DEV_FWCFG_CMDLINE_SIZE, n + 1, 4);
			return set_ram(f, ram, DEV_FWCFG_CMDLINE_DATA, cmd, n + 1);
		}
	}
	return 0;
}
