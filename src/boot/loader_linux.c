/*
 * The Linux/x86 boot protocol for a bzImage, entered without firmware: the
 * loader does what a boot loader and the kernel's 16-bit setup code would,
 * and enters the kernel at its 32-bit entry (code32_start), or at its
 * 64-bit entry (load address + 0x200) when xloadflags says it has one.
 * The reference is the kernel's Documentation/arch/x86/boot.rst ("THE
 * LINUX/x86 BOOT PROTOCOL") and zero-page.rst; field offsets below are
 * from the boot_params layout there.
 *
 * Guest-physical layout:
 *   0x1000-0x6FFF  the identity map of the first 4 GiB (64-bit entry only)
 *   0x8000         GDT: null, null, __BOOT_CS (0x10), __BOOT_DS (0x18)
 *   0x9000         boot_params (the "zero page")
 *   0x20000        the command line
 *   0x100000       the protected-mode kernel (what follows the setup sectors)
 *   top of low RAM the initrd, page-aligned, below initrd_addr_max (as QEMU)
 * The kernel decompresses itself to its runtime address: pref_address, or
 * the load address rounded up to kernel_alignment if that is higher, and
 * needs init_size bytes there; the loader checks that RAM holds that area
 * and that the initrd stays clear of it.
 */
#include "loader.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

/* boot_params offsets (zero-page.rst) and the setup header in it (boot.rst). */
#define BP_E820_ENTRIES	  0x1e8 /* u8 */
#define BP_HDR		  0x1f1 /* the setup header starts here */
#define BP_SETUP_SECTS	  0x1f1 /* u8; 0 means 4 */
#define BP_BOOT_FLAG	  0x1fe /* u16 0xAA55 */
#define BP_JUMP		  0x200 /* u16; byte 0x201 + 0x202 is the header's end */
#define BP_HEADER	  0x202 /* "HdrS" */
#define BP_VERSION	  0x206 /* u16 */
#define BP_TYPE_OF_LOADER 0x210 /* u8 */
#define BP_LOADFLAGS	  0x211 /* u8 */
#define BP_CODE32_START	  0x214 /* u32 */
#define BP_RAMDISK_IMAGE  0x218 /* u32 */
#define BP_RAMDISK_SIZE	  0x21c /* u32 */
#define BP_HEAP_END_PTR	  0x224 /* u16 */
#define BP_CMD_LINE_PTR	  0x228 /* u32 */
#define BP_INITRD_MAX	  0x22c /* u32, initrd_addr_max */
#define BP_KERNEL_ALIGN	  0x230 /* u32 */
#define BP_RELOCATABLE	  0x234 /* u8 */
#define BP_XLOADFLAGS	  0x236 /* u16 */
#define BP_CMDLINE_SIZE	  0x238 /* u32 */
#define BP_PREF_ADDRESS	  0x258 /* u64 */
#define BP_INIT_SIZE	  0x260 /* u32 */
#define BP_E820_TABLE	  0x2d0 /* struct boot_e820_entry[128] */
#define BP_SIZE		  0x1000

#define HDRS_MAGIC	   0x53726448u /* "HdrS" */
#define BOOT_FLAG	   0xaa55u
#define LOADED_HIGH	   0x01u /* loadflags: the kernel goes to 0x100000 */
#define CAN_USE_HEAP	   0x80u /* loadflags: heap_end_ptr is valid */
#define XLF_KERNEL_64	   0x01u /* xloadflags: 64-bit entry at +0x200 */
#define LOADER_UNDEFINED   0xffu /* type_of_loader: no assigned ID */
#define E820_ENTRY	   20	 /* u64 addr, u64 size, u32 type */
#define E820_MAX	   128
#define E820_RAM	   1
#define ENTRY64_OFFSET	   0x200
#define MIN_VERSION	   0x020a /* 2.10: pref_address and init_size */
#define VERSION_XLOADFLAGS 0x020c
#define BOOT_CS		   0x10 /* __BOOT_CS */
#define BOOT_DS		   0x18 /* __BOOT_DS */

static uint32_t le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* The first RAM range above 1 MiB: where the kernel runs. */
static int high_ram(const struct cpu_ram *ram, uint64_t *lo, uint64_t *hi)
{
	return cpu_ram_range_from(ram, CPU_LX_KERNEL, lo, hi);
}

/* boot_params' e820 table from RAM's ranges (every other address is
 * reserved to the kernel by default). Returns the entry count. */
