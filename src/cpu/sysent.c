/*
 * SYSCALL and SYSENTER, emulated (sysent.h).
 *
 * What Unicorn 2.1.1 does with the four instructions (seg_helper.c of the
 * 2.1 branch, and tests/test_deliver.c on this machine):
 *  - SYSCALL: helper_syscall only runs the UC_HOOK_INSN(SYSCALL) callbacks
 *    and then adds the instruction length (2) to EIP. Nothing else happens:
 *    without a hook it is a 2-byte no-op.
 *  - SYSENTER: the same (helper_sysenter runs the SYSENTER hooks, then
 *    EIP += 2). So it must be hooked and emulated, or it silently does
 *    nothing.
 *  - SYSRET and SYSEXIT run natively (QEMU's helper_sysret /
 *    helper_sysexit, which load the CS/SS caches and CPL 3 themselves).
 *    test_deliver checks both round trips.
 *
 * SYSCALL follows SDM Vol. 2B SYSCALL (64-bit mode) and, for an AMD CPU
 * model, APM Vol. 3 SYSCALL (compatibility mode: RIP = CSTAR; legacy mode:
 * EIP = STAR[31:0]), as QEMU's do_syscall does. An Intel CPU model raises
 * #UD outside 64-bit mode. The MSRs are Unicorn's (the guest's WRMSR of
 * STAR/LSTAR/CSTAR/FMASK/SYSENTER_* runs natively).
 */
#include "cpu/sysent.h"

#include <errno.h>

#include "cpu/ctx.h"
#include "cpu/deliver.h"

/* Flat code and stack segments as SYSCALL/SYSENTER load them (SDM Vol. 2B):
 * base 0, limit 4 GiB, type 11 (execute/read, accessed) or 3 (read/write,
 * accessed), S=1, DPL 0, P=1, G=1. */
#define FLAT_CODE (CPU_DESC_G | CPU_DESC_P | CPU_DESC_S | CPU_DESC_CODE | CPU_DESC_R | CPU_DESC_A)
#define FLAT_DATA (CPU_DESC_G | CPU_DESC_B | CPU_DESC_P | CPU_DESC_S | CPU_DESC_W | CPU_DESC_A)
#define INSN_LEN  2 /* 0F 05 and 0F 34 */



/* The instruction's address, whichever way we were called. */
static uint64_t insn_addr(struct cpu *c, bool in_hook)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	return in_hook ? rip : rip - INSN_LEN;
}

/* Set RIP so that execution continues at @target. */
static int set_rip(struct cpu *c, bool in_hook, uint64_t target)
{
	uint64_t v = in_hook ? target - INSN_LEN : target;
	return uc_reg_write(c->uc, UC_X86_REG_RIP, &v) == UC_ERR_OK ? 0 : -EIO;
}

/* Raise a fault at the instruction itself. */
static int fault(struct cpu *c, bool in_hook, uint8_t vec)
{
	uint64_t at = insn_addr(c, in_hook);
	if (uc_reg_write(c->uc, UC_X86_REG_RIP, &at))
		return -EIO;
	struct cpu_event ev = {.vector = vec,
			       .kind = CPU_EV_EXCEPTION,
			       .has_error = cpu_vector_has_error(vec),
			       .error = 0};
	int rc = cpu_deliver(c, &ev);
	if (rc == 0 && in_hook)
		rc = set_rip(c, true, cpu_reg(c, UC_X86_REG_RIP));
	return rc;
}

static int load_flat(struct cpu *c, uint16_t cs_sel, bool l, bool b32)
{
	struct cpu_seg_cache cs = {.sel = cs_sel & 0xfffc,
				   .base = 0,
				   .limit = 0xffffffff,
				   .flags =
				       FLAT_CODE | (l ? CPU_DESC_L : 0) | (b32 ? CPU_DESC_B : 0)};
	struct cpu_seg_cache ss = {.sel = (uint16_t)((cs_sel + 8) & 0xfffc),
				   .base = 0,
				   .limit = 0xffffffff,
				   .flags = FLAT_DATA};
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
	cpu_ctx_load_seg(c, CPU_SEG_SS, &ss); /* CPL = SS.DPL = 0 */
	return cpu_ctx_commit(c);
}

