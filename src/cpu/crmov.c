/*
 * MOV to CR0/CR3/CR4/CR8, checked before QEMU runs it (a site, msr.c):
 * the write goes ahead when crcheck.c allows it, else #GP(0) is raised at
 * the instruction and it does not run. MOV at CPL > 0 is left to QEMU,
 * which raises #GP(0) first, as the SDM orders the checks.
 */
#include "cpu/crcheck.h"

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/msr_model.h"

struct cpu_cr_state cpu__cr_state(struct cpu *c)
{
	struct cpu_cr_state s = {
		.cr0 = cpu_reg(c, UC_X86_REG_CR0), .cr3 = cpu_reg(c, UC_X86_REG_CR3),
		.cr4 = cpu_reg(c, UC_X86_REG_CR4), .efer = cpu_rdmsr(c, MSR_IA32_EFER),
		.cs64 = cpu__code64(c),
		.nx_hidden = (c->msrm->misc_enable & MISC_EN_XD_DISABLE) != 0,
	};
	return s;
}

void cpu__movcr(struct cpu *c, const struct cpu_site *s)
{
	struct cpu_cr_state st;
	const char *why = NULL;
	uint64_t v;

	if (c->cur_cpl)
		return;
	st = cpu__cr_state(c);
	v = cpu_reg(c, s->reg);
	if (!st.cs64)
		v &= UINT32_MAX;
	if (cpu_cr_check(&c->cfg, &st, s->num, v, &why)) {
		cpu__site_raise(c, X86_VEC_GP);
		return;
	}
	if (s->num == CPU_CR0 || s->num == CPU_CR4) {
		struct pg_regs o = c->regs, n;

		o.cr0 = st.cr0;
		o.cr4 = st.cr4;
		o.efer = st.efer;
		n = o;
		*(s->num == CPU_CR0 ? &n.cr0 : &n.cr4) = v;
		/* A write that changes translations: Unicorn's TLB goes
		 * before it runs (QEMU 5 keeps its entries across some, e.g.
		 * CR4.PCIDE/PKE, CR0.CD), so that the first access after it
		 * rebuilds the engine's context, whatever Unicorn's TLB held:
		 * the mmu event's place in the feed is the guest's. (MOV to
		 * CR3 with paging on: QEMU flushes; with it off: no change.) */
		if (cpu__paging_changed_regs(&o, &n))
			cpu__flush_tlb(c);
	}
}
