/*
 * The run loop: uc_emu_start until something needs tdpsim, then do it and
 * start again. What brings uc_emu_start back:
 *
 *  - UC_ERR_EXCEPTION: a refused TLB fill, a guest fault (fault.c);
 *  - UC_ERR_OK after our own uc_emu_stop: an interrupt is due at a block
 *    boundary (deliver it), a hook changed what is hooked (re-hook), or a
 *    stop reason was set (isa-debug-exit, --max-insns, triple fault, error);
 *  - UC_ERR_OK otherwise: HLT (RIP after it). With IF=1 virtual time jumps
 *    to the next device deadline and the interrupt is delivered; with IF=0,
 *    or no timer armed, nothing can wake the CPU. QEMU would wait forever;
 *    we stop with CPU_STOP_HALTED instead of hanging.
 *  - another Unicorn error (memory outside RAM ...): CPU_STOP_ERROR.
 *
 * uc_emu_start has no stop address: the handle is in Unicorn's exits mode
 * with no exit (machine.c), so only a hook or a guest event ends a run.
 * Preemption never uses the uc_emu_start timeout (it re-executes part of
 * a block, UNICORN.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/report.h"
#include "timing/model.h"

/* The instructions retired since the last call, to the timing model: once
 * per run slice, not per block (tm_insns() is a sum; cpu__block_cut may
 * still take back part of the last block before it is fed). */
static void feed_insns(struct cpu *c)
{
	if (c->tm_insns_pending) {
		trc_insns(&c->sink, c->tm_insns_pending);
		c->tm_insns_pending = 0;
	}
}

static int deliver_irq(struct cpu *c)
{
	struct cpu_event ev = { .kind = CPU_EV_EXTINT };
	int v;

	if (dev_intr_pending(&c->bus) < 0 || !(cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_IF))
		return 0;
	v = dev_intr_ack(&c->bus);
	if (v < 0)
		return 0;
	ev.vector = (uint8_t)v;
	c->n.interrupts++;
	cpu_reset_old_exception(c);
	int rc = cpu_deliver(c, &ev);
	if (rc == CPU_TRIPLE_FAULT)
		cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault delivering interrupt %#x", v);
	else if (rc < 0)
		cpu_run_stop(c, CPU_STOP_ERROR, "cannot deliver interrupt %#x: %s", v,
			 cpu_deliver_chain(c)->why);
	return rc;
}

/* A site refused its instruction at RIP (msr.c): #GP(0) for an MSR or
 * control-register write the SDM forbids, #UD, #DB for a breakpoint. */
static void deliver_pending(struct cpu *c)
{
	c->pend.valid = false;
	cpu__raise(c, c->pend.vector, c->pend.has_error, c->pend.error,
		   cpu_reg(c, UC_X86_REG_RIP));
}

/* HLT: RIP is past it. */
static void halted(struct cpu *c)
{
	c->n.halts++;
	if (!(cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_IF)) {
		cpu_run_stop(c, CPU_STOP_HALTED, "the guest halted with interrupts disabled "
			 "(hlt with IF=0 at RIP %#" PRIx64 ")", cpu_reg(c, UC_X86_REG_RIP) - 1);
		return;
	}
	dev_bus_advance(&c->bus, c->insns);
	if (dev_intr_pending(&c->bus) < 0) {
		if (c->bus.next_deadline == UINT64_MAX) {
			cpu_run_stop(c, CPU_STOP_HALTED, "the guest halted with no timer armed and no "
				 "interrupt pending (hlt at RIP %#" PRIx64 ")",
				 cpu_reg(c, UC_X86_REG_RIP) - 1);
			return;
		}
		/* Idle: virtual time jumps to the next device deadline. */
		if (c->max_insns && c->bus.next_deadline >= c->max_insns) {
			c->insns = c->max_insns;
			cpu_run_stop(c, CPU_STOP_MAX_INSNS, "stopped after %" PRIu64 " instructions "
				 "(--max-insns, halted)", c->insns);
			return;
		}
		c->insns = c->bus.next_deadline;
		c->insns_ahead = 0; /* the idle time covers what was counted ahead */
		dev_bus_advance(&c->bus, c->insns);
	}
	deliver_irq(c);
}

static bool after_hlt(struct cpu *c)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	uint8_t b = 0;

	return rip && cpu__read_code(c, rip - 1, 1, &b) == 0 && b == 0xf4;
}

int cpu_run(struct cpu *c)
{
	c->stop = CPU_STOP_NONE;
	if (!c->started) {
		/* The start state is an event: the model of a LONG64 boot,
		 * entered with paging on, walks from the first access. */
		c->started = true;
		cpu_feed_start(c);
	}
	cpu_sync_paging(c);
	while (!c->stop) {
		uint64_t rip;
		uc_err e;

		cpu_machine_sync_hooks(c);
		if (c->flush_tb) {
			c->n.tb_flushes++;
			uc_ctl_flush_tb(c->uc);
			c->flush_tb = false;
		}
		c->stop_irq = c->stop_hook = false;
		c->ud_pending = false;
		feed_insns(c);
		cpu__stale(c);
		c->cur_block = -1;
		if (!c->block_hooked)
			c->uncounted = true;
		rip = cpu_reg(c, UC_X86_REG_RIP);
		e = uc_emu_start(c->uc, rip, 0, 0, 0); /* @until: ignored (exits mode) */
		/* A hook stopped the run in the middle of a block (OUT to
		 * isa-debug-exit, a timer armed, a site that raised an
		 * exception or emulated its instruction): the rest of it did
		 * not run, nor did its last instruction's paging event. The
		 * machine's own end by a port write (power-off, isa-debug-exit)
		 * comes after that port instruction: RIP is no measure of it
		 * (the 64-bit kernel's power-off left it at the block's start
		 * under --model functional, at its end under --model timing). */
		if (e == UC_ERR_OK) {
			uint64_t at = c->stop == CPU_STOP_EXIT ? cpu__after_port(c, c->block_ports) : 0;

			if (!at)
				at = cpu_reg(c, UC_X86_REG_RIP);
			cpu__block_abort(c, at);
			cpu__block_cut(c, at);
		}
		if (c->stop)
			break;
		if (e == UC_ERR_EXCEPTION) {
			rip = cpu_reg(c, UC_X86_REG_RIP);
			cpu__block_abort(c, rip);
			cpu__block_cut(c, rip);
			cpu__after_exception(c);
			continue;
		}
		if (e != UC_ERR_OK) {
			cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn: %s at RIP %#" PRIx64, uc_strerror(e),
				 cpu_reg(c, UC_X86_REG_RIP));
			break;
		}
		if (c->pdpte_gp) {
			cpu__pdpte_gp(c);
			continue;
		}
		if (c->stop_irq) {
			deliver_irq(c);
			continue;
		}
		if (c->pend.valid) {
			deliver_pending(c);
			continue;
		}
		if (c->stop_hook)
			continue;
		if (after_hlt(c)) {
			halted(c);
			continue;
		}
		cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn stopped for no known reason at RIP %#" PRIx64,
			 cpu_reg(c, UC_X86_REG_RIP));
	}
	feed_insns(c);
	if (c->stop == CPU_STOP_ERROR ||
	    ((c->stop == CPU_STOP_RESET || c->stop == CPU_STOP_TRIPLE) && !c->reboot))
		cpu_report(c, c->report, c->stop_msg);
	return c->stop;
}