int cpu_syscall(struct cpu *c, bool in_hook)
{
	int rc = cpu_ctx_begin(c);
	if (rc)
		return rc;
	uint64_t efer = cpu_ctx_efer(c);
	uint32_t hf = cpu_ctx_hflags(c);
	bool amd = c->cfg.cpu.vendor == TM_VENDOR_AMD;
	bool lma = (hf & CPU_HF_LMA) != 0, cs64 = (hf & CPU_HF_CS64) != 0;

	if (!(efer & EFER_SCE) || (!amd && !cs64) || !(cpu_ctx_cr(c, 0) & CR0_PE))
		return fault(c, in_hook, X86_VEC_UD);
	uint64_t next = insn_addr(c, in_hook) + INSN_LEN;
	uint64_t rfl = cpu_reg(c, UC_X86_REG_RFLAGS);
	uint64_t star = cpu_rdmsr(c, MSR_IA32_STAR);
	uint16_t sel = (uint16_t)(star >> 32);
	uint64_t target;

	if (lma) {
		uint64_t r11 = rfl & ~RFLAGS_RF;
		uint64_t fmask = cpu_rdmsr(c, MSR_IA32_FMASK);
		target = cpu_rdmsr(c, cs64 ? MSR_IA32_LSTAR : MSR_IA32_CSTAR);
		/* The blob first: its restore rewrites every register. */
		rc = load_flat(c, sel, true, false);
		if (rc == 0 && (uc_reg_write(c->uc, UC_X86_REG_RCX, &next) ||
				uc_reg_write(c->uc, UC_X86_REG_R11, &r11)))
			rc = -EIO;
		rfl &= ~(fmask | RFLAGS_RF);
	} else {
		/* AMD legacy mode: ECX = return EIP, EIP = STAR[31:0]. */
		uint64_t ecx = (uint32_t)next;
		target = (uint32_t)star;
		rc = load_flat(c, sel, false, true);
		if (rc == 0 && uc_reg_write(c->uc, UC_X86_REG_RCX, &ecx))
			rc = -EIO;
		rfl &= ~(RFLAGS_IF | RFLAGS_RF | RFLAGS_VM);
	}
	if (rc)
		return rc;
	if (uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &rfl))
		return -EIO;
	return set_rip(c, in_hook, target);
}

int cpu_sysenter(struct cpu *c, bool in_hook)
{
	int rc = cpu_ctx_begin(c);
	if (rc)
		return rc;
	uint32_t hf = cpu_ctx_hflags(c);
	bool lma = (hf & CPU_HF_LMA) != 0;
	uint64_t scs = cpu_rdmsr(c, MSR_IA32_SYSENTER_CS);

	/* AMD: SYSENTER is #UD in long mode (APM Vol. 3 SYSENTER). */
	if (lma && c->cfg.cpu.vendor == TM_VENDOR_AMD)
		return fault(c, in_hook, X86_VEC_UD);
	if (!(cpu_ctx_cr(c, 0) & CR0_PE) || (scs & 0xfffc) == 0)
		return fault(c, in_hook, X86_VEC_GP);
	uint64_t esp = cpu_rdmsr(c, MSR_IA32_SYSENTER_ESP);
	uint64_t eip = cpu_rdmsr(c, MSR_IA32_SYSENTER_EIP);
	if (!lma) {
		esp = (uint32_t)esp;
		eip = (uint32_t)eip;
	}
	uint64_t rfl =
	    cpu_reg(c, UC_X86_REG_RFLAGS) & ~(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF);
	rc = load_flat(c, (uint16_t)scs, lma, !lma);
	if (rc)
		return rc;
	if (uc_reg_write(c->uc, UC_X86_REG_RSP, &esp) ||
	    uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &rfl))
		return -EIO;
	return set_rip(c, in_hook, eip);
}
