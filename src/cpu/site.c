/*
 * The hook of every site (site_table.c): first finish the RDMSR or RDTSC
 * just before (EDX:EAX := the model's value), then hand this instruction
 * to its handler: msr.c (RDMSR, WRMSR), crmov.c (MOV to CRn) or debug.c
 * (MOV DRn); RDTSC/RDTSCP and WRPKRU are handled here. A hook is per
 * address, not per address space: each handler looks at the live
 * registers.
 */
#include "cpu/cpu.h"
#include "cpu/ctx.h"

static void wr(struct cpu *c, int reg, uint64_t v)
{
	uc_reg_write(c->uc, reg, &v);
}

/* EDX:EAX of the RDTSC/RDMSR that ran just before: our value over
 * QEMU's. */
static void finish(struct cpu *c)
{
	uint64_t v = c->after == CPU_AFTER_TSC ? cpu__tsc_now(c) : c->msr_val;

	wr(c, UC_X86_REG_RAX, (uint32_t)v);
	wr(c, UC_X86_REG_RDX, v >> 32);
	c->n.emulated++;
}

void cpu__site_block(struct cpu *c, uint64_t pc)
{
	if (c->after && pc == c->after_at)
		finish(c);
	c->after = CPU_AFTER_NONE;
}

void cpu__site(struct cpu *c, uint64_t addr)
{
	const struct cpu_site *s = cpu__site_find(c, addr);

	if (!s)
		return;
	/* First finish the instruction before this one ... */
	if ((s->kind & CPU_SITE_AFTER) && c->after && addr == c->after_at)
		finish(c);
	c->after = CPU_AFTER_NONE;
	if (!cpu__site_current(c, s))
		return; /* rewritten: no longer the instruction hooked */
	/* ... then look at this one, before QEMU runs it. */
	if (s->kind & CPU_SITE_WRPKRU) {
		/* WRPKRU runs natively too (QEMU's own walker uses it);
		 * the engine needs the value: EAX (ECX = EDX = 0, else QEMU
		 * raises #GP and nothing changes). */
		if (cpu_reg(c, UC_X86_REG_ECX) == 0 && cpu_reg(c, UC_X86_REG_EDX) == 0) {
			struct trc_event ev = { .kind = TRC_EV_PKRU };

			c->pkru = (uint32_t)cpu_reg(c, UC_X86_REG_EAX);
			ev.reg.value = c->pkru;
			cpu__paging_changed(c, &ev, true);
		}
	} else if (s->kind & CPU_SITE_WRMSR) {
		cpu__wrmsr(c);
	} else if (s->kind & CPU_SITE_RDMSR) {
		cpu__rdmsr(c);
	} else if (s->kind & CPU_SITE_RDTSC) {
		/* RDTSCP (0F 01 F9) exists only with the feature. */
		bool rdtscp = s->len >= 3 && s->len <= 8 && s->bytes[s->len - 1] == 0xf9;

		if (rdtscp && !(c->cfg.cpu.features & TM_FEAT_RDTSCP))
			cpu__site_raise(c, X86_VEC_UD);
		else
			c->after = CPU_AFTER_TSC;
	} else if (s->kind & CPU_SITE_MOVCR) {
		cpu__movcr(c, s);
	} else if (s->kind & CPU_SITE_MOVDR) {
		cpu__movdr(c, s);
	}
	c->after_at = addr + s->len;
}
