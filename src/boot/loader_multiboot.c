/*
 * Multiboot v1 (Multiboot Specification 0.6.96): find and check the
 * header, load the image (ELF, or the a.out kludge of header flag 16),
 * load the modules, and build the Multiboot information structure.
 *
 * Header (section 3.1), in the first 8192 bytes, 32-bit aligned: magic
 * 0x1BADB002, flags, checksum (magic + flags + checksum == 0 mod 2^32).
 * The first aligned magic is the header; a bad checksum there is an error,
 * not a reason to look further. Header flags:
 *   bit 0  modules page-aligned: always done;
 *   bit 1  memory information: always given (mem_* and the memory map, as
 *          QEMU does);
 *   bit 2  video mode table: ignored (no display); info flag 11 stays clear
 *          so the kernel can tell;
 *   bits 3-15 are requirements this loader does not know: refused, as
 *          section 3.1.2 asks;
 *   bit 16 the a.out kludge: header_addr, load_addr, load_end_addr,
 *          bss_end_addr, entry_addr (header offsets 12-28) replace the
 *          executable format's headers.
 * Information structure (section 3.3) after the image, page-aligned, then
 * the memory map, the module list and the strings, then the modules, each
 * page-aligned (QEMU also puts them after the image); flags:
 *   0 mem_lower/mem_upper, 2 cmdline, 3 mods, 6 mmap, 9 boot_loader_name;
 *   boot_device (1) is absent: there is no BIOS disk.
 * Memory map (like QEMU's e820 for a PC): RAM 0-0x9FC00, reserved
 * 0x9FC00-0xA0000 (EBDA) and 0xF0000-0x100000 (BIOS), then each RAM range
 * from 1 MiB (below the PCI hole; above 4 GiB).
 */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Header flags (section 3.1.2). */
#define MB_HF_PAGE_ALIGN (1u << 0)
#define MB_HF_MEMORY	 (1u << 1)
#define MB_HF_VIDEO	 (1u << 2)
#define MB_HF_REQ_MASK	 0xffffu /* bits 0-15: required features */
#define MB_HF_KNOWN	 (MB_HF_PAGE_ALIGN | MB_HF_MEMORY | MB_HF_VIDEO)
#define MB_HF_AOUT	 (1u << 16) /* address fields valid */

/* Header field offsets. */
#define MB_H_FLAGS	 4
#define MB_H_CHECKSUM	 8
#define MB_H_HEADER_ADDR 12
#define MB_H_LOAD_ADDR	 16
#define MB_H_LOAD_END	 20
#define MB_H_BSS_END	 24
#define MB_H_ENTRY	 28
#define MB_H_AOUT_SIZE	 32

/* Information structure flags and field offsets (section 3.3). */
#define MBI_F_MEM      (1u << 0)
#define MBI_F_CMDLINE  (1u << 2)
#define MBI_F_MODS     (1u << 3)
#define MBI_F_MMAP     (1u << 6)
#define MBI_F_LOADER   (1u << 9)
#define MBI_FLAGS      0
#define MBI_MEM_LOWER  4
#define MBI_MEM_UPPER  8
#define MBI_CMDLINE    16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR  24
#define MBI_MMAP_LEN   44
#define MBI_MMAP_ADDR  48
#define MBI_LOADER     64
#define MBI_SIZE       0x80 /* 88 bytes in 0.6.96, 116 with framebuffer fields */

#define MB_MMAP_ENTRY	 24 /* size (4, excluded from itself), base (8), length (8), type (4) */
#define MB_MMAP_RAM	 1
#define MB_MMAP_RESERVED 2
#define MB_MMAP_MAX	 6 /* conventional, EBDA, BIOS, up to three RAM ranges from 1 MiB */
#define MB_MOD_ENTRY	 16 /* mod_start, mod_end (exclusive), string, reserved */

#define LOW_RAM_END 0x9FC00u /* 639 KiB: conventional memory below the EBDA */
#define EBDA_END    0xA0000u
#define BIOS_LO	    0xF0000u
#define HIGH_RAM    0x100000u
#define GIB4	    (UINT64_C(1) << 32)
#define PAGE	    4096u

static const char loader_name[] = "tdpsim";

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return GUINT32_FROM_LE(v);
}

static void wr32(struct cpu_ram *ram, uint64_t pa, uint32_t v)
{
	cpu_ram_write_le(ram, pa, 4, v);
}

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE - 1) & ~(uint64_t)(PAGE - 1);
}

