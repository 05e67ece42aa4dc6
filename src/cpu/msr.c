/*
 * MSRs, PKRU and the time-stamp counter, where QEMU 5's TCG differs from
 * the CPU model or keeps state the engine needs.
 *
 * RDMSR/WRMSR of EFER, PAT, STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE and
 * SYSENTER_CS/ESP/EIP run natively: QEMU keeps them (checked on this
 * machine by writing and reading each back). An MSR QEMU does not know,
 * such as IA32_PKRS (6E1H), does not raise #GP in QEMU 5: WRMSR is
 * silently dropped and RDMSR returns 0 (checked the same way). And RDTSC
 * reads the host clock (two runs of the same code gave 0x72f7f50ce42 and
 * 0x72f7f59968c): not deterministic.
 *
 * None of these instructions can be hooked as instructions in Unicorn
 * 2.1.1: each is a site (site.c), whose hook runs before the instruction
 * and calls the handlers here:
 *
 *  - RDMSR/WRMSR: a device's MSR goes to the device; EFER writes are
 *    checked (crcheck.c); the CPU model's MSRs are msr_model.c's (its
 *    value replaces what QEMU's RDMSR returned); the MSRs QEMU keeps as
 *    the model wants run natively, address MSRs checked for canonical
 *    values; any other index is #GP(0), as on hardware;
 *  - WRMSR IA32_PKRS (with PKS in the model; SDM Vol. 4 Table 2-2, Vol.
 *    3A 4.6.2): the value is kept in c->msr.pkrs, the engine context is
 *    rebuilt, Unicorn's TLB flushed (rights changed) and TM_EV_MSR fed.
 *    Bits 63:32 are reserved: #GP(0);
 *  - WRPKRU (SDM Vol. 3A 4.6.2): QEMU runs it; its value (EAX) is also
 *    given to the engine (TM_EV_PKRU), whose user-page rights depend on
 *    it. (XRSTOR of PKRU is not seen.)
 *  - RDMSR IA32_PKRS, RDMSR IA32_TSC (10H), RDTSC, RDTSCP: after QEMU ran
 *    the instruction, EDX:EAX is overwritten with our value. The TSC is
 *    virtual: floor(insns * tsc_hz / DEV_INSNS_PER_SEC) + an offset that
 *    WRMSR IA32_TSC sets, insns being virtual time (c->insns), so it is
 *    deterministic, exact for any tsc_hz (a 2.3 GHz model counts 2.3 ticks
 *    per nanosecond), and, like virtual time, advances per block. RDTSCP
 *    is #UD when the model has no RDTSCP (QEMU's own CPU has it).
 */
#include <errno.h>
#include <inttypes.h>

#include <glib.h>

#include "cpu/cpu.h"
#include "cpu/crcheck.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/msr_model.h"
#include "timing/model.h"



/* The TSC at virtual time c->insns: exact in 128 bits (no rounding of
 * the rate), plus the offset. */
static uint64_t tsc_ticks(const struct cpu *c)
{
	return dev_tsc_at(c->insns, c->cfg.cpu.tsc_hz);
}

uint64_t cpu__tsc_now(struct cpu *c)
{
	return c->tsc_base + tsc_ticks(c);
}

/* Address MSRs hold a linear address: a non-canonical one is #GP(0)
 * (Vol. 4 Table 2-2; WRMSR). Canonical with respect to the widest linear
 * address the model has (57 bits with LA57, whatever CR4.LA57 says). */
static bool addr_msr_ok(struct cpu *c, uint32_t msr, uint64_t v)
{
	unsigned bits = c->cfg.cpu.linear_bits;

	switch (msr) {
	case MSR_IA32_LSTAR:
	case MSR_IA32_CSTAR:
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return ((int64_t)(v << (64 - bits)) >> (64 - bits)) == (int64_t)v;
	default:
		return true;
	}
}

void cpu__wrmsr(struct cpu *c)
{
	uint32_t msr = (uint32_t)cpu_reg(c, UC_X86_REG_ECX);
	uint64_t v = (cpu_reg(c, UC_X86_REG_RDX) << 32) | (uint32_t)cpu_reg(c, UC_X86_REG_RAX);

	if (c->cur_cpl)
		return; /* QEMU raises #GP(0) itself */
	/* A device's MSR (the local APIC's): the device takes it; QEMU's own
	 * WRMSR then runs and changes nothing of ours. A refusal is #GP(0). */
	int rc = dev_bus_wrmsr(&c->bus, msr, v);

	if (rc == -EINVAL) {
		cpu__site_raise(c, X86_VEC_GP);
		return;
	}
	if (rc != -ENOENT) {
		c->n.emulated++;
		c->irq_check = true;
		return;
	}
	if (msr == MSR_IA32_EFER) {
		struct cpu_cr_state s = cpu__cr_state(c);

		/* LMA is read-only: a write keeps its value (QEMU's too). */
		v = (v & ~EFER_LMA) | (s.efer & EFER_LMA);
		if (cpu_cr_check(&c->cfg, &s, CPU_EFER, v, NULL))
			cpu__site_raise(c, X86_VEC_GP);
		else if ((v ^ s.efer) & EFER_NXE)
			/* Rights change with NXE (QEMU 5 may keep its entries):
			 * the next access after the WRMSR fills again, under
			 * the new context, whatever Unicorn's TLB held. */
			cpu__flush_tlb(c);
		return;
	}
	if (msr == MSR_IA32_TSC) {
		c->tsc_base = v - tsc_ticks(c);
		c->n.emulated++;
		return;
	}
	if (msr == MSR_IA32_PKRS && (c->cfg.cpu.features & TM_FEAT_PKS)) {
		struct trc_event ev = { .kind = TRC_EV_MSR, .msr = { .index = msr, .value = v } };

		if (v >> 32) {
			cpu__site_raise(c, X86_VEC_GP);
			return;
		}
		c->msr.pkrs = v;
		c->n.emulated++;
		cpu__paging_changed(c, &ev, true);
		return;
	}
	rc = cpu_msr_model_write(c->msrm, msr, v);
	if (rc == 0) {
		c->n.emulated++; /* QEMU's WRMSR runs too: it keeps or drops the value */
		return;
	}
	if (rc == -ENOENT && cpu_msr_native(&c->cfg, msr) && addr_msr_ok(c, msr, v))
		return;
	cpu__site_raise(c, X86_VEC_GP);
}

void cpu__rdmsr(struct cpu *c)
{
	uint32_t msr = (uint32_t)cpu_reg(c, UC_X86_REG_ECX);
	int rc;

	if (c->cur_cpl)
		return; /* QEMU raises #GP(0) itself */
	rc = dev_bus_rdmsr(&c->bus, msr, &c->msr_val);
	if (rc == -ENOENT) {
		if (msr == MSR_IA32_TSC) {
			c->after = CPU_AFTER_TSC;
			return;
		}
		if (msr == MSR_IA32_PKRS && (c->cfg.cpu.features & TM_FEAT_PKS)) {
			c->msr_val = c->msr.pkrs;
			c->after = CPU_AFTER_VAL;
			return;
		}
		if (cpu_msr_native(&c->cfg, msr))
			return;
		rc = cpu_msr_model_read(c->msrm, msr, &c->msr_val);
	}
	if (rc == 0)
		c->after = CPU_AFTER_VAL;
	else
		cpu__site_raise(c, X86_VEC_GP);
}
