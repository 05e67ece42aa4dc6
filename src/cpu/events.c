/*
 * Block boundaries: virtual time, the paging-event feed, device timers and
 * interrupt windows.
 *
 * MOV to CR0/CR3/CR4, INVLPG, LMSW and CLTS end QEMU's translation block,
 * so the block that follows sees their effect. The UC_HOOK_BLOCK callback
 * keeps a cache of decoded blocks (Capstone runs once per block, never per
 * execution): the block's instruction count, and whether its last
 * instruction is a paging instruction, which one and with what operand.
 * At the next block the event is emitted with the new values: for MOV to
 * CR3 the operand register still holds bit 63 (the no-flush bit, SDM Vol.
 * 3A 4.10.4.1), which CR3 itself does not keep. WRMSR may not end the
 * block, so a block with a WRMSR anywhere makes the next block compare
 * EFER with the last value fed.
 *
 * Virtual time (c->insns) advances by the block's instruction count when
 * the block starts, and jumps ahead while the CPU idles in HLT (run.c).
 * Instructions retired (c->retired, also fed to the timing model) count
 * the same blocks without the idle jumps; a block cut short by an
 * exception, a stop, or QEMU's restart after the block rewrote its own
 * code (smc_restart) is corrected by the instructions it did not run
 * (cpu__block_cut), so both count exactly the instructions that ran.
 * Virtual time never runs backwards (the TSC and the devices have seen
 * it): what it counted for instructions that did not run (a cut block, a
 * block an interrupt is delivered in front of) is held in
 * c->insns_ahead and not counted again when they do run, and an idle
 * jump absorbs it. So virtual time is retired instructions plus idle
 * time, ahead by at most the block that was cut, and the same whatever
 * the model.
 *
 * The CPL (for the access feed) and RFLAGS.AC are read again only at the
 * block after one that may change them (far transfers, IRET, SYSRET,
 * STAC/CLAC/POPF: QEMU ends its block after each) or after tdpsim
 * delivered an event; the PIC is asked only after something could have
 * changed it. So a block of straight-line code costs no Unicorn call.
 *
 * The cache is two-way set-associative, tagged by (RIP, size). An entry
 * also keeps the code's bytes and their physical address, and is used
 * only while the bytes in RAM are still those (a memcmp per block): code
 * that rewrites itself (Linux patches its text: alternatives, returns,
 * static calls) or new code at a reused address is decoded again, never
 * classified from stale bytes. After a paging event (c->code_epoch) the
 * physical address is looked up again, once per entry (code.c walks each
 * page once per epoch): the same RIP may map another page (another
 * process, exec, modules), and the kernel's code, the same under every
 * process's CR3, is decoded once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>
#include <glib.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "hv/host.h"
#include "paging/bits.h"
#include "timing/model.h"

/* The cache: BC_SETS sets of BC_WAYS entries (a Linux boot runs some
 * 100,000 distinct blocks; 8192 direct-mapped entries missed 1.4% of
 * them, each a Capstone decode). */
#define BC_SETS 65536u  /* a power of two */
#define BC_WAYS 2u
#define BC_SIZE (BC_SETS * BC_WAYS)
#define BLOCK_MAX 4096u /* bytes of code read per block (QEMU's TBs are smaller) */

enum last_kind { LAST_NONE = 0, LAST_MOV_CR0, LAST_MOV_CR3, LAST_MOV_CR4, LAST_INVLPG,
		 LAST_CR0_OTHER /* LMSW, CLTS */ };

/* What every execution reads comes first (one cache line of the entry);
 * the operands of the paging instruction, read only when it ran, after. */
struct cpu_block {
	uint64_t pc;
	/* The code decoded: its bytes (NULL if unreadable: decoded again at
	 * every execution; inl[] for a short block, else allocated) at
	 * physical addresses pa[0] (the first page's part, n0 bytes) and
	 * pa[1] (the rest, on the next linear page). */
	uint8_t *bytes;
	uint64_t pa[2];
	uint32_t size, n0, epoch;
	uint16_t ninsns;
	uint8_t last;      /* enum last_kind */
	uint8_t code_bits; /* 16, 32, 64: the code size it was decoded for */
	bool valid;
	bool wrmsr;        /* a WRMSR somewhere in the block */
	bool far;          /* may change CPL or RFLAGS.AC: read them at the next block */
	bool restart;      /* new site hooks: translate the block again */
	int src_reg;       /* MOV to CR3: the UC register holding the operand */
	/* INVLPG m: effective address = base + index * scale + disp (+ FS/GS
	 * base; RIP-relative: next_ip + disp). */
	int base, index, seg;
	uint8_t scale;
	bool rip_rel;
	int64_t disp;
	uint64_t next_ip;
	uint64_t last_ip;  /* the last instruction's address (mov_gp.c) */
	uint8_t inl[64];   /* the bytes of a block of up to 64 bytes (most are) */
} __attribute__((aligned(64)));

