/*
 * How a site's hook leaves its instruction (site.c): raise an exception
 * at it instead of running it, or continue after it (emulated). Either
 * way a RIP write leaves the translation block before the instruction
 * runs and the run stops; run.c delivers the exception, or restarts at
 * the new RIP, or delivers a trap there; run.c also drops the block's
 * pending paging event when the instruction came before the block's last
 * (cpu__block_abort).
 */
#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"

void cpu__site_raise(struct cpu *c, uint8_t vector)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);

	c->pend.valid = true;
	c->pend.vector = vector;
	c->pend.has_error = cpu_vector_has_error(vector);
	c->pend.error = 0;
	c->n.emulated++;
	uc_reg_write(c->uc, UC_X86_REG_RIP, &rip);
	uc_emu_stop(c->uc);
}

void cpu__site_skip(struct cpu *c, uint64_t next, bool trap)
{
	c->n.emulated++;
	if (trap) { /* a #DB trap after it (single-step): delivered at @next */
		c->pend.valid = true;
		c->pend.vector = X86_VEC_DB;
		c->pend.has_error = false;
		c->pend.error = 0;
	}
	uc_reg_write(c->uc, UC_X86_REG_RIP, &next);
	c->stop_hook = true;
	uc_emu_stop(c->uc);
}