/* The a.out kludge (header flag 16): check the address fields, then copy. */
static int mb_aout_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
			size_t hoff, const struct cpu__keepout *keep, struct cpu__image *img,
			char *why, size_t why_len)
{
	const uint8_t *h = data + hoff;
	uint64_t haddr = rd32(h + MB_H_HEADER_ADDR), laddr = rd32(h + MB_H_LOAD_ADDR);
	uint64_t lend = rd32(h + MB_H_LOAD_END), bend = rd32(h + MB_H_BSS_END);
	uint64_t entry = rd32(h + MB_H_ENTRY), foff, size, end;

	if (laddr > haddr || haddr - laddr > hoff) {
		snprintf(why, why_len,
			 "kernel '%s': a.out kludge load_addr 0x%llx and header_addr 0x%llx put "
			 "the load before the start of the file",
			 path, (unsigned long long)laddr, (unsigned long long)haddr);
		return -ENOEXEC;
	}
	foff = hoff - (haddr - laddr);
	if (lend != 0 && lend < laddr) {
		snprintf(why, why_len,
			 "kernel '%s': a.out kludge load_end_addr 0x%llx is below load_addr 0x%llx",
			 path, (unsigned long long)lend, (unsigned long long)laddr);
		return -ENOEXEC;
	}
	size = lend ? lend - laddr : len - foff;
	if (size > len - foff) {
		snprintf(
		    why, why_len,
		    "kernel '%s': a.out kludge loads 0x%llx bytes from offset 0x%llx, past the "
		    "end of the file (%zu bytes)",
		    path, (unsigned long long)size, (unsigned long long)foff, len);
		return -ENOEXEC;
	}
	end = laddr + size;
	if (bend != 0 && bend < end) {
		snprintf(why, why_len,
			 "kernel '%s': a.out kludge bss_end_addr 0x%llx is below the end of the "
			 "loaded image 0x%llx",
			 path, (unsigned long long)bend, (unsigned long long)end);
		return -ENOEXEC;
	}
	if (bend)
		end = bend;
	if (!cpu_ram_contains(ram, laddr, end - laddr)) {
		snprintf(
		    why, why_len,
		    "kernel '%s': a.out image at [0x%llx, 0x%llx) is outside RAM (0x%llx bytes)",
		    path, (unsigned long long)laddr, (unsigned long long)end,
		    (unsigned long long)ram->size);
		return -ENOEXEC;
	}
	if (laddr < keep->hi && keep->lo < end) {
		snprintf(why, why_len,
			 "kernel '%s': a.out image at [0x%llx, 0x%llx) overlaps the %s at "
			 "[0x%llx, 0x%llx)",
			 path, (unsigned long long)laddr, (unsigned long long)end, keep->what,
			 (unsigned long long)keep->lo, (unsigned long long)keep->hi);
		return -ENOEXEC;
	}
	if (entry < laddr || entry >= end) {
		snprintf(why, why_len,
			 "kernel '%s': a.out kludge entry_addr 0x%llx is outside the image "
			 "[0x%llx, 0x%llx)",
			 path, (unsigned long long)entry, (unsigned long long)laddr,
			 (unsigned long long)end);
		return -ENOEXEC;
	}
	memcpy(ram->base + laddr, data + foff, size);
	memset(ram->base + laddr + size, 0, end - laddr - size);
	*img = (struct cpu__image){.lo = laddr, .hi = end, .entry = entry};
	return 0;
}

/* Put a NUL-terminated string at *@at and advance it. */
static uint32_t put_str(struct cpu_ram *ram, uint64_t *at, const char *a, const char *b)
{
	uint64_t start = *at;
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	memcpy(ram->base + *at, a, la);
	*at += la;
	if (b) {
		ram->base[(*at)++] = ' ';
		memcpy(ram->base + *at, b, lb);
		*at += lb;
	}
	ram->base[(*at)++] = 0;
	return (uint32_t)start;
}

/* The lowest @size bytes of RAM at or above @from, below 4 GiB (a
 * 32-bit kernel must reach them): 0 and *@at, or -ENOMEM. */
static int place(const struct cpu_ram *ram, uint64_t from, uint64_t size, uint64_t *at)
{
	uint64_t lo, hi;

	for (uint64_t pa = from; cpu_ram_range_from(ram, pa, &lo, &hi) == 0; pa = hi) {
		if (lo < from)
			lo = from;
		if (lo + size > GIB4)
			return -ENOMEM;
		if (size <= hi - lo) {
			*at = lo;
			return 0;
		}
	}
	return -ENOMEM;
}

static void mmap_entry(struct cpu_ram *ram, uint64_t at, uint64_t base, uint64_t len, uint32_t type)
{
	wr32(ram, at, MB_MMAP_ENTRY - 4);
	cpu_ram_write_le(ram, at + 4, 8, base);
	cpu_ram_write_le(ram, at + 12, 8, len);
	wr32(ram, at + 20, type);
}

