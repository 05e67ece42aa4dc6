/*
 * The guest instruction at a RIP, for golden lines and `tdpsim diff`: its
 * bytes, read through the guest's own tables from guest-physical memory as
 * the producer has it now (a live run's RAM, a replay's reconstructed
 * memory), and Capstone's reading of them.
 *
 * The walk that finds the bytes is the engine's (one generic walker), over
 * an accessor that never sets an A or D bit: showing an instruction must not
 * change what the guest sees. A PAE walk loads the PDPTEs from memory now,
 * which can differ from the registers only if the guest rewrote its PDPT
 * without reloading CR3; the bytes are for reading, never for statistics.
 */
#include "golden.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "paging/bits.h"
#include "paging/mmu.h"

static int ro_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	const struct cpu_ram *ram = opaque;

	(void)f;
	/* An A/D update reads the entry; the walker sees the value it would
	 * have written and goes on. */
	if (cpu_ram_read_le(ram, r->addr, r->size, &r->val))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD)
		r->val |= r->set;
	return 0;
}

/* Linear @va to guest-physical through @regs' tables, for a fetch at CPL 0
 * (a supervisor walk sees user and supervisor code alike). */
static int translate(const struct cpu_ram *ram, const struct pg_regs *regs,
		     const struct pg_cpu *cpu, uint64_t va, uint64_t *pa, uint64_t *page_end)
{
	struct pg_accessor acc = { .ref = ro_ref, .opaque = (void *)ram };
	struct pg_regs r = *regs;
	struct pg_req rq = { .va = va, .access = PG_ACC_FETCH, .cpl = 0 };
	struct pg_mmu m;
	struct pg_walk w;
	struct pg_fault f;
	const char *why = NULL;

	if (!(r.cr0 & CR0_PG)) {
		*pa = va & 0xffffffffu;
		*page_end = (*pa | 0xfff) + 1;
		return 0;
	}
	/* SMEP would refuse a supervisor fetch of user code: the bytes are
	 * what is wanted here, not the rights. */
	r.cr4 &= ~(CR4_SMEP | CR4_SMAP);
	if (pg_mmu_init(&m, &r, cpu, &why))
		return -ENOENT;
	if (m.fmt->top_in_regs && pg_pae_load_pdptes(&m, &acc, &f, NULL))
		return -ENOENT;
	if (pg_walk(&m, &acc, &rq, &w) || w.fault.vector)
		return -ENOENT;
	*pa = w.pa;
	*page_end = (w.pa & ~(w.page_size - 1)) + w.page_size;
	return 0;
}

int trc_code_read(const struct cpu_ram *ram, const uint8_t *unknown, const struct pg_regs *regs,
		  const struct pg_cpu *cpu, unsigned code_bits, uint64_t rip, unsigned max,
		  uint8_t *buf, unsigned *n, unsigned *bits)
{
	unsigned got = 0;

	*n = 0;
	if (!ram || !ram->base)
		return -ENOENT;
	/* Code may cross a page: each page is translated alone. */
	while (got < max) {
		uint64_t pa, end, va = rip + got;
		unsigned k;

		if (translate(ram, regs, cpu, va, &pa, &end) || pa >= ram->size ||
		    (unknown && unknown[pa >> 12]))
			break;
		if (end - pa > 4096 - (pa & 0xfff))
			end = (pa | 0xfff) + 1; /* each 4 KiB page checked */
		k = (unsigned)(end - pa < max - got ? end - pa : max - got);
		if (pa + k > ram->size)
			k = (unsigned)(ram->size - pa);
		memcpy(buf + got, ram->base + pa, k);
		got += k;
	}
	if (!got)
		return -ENOENT;
	*n = got;
	*bits = code_bits ? code_bits
		: (regs->efer & EFER_LMA) ? 64 : (regs->cr0 & CR0_PE) ? 32 : 16;
	return 0;
}

/* How @in touches memory: TRC_MEM_READ / TRC_MEM_WRITE, from its memory
 * operands' access flags and, for the stack, from its use of RSP (push,
 * call and enter write; pop, ret and leave read; unknown: both). */
static unsigned touches_memory(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	unsigned how = 0;
	bool rsp = false;

	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM) {
			uint8_t ac = x->operands[i].access;

			how |= (ac & CS_AC_READ) ? TRC_MEM_READ : 0;
			how |= (ac & CS_AC_WRITE) ? TRC_MEM_WRITE : 0;
			/* lea has a memory operand that is no access. */
			if (!ac && in->id != X86_INS_LEA)
				how |= TRC_MEM_READ | TRC_MEM_WRITE;
		}
	for (unsigned i = 0; i < in->detail->regs_read_count; i++) {
		uint16_t r = in->detail->regs_read[i];

		rsp |= r == X86_REG_RSP || r == X86_REG_ESP || r == X86_REG_SP;
	}
	if (rsp) {
		const char *m = in->mnemonic;

		if (!strncmp(m, "push", 4) || !strncmp(m, "call", 4) || !strncmp(m, "enter", 5))
			how |= TRC_MEM_WRITE;
		else if (!strncmp(m, "pop", 3) || !strncmp(m, "ret", 3) || !strncmp(m, "leave", 5) ||
			 !strncmp(m, "iret", 4))
			how |= TRC_MEM_READ;
		else
			how |= TRC_MEM_READ | TRC_MEM_WRITE;
	}
	return how;
}

int trc_disasm(const uint8_t *buf, unsigned n, unsigned bits, uint64_t rip, char *out,
	       unsigned len, unsigned *insn_len, unsigned *mem)
{
	cs_mode mode = bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16;
	csh cs;
	cs_insn *in = NULL;
	int rc = -EINVAL;

	if (cs_open(CS_ARCH_X86, mode, &cs) != CS_ERR_OK)
		return -EINVAL;
	if (mem)
		cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (cs_disasm(cs, buf, n, rip, 1, &in) == 1) {
		snprintf(out, len, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
		if (insn_len)
			*insn_len = in->size;
		if (mem)
			*mem = touches_memory(in);
		cs_free(in, 1);
		rc = 0;
	}
	cs_close(&cs);
	return rc;
}
