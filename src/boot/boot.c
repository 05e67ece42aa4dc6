/*
 * Entering a kernel in the state its loader asks for (boot.h).
 *
 * Unicorn's UC_MODE_64 handle starts with hflags PE|LMA|CS64, CR0.PG = 0
 * and EFER.LMA = 0: a state no real CPU can be in. Everything that defines
 * the mode (CR0, CR3, CR4, EFER, hflags and the segment caches) is written
 * through the context blob in one step, then the QEMU TLB is flushed so
 * that no translation made in the old mode survives. c->mmu_valid is
 * cleared: the machine rebuilds its paging context from the new registers.
 */
#include "boot/boot.h"

#include <errno.h>
#include <stdio.h>

#include "cpu/ctx.h"

/* Flat 4 GiB code and data segments (SDM Vol. 3A 3.4.5): type 11 execute/
 * read accessed and type 3 read/write accessed, S=1, DPL 0, P=1, G=1. */
#define FLAT_CODE32                                                                                \
	(CPU_DESC_G | CPU_DESC_B | CPU_DESC_P | CPU_DESC_S | CPU_DESC_CODE | CPU_DESC_R |          \
	 CPU_DESC_A)
#define FLAT_CODE64                                                                                \
	(CPU_DESC_G | CPU_DESC_L | CPU_DESC_P | CPU_DESC_S | CPU_DESC_CODE | CPU_DESC_R |          \
	 CPU_DESC_A)
#define FLAT_DATA (CPU_DESC_G | CPU_DESC_B | CPU_DESC_P | CPU_DESC_S | CPU_DESC_W | CPU_DESC_A)
#define BOOT_CS	  0x08
#define BOOT_DS	  0x10

/* hflags that follow from CR0/CR4/EFER and the segments: rebuilt here. */
#define HF_MODE                                                                                    \
	(CPU_HF_CPL | CPU_HF_CS32 | CPU_HF_SS32 | CPU_HF_ADDSEG | CPU_HF_PE | CPU_HF_MP |          \
	 CPU_HF_EM | CPU_HF_TS | CPU_HF_LMA | CPU_HF_CS64 | CPU_HF_VM | CPU_HF_OSFXSR |            \
	 CPU_HF_SMAP | (1u << 3) /* INHIBIT_IRQ */)

static void load_flat(struct cpu *c, const struct cpu_boot *b, uint32_t code_flags)
{
	struct cpu_seg_cache cs = {.sel = b->cs_sel ? b->cs_sel : BOOT_CS,
				   .base = 0,
				   .limit = 0xffffffff,
				   .flags = code_flags};
	struct cpu_seg_cache ds = {.sel = b->ds_sel ? b->ds_sel : BOOT_DS,
				   .base = 0,
				   .limit = 0xffffffff,
				   .flags = FLAT_DATA};
	/* SS first: CS's hflags update reads SS32. */
	cpu_ctx_load_seg(c, CPU_SEG_SS, &ds);
	cpu_ctx_load_seg(c, CPU_SEG_DS, &ds);
	cpu_ctx_load_seg(c, CPU_SEG_ES, &ds);
	cpu_ctx_load_seg(c, CPU_SEG_FS, &ds);
	cpu_ctx_load_seg(c, CPU_SEG_GS, &ds);
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
}

