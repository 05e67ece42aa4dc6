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
#include <malloc.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "paging/bits.h"

#define SCAN_BYTES 4096 /* the field sat at 1392 in 2.1.1 */

/* --- calibration of uc->invalid_addr ------------------------------------ */

/*
 * The probe addresses. Distinct and unusual (no two share a page or a low
 * byte pattern): data reads, and (fetch != 0) jumps into a refused page at
 * an exact, unaligned address, each probe on a fresh handle.
 *
 * The addresses never sit in a register of ours while Unicorn runs: the
 * engine struct holds jmp_bufs (glibc setjmp: RBX, R12-R15 in clear) taken
 * inside uc_emu_start, so a probe address our code kept in a callee-saved
 * register shows up there too. That is what made the Sanitize build find
 * the field 3 times (offsets 1392, 2048 and 2248 of 2.1.1's struct; R14
 * held the address in two jmp_bufs). So the guest computes each address
 * (imm64 XOR key), the fill hook compares pages only, and the expected
 * value is read back from memory after the run.
 */
static const uint64_t cal_data[] = { 0x345678, 0x1abcde, 0x2f0f08, 0x3c5a5b, 0x0d3e71 };
static const uint64_t cal_fetch[] = { 0, 0x2c7010, 0, 0x1f6e93, 0x27b4c5 };
#define CAL_KEY UINT64_C(0x5a5aa5a5c3c33c3c)
#define CAL_PROBES (sizeof(cal_data) / sizeof(cal_data[0]))

static uint64_t cal_page; /* the page the fill hook refuses */

static bool cal_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *u)
{
	if (va == cal_page)
		return false;
	e->paddr = va;
	e->perms = UC_PROT_ALL;
	return true;
}

/* mov rax, imm64 ; mov rcx, KEY ; xor rax, rcx ; then @tail */
static void cal_code(uint8_t *p, uint64_t enc, const uint8_t *tail, size_t tail_len)
{
	uint64_t key = CAL_KEY;

	p[0] = 0x48, p[1] = 0xb8;
	memcpy(p + 2, &enc, 8);
	p[10] = 0x48, p[11] = 0xb9;
	memcpy(p + 12, &key, 8);
	p[20] = 0x48, p[21] = 0x31, p[22] = 0xc8;
	memcpy(p + 23, tail, tail_len);
}

/* Probe @i: a data read that faults on a scratch handle, then a read of
 * another address that succeeds (invalid_addr keeps the last fault, so a
 * field that follows every access drops out), then, for a fetch probe, a
 * jump into a refused page. Clear the candidates that do not hold the last
 * fault address. */