struct cpu_bcache {
	struct cpu_block *b;  /* BC_SIZE entries, cache-line aligned in b_mem */
	void *b_mem;
	uint8_t mru[BC_SETS]; /* per set: the way used last (the other is replaced) */
	csh cs16, cs32, cs64;
	uint64_t efer_fed;
	uint8_t code[BLOCK_MAX];
};

int cpu__bcache_init(struct cpu *c)
{
	struct cpu_bcache *bc = calloc(1, sizeof(*bc));

	/* calloc, not aligned_alloc + memset: the pages of entries never
	 * used are never touched. */
	if (bc)
		bc->b_mem = calloc(BC_SIZE + 1, sizeof(struct cpu_block));
	if (!bc || !bc->b_mem) {
		free(bc);
		return -ENOMEM;
	}
	bc->b = (struct cpu_block *)(((uintptr_t)bc->b_mem + 63) & ~(uintptr_t)63);
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &bc->cs16) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &bc->cs32) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &bc->cs64) != CS_ERR_OK) {
		free(bc->b_mem);
		free(bc);
		return -EIO;
	}
	cs_option(bc->cs16, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(bc->cs32, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(bc->cs64, CS_OPT_DETAIL, CS_OPT_ON);
	c->bc = bc;
	c->prev_block = -1;
	return 0;
}

void cpu__bcache_free(struct cpu *c)
{
	if (!c->bc)
		return;
	for (unsigned i = 0; i < BC_SIZE; i++)
		if (c->bc->b[i].bytes != c->bc->b[i].inl)
			free(c->bc->b[i].bytes);
	cs_close(&c->bc->cs16);
	cs_close(&c->bc->cs32);
	cs_close(&c->bc->cs64);
	free(c->bc->b_mem);
	free(c->bc);
	c->bc = NULL;
}

/* Capstone register -> Unicorn register, for operands we read (decode
 * time only, so a name lookup is fine). */
static int uc_reg_of(csh h, unsigned csreg)
{
	static const struct { const char *name; int uc; } t[] = {
		{ "rax", UC_X86_REG_RAX }, { "rbx", UC_X86_REG_RBX }, { "rcx", UC_X86_REG_RCX },
		{ "rdx", UC_X86_REG_RDX }, { "rsi", UC_X86_REG_RSI }, { "rdi", UC_X86_REG_RDI },
		{ "rbp", UC_X86_REG_RBP }, { "rsp", UC_X86_REG_RSP }, { "r8", UC_X86_REG_R8 },
		{ "r9", UC_X86_REG_R9 }, { "r10", UC_X86_REG_R10 }, { "r11", UC_X86_REG_R11 },
		{ "r12", UC_X86_REG_R12 }, { "r13", UC_X86_REG_R13 }, { "r14", UC_X86_REG_R14 },
		{ "r15", UC_X86_REG_R15 }, { "eax", UC_X86_REG_EAX }, { "ebx", UC_X86_REG_EBX },
		{ "ecx", UC_X86_REG_ECX }, { "edx", UC_X86_REG_EDX }, { "esi", UC_X86_REG_ESI },
		{ "edi", UC_X86_REG_EDI }, { "ebp", UC_X86_REG_EBP }, { "esp", UC_X86_REG_ESP },
		{ "r8d", UC_X86_REG_R8D }, { "r9d", UC_X86_REG_R9D }, { "r10d", UC_X86_REG_R10D },
		{ "r11d", UC_X86_REG_R11D }, { "r12d", UC_X86_REG_R12D },
		{ "r13d", UC_X86_REG_R13D }, { "r14d", UC_X86_REG_R14D },
		{ "r15d", UC_X86_REG_R15D }, { "fs", UC_X86_REG_FS_BASE },
		{ "gs", UC_X86_REG_GS_BASE },
	};
	const char *n = csreg ? cs_reg_name(h, csreg) : NULL;

	if (!n)
		return -1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, n) == 0)
			return t[i].uc;
	return -1;
}

/* Is block @b's code still what it was decoded from? CODE_MOVED: the
 * linear address now maps other physical bytes (a new process, exec);
 * CODE_REWRITTEN: the same physical bytes were written since (the guest
 * patched its code). */
enum code_state { CODE_SAME, CODE_MOVED, CODE_REWRITTEN };

static enum code_state code_state(struct cpu *c, struct cpu_block *b)
{
	uint32_t n1 = b->size - b->n0;

