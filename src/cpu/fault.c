/*
 * The fault path. Two ways a guest exception reaches us:
 *
 *  - the engine refused a TLB fill (fill.c): uc_emu_start returns
 *    UC_ERR_EXCEPTION with RIP at the faulting instruction and nothing of
 *    it done. The fill saw only the page; the exact linear address (CR2) is
 *    kept in Unicorn's engine struct (uc->invalid_addr), whose offset is
 *    calibrated at start-up on a scratch handle. A fetch that runs off the
 *    end of a translation block into a non-present page comes back with
 *    RIP = the block start: we re-run up to the page boundary first, so the
 *    saved RIP is architectural (probe-2.1.1.md Q2).
 *  - QEMU raised it (#GP, #UD, #DE, ..., and every #PF with --mmu
 *    reference): UC_HOOK_INTR, error code in the context blob; INT n comes
 *    the same way with RIP already past the instruction.
 *
 * Either way delivery is c2's cpu_deliver() (IDT, stacks, #DF, triple
 * fault), and each guest-visible exception is one line of --fault-log.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "paging/bits.h"

#define SCAN_BYTES 4096 /* the field sat at 1392 in 2.1.1 */

/* --- calibration of uc->invalid_addr ------------------------------------ */

static uint64_t cal_target;

static bool cal_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *u)
{
	if (va == (cal_target & ~UINT64_C(0xfff)))
		return false;
	e->paddr = va;
	e->perms = UC_PROT_ALL;
	return true;
}

/* Make a data read of @target fault on a scratch handle, then a read of
 * another address that succeeds (invalid_addr keeps the last fault, so a
 * field that follows every access drops out), then, with @fetch, a jump to
 * @fetch in a refused page (the exact fetch address, not page-aligned: it
 * must be kept exactly too). Clear the candidates that do not hold the
 * last fault address. (In a build with ASan and UBSan together, two more
 * offsets held it through all of this; the run is then refused.) */
static int cal_once(uint64_t target, uint64_t fetch, bool *cand)
{
	/* mov rax, [abs32] ; hlt */
	uint8_t code[] = { 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0xf4 };
	uint8_t ok[] = { 0x48, 0x8b, 0x04, 0x25, 0x50, 0x34, 0x12, 0x00, 0xf4 }; /* [0x123450] */
	uc_engine *uc = NULL;
	uc_hook h;
	int rc = -EIO;

	memcpy(&code[4], &(uint32_t){ (uint32_t)target }, 4);
	cal_target = target;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -EIO;
	if (uc_mem_map(uc, 0, 0x400000, UC_PROT_ALL) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) != UC_ERR_OK ||
	    uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, cal_fill, NULL, 1, 0) != UC_ERR_OK ||
	    uc_mem_write(uc, 0x1000, code, sizeof(code)) != UC_ERR_OK ||
	    uc_mem_write(uc, 0x2000, ok, sizeof(ok)) != UC_ERR_OK)
		goto out_close;
	if (uc_emu_start(uc, 0x1000, 0x1000 + sizeof(code), 0, 0) != UC_ERR_EXCEPTION)
		goto out_close;
	if (uc_emu_start(uc, 0x2000, 0x2000 + sizeof(ok), 0, 0) != UC_ERR_OK)
		goto out_close;
	if (fetch) {
		/* A fetch fault at @fetch (jumped to): invalid_addr follows. */
		cal_target = fetch;
		if (uc_emu_start(uc, fetch, fetch + 1, 0, 0) != UC_ERR_EXCEPTION)
			goto out_close;
		target = fetch;
	}
	for (size_t off = 0; off + 8 <= SCAN_BYTES; off += 8) {
		uint64_t v;

		memcpy(&v, (const char *)uc + off, 8);
		if (v != target)
			cand[off / 8] = false;
	}
	rc = 0;
out_close:
	uc_close(uc);
	return rc;
}

int cpu_calibrate_invalid_addr(size_t *off, char *why, size_t len)
{
	bool cand[SCAN_BYTES / 8];
	unsigned n = 0;

	memset(cand, 1, sizeof(cand));
	if (cal_once(0x345678, 0, cand) || cal_once(0x1abcde, 0x2c7010, cand) ||
	    cal_once(0x2f0f08, 0, cand)) {
		snprintf(why, len, "Unicorn self-check: a refused TLB fill did not give "
			 "UC_ERR_EXCEPTION on a scratch handle");
		return -ENOENT;
	}
	for (size_t i = 0; i < SCAN_BYTES / 8; i++)
		if (cand[i]) {
			*off = i * 8;
			n++;
		}
	if (n != 1) {
		snprintf(why, len, "Unicorn self-check: the faulting address (invalid_addr) was "
			 "found at %u places of the engine struct, expected exactly 1 "
			 "(is this Unicorn 2.1.1?)", n);
		return -ENOENT;
	}
	return 0;
}

/* --- delivery ----------------------------------------------------------- */

void cpu__log_exception(struct cpu *c, uint8_t vec, uint32_t err, uint64_t cr2, uint64_t rip)
{
	c->n.exceptions[vec]++;
	if (vec == CPU_VEC_PF)
		c->last_cr2 = cr2;
	if (c->fault_log)
		fprintf(c->fault_log, "%02x %x %" PRIx64 " %" PRIx64 "\n", vec, err,
			vec == CPU_VEC_PF ? cr2 : 0, rip);
}

