/*
 * Instructions QEMU 5's TCG does not have, emulated by tdpsim. Unicorn
 * raises #UD for them (UC_HOOK_INSN_INVALID, then UC_HOOK_INTR vector 6);
 * fault.c calls cpu__emulate_ud() from the INTR hook, where RIP may be
 * rewritten. Returns 0 when emulated (RIP past the instruction, or a fault
 * delivered), -ENOENT when the #UD is the architectural answer.
 *
 *  - INVPCID (66 0F 38 82 /r, SDM Vol. 2A INVPCID): its #GP(0) checks, the
 *    16-byte descriptor read through the engine, TM_EV_INVPCID, and a flush
 *    of Unicorn's TLB (which has no PCIDs: flushing everything is a
 *    superset of every INVPCID type).
 *  - TDCALL (66 0F 01 CC; Intel TDX Module ABI spec, TDCALL leaves), only
 *    in a TD (--gpaw): leaf 1 TDG.VP.INFO, and leaf 0 TDG.VP.VMCALL with
 *    the GHCI 1.0 MapGPA sub-function (R11 = 0x10001, R12 = GPA with the
 *    shared bit giving the direction, R13 = size; R10 = 0 on success),
 *    handed to the hypervisor model (hv_tdx_map_gpa) as a VM exit.
 *    Outside a TD it is #UD, as VMCALL and VMMCALL are (no VMX non-root
 *    operation, no SVM guest mode).
 *  - INT1/ICEBP (F1, SDM Vol. 2A INT n/INTO/INT3/INT1): a #DB trap (RIP
 *    after it) delivered as an exception, with no gate-DPL check and DR6
 *    unchanged; QEMU 5 turns it into its debugger exit instead (Unicorn:
 *    an invalid instruction).
 * Capstone 4 decodes INVPCID with its operands; it does not know TDCALL,
 * which is matched by its bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <capstone/capstone.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/linear.h"
#include "hv/tdx.h"
#include "paging/bits.h"
#include "timing/model.h"

#define TDX_SUCCESS            UINT64_C(0)
#define TDX_OPERAND_INVALID    UINT64_C(0xC000010000000000) /* unknown leaf */
#define TDVMCALL_SUCCESS       UINT64_C(0)
#define TDVMCALL_INVALID_OPND  UINT64_C(0x8000000000000000)
#define TDCALL_VP_VMCALL       0
#define TDCALL_VP_INFO         1
#define TDVMCALL_MAP_GPA       UINT64_C(0x10001)

static void wr(struct cpu *c, int reg, uint64_t v)
{
	uc_reg_write(c->uc, reg, &v);
}

static int gp0(struct cpu *c)
{
	cpu__raise(c, X86_VEC_GP, true, 0, cpu_reg(c, UC_X86_REG_RIP));
	return 0;
}

static bool canonical(struct cpu *c, uint64_t a)
{
	unsigned bits = (cpu_reg(c, UC_X86_REG_CR4) & CR4_LA57) ? 57 : 48;

	return ((int64_t)(a << (64 - bits)) >> (64 - bits)) == (int64_t)a;
}