	if (!b->bytes)
		return CODE_MOVED;
	if (b->epoch != c->code_epoch) {
		uint64_t a0, a1 = 0;

		if (cpu__code_pa(c, b->pc, &a0) || (n1 && cpu__code_pa(c, b->pc + b->n0, &a1)) ||
		    a0 != b->pa[0] || a1 != b->pa[1])
			return CODE_MOVED;
		b->epoch = c->code_epoch;
	}
	return memcmp(c->ram.base + b->pa[0], b->bytes, b->n0) == 0 &&
			       (!n1 || memcmp(c->ram.base + b->pa[1], b->bytes + b->n0, n1) == 0)
		       ? CODE_SAME
		       : CODE_REWRITTEN;
}

/* Classify one instruction as the block's last (later ones overwrite). */
static void classify(csh h, struct cpu_block *b, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	b->last = LAST_NONE;
	b->last_ip = in->address;
	b->next_ip = in->address + in->size;
	switch (in->id) {
	case X86_INS_MOV:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[1].type == X86_OP_REG) {
			unsigned d = x->operands[0].reg;

			if (d == X86_REG_CR0)
				b->last = LAST_MOV_CR0;
			else if (d == X86_REG_CR4)
				b->last = LAST_MOV_CR4;
			else if (d == X86_REG_CR3) {
				b->last = LAST_MOV_CR3;
				b->src_reg = uc_reg_of(h, x->operands[1].reg);
			}
		}
		break;
	case X86_INS_LMSW:
	case X86_INS_CLTS:
		b->last = LAST_CR0_OTHER;
		break;
	/* Far transfers and returns change CS (so the CPL); these and
	 * STAC/CLAC/POPF change RFLAGS.AC. QEMU ends the block after each,
	 * and the block hook reads CS and RFLAGS again at the next block
	 * only then (deliveries and SYSCALL/SYSENTER, ours, mark it too). */
	case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
	case X86_INS_SYSRET: case X86_INS_SYSEXIT: case X86_INS_RETF: case X86_INS_RETFQ:
	case X86_INS_LJMP: case X86_INS_LCALL: case X86_INS_RSM:
	case X86_INS_STAC: case X86_INS_CLAC:
	case X86_INS_POPF: case X86_INS_POPFD: case X86_INS_POPFQ:
		b->far = true;
		break;
	case X86_INS_INVLPG:
		if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM) {
			const x86_op_mem *m = &x->operands[0].mem;

			b->last = LAST_INVLPG;
			b->rip_rel = m->base == X86_REG_RIP;
			b->base = b->rip_rel ? -1 : uc_reg_of(h, m->base);
			b->index = uc_reg_of(h, m->index);
			b->scale = (uint8_t)m->scale;
			b->disp = m->disp;
			b->seg = (m->segment == X86_REG_FS || m->segment == X86_REG_GS)
					 ? uc_reg_of(h, m->segment) : -1;
		}
		break;
	default:
		break;
	}
}

/* MOV to CR0/CR3/CR4/CR8 (checked, crmov.c) and MOV to or from DR0-DR7
 * (emulated, debug.c): a site with the register operands. */
static void mov_crdr_site(csh h, const cs_insn *in, struct cpu_site *s)
{
	const cs_x86 *x = &in->detail->x86;
	unsigned d, r;

	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[1].type != X86_OP_REG)
		return;
	d = x->operands[0].reg;
	r = x->operands[1].reg;
	if (d == X86_REG_CR0 || d == X86_REG_CR3 || d == X86_REG_CR4 || d == X86_REG_CR8) {
		s->kind = CPU_SITE_MOVCR;
		s->num = (uint8_t)(d == X86_REG_CR8 ? 8 : d - X86_REG_CR0);
		s->reg = uc_reg_of(h, r);
	} else if (d >= X86_REG_DR0 && d <= X86_REG_DR7) {
		s->kind = CPU_SITE_MOVDR;
		s->num = (uint8_t)(d - X86_REG_DR0);
		s->reg = uc_reg_of(h, r);
		s->to = true;
	} else if (r >= X86_REG_DR0 && r <= X86_REG_DR7) {
		s->kind = CPU_SITE_MOVDR;
		s->num = (uint8_t)(r - X86_REG_DR0);
		s->reg = uc_reg_of(h, d);
	}
	if (s->kind && s->reg < 0)
		s->kind = 0; /* an operand we cannot name: QEMU's (not expected) */
}

/* Instructions Capstone 4 does not know, by their bytes: WRPKRU
 * (0F 01 EF), RDPKRU (0F 01 EE), TDCALL (66 0F 01 CC). Length, or 0. */