static unsigned e820(const struct cpu_ram *ram, uint8_t *bp)
{
	uint64_t pa = 0, lo, hi;
	unsigned n = 0;

	while (n < E820_MAX && cpu_ram_range_from(ram, pa, &lo, &hi) == 0) {
		uint8_t *e = bp + BP_E820_TABLE + E820_ENTRY * n++;

		for (unsigned i = 0; i < 8; i++) {
			e[i] = (uint8_t)(lo >> (8 * i));
			e[8 + i] = (uint8_t)((hi - lo) >> (8 * i));
		}
		e[16] = E820_RAM;
		pa = hi;
	}
	return n;
}

int cpu__linux_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		    const char *cmdline, const struct cpu_module *mods, unsigned nmods,
		    struct cpu_boot *boot, char *why, size_t why_len)
{
	uint8_t bp[BP_SIZE];
	char *initrd = NULL;
	size_t initrd_len = 0;
	uint64_t ram_lo, ram_hi, initrd_pa = 0;
	int rc;

	if (len < BP_HEADER + 4 || le(data + BP_HEADER, 4) != HDRS_MAGIC)
		return 1;
	unsigned setup_sects = data[BP_SETUP_SECTS] ? data[BP_SETUP_SECTS] : 4;
	size_t setup_len = (size_t)(setup_sects + 1) * 512;
	size_t hdr_end = BP_HEADER + data[BP_JUMP + 1];
	unsigned version = le(data + BP_VERSION, 2);