static int invpcid(struct cpu *c, cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	bool lm = cpu__code64(c);
	uint64_t desc[2] = { 0, 0 }, type, ea;
	struct pg_fault f = { 0 };

	if (!(c->cfg.cpu.features & TM_FEAT_INVPCID) || x->op_count != 2 ||
	    x->operands[0].type != X86_OP_REG || x->operands[1].type != X86_OP_MEM)
		return -ENOENT;
	if (c->cur_cpl != 0)
		return gp0(c);
	/* Operands: register type (r64 in 64-bit mode, else r32), m128. */
	const x86_op_mem *m = &x->operands[1].mem;
	{
		static const struct { unsigned cs; int uc; } map[] = {
			{ X86_REG_RAX, UC_X86_REG_RAX }, { X86_REG_RBX, UC_X86_REG_RBX },
			{ X86_REG_RCX, UC_X86_REG_RCX }, { X86_REG_RDX, UC_X86_REG_RDX },
			{ X86_REG_RSI, UC_X86_REG_RSI }, { X86_REG_RDI, UC_X86_REG_RDI },
			{ X86_REG_RBP, UC_X86_REG_RBP }, { X86_REG_RSP, UC_X86_REG_RSP },
			{ X86_REG_R8, UC_X86_REG_R8 }, { X86_REG_R9, UC_X86_REG_R9 },
			{ X86_REG_R10, UC_X86_REG_R10 }, { X86_REG_R11, UC_X86_REG_R11 },
			{ X86_REG_R12, UC_X86_REG_R12 }, { X86_REG_R13, UC_X86_REG_R13 },
			{ X86_REG_R14, UC_X86_REG_R14 }, { X86_REG_R15, UC_X86_REG_R15 },
			{ X86_REG_EAX, UC_X86_REG_EAX }, { X86_REG_EBX, UC_X86_REG_EBX },
			{ X86_REG_ECX, UC_X86_REG_ECX }, { X86_REG_EDX, UC_X86_REG_EDX },
			{ X86_REG_ESI, UC_X86_REG_ESI }, { X86_REG_EDI, UC_X86_REG_EDI },
			{ X86_REG_EBP, UC_X86_REG_EBP }, { X86_REG_ESP, UC_X86_REG_ESP },
		};
		int t = -1, b = -1, ix = -1;

		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			if (map[i].cs == x->operands[0].reg)
				t = map[i].uc;
			if (map[i].cs == m->base)
				b = map[i].uc;
			if (map[i].cs == m->index)
				ix = map[i].uc;
		}
		if (t < 0)
			return -ENOENT;
		type = cpu_reg(c, t);
		ea = (uint64_t)m->disp;
		if (m->base == X86_REG_RIP)
			ea += in->address + in->size;
		else if (b >= 0)
			ea += cpu_reg(c, b);
		if (ix >= 0)
			ea += cpu_reg(c, ix) * (uint64_t)m->scale;
		if (m->segment == X86_REG_FS)
			ea += cpu_reg(c, UC_X86_REG_FS_BASE);
		else if (m->segment == X86_REG_GS)
			ea += cpu_reg(c, UC_X86_REG_GS_BASE);
		if (!lm) {
			ea &= UINT32_MAX;
			type &= UINT32_MAX;
		}
	}
	/* SDM Vol. 2A INVPCID, Protected Mode / 64-Bit Mode Exceptions. */
	if (lm && !canonical(c, ea))
		return gp0(c);
	if (type > 3)
		return gp0(c);
	if (cpu__lin_access(c, ea, desc, 16, false, 0, false, false, &f) < 0)
		return -EIO;
	if (f.vector) {
		struct cpu_event ev = { .vector = f.vector, .kind = CPU_EV_EXCEPTION,
					.has_error = cpu_vector_has_error(f.vector),
					.error = f.error_code, .cr2 = f.addr };

		cpu__log_exception(c, f.vector, f.error_code, f.addr, cpu_reg(c, UC_X86_REG_RIP));
		if (cpu_deliver(c, &ev) == CPU_TRIPLE_FAULT)
			cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault");
		return 0;
	}
	uint16_t pcid = desc[0] & 0xfff;
	if (desc[0] >> 12)
		return gp0(c);  /* bits 63:12 of the descriptor must be 0 */
	if (type == 0 && !canonical(c, desc[1]))
		return gp0(c);
	if (type <= 1 && pcid && !(cpu_reg(c, UC_X86_REG_CR4) & CR4_PCIDE))
		return gp0(c);

	struct trc_event ev = { .kind = TRC_EV_INVPCID,
				.invpcid = { .type = (uint8_t)type, .pcid = pcid, .la = desc[1] } };
	cpu__paging_changed(c, &ev, false);
	wr(c, UC_X86_REG_RIP, in->address + in->size);
	c->n.emulated++;
	return 0;
}