static unsigned unknown_insn(const uint8_t *p, size_t left, bool *wrpkru)
{
	*wrpkru = false;
	if (left >= 3 && p[0] == 0x0f && p[1] == 0x01 && (p[2] == 0xef || p[2] == 0xee)) {
		*wrpkru = p[2] == 0xef;
		return 3;
	}
	if (left >= 4 && p[0] == 0x66 && p[1] == 0x0f && p[2] == 0x01 && p[3] == 0xcc)
		return 4;
	return 0;
}

static void decode(struct cpu *c, struct cpu_block *b, uint64_t pc, uint32_t size)
{
	struct cpu_bcache *bc = c->bc;
	uint32_t hf = CPU_HF_CS64;
	uint64_t addr = pc;
	struct cpu_site st[8];
	unsigned ns = 0, n = 0;
	const uint8_t *p = bc->code;
	size_t left = size;
	cs_insn *in;
	csh h;

	uint8_t *keep = b->bytes != b->inl ? b->bytes : NULL;

	memset(b, 0, offsetof(struct cpu_block, inl));
	b->pc = pc;
	b->size = size;
	b->valid = true;
	b->ninsns = 1;
	b->far = true; /* until the decode says otherwise */
	c->n.decodes++;
	if (size > BLOCK_MAX || cpu__read_code_pa(c, pc, size, bc->code, b->pa)) {
		free(keep);
		return;
	}
	if (size <= sizeof(b->inl)) {
		free(keep);
		b->bytes = b->inl;
	} else if (!(b->bytes = realloc(keep, size))) {
		free(keep);
	}
	if (b->bytes)
		memcpy(b->bytes, bc->code, size);
	b->n0 = (uint32_t)(0x1000 - (pc & 0xfff));
	if (b->n0 > size)
		b->n0 = size;
	b->epoch = c->code_epoch;
	b->far = false;
	if (cpu_ctx_begin(c) == 0)
		hf = cpu_ctx_hflags(c);
	h = (hf & CPU_HF_CS64) ? bc->cs64 : (hf & CPU_HF_CS32) ? bc->cs32 : bc->cs16;
	b->code_bits = (hf & CPU_HF_CS64) ? 64 : (hf & CPU_HF_CS32) ? 32 : 16;
	in = cs_malloc(h);
	if (!in) {
		b->far = true;
		return;
	}
	while (left) {
		unsigned id, len;
		struct cpu_site site = { 0 };
		bool wrpkru;

		if (cs_disasm_iter(h, &p, &left, &addr, in)) {
			id = in->id;
			len = in->size;
			classify(h, b, in);
			if (id == X86_INS_WRMSR)
				b->wrmsr = true;
			site.kind = id == X86_INS_WRMSR ? CPU_SITE_WRMSR
				    : id == X86_INS_RDMSR ? CPU_SITE_RDMSR
				    : (id == X86_INS_RDTSC || id == X86_INS_RDTSCP) ? CPU_SITE_RDTSC : 0;
			if (id == X86_INS_MOV)
				mov_crdr_site(h, in, &site);
		} else if ((len = unknown_insn(p, left, &wrpkru)) != 0) {
			b->last = LAST_NONE;
			site.kind = wrpkru ? CPU_SITE_WRPKRU : 0;
			p += len;
			left -= len;
			addr += len;
		} else {
			b->far = true; /* unknown: assume the worst */
			break; /* undecodable: the block ends in a #UD */
		}
		if (site.kind && ns < G_N_ELEMENTS(st)) {
			site.addr = addr - len;
			site.len = (uint8_t)len;
			site.bytes = bc->code + (site.addr - pc);
			st[ns++] = site;
		}
		n++;
	}
	cs_free(in, 1);
	/* CR0.PE decides whether CS.RPL is the CPL: read it again after a
	 * CR0 write too. */
	if (b->last == LAST_MOV_CR0 || b->last == LAST_CR0_OTHER)
		b->far = true;
	b->ninsns = (uint16_t)(n ? n : 1);
	if (ns && cpu__sites(c, st, ns, c->site_cb))
		b->restart = true;
}

/* QEMU 5 keeps MOV to CR3's bit 63 in CR3 (it has no PCID); the hardware
 * does not, and QEMU's own walker would use it as an address bit. Write
 * CR3 back without it (a full flush of Unicorn's TLB: allowed, since a
 * flush is never wrong, only slower). 1 if CR3 was fixed. */
int cpu__fix_cr3(struct cpu *c)
{
	uint64_t cr3 = cpu_reg(c, UC_X86_REG_CR3);

	if (!(cr3 >> 63))
		return 0;
	cr3 &= ~(UINT64_C(1) << 63);
	uc_reg_write(c->uc, UC_X86_REG_CR3, &cr3);
	return 1;
}

