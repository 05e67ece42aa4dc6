/*
 * Kernel loaders: Multiboot v1 (ELF32, ELF64 and a.out-kludge headers) and
 * a plain 64-bit ELF. A loader places the image and its boot information in
 * guest RAM and describes the CPU state the kernel must be entered in; the
 * machine (boot.c) puts the CPU in that state.
 *
 * Where things go (guest-physical):
 *   Multiboot: the image where its headers say (ELF p_paddr, or the a.out
 *     kludge addresses); in the first RAM after it (page-aligned, below
 *     4 GiB) the Multiboot information, the memory map, the module list
 *     and the strings (boot loader name, command line, module strings);
 *     then the modules, page-aligned. Nothing the loader adds can overlap
 *     a segment, wherever the kernel is linked (0x8000 included).
 *     The command line is "<kernel base name> <cmdline>" (QEMU passes the
 *     path as typed: the base name makes a run independent of the folder
 *     the kernel is in); a module's string is "<base name> <cmdline>".
 *   LONG64: the image at p_paddr; identity page tables for the first 4 GiB
 *     (2 MiB pages) at 0x1000-0x6FFF (PML4 0x1000, PDPT 0x2000, four PDs
 *     0x3000-0x6FFF), the command line at 0x7000 (at most 4095 bytes), a
 *     GDT at 0x8000 (null, 0x08 64-bit code, 0x10 data: interrupt delivery
 *     and IRETQ need CS in a GDT) and the stack below 0x80000 (RSP).
 * The image must not overlap these areas; a kernel that does is refused
 * with a reason naming the segment and the area.
 *
 * c3 (loaders and devices) owns this header. Changes from the lead's draft:
 * cpu_load_kernel_buf() (the same loader on bytes in memory: tests, fuzz),
 * the layout constants below, and two struct cpu_boot fields: gdt_base/
 * gdt_limit (LONG64: boot.c loads GDTR from them) and note (a non-fatal
 * remark the CLI prints). cpu_load_kernel() is unchanged.
 */
#ifndef TDPSIM_BOOT_LOADER_H
#define TDPSIM_BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/ram.h"

enum cpu_boot_kind {
	/* Multiboot v1, spec section 3.2: 32-bit protected mode, paging off,
	 * CS/DS/ES/FS/GS/SS flat 4 GiB (CS read/execute, others read/write),
	 * A20 on, EFLAGS.VM=0 and IF=0, EAX = 0x2BADB002, EBX = the physical
	 * address of the Multiboot information structure. */
	CPU_BOOT_MULTIBOOT = 0,
	/* A plain 64-bit ELF: long mode, CS 64-bit at CPL 0, the first 4 GiB
	 * identity-mapped with 2 MiB pages in tables the loader built
	 * (boot.cr3), RSP = boot.rsp, RDI = physical address of the command
	 * line (NUL-terminated). */
	CPU_BOOT_LONG64,
	/* A Linux bzImage through its 32-bit entry (Documentation/arch/x86/
	 * boot.rst, "32-bit Boot Protocol"): protected mode with paging off,
	 * CS = __BOOT_CS (0x10) and DS/ES/SS = __BOOT_DS (0x18), both flat
	 * 4 GiB in a GDT the loader built, ESI = boot_params, EBP/EDI/EBX = 0,
	 * interrupts off. */
	CPU_BOOT_LINUX32,
	/* A Linux bzImage through its 64-bit entry ("64-bit Boot Protocol"):
	 * long mode, the loader's identity map of the first 4 GiB (as LONG64),
	 * CS = __BOOT_CS (64-bit) and DS/ES/SS = __BOOT_DS in the loader's
	 * GDT, RSI = boot_params, interrupts off. */
	CPU_BOOT_LINUX64,
};

struct cpu_boot {
	uint8_t kind;		     /* enum cpu_boot_kind */
	uint64_t entry;		     /* physical = linear entry point */
	uint32_t eax, ebx;	     /* MULTIBOOT */
	uint64_t cr3, rsp, rdi;	     /* LONG64 (cr3 also LINUX64) */
	uint64_t rsi;		     /* LINUX32/64: boot_params */
	/* The selectors of the flat code and data segments in the loader's GDT
	 * (0: 0x08 and 0x10, as MULTIBOOT and LONG64 use). */
	uint16_t cs_sel, ds_sel;
	/* Where the loader put the command line and the initrd (0/0: none);
	 * fw_cfg's kernel items describe them. */
	uint64_t cmdline_pa;
	uint64_t initrd_lo, initrd_hi;
	uint64_t image_lo, image_hi; /* guest-physical range the image occupies */
	/* LONG64: the GDT the loader built (GDTR base and limit); CS = 0x08,
	 * DS/ES/SS = 0x10 are its descriptors. 0/0 for MULTIBOOT. */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	/* A remark for the user that is not an error (e.g. "Multiboot video
	 * mode request ignored"); "" if none. The CLI prints it on stderr. */
	char note[128];
};

struct cpu_module {
	const char *path;
	const char *cmdline; /* NULL: none */
};