int cpu__mb_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		 const char *cmdline, const struct cpu_module *mods, unsigned nmods,
		 struct cpu_boot *boot, char *why, size_t why_len)
{
	size_t search = MIN(len, (size_t)CPU_MB_SEARCH), hoff;
	const struct cpu__keepout keep = {0, 0, "nothing"};
	struct cpu__image img;
	gchar **mdata = NULL, *kname = NULL, **mname = NULL;
	gsize *mlen = NULL;
	uint64_t area_size, info_at, mmap_at, mods_at, at, cursor, rlo = 0, rhi = 0;
	unsigned nmap;
	uint32_t flags;
	int rc = 1, cls;

	for (hoff = 0; hoff + 12 <= search; hoff += 4)
		if (rd32(data + hoff) == CPU_MB_HEADER_MAGIC)
			break;
	if (hoff + 12 > search)
		return 1; /* not a Multiboot image */
	flags = rd32(data + hoff + MB_H_FLAGS);
	if ((uint32_t)(CPU_MB_HEADER_MAGIC + flags + rd32(data + hoff + MB_H_CHECKSUM)) != 0) {
		snprintf(
		    why, why_len,
		    "kernel '%s': Multiboot header at offset 0x%zx has a bad checksum "
		    "(magic + flags + checksum = 0x%08x, not 0)",
		    path, hoff,
		    (uint32_t)(CPU_MB_HEADER_MAGIC + flags + rd32(data + hoff + MB_H_CHECKSUM)));
		return -ENOEXEC;
	}
	if (flags & MB_HF_REQ_MASK & ~MB_HF_KNOWN) {
		snprintf(why, why_len,
			 "kernel '%s': Multiboot header requires features this loader lacks "
			 "(flags 0x%08x)",
			 path, flags & MB_HF_REQ_MASK & ~MB_HF_KNOWN);
		return -ENOEXEC;
	}
	if ((flags & MB_HF_AOUT) && hoff + MB_H_AOUT_SIZE > len) {
		snprintf(why, why_len,
			 "kernel '%s': Multiboot header at offset 0x%zx is truncated (the a.out "
			 "kludge fields run past the end of the file)",
			 path, hoff);
		return -ENOEXEC;
	}
	if (ram->size <= HIGH_RAM) {
		snprintf(why, why_len,
			 "kernel '%s': Multiboot needs more than 1 MiB of RAM (have "
			 "0x%llx bytes)",
			 path, (unsigned long long)ram->size);
		return -ENOMEM;
	}
	/* The information area: the structure, the memory map, the module
	 * list and the strings (section 3.3). The command line names the
	 * kernel by its base name, so that the same kernel gives the same
	 * run from any folder; so are the modules named. */
	kname = g_path_get_basename(path);
	mname = g_new0(gchar *, nmods + 1);
	area_size = MBI_SIZE + MB_MMAP_MAX * MB_MMAP_ENTRY + (uint64_t)nmods * MB_MOD_ENTRY +
		    sizeof(loader_name) + strlen(kname) + 1 + strlen(cmdline) + 1;
	for (unsigned i = 0; i < nmods; i++) {
		mname[i] = g_path_get_basename(mods[i].path);
		area_size += strlen(mname[i]) + (mods[i].cmdline ? 1 + strlen(mods[i].cmdline) : 0) + 1;
	}
	/* Read every module before anything is written. */
	mdata = g_new0(gchar *, nmods + 1);
	mlen = g_new0(gsize, nmods + 1);
	for (unsigned i = 0; i < nmods; i++) {
		char inner[200];
		size_t n = 0;

		rc = cpu_read_file(mods[i].path, "cannot read module", ram->size, &mdata[i], &n,
				   inner, sizeof(inner));
		if (rc) {
			snprintf(why, why_len, "kernel '%s': %s", path, inner);
			goto out;
		}
		mlen[i] = n;
	}
	if (flags & MB_HF_AOUT) {
		rc = mb_aout_load(ram, path, data, len, hoff, &keep, &img, why, why_len);
	} else {
		cls = cpu__elf_class(data, len);
		if (cls < 0) {
			snprintf(why, why_len,
				 "kernel '%s': Multiboot header without the a.out "
				 "kludge (flag 16), and the file is not an ELF",
				 path);
			rc = -ENOEXEC;
			goto out;
		}
		rc = cpu__elf_load(ram, path, data, len, &keep, &img, why, why_len);
	}
	if (rc)
		goto out;
	if (img.entry >= GIB4 || img.hi > GIB4) {
		snprintf(why, why_len,
			 "kernel '%s': entry 0x%llx or image end 0x%llx is above 4 GiB, out of "
			 "reach in 32-bit protected mode",
			 path, (unsigned long long)img.entry, (unsigned long long)img.hi);
		rc = -ENOEXEC;
		goto out;
	}
	/* After the image, as QEMU puts its Multiboot data: the information
	 * area, then each module page-aligned, all in RAM below 4 GiB, so
	 * that a kernel linked anywhere in low memory keeps its segments. */
	if (place(ram, page_up(img.hi), area_size, &info_at)) {
		snprintf(why, why_len,
			 "kernel '%s': no room in RAM below 4 GiB after the image (which ends at "
			 "0x%llx) for the %llu bytes of Multiboot information",
			 path, (unsigned long long)img.hi, (unsigned long long)area_size);
		rc = -ENOMEM;
		goto out;
	}
	mmap_at = info_at + MBI_SIZE;
	mods_at = mmap_at + MB_MMAP_MAX * MB_MMAP_ENTRY;
	cursor = page_up(info_at + area_size);
	at = mods_at;
	for (unsigned i = 0; i < nmods; i++, at += MB_MOD_ENTRY) {
		if (place(ram, cursor, mlen[i], &cursor)) {
			snprintf(
			    why, why_len,
			    "kernel '%s': module '%s' (%zu bytes) does not fit in RAM below 4 GiB "
			    "after 0x%llx",
			    path, mods[i].path, (size_t)mlen[i], (unsigned long long)cursor);
			rc = -ENOMEM;
			goto out;
		}
		memcpy(ram->base + cursor, mdata[i], mlen[i]);
		wr32(ram, at, (uint32_t)cursor);
		wr32(ram, at + 4, (uint32_t)(cursor + mlen[i]));
		wr32(ram, at + 12, 0);
		cursor = page_up(cursor + mlen[i]);
	}
	/* The information structure, memory map and strings. */
	memset(ram->base + info_at, 0, MBI_SIZE);
	wr32(ram, info_at + MBI_FLAGS,
	     MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER);
	/* mem_upper: the RAM contiguous from 1 MiB (section 3.3). */
	cpu_ram_range_from(ram, HIGH_RAM, &rlo, &rhi);
	wr32(ram, info_at + MBI_MEM_LOWER, LOW_RAM_END / 1024);
	wr32(ram, info_at + MBI_MEM_UPPER, (uint32_t)((MIN(rhi, GIB4) - HIGH_RAM) / 1024));
	mmap_entry(ram, mmap_at, 0, LOW_RAM_END, MB_MMAP_RAM);
	mmap_entry(ram, mmap_at + MB_MMAP_ENTRY, LOW_RAM_END, EBDA_END - LOW_RAM_END,
		   MB_MMAP_RESERVED);
	mmap_entry(ram, mmap_at + 2 * MB_MMAP_ENTRY, BIOS_LO, HIGH_RAM - BIOS_LO, MB_MMAP_RESERVED);
	nmap = 3;
	/* Every RAM range from 1 MiB up (below the PCI hole, above 4 GiB). */
	for (uint64_t pa = HIGH_RAM; nmap < MB_MMAP_MAX && !cpu_ram_range_from(ram, pa, &rlo, &rhi);
	     pa = rhi)
		mmap_entry(ram, mmap_at + nmap++ * MB_MMAP_ENTRY, rlo, rhi - rlo, MB_MMAP_RAM);
	wr32(ram, info_at + MBI_MMAP_LEN, nmap * MB_MMAP_ENTRY);
	wr32(ram, info_at + MBI_MMAP_ADDR, (uint32_t)mmap_at);
	wr32(ram, info_at + MBI_MODS_COUNT, nmods);
	wr32(ram, info_at + MBI_MODS_ADDR, (uint32_t)mods_at);
	at = mods_at + (uint64_t)nmods * MB_MOD_ENTRY;
	wr32(ram, info_at + MBI_LOADER, put_str(ram, &at, loader_name, NULL));
	wr32(ram, info_at + MBI_CMDLINE, put_str(ram, &at, kname, cmdline));
	for (unsigned i = 0; i < nmods; i++)
		wr32(ram, mods_at + (uint64_t)i * MB_MOD_ENTRY + 8,
		     put_str(ram, &at, mname[i], mods[i].cmdline));
	g_assert(at == info_at + area_size);
	*boot = (struct cpu_boot){.kind = CPU_BOOT_MULTIBOOT,
				  .entry = img.entry,
				  .eax = CPU_MB_BOOT_MAGIC,
				  .ebx = (uint32_t)info_at,
				  .image_lo = img.lo,
				  .image_hi = img.hi};
	if (flags & MB_HF_VIDEO)
		snprintf(boot->note, sizeof(boot->note),
			 "kernel '%s': Multiboot video mode request (header flag 2) ignored: "
			 "there is no display",
			 path);
	rc = 0;
out:
	for (unsigned i = 0; i < nmods; i++) {
		g_free(mdata[i]);
		g_free(mname ? mname[i] : NULL);
	}
	g_free(mdata);
	g_free(mname);
	g_free(mlen);
	g_free(kname);
	return rc;
}
