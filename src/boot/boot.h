/*
 * Entering a kernel: put the CPU in the state a loader asks for
 * (boot/loader.h, struct cpu_boot). A UC_MODE_64 handle starts in a
 * non-architectural state (PE and LMA set, 64-bit CS, paging off); the
 * architectural state is written through the context blob (ctx.h).
 */
#ifndef TDPSIM_BOOT_BOOT_H
#define TDPSIM_BOOT_BOOT_H

#include <stddef.h>

#include "cpu/cpu.h"
#include "boot/loader.h"

/*
 * CPU_BOOT_MULTIBOOT: 32-bit protected mode with paging off (CR0 = PE|ET,
 * EFER = 0), CS a flat 4 GiB execute/read 32-bit segment (selector 0x08),
 * DS/ES/FS/GS/SS flat read/write (0x10), EFLAGS = 0x2, EAX/EBX from @b,
 * EIP = b->entry (Multiboot 0.6.96 section 3.2). The GDTR is left empty:
 * the kernel loads its own before it reloads a segment register.
 * CPU_BOOT_LONG64: long mode, CR0 = PE|ET|PG, CR4 = PAE, EFER = LME|LMA,
 * CR3 = b->cr3, CS 64-bit at CPL 0, RSP = b->rsp, RDI = b->rdi.
 * CPU_BOOT_LINUX32/64: as MULTIBOOT/LONG64 with the loader's GDT and
 * selectors (b->cs_sel, b->ds_sel) and ESI/RSI = b->rsi, every other
 * general register zero (Linux's boot.rst).
 * Returns 0, or a negative errno with a one-line reason in @why.
 */
int cpu_boot_enter(struct cpu *c, const struct cpu_boot *b, char *why, size_t len);

/* boot_fwcfg.c: the kernel, initrd and command-line items of fw_cfg (@f
 * may be NULL: nothing to do), from what the loader placed in @ram. 0 or
 * a negative errno. cpu_boot_enter calls it. */
struct dev_fwcfg;
int cpu_boot_fwcfg(struct dev_fwcfg *f, const struct cpu_ram *ram, const struct cpu_boot *b);

#endif