/* An exception at @rip: if it is inside the block whose event is pending,
 * that block did not complete and its last instruction did not run. (A
 * fault while fetching the next block leaves RIP outside it.) */
void cpu__block_abort(struct cpu *c, uint64_t rip)
{
	const struct cpu_block *b;

	if (c->prev_block < 0)
		return;
	b = &c->bc->b[c->prev_block];
	if (rip >= b->pc && rip < b->pc + b->size)
		c->prev_block = -1;
}

/* tdpsim changed the CPU state behind QEMU's back (a delivery, SYSCALL,
 * a restart): the next block reads the CPL again and asks the PIC. */
void cpu__stale(struct cpu *c)
{
	c->cpl_stale = true;
	c->irq_check = true;
}


static uint64_t addr_width_mask(struct cpu *c)
{
	return (c->regs.efer & EFER_LMA) ? UINT64_MAX : UINT32_MAX;
}

/* The block @b completed: feed its paging event with the values now. */
static void emit(struct cpu *c, const struct cpu_block *b)
{
	struct trc_event ev = { 0 };

	switch (b->last) {
	case LAST_MOV_CR0:
	case LAST_CR0_OTHER:
		ev.kind = TRC_EV_CR0;
		ev.reg.value = cpu_reg(c, UC_X86_REG_CR0);
		break;
	case LAST_MOV_CR4:
		ev.kind = TRC_EV_CR4;
		ev.reg.value = cpu_reg(c, UC_X86_REG_CR4);
		break;
	case LAST_MOV_CR3:
		ev.kind = TRC_EV_CR3;
		ev.cr3.operand = b->src_reg >= 0 ? cpu_reg(c, b->src_reg) : cpu_reg(c, UC_X86_REG_CR3);
		cpu__fix_cr3(c);
		/* MOV to CR3 reloads the PAE PDPTE registers even when the
		 * value is the same (SDM Vol. 3A 4.4.1): rebuild. (Fills made
		 * between the MOV and this block still used the old ones;
		 * without the block hook, a same-value reload is not seen.) */
		c->mmu_valid = false;
		break;
	case LAST_INVLPG: {
		uint64_t a = (uint64_t)b->disp;

		a += b->rip_rel ? b->next_ip : b->base >= 0 ? cpu_reg(c, b->base) : 0;
		if (b->index >= 0)
			a += cpu_reg(c, b->index) * b->scale;
		if (b->seg >= 0)
			a += cpu_reg(c, b->seg);
		ev.kind = TRC_EV_INVLPG;
		ev.invlpg.la = a & addr_width_mask(c);
		break;
	}
	default:
		break;
	}
	/* A WRMSR comes before the block's last instruction: EFER first. */
	if (b->wrmsr) {
		uint64_t efer = cpu_rdmsr(c, MSR_IA32_EFER);

		if (efer != c->bc->efer_fed) {
			struct trc_event e2 = { .kind = TRC_EV_EFER, .reg.value = efer };

			/* EFER.NXE changes rights; QEMU 5 may keep its
			 * entries across a WRMSR: flush them. */
			if ((efer ^ c->bc->efer_fed) & EFER_NXE)
				cpu__flush_tlb(c);
			c->bc->efer_fed = efer;
			cpu_sync_paging(c);
			cpu__event(c, &e2);
		}
	}
	/* A MOV that loaded bad PDPTEs faults (mov_gp.c): no event. */
	if (b->last != LAST_NONE && cpu_sync_paging(c) >= 0)
		cpu__event(c, &ev);
}

/* STI and MOV SS block interrupts until the next instruction has run
 * (SDM Vol. 3A 6.8.3); QEMU's STI ends the block with the shadow in
 * hflags (HF_INHIBIT_IRQ, bit 3). Read only when an interrupt is due. */
static bool irq_shadow(struct cpu *c)
{
	return cpu_ctx_begin(c) == 0 && (cpu_ctx_hflags(c) & (1u << 3));
}

/* An interrupt is pending and may be taken now. The controllers' state
 * changes only through a timer, port or MMIO access, or a delivery (each sets irq_check):
 * while nothing is pending it is not asked again. */
static bool irq_due(struct cpu *c)
{
	if (dev_intr_pending(&c->bus) < 0) {
		c->irq_check = false;
		return false;
	}
	return (cpu_reg(c, UC_X86_REG_RFLAGS) & (1u << 9) /* IF */) && !irq_shadow(c);
}

/* CS (and RFLAGS.AC) after a block that may have changed them, or after
 * a delivery. Reading them at every block cost a Unicorn call per block. */
