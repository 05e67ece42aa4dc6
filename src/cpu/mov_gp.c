/*
 * #GP(0) at a MOV to CR0/CR3/CR4 that loads bad PAE PDPTEs (SDM Vol. 3A
 * 4.4.1; Vol. 2B MOV to CRn, "Protected Mode Exceptions": "If an attempt
 * is made to write ... CR3 ... PDPTEs ... reserved bit"). QEMU 5 runs the
 * MOV natively and loads no PDPTEs, so tdpsim learns of the load only
 * after the MOV ran: at the next fill (fill.c) or block boundary
 * (events.c), when it builds the engine's context for the new registers.
 * The MOV must then be undone: the control register gets its old value
 * back, the PDPTE registers and the engine context stay as they were
 * (fill.c never committed the new ones), RIP goes back to the MOV, which
 * did not retire, and #GP(0) is delivered there. The blob may be patched
 * only outside a translation block, so the fill or block hook sets
 * c->pdpte_gp and run.c / fault.c call cpu__pdpte_gp() once Unicorn has
 * returned.
 *
 * Invariant: c->regs is the paging state before the MOV. Every instruction
 * that changes CR0/CR3/CR4 ends its block, and the next fill or block
 * boundary syncs c->regs (fill.c sync_paging), so no other change can sit
 * between the last sync and the MOV.
 */
#include <errno.h>
#include <inttypes.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "paging/bits.h"

/* QEMU's hidden flags that mirror CR0/CR4 bits (cpu_x86_update_cr0/4). */
static uint32_t cr_hflags(uint32_t hf, uint64_t cr0, uint64_t cr4)
{
	hf &= ~(CPU_HF_MP | CPU_HF_EM | CPU_HF_TS | CPU_HF_OSFXSR | CPU_HF_SMAP);
	hf |= (cr0 & CR0_MP) ? CPU_HF_MP : 0;
	hf |= (cr0 & CR0_EM) ? CPU_HF_EM : 0;
	hf |= (cr0 & CR0_TS) ? CPU_HF_TS : 0;
	hf |= (cr4 & CR4_OSFXSR) ? CPU_HF_OSFXSR : 0;
	hf |= (cr4 & CR4_SMAP) ? CPU_HF_SMAP : 0;
	return hf;
}

int cpu__pdpte_gp(struct cpu *c)
{
	const struct pg_regs *r = &c->regs;
	uint64_t rip = c->pdpte_gp_rip;

	c->pdpte_gp = false;
	c->fill_fault_valid = false;
	if (cpu_ctx_begin(c)) {
		cpu_run_stop(c, CPU_STOP_ERROR, "cannot undo the MOV at RIP %#" PRIx64 " that "
			 "loaded bad PAE PDPTEs: the CPU state cannot be read", rip);
		return -EIO;
	}
	/* The MOV (one register, PE unchanged: PAE paging needs it) undone. */
	cpu_ctx_set_cr(c, 0, r->cr0);
	cpu_ctx_set_cr(c, 3, r->cr3);
	cpu_ctx_set_cr(c, 4, r->cr4);
	cpu_ctx_set_hflags(c, cr_hflags(cpu_ctx_hflags(c), r->cr0, r->cr4));
	cpu_ctx_commit(c);
	cpu__flush_tlb(c);
	uc_reg_write(c->uc, UC_X86_REG_RIP, &rip);
	/* Its block ran, but it did not retire; its paging event is void. */
	c->prev_block = -1;
	c->retired--;
	if (c->sink.n && c->tm_insns_pending)
		c->tm_insns_pending--;
	cpu__stale(c);
	return cpu__raise(c, X86_VEC_GP, true, 0, rip);
}