int cpu_boot_enter(struct cpu *c, const struct cpu_boot *b, char *why, size_t len)
{
	static const int gprs[] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
				   UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,
				   UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
				   UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
	bool lm = b->kind == CPU_BOOT_LONG64 || b->kind == CPU_BOOT_LINUX64;

	if (b->kind != CPU_BOOT_MULTIBOOT && b->kind != CPU_BOOT_LINUX32 && !lm) {
		snprintf(why, len, "boot: unknown entry kind %u", b->kind);
		return -EINVAL;
	}
	if (!lm && b->entry > 0xffffffffull) {
		snprintf(why, len, "boot: 32-bit entry point %#llx is above 4 GiB",
			 (unsigned long long)b->entry);
		return -EINVAL;
	}
	if (lm && (b->cr3 & 0xfff)) {
		snprintf(why, len, "boot: CR3 %#llx is not page-aligned",
			 (unsigned long long)b->cr3);
		return -EINVAL;
	}
	if (!c->ctx || cpu_ctx_begin(c))
		goto out_io;
	uint32_t hf = cpu_ctx_hflags(c) & ~HF_MODE;
	if (lm) {
		cpu_ctx_set_cr(c, 0, CR0_PE | CR0_ET | CR0_PG);
		cpu_ctx_set_cr(c, 3, b->cr3);
		cpu_ctx_set_cr(c, 4, CR4_PAE);
		cpu_ctx_set_efer(c, EFER_LME | EFER_LMA);
		hf |= CPU_HF_PE | CPU_HF_LMA;
	} else {
		/* Multiboot 0.6.96 section 3.2 and Linux's 32-bit boot
		 * protocol: PE=1, PG=0; EFER = 0. */
		cpu_ctx_set_cr(c, 0, CR0_PE | CR0_ET);
		cpu_ctx_set_cr(c, 3, 0);
		cpu_ctx_set_cr(c, 4, 0);
		cpu_ctx_set_efer(c, 0);
		hf |= CPU_HF_PE;
	}
	cpu_ctx_set_cr(c, 2, 0);
	cpu_ctx_set_hflags(c, hf);
	/* Multiboot: "GDTR may be invalid"; the kernel loads its own GDT and
	 * IDT before it reloads a segment register or enables interrupts. A
	 * 64-bit ELF gets the loader's GDT (CS 0x08, DS/SS 0x10), so that an
	 * interrupt frame's CS/SS reload finds real descriptors; Linux reloads
	 * its segments from the loader's GDT (__BOOT_CS/__BOOT_DS) before it
	 * loads its own. The IDT is the kernel's business. */
	cpu_ctx_set_dt(c, false, b->gdt_base, b->gdt_limit);
	cpu_ctx_set_dt(c, true, 0, 0);
	load_flat(c, b, lm ? FLAT_CODE64 : FLAT_CODE32);
	cpu_ctx_reset_old_exception(c);
	if (cpu_ctx_commit(c))
		goto out_io;

	uint64_t zero = 0, rfl = RFLAGS_FIXED, rip = b->entry;
	for (unsigned i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		if (uc_reg_write(c->uc, gprs[i], &zero))
			goto out_io;
	uint64_t eax = b->eax, ebx = b->ebx;
	if (b->kind == CPU_BOOT_LINUX32 || b->kind == CPU_BOOT_LINUX64) {
		/* boot.rst: ESI/RSI = boot_params; EBP, EDI and EBX zero. */
		if (uc_reg_write(c->uc, UC_X86_REG_RSI, &b->rsi))
			goto out_io;
	} else if (lm) {
		if (uc_reg_write(c->uc, UC_X86_REG_RSP, &b->rsp) ||
		    uc_reg_write(c->uc, UC_X86_REG_RDI, &b->rdi))
			goto out_io;
	} else if (uc_reg_write(c->uc, UC_X86_REG_RAX, &eax) ||
		   uc_reg_write(c->uc, UC_X86_REG_RBX, &ebx)) {
		goto out_io;
	}
	if (uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &rfl) ||
	    uc_reg_write(c->uc, UC_X86_REG_RIP, &rip))
		goto out_io;
	uc_ctl_flush_tlb(c->uc);
	c->mmu_valid = false;
	if (cpu_boot_fwcfg(c->bus.fwcfg, &c->ram, b)) {
		snprintf(why, len, "boot: the kernel image is not inside guest RAM (fw_cfg items)");
		return -EINVAL;
	}
	return 0;
out_io:
	snprintf(why, len, "boot: Unicorn refused the CPU state (context blob or register write)");
	return -EIO;
}