static void reread_cpl(struct cpu *c)
{
	c->cpl_stale = false;
	c->cur_cpl = (c->regs.cr0 & CR0_PE) ? (uint8_t)(cpu_reg(c, UC_X86_REG_CS) & 3) : 0;
	/* RFLAGS.AC decides SMAP for supervisor data accesses (SDM Vol. 3A
	 * 4.6): the model hears of it when it changes, and only while
	 * CR4.SMAP is set (otherwise AC is no concern of paging). */
	if (c->tm && (c->regs.cr4 & CR4_SMAP)) {
		uint64_t ac = cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_AC;

		if (ac != c->ac_fed) {
			struct trc_event ev = { .kind = TRC_EV_RFLAGS, .reg.value = ac };

			c->ac_fed = ac;
			cpu__event(c, &ev);
		}
	}
}

/* Leave before the block at @pc runs. The exit request is checked right
 * after the block hook, but once any UC_HOOK_CODE hook exists (an RDTSC or
 * MSR site) Unicorn no longer restores RIP to the block's start on that
 * exit: RIP would still be the last code hook's address, inside an earlier
 * block, and an interrupt delivered there would return into the middle of
 * code that already ran. So RIP is set here. */
static void stop_before(struct cpu *c, uint64_t pc)
{
	uc_reg_write(c->uc, UC_X86_REG_RIP, &pc);
	uc_emu_stop(c->uc);
}

/* QEMU flushed its whole TLB at the MOV to CR3 that ended the last block
 * (with paging on: cpu_x86_update_cr3), and since then filled only the
 * code page(s) of block @b (to find and translate it; nothing else runs
 * before this hook). So the reverse map's entries are dead but for those
 * pages, which are stamped with the new generation (fill.c:
 * cpu__rev_fill). Without their physical addresses (unreadable code, a
 * TD's shared bit) nothing is assumed. */
static void rev_flushed(struct cpu *c, const struct cpu_block *b)
{
	uint64_t pa[2] = { b->pa[0] >> 12, b->pa[1] >> 12 };
	unsigned n = b->size > b->n0 ? 2 : 1;

	if (!c->rev || !b->bytes || (c->hv && c->hv->mode->gpaw))
		return;
	for (unsigned k = 0; k < n; k++)
		if (pa[k] >= c->ram.size >> 12)
			return;
	c->tlb_gen++;
	for (unsigned k = 0; k < n; k++)
		c->rev_gen[pa[k]] = c->tlb_gen;
}

/* The entry of the block at @pc of @size bytes: its way if cached (the
 * code still to be checked), else the way to replace. The key is the
 * linear address and size alone: the same kernel code runs under every
 * process's CR3, and code_state() checks the physical address and bytes
 * under the paging state now. */
static uint32_t lookup(struct cpu_bcache *bc, uint64_t pc, uint32_t size)
{
	uint32_t set = (uint32_t)((pc * UINT64_C(0x9e3779b97f4a7c15)) >> 48) & (BC_SETS - 1);
	uint32_t i = set * BC_WAYS;

	for (uint32_t w = 0; w < BC_WAYS; w++)
		if (bc->b[i + w].pc == pc && bc->b[i + w].size == size && bc->b[i + w].valid) {
			bc->mru[set] = (uint8_t)w;
			return i + w;
		}
	bc->mru[set] = (uint8_t)(bc->mru[set] ^ 1u);
	return i + bc->mru[set];
}

static bool smc_restart(struct cpu *c, uint64_t pc, uint32_t size);