	if (le(data + BP_BOOT_FLAG, 2) != BOOT_FLAG) {
		snprintf(why, why_len, "kernel '%s': bzImage boot flag is 0x%04x, not 0xaa55", path,
			 le(data + BP_BOOT_FLAG, 2));
		return -ENOEXEC;
	}
	if (version < MIN_VERSION) {
		snprintf(why, why_len,
			 "kernel '%s': boot protocol %u.%02u is older than 2.10 (no init_size)", path,
			 version >> 8, version & 0xff);
		return -ENOEXEC;
	}
	if (hdr_end > setup_len || hdr_end < BP_INIT_SIZE + 4 || setup_len >= len) {
		snprintf(why, why_len,
			 "kernel '%s': truncated bzImage (%zu bytes; the header says %u setup "
			 "sectors and ends at 0x%zx)",
			 path, len, setup_sects, hdr_end);
		return -ENOEXEC;
	}
	if (!(data[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(why, why_len,
			 "kernel '%s': a zImage (loaded low); only bzImages are supported", path);
		return -ENOEXEC;
	}

	/* Where the kernel will run, and how much it needs there. */
	uint64_t pm_len = len - setup_len;
	uint64_t align = le(data + BP_KERNEL_ALIGN, 4);
	uint64_t pref = le(data + BP_PREF_ADDRESS, 4) |
			(uint64_t)le(data + BP_PREF_ADDRESS + 4, 4) << 32;
	uint64_t init_size = le(data + BP_INIT_SIZE, 4);
	uint64_t run = pref;

	if (data[BP_RELOCATABLE] && align && !(align & (align - 1))) {
		uint64_t up = (CPU_LX_KERNEL + align - 1) & ~(align - 1);
		run = up > pref ? up : pref;
	}
	uint64_t need = init_size > pm_len ? init_size : pm_len;
	if (run > UINT64_MAX - need) {
		snprintf(why, why_len,
			 "kernel '%s': it would run at 0x%llx (pref_address) with init_size "
			 "0x%llx, past the end of the address space",
			 path, (unsigned long long)run, (unsigned long long)init_size);
		return -ENOEXEC;
	}
	uint64_t run_end = run + need;
	if (high_ram(ram, &ram_lo, &ram_hi) || ram_lo != CPU_LX_KERNEL ||
	    CPU_LX_KERNEL + pm_len > ram_hi || run_end > ram_hi) {
		snprintf(why, why_len,
			 "kernel '%s' needs RAM up to 0x%llx (init_size 0x%llx at 0x%llx); "
			 "raise --mem",
			 path, (unsigned long long)run_end, (unsigned long long)init_size,
			 (unsigned long long)run);
		return -ENOMEM;
	}

	size_t clen = strlen(cmdline);
	uint32_t cmax = le(data + BP_CMDLINE_SIZE, 4);
	if (cmax > CPU_LX_CMDLINE_MAX)
		cmax = CPU_LX_CMDLINE_MAX;
	if (clen > cmax) {
		snprintf(why, why_len,
			 "kernel '%s': command line of %zu bytes is longer than its cmdline_size %u",
			 path, clen, cmax);
		return -E2BIG;
	}

	if (nmods > 1) {
		snprintf(why, why_len, "kernel '%s': a Linux kernel takes one initrd, not %u", path,
			 nmods);
		return -EINVAL;
	}
	if (nmods == 1) {
		uint64_t max = le(data + BP_INITRD_MAX, 4);
		GStatBuf st;

		/* Larger than RAM: say so before reading it. */
		if (g_stat(mods[0].path, &st) == 0 && (uint64_t)st.st_size > ram->size) {
			snprintf(why, why_len,
				 "initrd '%s' (%llu bytes) is larger than the guest's RAM (%llu "
				 "bytes); raise --mem",
				 mods[0].path, (unsigned long long)st.st_size,
				 (unsigned long long)ram->size);
			return -ENOMEM;
		}
		rc = cpu_read_file(mods[0].path, "cannot read initrd", ram->size, &initrd,
				   &initrd_len, why, why_len);
		if (rc)
			return rc;
		/* QEMU's place: the top of RAM below initrd_addr_max, page aligned. */
		uint64_t top = ram_hi < max + 1 ? ram_hi : max + 1;
		initrd_pa = top > initrd_len ? (top - initrd_len) & ~UINT64_C(0xfff) : 0;
		if (initrd_len > top || initrd_pa < run_end) {
			snprintf(why, why_len,
				 "initrd '%s' (%zu bytes) does not fit in RAM between the kernel "
				 "(ends at 0x%llx) and 0x%llx; raise --mem",
				 mods[0].path, initrd_len, (unsigned long long)run_end,
				 (unsigned long long)top);
			g_free(initrd);
			return -ENOMEM;
		}
	}

	/* boot_params: zeroed (screen_info, EDD and APM fields included), the
	 * setup header copied from the image, then what a loader fills in. */
	memset(bp, 0, sizeof(bp));
	memcpy(bp + BP_HDR, data + BP_HDR, hdr_end - BP_HDR);
	bp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[BP_LOADFLAGS] &= (uint8_t)~CAN_USE_HEAP; /* no setup code runs */
	memset(bp + BP_HEAP_END_PTR, 0, 2);
	for (unsigned i = 0; i < 4; i++) {
		bp[BP_CMD_LINE_PTR + i] = (uint8_t)(CPU_LX_CMDLINE >> (8 * i));
		bp[BP_RAMDISK_IMAGE + i] = (uint8_t)(initrd_pa >> (8 * i));
		bp[BP_RAMDISK_SIZE + i] = (uint8_t)(initrd_len >> (8 * i));
	}
	bp[BP_E820_ENTRIES] = (uint8_t)e820(ram, bp);

	bool lm = version >= VERSION_XLOADFLAGS && (le(data + BP_XLOADFLAGS, 2) & XLF_KERNEL_64);
	if (lm)
		cpu__l64_tables(ram);
	cpu_ram_write_le(ram, CPU_LX_GDT, 8, 0);
	cpu_ram_write_le(ram, CPU_LX_GDT + 8, 8, 0);
	cpu_ram_write_le(ram, CPU_LX_GDT + BOOT_CS, 8, lm ? CPU__DESC_CODE64 : CPU__DESC_CODE32);
	cpu_ram_write_le(ram, CPU_LX_GDT + BOOT_DS, 8, CPU__DESC_DATA);
	cpu_ram_write(ram, CPU_LX_BOOT_PARAMS, bp, sizeof(bp));
	memset(ram->base + CPU_LX_CMDLINE, 0, clen + 1);
	memcpy(ram->base + CPU_LX_CMDLINE, cmdline, clen);
	memcpy(ram->base + CPU_LX_KERNEL, data + setup_len, pm_len);
	if (initrd) {
		memcpy(ram->base + initrd_pa, initrd, initrd_len);
		g_free(initrd);
	}

	*boot = (struct cpu_boot){.kind = lm ? CPU_BOOT_LINUX64 : CPU_BOOT_LINUX32,
				  .entry = lm ? CPU_LX_KERNEL + ENTRY64_OFFSET
					      : le(data + BP_CODE32_START, 4),
				  .cr3 = lm ? CPU_L64_PML4 : 0,
				  .rsi = CPU_LX_BOOT_PARAMS,
				  .cs_sel = BOOT_CS,
				  .ds_sel = BOOT_DS,
				  .gdt_base = CPU_LX_GDT,
				  .gdt_limit = BOOT_DS + 8 - 1,
				  .cmdline_pa = CPU_LX_CMDLINE,
				  .initrd_lo = initrd_pa,
				  .initrd_hi = initrd_pa + initrd_len,
				  .image_lo = CPU_LX_KERNEL,
				  .image_hi = CPU_LX_KERNEL + pm_len};
	return 0;
}