static int tdcall(struct cpu *c, uint64_t rip)
{
	struct hv_tdx *t = cpu__tdx(c);
	uint64_t leaf = cpu_reg(c, UC_X86_REG_RAX);

	if (!t)
		return -ENOENT; /* not a TD: #UD */
	if (c->cur_cpl != 0)
		return gp0(c);
	c->n.emulated++;
	if (leaf == TDCALL_VP_INFO) {
		wr(c, UC_X86_REG_RCX, t->gpaw);      /* GPAW in bits 5:0 */
		wr(c, UC_X86_REG_RDX, 0);            /* TD attributes */
		wr(c, UC_X86_REG_R8, 1 | (UINT64_C(1) << 32)); /* NUM_VCPUS, MAX_VCPUS */
		wr(c, UC_X86_REG_R9, 0);             /* VCPU_INDEX */
		wr(c, UC_X86_REG_R10, 0);
		wr(c, UC_X86_REG_R11, 0);
		wr(c, UC_X86_REG_RAX, TDX_SUCCESS);
	} else if (leaf == TDCALL_VP_VMCALL) {
		uint64_t r10 = TDVMCALL_INVALID_OPND;
		struct trc_event ev = { .kind = TRC_EV_VMEXIT,
					.vmexit = { .reason = 77 /* TDCALL */, .cause = TRC_EXIT_GUEST } };

		c->n.vmexits++;
		cpu__event(c, &ev);
		if (cpu_reg(c, UC_X86_REG_R10) == 0 && cpu_reg(c, UC_X86_REG_R11) == TDVMCALL_MAP_GPA) {
			struct trc_event mg = { .kind = TRC_EV_MAPGPA };

			mg.mapgpa.gpa = cpu_reg(c, UC_X86_REG_R12);
			mg.mapgpa.bytes = cpu_reg(c, UC_X86_REG_R13);
			mg.mapgpa.shared = hv_tdx_gpa_shared(t, mg.mapgpa.gpa);
			mg.mapgpa.ok = hv_tdx_map_gpa(t, mg.mapgpa.gpa, mg.mapgpa.bytes) == 0;
			if (mg.mapgpa.ok)
				r10 = TDVMCALL_SUCCESS;
			trc_event(&c->sink, &mg);
		}
		cpu__flush_tlb(c);
		wr(c, UC_X86_REG_R10, r10);
		wr(c, UC_X86_REG_RAX, TDX_SUCCESS);
	} else {
		wr(c, UC_X86_REG_RAX, TDX_OPERAND_INVALID);
	}
	wr(c, UC_X86_REG_RIP, rip + 4);
	return 0;
}

static int int1(struct cpu *c, uint64_t rip)
{
	struct cpu_event ev = { .vector = X86_VEC_DB, .kind = CPU_EV_EXCEPTION };

	wr(c, UC_X86_REG_RIP, rip + 1);
	c->n.emulated++;
	cpu__log_exception(c, X86_VEC_DB, 0, 0, rip + 1);
	if (cpu_deliver(c, &ev) == CPU_TRIPLE_FAULT)
		cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault");
	return 0;
}

int cpu__emulate_ud(struct cpu *c)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	uint8_t b[4] = { 0 };
	cs_insn *in = NULL;
	int rc = -ENOENT;

	if (cpu__read_code(c, rip, 1, b) == 0 && b[0] == 0xf1)
		return int1(c, rip);
	if (cpu__read_code(c, rip, 4, b) == 0 && b[0] == 0x66 && b[1] == 0x0f && b[2] == 0x01 &&
	    b[3] == 0xcc)
		return tdcall(c, rip);
	if (cpu__disasm_one(c, rip, &in))
		return -ENOENT;
	if (in->id == X86_INS_INVPCID)
		rc = invpcid(c, in);
	cs_free(in, 1);
	return rc;
}