void cpu__block(struct cpu *c, uint64_t pc, uint32_t size)
{
	struct cpu_bcache *bc = c->bc;
	struct cpu_block *b;
	bool cr3_flush = false, miss, restart_tb = false;
	enum code_state state;
	uint32_t i, n;

	c->n.blocks++;
	c->block_ports = 0;
	c->code_lo[0] = c->code_hi[0] = c->code_lo[1] = c->code_hi[1] = 0;
	if (c->cur_block >= 0)
		restart_tb = smc_restart(c, pc, size);
	c->cur_block = -1; /* the last one completed; set below if this one runs */
	if (c->after)
		cpu__site_block(c, pc);
	if (c->prev_block >= 0) {
		emit(c, &bc->b[c->prev_block]);
		cr3_flush = bc->b[c->prev_block].last == LAST_MOV_CR3 && !c->pdpte_gp &&
			    (c->regs.cr0 & CR0_PG);
		c->prev_block = -1;
		if (c->pdpte_gp) {
			/* #GP at the MOV: run.c delivers it (the blob may not
			 * be patched while a block runs); this block does not
			 * run. */
			uc_emu_stop(c->uc);
			return;
		}
	}
	if (c->cpl_stale)
		reread_cpl(c);
	i = lookup(bc, pc, size);
	b = &bc->b[i];
	state = b->valid && b->pc == pc && b->size == size ? code_state(c, b) : CODE_MOVED;
	miss = state != CODE_SAME;
	if (miss)
		decode(c, b, pc, size);
	if (cr3_flush)
		rev_flushed(c, b);
	if (miss && (state == CODE_REWRITTEN || b->restart)) {
		/* Unicorn's translation of this block may not be what RAM now
		 * holds or what its sites need: it was made before hooks were
		 * added for the block's sites, or from bytes that changed
		 * since in a way Unicorn may not have seen (its tracking
		 * checks every guest store, machine.c, but not what tdpsim
		 * writes itself). The block has not run: the run stops in
		 * front of it and run.c flushes the translations. (Dropping
		 * just this block's, uc_ctl_remove_cache, crashed Unicorn
		 * 2.1.1 later in tb_set_jmp_target on the 64-bit boot.) */
		b->restart = false;
		c->stop_hook = true;
		c->flush_tb = true;
		stop_before(c, pc);
		return;
	}
	/* Virtual time: blocks entered, less what was counted ahead. */
	n = b->ninsns;
	if (c->insns_ahead) {
		uint32_t d = c->insns_ahead < n ? (uint32_t)c->insns_ahead : n;

		c->insns_ahead -= d;
		n -= d;
	}
	c->insns += n;
	if (c->max_insns && c->insns >= c->max_insns) {
		cpu_run_stop(c, CPU_STOP_MAX_INSNS, "stopped after %" PRIu64 " instructions "
			 "(--max-insns)", c->insns);
		stop_before(c, pc);
		return;
	}
	if (c->insns >= c->bus.next_deadline)
		c->irq_check = true; /* a timer fires now */
	dev_bus_advance(&c->bus, c->insns);
	if (c->irq_check && irq_due(c)) {
		/* Stop at this block boundary (the block does not run: a stop
		 * requested from the block hook exits before its first
		 * instruction) and deliver from run.c: the blob may not be
		 * patched while a block runs. */
		c->stop_irq = true;
		c->insns_ahead += b->ninsns; /* counted; it runs after the delivery */
		stop_before(c, pc);
		return;
	}

	/* The block runs. */
	if (b->last != LAST_NONE || b->wrmsr) {
		c->prev_block = (int32_t)i;
		c->mov_cr_block = -1;
		if (b->last == LAST_MOV_CR0 || b->last == LAST_MOV_CR3 || b->last == LAST_MOV_CR4) {
			c->mov_cr_block = (int32_t)i;
			c->mov_cr = b->last == LAST_MOV_CR0 ? 0 : b->last == LAST_MOV_CR3 ? 3 : 4;
			c->mov_cr_rip = b->last_ip;
		}
	}
	if (b->far)
		c->cpl_stale = true; /* for the next block */
	c->cur_block = (int32_t)i;
	c->retired += b->ninsns;
	if (c->sink.n && b->bytes && !restart_tb) {
		c->code_lo[0] = b->pa[0];
		c->code_hi[0] = b->pa[0] + b->n0;
		c->code_lo[1] = b->pa[1];
		c->code_hi[1] = b->pa[1] + (b->size - b->n0);
	}
	if (c->sink.n) {
		struct trc_block tb = { .pc = pc, .size = size, .ninsns = b->ninsns,
					.cpl = c->cur_cpl, .code_bits = b->code_bits };

		c->tm_insns_pending += b->ninsns; /* run.c feeds them per run slice */
		trc_block(&c->sink, &tb);
	}
}

/* Walk the instructions block @b was decoded from (its bytes as they were
 * then, which is what Unicorn translated; the rare path of a cut block):
 * the number of them at addresses >= @rip, and in *@len the length of the
 * one that starts at @rip (0: none does). */
static unsigned insns_from(struct cpu *c, const struct cpu_block *b, uint64_t rip, unsigned *len)
{
	struct cpu_bcache *bc = c->bc;
	uint64_t addr = b->pc;
	const uint8_t *p = b->bytes;
	size_t left = b->size;
	unsigned n = 0, all = 0;
	bool wrpkru;
	cs_insn *in;
	csh h;

	*len = 0;
	if (!p) {
		if (b->size > BLOCK_MAX || cpu__read_code(c, b->pc, b->size, bc->code))
			return 0;
		p = bc->code;
	}
	h = b->code_bits == 64 ? bc->cs64 : b->code_bits == 32 ? bc->cs32 : bc->cs16;
	in = cs_malloc(h);
	if (!in)
		return 0;
	while (left) {
		uint64_t at = addr;
		unsigned l;

		if (cs_disasm_iter(h, &p, &left, &addr, in)) {
			l = in->size;
		} else {
			l = unknown_insn(p, left, &wrpkru);
			if (!l)
				break;
			p += l;
			left -= l;
			addr += l;
		}
		if (at == rip)
			*len = l;
		all++;
		n += at >= rip;
	}
	cs_free(in, 1);
	/* ninsns counts an undecodable tail as one instruction. */
	return n + (all < b->ninsns && rip < b->pc + b->size ? b->ninsns - all : 0);
}