/* Multiboot v1 (Multiboot Specification 0.6.96). */
#define CPU_MB_HEADER_MAGIC 0x1BADB002u /* section 3.1.2 */
#define CPU_MB_BOOT_MAGIC   0x2BADB002u /* EAX at entry, section 3.2 */
#define CPU_MB_SEARCH	    8192u	/* the header lies in the first 8 KiB */

/* LONG64 boot structures (LINUX64 shares the page tables). */
#define CPU_L64_PML4	    0x1000u
#define CPU_L64_PDPT	    0x2000u
#define CPU_L64_PD	    0x3000u /* four PDs: 0x3000-0x6FFF */
#define CPU_L64_CMDLINE	    0x7000u
#define CPU_L64_CMDLINE_MAX 4095u
#define CPU_L64_GDT	    0x8000u
#define CPU_L64_CS	    0x08u
#define CPU_L64_DS	    0x10u
#define CPU_L64_STACK	    0x80000u /* RSP; the stack grows down from here */
#define CPU_L64_AREA_LO	    CPU_L64_PML4
#define CPU_L64_AREA_HI	    CPU_L64_STACK

/*
 * Load the kernel at @path into @ram: Multiboot v1 if a valid Multiboot
 * header is in its first 8192 bytes, else a 64-bit ELF executable. @cmdline
 * and @mods go into the Multiboot information (with the memory map of @ram).
 * Returns 0, or a negative errno with a one-line reason in @why naming the
 * file and what is wrong with it (missing, not an ELF, truncated, segment
 * outside RAM, bad Multiboot checksum, ...). RAM is unchanged on an error
 * found before anything was written (every header and segment is checked
 * first); a module error may leave the kernel loaded.
 */
int cpu_load_kernel(struct cpu_ram *ram, const char *path, const char *cmdline,
		    const struct cpu_module *mods, unsigned nmods, struct cpu_boot *boot, char *why,
		    size_t why_len);
/* The same on @len bytes at @data; @path names the kernel in messages and
 * in the Multiboot command line. */
int cpu_load_kernel_buf(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
			const char *cmdline, const struct cpu_module *mods, unsigned nmods,
			struct cpu_boot *boot, char *why, size_t why_len);

/* Linux bzImage (loader_linux.c): where the loader puts what the kernel's
 * boot protocol needs, below the EBDA and clear of the LONG64 tables. */
#define CPU_LX_GDT	   0x8000u  /* null, null, __BOOT_CS 0x10, __BOOT_DS 0x18 */
#define CPU_LX_BOOT_PARAMS 0x9000u  /* the zero page, 4 KiB */
#define CPU_LX_CMDLINE	   0x20000u /* up to the kernel's cmdline_size */
#define CPU_LX_CMDLINE_MAX 0xffffu
#define CPU_LX_KERNEL	   0x100000u /* the protected-mode kernel (code32_start) */

/* Internal, between the loaders. */
struct cpu__image {
	uint64_t lo, hi; /* guest-physical range loaded (bss included) */
	uint64_t entry;
};
/* A guest-physical range the image must keep clear of. */
struct cpu__keepout {
	uint64_t lo, hi;
	const char *what;
};
/* Check and load an ELF32/ELF64 executable: every PT_LOAD at p_paddr, bss
 * zeroed, the entry translated as QEMU does (an e_entry inside an
 * executable segment's p_vaddr range moves with it to p_paddr) and
 * required to lie in the image. Nothing is written unless all is valid. */
int cpu__elf_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		  const struct cpu__keepout *keep, struct cpu__image *img, char *why,
		  size_t why_len);
/* The ELF class byte if @data starts with an ELF identification, else -1. */
int cpu__elf_class(const uint8_t *data, size_t len);
/* The LONG64 identity map of the first 4 GiB (2 MiB pages) at
 * CPU_L64_PML4..CPU_L64_CMDLINE. */
void cpu__l64_tables(struct cpu_ram *ram);
/* Flat segment descriptors (SDM Vol. 3A 3.4.5): base 0, limit 0xFFFFF with
 * G=1, P=1, DPL 0, S=1. Code: type 0xA (execute/read); 64-bit: L=1, D=0
 * (5.2.1); 32-bit: D=1. Data: type 0x2 (read/write), D/B=1. */
#define CPU__DESC_CODE64 UINT64_C(0x00af9a000000ffff)
#define CPU__DESC_CODE32 UINT64_C(0x00cf9a000000ffff)
#define CPU__DESC_DATA	 UINT64_C(0x00cf92000000ffff)
/* Linux: 1 if @data is not a bzImage (no "HdrS" boot header), 0 loaded,
 * or a negative errno with @why set. @mods: at most one, the initrd. */
int cpu__linux_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		    const char *cmdline, const struct cpu_module *mods, unsigned nmods,
		    struct cpu_boot *boot, char *why, size_t why_len);
/* Multiboot: 1 if no Multiboot header (magic) is found, 0 loaded, or a
 * negative errno with @why set (a header was found but is bad, or the
 * image is). */
int cpu__mb_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		 const char *cmdline, const struct cpu_module *mods, unsigned nmods,
		 struct cpu_boot *boot, char *why, size_t why_len);

#endif