/* Deliver and turn the result into a stop if the CPU shut down. */
static int deliver(struct cpu *c, const struct cpu_event *ev)
{
	int rc = cpu_deliver(c, ev);

	if (rc == CPU_TRIPLE_FAULT)
		cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault");
	else if (rc < 0)
		cpu_run_stop(c, CPU_STOP_ERROR, "cannot deliver vector %u: %s", ev->vector,
			 cpu_deliver_chain(c)->why);
	return rc;
}

static int deliver_exception(struct cpu *c, uint8_t vec, bool has_err, uint32_t err,
			     uint64_t cr2)
{
	struct cpu_event ev = { .vector = vec, .kind = CPU_EV_EXCEPTION, .has_error = has_err,
				.error = err, .cr2 = cr2 };

	cpu__log_exception(c, vec, has_err ? err : 0, cr2, cpu_reg(c, UC_X86_REG_RIP));
	return deliver(c, &ev);
}

int cpu__after_exception(struct cpu *c)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	uint64_t fa;
	const struct pg_fault *f = &c->fill_fault;

	if (!c->fill_fault_valid) {
		cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn stopped with an exception the engine did "
			 "not raise (RIP %#" PRIx64 ")", rip);
		return -EIO;
	}
	c->fill_fault_valid = false;
	memcpy(&fa, (const char *)c->uc + c->invalid_addr_off, 8);
	/* A fetch fault on a later page than RIP's: the block ran into it;
	 * execute up to the boundary so that RIP is the faulting fetch. */
	if (c->fill_type == UC_MEM_FETCH && !(fa & 0xfff) && (fa >> 12) != (rip >> 12)) {
		uc_err e = uc_emu_start(c->uc, rip, fa, 0, 0);

		if (c->stop)
			return -EIO;
		if (e == UC_ERR_OK && cpu_reg(c, UC_X86_REG_RIP) == fa)
			return 0; /* run.c restarts there and faults again, precisely */
		if (e == UC_ERR_EXCEPTION) {
			/* Something before the boundary faulted first. */
			return cpu__after_exception(c);
		}
	}
	if (f->vector != CPU_VEC_PF)
		return deliver_exception(c, f->vector, cpu_vector_has_error(f->vector),
					 f->error_code, 0);
	return deliver_exception(c, CPU_VEC_PF, true, f->error_code, fa);
}

/* Software interrupt at RIP (already past it): INT n is CD ib, INT3 CC,
 * INTO CE, INT1 F1. 0 if the bytes before RIP are none of these. */
static uint8_t soft_kind(struct cpu *c, uint32_t intno, uint64_t rip)
{
	uint8_t b[2] = { 0, 0 };

	if (cpu__read_code(c, rip - 2, 2, b))
		return 0xff;
	if (b[0] == 0xcd && b[1] == intno)
		return CPU_EV_SOFTINT;
	if (b[1] == 0xcc && intno == 3)
		return CPU_EV_INT3;
	if (b[1] == 0xce && intno == 4)
		return CPU_EV_INTO;
	return 0xff;
}

void cpu__intr(struct cpu *c, uint32_t intno)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	uint8_t kind;

	/* INT n is its block's last instruction and has run; an exception
	 * stopped its block short. */
	if (intno < 32)
		cpu__block_abort(c, rip);

	if (intno == CPU_VEC_UD && c->ud_pending) {
		c->ud_pending = false;
		if (cpu__emulate_ud(c) != -ENOENT)
			return; /* emulated (or stopped) */
	}
	c->ud_pending = false;
	if (intno > 255) {
		cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn raised internal exception %#x at RIP %#" PRIx64,
			 intno, rip);
		return;
	}
	kind = intno >= 32 ? CPU_EV_SOFTINT : soft_kind(c, intno, rip);
	if (kind != 0xff) {
		struct cpu_event ev = { .vector = (uint8_t)intno, .kind = kind, .next_rip = rip };

		c->n.soft_ints++;
		cpu_reset_old_exception(c);
		deliver(c, &ev);
		return;
	}
	/* The reference MMU walked with CR3 bit 63 that QEMU 5 kept from a
	 * MOV to CR3 (events.c): not a guest fault. Fix CR3, put back the
	 * CR2 QEMU overwrote, and retry the instruction. */
	if (intno == CPU_VEC_PF && c->mmu_kind == CPU_MMU_REFERENCE && cpu__fix_cr3(c)) {
		cpu_set_cr2(c, c->last_cr2);
		cpu_reset_old_exception(c);
		return;
	}
	/* QEMU's own exception: error code from the blob; CR2 for a #PF of
	 * the reference MMU is already in CR2. */
	uint32_t err = 0;
	bool has = cpu_vector_has_error(intno);

	if (has && cpu_ctx_begin(c) == 0) {
		err = cpu_ctx_error_code(c);
		cpu_ctx_commit(c);
	}
	deliver_exception(c, (uint8_t)intno, has, err,
			  intno == CPU_VEC_PF ? cpu_reg(c, UC_X86_REG_CR2) : 0);
}