/*
 * A store in the block that was running rewrote the block's own code
 * (bytes it was translated from, whatever their new value): QEMU's
 * precise self-modifying-code handling stops the block at that store,
 * runs the store again as a block of just that instruction, and goes on
 * with blocks translated from the new bytes, as the CPU runs the new
 * code. Nothing else makes QEMU start a block inside the one that ran and
 * end it one instruction later, before that block's last instruction: a
 * block it translates runs to the end of one that contained its start.
 * Then the block that ran is cut at @pc like one an exception stopped,
 * and true is returned: the block at @pc is that one-instruction block.
 * (Its store does not restart it: QEMU never restarts such a block.)
 */
static bool smc_restart(struct cpu *c, uint64_t pc, uint32_t size)
{
	const struct cpu_block *b = &c->bc->b[c->cur_block];
	unsigned len;

	if (pc < b->pc || pc + size > b->last_ip || !b->bytes)
		return false;
	insns_from(c, b, pc, &len);
	if (len != size)
		return false;
	c->n.smc_restarts++;
	cpu__block_abort(c, pc);
	cpu__block_cut(c, pc);
	return true;
}

void cpu__block_cut(struct cpu *c, uint64_t rip)
{
	const struct cpu_block *b;
	unsigned k, len;

	if (c->cur_block < 0)
		return;
	b = &c->bc->b[c->cur_block];
	c->cur_block = -1;
	if (rip < b->pc || rip >= b->pc + b->size)
		return; /* the next block's fetch faulted: this one completed */
	k = insns_from(c, b, rip, &len);
	if (k > b->ninsns)
		k = b->ninsns;
	c->retired -= k;
	c->insns_ahead += k;
	if (c->sink.n)
		c->tm_insns_pending -= k;
}

/* The address after the @n-th IN or OUT (string forms too) of the running
 * block, or 0: where a run that a port write ended stopped (RIP is stale
 * in Unicorn's port callbacks, UNICORN.md). */
uint64_t cpu__after_port(struct cpu *c, unsigned n)
{
	struct cpu_bcache *bc = c->bc;
	const struct cpu_block *b;
	const uint8_t *p;
	uint64_t addr, at = 0;
	size_t left;
	cs_insn *in;
	csh h;

	if (c->cur_block < 0 || !n)
		return 0;
	b = &bc->b[c->cur_block];
	if (!b->bytes)
		return 0;
	p = b->bytes;
	left = b->size;
	addr = b->pc;
	h = b->code_bits == 64 ? bc->cs64 : b->code_bits == 32 ? bc->cs32 : bc->cs16;
	in = cs_malloc(h);
	if (!in)
		return 0;
	while (!at && cs_disasm_iter(h, &p, &left, &addr, in)) {
		switch (in->id) {
		case X86_INS_IN: case X86_INS_OUT:
		case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
		case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
			if (!--n)
				at = addr;
			break;
		default:
			break;
		}
	}
	cs_free(in, 1);
	return at;
}

int cpu__disasm_one(struct cpu *c, uint64_t rip, struct cs_insn **out)
{
	struct cpu_bcache *bc = c->bc;
	uint8_t buf[15];
	uint32_t hf = CPU_HF_CS64;
	unsigned len = sizeof(buf);
	cs_insn *insn = NULL;

	/* Up to 15 bytes, but not into a page we cannot read. */
	while (len && cpu__read_code(c, rip, len, buf))
		len = (unsigned)(((rip | 0xfff) + 1 - rip) < len ? ((rip | 0xfff) + 1 - rip) : 0);
	if (!len)
		return -EFAULT;
	if (cpu_ctx_begin(c) == 0)
		hf = cpu_ctx_hflags(c);
	csh h = (hf & CPU_HF_CS64) ? bc->cs64 : (hf & CPU_HF_CS32) ? bc->cs32 : bc->cs16;
	if (cs_disasm(h, buf, len, rip, 1, &insn) != 1)
		return -ENOENT;
	*out = insn;
	return 0;
}


