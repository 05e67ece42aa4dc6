/*
 * fwcfg: QEMU's fw_cfg device through its traditional I/O interface
 * (QEMU docs/specs/fw_cfg.rst; selector 0x510, data 0x511).
 *
 * Checks: the "QEMU" signature and the traditional-interface bit of the
 * ID; selecting an item rewinds it; a selector naming no item reads 0;
 * writes to the data port change nothing; RAM_SIZE against the Multiboot
 * memory information and the RAM entries of "etc/e820"; NB_CPUS and MAX_CPUS; the kernel items the -kernel
 * path sets for a Multiboot kernel (load address and entry = this kernel's
 * link addresses, the image bytes = its Multiboot header, the "initrd" =
 * the Multiboot information structure EBX pointed at); the file directory
 * (sorted by name, selectors from 0x20 in that order) and "etc/e820", whose
 * RAM entries are printed. What differs between emulators (the DMA bit of
 * the ID, the other files) is not printed.
 */
#include "pc.h"

#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA  0x11
#define FW_CFG_INITRD_DATA  0x12

extern char _start[], __bss_end[];

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int name_cmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

static void check_basics(void)
{
	char sig[4], again[4];
	uint8_t z[4];
	uint32_t id = (uint32_t)fwcfg_u64(FW_CFG_ID);

	fwcfg_read(FW_CFG_SIGNATURE, sig, 4);
	pc_check(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U', "fwcfg-signature",
		 "%c%c%c%c", sig[0], sig[1], sig[2], sig[3]);
	pc_check(id & 1, "fwcfg-id-traditional", "ID %x", id);
	outb(0x511, 0x55); /* a data write: ignored */
	fwcfg_read(FW_CFG_SIGNATURE, again, 4);
	pc_check(again[0] == 'Q' && again[3] == 'U', "fwcfg-select-rewinds", "%c%c%c%c", again[0],
		 again[1], again[2], again[3]);
	fwcfg_read(0x3ff0, z, 4);
	pc_check(!z[0] && !z[1] && !z[2] && !z[3], "fwcfg-no-item-reads-0", "%02x%02x%02x%02x",
		 z[0], z[1], z[2], z[3]);
}

static void check_sizes(void)
{
	uint64_t ram = fwcfg_u64(FW_CFG_RAM_SIZE);
	unsigned nb = (unsigned)(fwcfg_u64(FW_CFG_NB_CPUS) & 0xffff);
	unsigned max = (unsigned)(fwcfg_u64(FW_CFG_MAX_CPUS) & 0xffff);

	con_printf("ram: %u MiB, cpus %u, max cpus %u\n", (unsigned)(ram >> 20), nb, max);
	if (pc_mbi && (pc_mbi->flags & MB_INFO_MEM))
		pc_check(ram >= ((uint64_t)pc_mbi->mem_upper + 1024) << 10, "fwcfg-ram-size",
			 "%llx, Multiboot says %u KiB above 1 MiB", ram, pc_mbi->mem_upper);
	pc_check(nb >= 1 && max >= nb, "fwcfg-cpus", "NB_CPUS %u, MAX_CPUS %u", nb, max);
}

static void check_kernel(void)
{
	uint32_t addr = (uint32_t)fwcfg_u64(FW_CFG_KERNEL_ADDR);
	uint32_t entry = (uint32_t)fwcfg_u64(FW_CFG_KERNEL_ENTRY);
	uint32_t size = (uint32_t)fwcfg_u64(FW_CFG_KERNEL_SIZE);
	uint32_t iaddr = (uint32_t)fwcfg_u64(FW_CFG_INITRD_ADDR);
	uint32_t isize = (uint32_t)fwcfg_u64(FW_CFG_INITRD_SIZE);
	uint32_t head[3], iflags = 0;

	pc_check(addr == 0x100000, "fwcfg-kernel-addr", "%x", addr);
	pc_check(entry == (uint32_t)(uintptr_t)_start, "fwcfg-kernel-entry", "%x, _start %p", entry,
		 _start);
	pc_check(size >= (uint32_t)(uintptr_t)__bss_end - 0x100000, "fwcfg-kernel-size",
		 "%x, image ends at %p", size, __bss_end);
	fwcfg_read(FW_CFG_KERNEL_DATA, head, sizeof(head));
	pc_check(head[0] == 0x1BADB002u && head[0] + head[1] + head[2] == 0, "fwcfg-kernel-data",
		 "starts %x %x %x", head[0], head[1], head[2]);
	pc_check(pc_mbi && iaddr == (uint32_t)(uintptr_t)pc_mbi && isize >= 4,
		 "fwcfg-initrd-is-multiboot-info", "at %x size %u, EBX was %p", iaddr, isize, pc_mbi);
	fwcfg_read(FW_CFG_INITRD_DATA, &iflags, 4);
	pc_check(pc_mbi && iflags == pc_mbi->flags, "fwcfg-initrd-data", "flags %x", iflags);
}

static void check_files(void)
{
	uint8_t e[64], prev[56] = {0};
	uint32_t n, size = 0;
	bool sorted = true, numbered = true;
	uint16_t sel;
	uint64_t e820_ram = 0;

	outw(0x510, FW_CFG_FILE_DIR);
	for (unsigned i = 0; i < 4; i++)
		e[i] = inb(0x511);
	n = be32(e);
	for (uint32_t i = 0; i < n && i < 256; i++) {
		for (unsigned j = 0; j < 64; j++)
			e[j] = inb(0x511);
		e[63] = 0;
		if (i && name_cmp((const char *)prev, (const char *)e + 8) >= 0)
			sorted = false;
		if ((uint32_t)(e[4] << 8 | e[5]) != 0x20 + i)
			numbered = false;
		memcpy(prev, e + 8, sizeof(prev));
	}
	pc_check(n >= 1 && sorted, "fwcfg-dir-sorted", "%u files", n);
	pc_check(numbered, "fwcfg-dir-selectors", "selectors are not 0x20.. in name order");
	sel = fwcfg_find("etc/e820", &size);
	pc_check(sel && size % 20 == 0, "fwcfg-file-e820", "selector %x size %u", sel, size);
	for (uint32_t off = 0; sel && off + 20 <= size && off < 20 * 16; off += 20) {
		uint8_t r[20];
		uint64_t a = 0, l = 0;

		outw(0x510, sel);
		for (uint32_t k = 0; k < off; k++)
			(void)inb(0x511);
		for (unsigned k = 0; k < 20; k++)
			r[k] = inb(0x511);
		for (int k = 7; k >= 0; k--) {
			a = a << 8 | r[k];
			l = l << 8 | r[8 + k];
		}
		if (r[16] == 1) {
			con_printf("e820 RAM: %llx + %llx\n", a, l);
			e820_ram += l;
		}
	}
	pc_check(e820_ram == fwcfg_u64(FW_CFG_RAM_SIZE), "fwcfg-e820-is-ram-size",
		 "e820 RAM %llx", e820_ram);
}

void test_main(void)
{
	check_basics();
	check_sizes();
	check_kernel();
	check_files();
}
