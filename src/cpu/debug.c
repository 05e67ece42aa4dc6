/*
 * Debug registers and breakpoints (SDM Vol. 3A 18.2-18.3).
 *
 * Unicorn 2.1.1 must never see a breakpoint: a MOV to DR7 that enables
 * an instruction breakpoint makes QEMU insert it into its TCG breakpoint
 * list, and the next run dies with SIGSEGV inside the generated code
 * (seen on this machine with a 10-line probe); data breakpoints are taken
 * and then never fire. So every MOV to or from DR0-DR7 is a site (msr.c)
 * emulated here, on tdpsim's own copy of the registers, and QEMU's DR7
 * stays at its reset value:
 *
 *  - CPL > 0: QEMU raises #GP(0) itself (checked first, as the SDM does);
 *  - DR4/DR5 with CR4.DE=1: #UD; with CR4.DE=0 they alias DR6/DR7;
 *  - DR7.GD=1: #DB (a fault) with DR6.BD set and DR7.GD cleared;
 *  - 64-bit mode, bits 63:32 of DR6/DR7 set: #GP(0);
 *  - DR6 keeps only B0-B3, BD, BS and BT (the rest read as DR6_INIT's);
 *    DR7 keeps its defined bits, bit 10 reads as 1.
 * Instruction breakpoints (R/W = 00, L or G set) are a one-address code
 * hook on the breakpoint's linear address: unless RFLAGS.RF is set the
 * instruction does not run and #DB is raised at it, with DR6.Bn set for
 * each enabled instruction breakpoint on that address (a fault: the
 * handler sets RF in the frame to resume, 18.3.1.1).
 * Single-step (RFLAGS.TF) is QEMU's own #DB trap after the instruction;
 * its DR6.BS lands in our DR6 (cpu__debug_trap). After a MOV DR, which
 * QEMU never runs, the trap is raised here.
 * Data breakpoints (R/W = 01 or 11) and I/O breakpoints (R/W = 10, CR4.DE)
 * are not modelled: a MOV to DR7 that enables one stops the run with a
 * report (exit status 2), before the instruction runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"

struct cpu_debug {
	uint64_t dr[8];        /* DR4/DR5 unused: they alias DR6/DR7 */
	uc_hook hook[4];
	uint64_t hooked_at[4];
	bool hooked[4];
};

int cpu__debug_init(struct cpu *c)
{
	c->dbg = calloc(1, sizeof(*c->dbg));
	if (!c->dbg)
		return -ENOMEM;
	c->dbg->dr[6] = DR6_INIT;
	c->dbg->dr[7] = DR7_INIT;
	return 0;
}

void cpu__debug_free(struct cpu *c)
{
	free(c->dbg);
	c->dbg = NULL;
}

uint64_t cpu_debug_reg(const struct cpu *c, unsigned n)
{
	return c->dbg && n < 8 ? c->dbg->dr[n] : 0;
}

static bool exec_bp(uint64_t dr7, unsigned n)
{
	return DR7_ENABLED(dr7, n) && DR7_RW(dr7, n) == DR7_RW_EXEC;
}

/* One code hook per enabled instruction breakpoint, at its address. A
 * change needs the blocks translated again (run.c flushes). */
static void sync_bp_hooks(struct cpu *c)
{
	struct cpu_debug *d = c->dbg;

	for (unsigned n = 0; n < 4; n++) {
		bool want = exec_bp(d->dr[7], n);

		if (d->hooked[n] && (!want || d->hooked_at[n] != d->dr[n])) {
			uc_hook_del(c->uc, d->hook[n]);
			d->hooked[n] = false;
			c->flush_tb = true;
		}
		if (want && !d->hooked[n] &&
		    uc_hook_add(c->uc, &d->hook[n], UC_HOOK_CODE, c->bp_cb, c, d->dr[n],
				d->dr[n]) == UC_ERR_OK) {
			d->hooked[n] = true;
			d->hooked_at[n] = d->dr[n];
			c->flush_tb = true;
		}
	}
}

/* A breakpoint the machine cannot take: data or I/O (see above). */
static int unmodelled(uint64_t dr7)
{
	for (unsigned n = 0; n < 4; n++)
		if (DR7_ENABLED(dr7, n) && DR7_RW(dr7, n) != DR7_RW_EXEC)
			return (int)n;
	return -1;
}

/* Continue after the emulated MOV; single-step traps after it. */
static void done(struct cpu *c, const struct cpu_site *s)
{
	bool tf = cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_TF;

	if (tf)
		c->dbg->dr[6] |= DR6_BS;
	cpu__site_skip(c, s->addr + s->len, tf);
}

void cpu__movdr(struct cpu *c, const struct cpu_site *s)
{
	struct cpu_debug *d = c->dbg;
	unsigned n = s->num;
	bool cs64;
	uint64_t v;
	int bad;

	if (c->cur_cpl)
		return;
	if (n == 4 || n == 5) {
		if (cpu_reg(c, UC_X86_REG_CR4) & CR4_DE) {
			cpu__site_raise(c, X86_VEC_UD);
			return;
		}
		n += 2;
	}
	if (d->dr[7] & DR7_GD) {
		d->dr[6] |= DR6_BD;
		d->dr[7] &= ~DR7_GD;
		cpu__site_raise(c, X86_VEC_DB);
		return;
	}
	cs64 = cpu__code64(c);
	if (!s->to) {
		v = d->dr[n];
		if (!cs64)
			v &= UINT32_MAX;
		uc_reg_write(c->uc, s->reg, &v);
		done(c, s);
		return;
	}
	v = cpu_reg(c, s->reg);
	if (!cs64)
		v &= UINT32_MAX;
	if (n >= 6 && (v >> 32)) {
		cpu__site_raise(c, X86_VEC_GP);
		return;
	}
	if (n == 7 && (bad = unmodelled(v)) >= 0) {
		cpu_run_stop(c, CPU_STOP_ERROR,
			     "the guest enabled a %s breakpoint (DR7 %#" PRIx64 ", DR%d %#" PRIx64
			     "): only instruction breakpoints and single-step are modelled",
			     DR7_RW(v, bad) == DR7_RW_IO ? "I/O" : "data", v, bad, d->dr[bad]);
		return;
	}
	if (n < 4)
		d->dr[n] = v;
	else if (n == 6)
		d->dr[6] = (v & DR6_VOLATILE) | DR6_INIT;
	else
		d->dr[7] = (v & DR7_VOLATILE) | DR7_FIXED1;
	sync_bp_hooks(c);
	done(c, s);
}

void cpu__debug_bp(struct cpu *c, uint64_t addr)
{
	struct cpu_debug *d = c->dbg;
	uint64_t hit = 0;

	if (cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_RF)
		return;
	for (unsigned n = 0; n < 4; n++)
		if (exec_bp(d->dr[7], n) && d->dr[n] == addr)
			hit |= DR6_B(n);
	if (!hit)
		return;
	d->dr[6] = (d->dr[6] & ~GENMASK64(3, 0)) | hit;
	cpu__site_raise(c, X86_VEC_DB);
}

void cpu__debug_trap(struct cpu *c)
{
	uint64_t qdr6 = 0, init = DR6_INIT;

	uc_reg_read(c->uc, UC_X86_REG_DR6, &qdr6);
	if (qdr6 & DR6_BS) {
		c->dbg->dr[6] |= DR6_BS;
		uc_reg_write(c->uc, UC_X86_REG_DR6, &init);
	}
}
