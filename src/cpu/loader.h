/*
 * Kernel loaders: Multiboot v1 (ELF32, ELF64 and a.out-kludge headers) and
 * a plain 64-bit ELF. A loader places the image and its boot information in
 * guest RAM and describes the CPU state the kernel must be entered in; the
 * machine (ctx.c) puts the CPU in that state.
 */
#ifndef TDPSIM_CPU_LOADER_H
#define TDPSIM_CPU_LOADER_H

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
};

struct cpu_boot {
	uint8_t kind;       /* enum cpu_boot_kind */
	uint64_t entry;     /* physical = linear entry point */
	uint32_t eax, ebx;  /* MULTIBOOT */
	uint64_t cr3, rsp, rdi; /* LONG64 */
	uint64_t image_lo, image_hi; /* guest-physical range the image occupies */
};

struct cpu_module {
	const char *path;
	const char *cmdline;
};

/*
 * Load the kernel at @path into @ram: Multiboot v1 if a valid Multiboot
 * header is in its first 8192 bytes, else a 64-bit ELF executable. @cmdline
 * and @mods go into the Multiboot information (with the memory map of @ram).
 * Returns 0, or a negative errno with a one-line reason in @why naming the
 * file and what is wrong with it (missing, not an ELF, truncated, segment
 * outside RAM, bad Multiboot checksum, ...).
 */
int cpu_load_kernel(struct cpu_ram *ram, const char *path, const char *cmdline,
		    const struct cpu_module *mods, unsigned nmods, struct cpu_boot *boot,
		    char *why, size_t why_len);

#endif