static int cal_once(size_t i, bool *cand)
{
	static const uint8_t load[] = { 0x48, 0x8b, 0x00, 0xf4 }; /* mov rax, [rax] ; hlt */
	static const uint8_t jump[] = { 0xff, 0xe0 };             /* jmp rax */
	uint8_t ok[] = { 0x48, 0x8b, 0x04, 0x25, 0x50, 0x34, 0x12, 0x00, 0xf4 }; /* [0x123450] */
	const volatile uint64_t *data = cal_data, *fetch = cal_fetch;
	uint8_t code[32], jcode[32];
	uc_engine *uc = NULL;
	size_t scan = 0;
	uint64_t want;
	uc_hook h;
	int rc = -EIO;

	cal_code(code, data[i] ^ CAL_KEY, load, sizeof(load));
	cal_code(jcode, fetch[i] ^ CAL_KEY, jump, sizeof(jump));
	cal_page = data[i] & ~UINT64_C(0xfff);
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -EIO;
	if (uc_mem_map(uc, 0, 0x400000, UC_PROT_ALL) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) != UC_ERR_OK ||
	    uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, cal_fill, NULL, 1, 0) != UC_ERR_OK ||
	    uc_mem_write(uc, 0x1000, code, sizeof(code)) != UC_ERR_OK ||
	    uc_mem_write(uc, 0x2000, ok, sizeof(ok)) != UC_ERR_OK ||
	    uc_mem_write(uc, 0x3000, jcode, sizeof(jcode)) != UC_ERR_OK)
		goto out_close;
	/* Only the engine struct itself is scanned (reading past the
	 * allocation would be undefined; 2.1.1's is 14,880 bytes). */
	scan = malloc_usable_size(uc);
	if (scan > SCAN_BYTES)
		scan = SCAN_BYTES;
	if (uc_emu_start(uc, 0x1000, 0x1000 + sizeof(code), 0, 0) != UC_ERR_EXCEPTION)
		goto out_close;
	if (uc_emu_start(uc, 0x2000, 0x2000 + sizeof(ok), 0, 0) != UC_ERR_OK)
		goto out_close;
	if (fetch[i]) {
		cal_page = fetch[i] & ~UINT64_C(0xfff);
		if (uc_emu_start(uc, 0x3000, 0x3000 + sizeof(jcode), 0, 0) != UC_ERR_EXCEPTION)
			goto out_close;
	}
	want = fetch[i] ? fetch[i] : data[i];
	for (size_t off = 0; off + 8 <= SCAN_BYTES; off += 8) {
		uint64_t v = ~want;

		if (off + 8 <= scan)
			memcpy(&v, (const char *)uc + off, 8);
		if (v != want)
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
	int rc = 0;

	memset(cand, 1, sizeof(cand));
	for (size_t i = 0; i < CAL_PROBES && !rc; i++)
		rc = cal_once(i, cand);
	if (rc) {
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

	if (c->pdpte_gp)
		return cpu__pdpte_gp(c); /* a fill after the MOV found the PDPTEs bad */
	if (!c->fill_fault_valid) {
		/* Every refusal of a fill either records its fault or
		 * stops the run (fill.c): this is Unicorn's own. */
		cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn refused an access at RIP %#" PRIx64
			 " that no translation of tdpsim's refused", rip);
		return -EIO;
	}
	c->fill_fault_valid = false;
	memcpy(&fa, (const char *)c->uc + c->invalid_addr_off, 8);
	/* A fetch fault on a later page than RIP's: the block ran into it;
	 * execute up to the boundary so that RIP is the faulting fetch (the
	 * boundary is this run's only exit; machine.c: exits mode). */
	if (c->fill_type == UC_MEM_FETCH && !(fa & 0xfff) && (fa >> 12) != (rip >> 12)) {
		uc_err e = uc_ctl_set_exits(c->uc, &fa, 1);

		if (e == UC_ERR_OK)
			e = uc_emu_start(c->uc, rip, fa, 0, 0);
		if (uc_ctl_set_exits(c->uc, NULL, 0) != UC_ERR_OK) {
			cpu_run_stop(c, CPU_STOP_ERROR, "Unicorn: cannot clear the exit at %#" PRIx64, fa);
			return -EIO;
		}
		if (c->stop)
			return -EIO;
		if (e == UC_ERR_OK && cpu_reg(c, UC_X86_REG_RIP) == fa)
			return 0; /* run.c restarts there and faults again, precisely */
		if (e == UC_ERR_EXCEPTION) {
			/* Something before the boundary faulted first. */
			return cpu__after_exception(c);
		}
	}
	if (f->vector != X86_VEC_PF)
		return deliver_exception(c, f->vector, cpu_vector_has_error(f->vector),
					 f->error_code, 0);
	return deliver_exception(c, X86_VEC_PF, true, f->error_code, fa);
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
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP), mov_rip;
	uint8_t kind;
	int cr;

	/* QEMU raised it on the instruction after a MOV to CRn whose paging
	 * change the next block boundary would take in (QEMU's own walker,
	 * --mmu reference): take it in now; if the MOV loaded bad PDPTEs it
	 * faults first (mov_gp.c). */
	if (intno < 32 && cpu__mov_cr_pending(c, &mov_rip, &cr) && cpu_sync_paging(c) < 0 &&
	    c->pdpte_gp) {
		cpu__pdpte_gp(c);
		return;
	}
	/* INT n is its block's last instruction and has run; an exception
	 * stopped its block short: the instructions from RIP on did not
	 * run (they are counted again in the block that runs them). */
	cpu__stale(c);
	c->after = 0; /* an RDMSR/RDTSC site's instruction faulted: nothing to finish */
	if (intno == X86_VEC_DB)
		cpu__debug_trap(c);
	if (intno < 32) {
		cpu__block_abort(c, rip);
		cpu__block_cut(c, rip);
	}

	if (intno == X86_VEC_UD && c->ud_pending) {
		uint64_t emulated = c->n.emulated;

		c->ud_pending = false;
		if (cpu__emulate_ud(c) != -ENOENT) {
			/* Emulated (it retired), or it faulted (delivered). */
			if (c->n.emulated != emulated) {
				/* It retired: virtual time counted it with its
				 * block, before the cut at it. */
				c->retired++;
				if (c->insns_ahead)
					c->insns_ahead--;
				else
					c->insns++;
				if (c->tm)
					c->tm_insns_pending++;
			}
			return;
		}
	}
	c->ud_pending = false;
	if (intno > 255) {
		cpu_run_stop(c, CPU_STOP_ERROR, "QEMU stopped with its exit code %#x (not an x86 "
			 "vector) at RIP %#" PRIx64, intno, rip);
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
	if (intno == X86_VEC_PF && c->mmu_kind == CPU_MMU_REFERENCE && cpu__fix_cr3(c)) {
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
			  intno == X86_VEC_PF ? cpu_reg(c, UC_X86_REG_CR2) : 0);
}
