/*
 * The stop report (report.h): what a person needs to see why a guest died,
 * in one screen. Reads the CPU through the context blob and the API and
 * guest memory through the engine; it changes no guest-visible state except
 * the accessed bits of the page it disassembles (as a fetch would).
 *
 * The exception chain comes from the last cpu_deliver() (deliver.h), the
 * walk from c->last_walk (the walk that faulted last: the machine's fill or
 * delivery's own accesses), decoded with the paging-entry decoder
 * (paging/decode.h).
 */
#include "cpu/report.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/linear.h"
#include "paging/decode.h"

static const char *const vec_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",    "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static void ev_name(char *buf, size_t len, uint8_t vec, uint8_t kind)
{
	if (kind == CPU_EV_EXTINT)
		snprintf(buf, len, "IRQ vector %#x", vec);
	else if (kind == CPU_EV_SOFTINT)
		snprintf(buf, len, "INT %#x", vec);
	else if (kind == CPU_EV_INT3)
		snprintf(buf, len, "INT3");
	else if (kind == CPU_EV_INTO)
		snprintf(buf, len, "INTO");
	else if (vec < 32)
		snprintf(buf, len, "%s", vec_names[vec]);
	else
		snprintf(buf, len, "vector %#x", vec);
}

const char *cpu_mode_name(struct cpu *c)
{
	if (cpu_ctx_begin(c))
		return "unknown";
	uint32_t hf = cpu_ctx_hflags(c);
	if (!(cpu_ctx_cr(c, 0) & CR0_PE))
		return "real";
	if (cpu_reg(c, UC_X86_REG_RFLAGS) & RFLAGS_VM)
		return "virtual-8086";
	if (hf & CPU_HF_LMA)
		return (hf & CPU_HF_CS64) ? "long (64-bit)" : "long (compatibility)";
	return "protected";
}

/* The paging state of the registers now, for decoding entries. */
static bool now_mmu(struct cpu *c, struct pg_mmu *m)
{
	const char *why;
	struct pg_regs r = {
	    .cr0 = cpu_reg(c, UC_X86_REG_CR0),
	    .cr3 = cpu_reg(c, UC_X86_REG_CR3),
	    .cr4 = cpu_reg(c, UC_X86_REG_CR4),
	    .efer = cpu_rdmsr(c, MSR_IA32_EFER),
	};
	if (c->mmu_valid) {
		*m = c->mmu;
		return true;
	}
	return pg_mmu_init(m, &r, &c->pgcpu, &why) == 0;
}

static void print_insn(struct cpu *c, FILE *f, uint64_t lin, uint32_t hf)
{
	uint8_t code[16];
	unsigned n = 0;
	struct pg_fault pf;
	csh cs;
	cs_insn *insn = NULL;

	/* As many bytes as are readable (an instruction may end a page). */
	for (n = sizeof(code); n > 0; n = n > 8 ? n - 4 : n - 1)
		if (cpu__lin_access(c, lin, code, n, false, 0, true, false, &pf) == 0 && !pf.vector)
			break;
	if (n == 0) {
		fprintf(f, "  insn    (not readable at %#" PRIx64 ": vector %u error %#x)\n", lin,
			pf.vector, pf.error_code);
		return;
	}
	cs_mode mode = (hf & CPU_HF_CS64)   ? CS_MODE_64
		       : (hf & CPU_HF_CS32) ? CS_MODE_32
					    : CS_MODE_16;
	if (cs_open(CS_ARCH_X86, mode, &cs) != CS_ERR_OK) {
		fprintf(f, "  insn    (Capstone unavailable)\n");
		return;
	}
	size_t k = cs_disasm(cs, code, n, lin, 1, &insn);
	fprintf(f, "  insn    ");
	if (k == 1) {
		for (unsigned i = 0; i < insn->size; i++)
			fprintf(f, "%02x", insn->bytes[i]);
		fprintf(f, "  %s %s  (%u-bit)\n", insn->mnemonic, insn->op_str,
			mode == CS_MODE_64   ? 64
			: mode == CS_MODE_32 ? 32
					     : 16);
		cs_free(insn, k);
	} else {
		for (unsigned i = 0; i < n && i < 8; i++)
			fprintf(f, "%02x", code[i]);
		fprintf(f, "  (not a valid instruction)\n");
	}
	cs_close(&cs);
}

static void print_regs(struct cpu *c, FILE *f)
{
	static const struct {
		const char *n;
		int r;
	} g[] = {
	    {"rax", UC_X86_REG_RAX}, {"rbx", UC_X86_REG_RBX}, {"rcx", UC_X86_REG_RCX},
	    {"rdx", UC_X86_REG_RDX}, {"rsi", UC_X86_REG_RSI}, {"rdi", UC_X86_REG_RDI},
	    {"rbp", UC_X86_REG_RBP}, {"rsp", UC_X86_REG_RSP}, {"r8", UC_X86_REG_R8},
	    {"r9", UC_X86_REG_R9},   {"r10", UC_X86_REG_R10}, {"r11", UC_X86_REG_R11},
	    {"r12", UC_X86_REG_R12}, {"r13", UC_X86_REG_R13}, {"r14", UC_X86_REG_R14},
	    {"r15", UC_X86_REG_R15},
	};
	static const char *const sn[] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};

	for (unsigned i = 0; i < 16; i++)
		fprintf(f, "%s%-4s %016" PRIx64 "%s", i % 4 ? "  " : "  ", g[i].n,
			cpu_reg(c, g[i].r), i % 4 == 3 ? "\n" : "");
	fprintf(f, "  rflags %016" PRIx64 "\n", cpu_reg(c, UC_X86_REG_RFLAGS));
	for (int s = 0; s < CPU_SEG_COUNT; s++) {
		struct cpu_seg_cache sc;
		cpu_ctx_get_seg(c, (enum cpu_seg)s, &sc);
		fprintf(f, "  %-4s %04x base %016" PRIx64 " limit %08x flags %08x\n", sn[s], sc.sel,
			sc.base, sc.limit, sc.flags);
	}
	uint64_t b;
	uint32_t l;
	cpu_ctx_get_dt(c, false, &b, &l);
	fprintf(f, "  gdtr base %016" PRIx64 " limit %04x", b, l);
	cpu_ctx_get_dt(c, true, &b, &l);
	fprintf(f, "   idtr base %016" PRIx64 " limit %04x\n", b, l);
	fprintf(f, "  cr0 %016" PRIx64 "  cr2 %016" PRIx64 "  cr3 %016" PRIx64 "\n",
		cpu_ctx_cr(c, 0), cpu_ctx_cr(c, 2), cpu_ctx_cr(c, 3));
	fprintf(f, "  cr4 %016" PRIx64 "  efer %016" PRIx64 "  cpl %u\n", cpu_ctx_cr(c, 4),
		cpu_ctx_efer(c), cpu_ctx_hflags(c) & CPU_HF_CPL);
}

static void print_chain(struct cpu *c, FILE *f)
{
	const struct cpu_chain *ch = cpu_deliver_chain(c);
	char nm[32];

	if (ch->n == 0)
		return;
	fprintf(f, "events  ");
	for (unsigned i = 0; i < ch->n; i++) {
		const struct cpu_chain_link *l = &ch->l[i];
		ev_name(nm, sizeof(nm), l->vector, l->kind);
		fprintf(f, "%s%s", i ? " -> " : "", nm);
		if (i > 0 && ch->l[i - 1].failed[0] && !ch->l[i - 1].escalated)
			fprintf(f, " during delivery");
	}
	fprintf(f, "%s\n", ch->triple ? " -> triple fault" : "");
	for (unsigned i = 0; i < ch->n; i++) {
		const struct cpu_chain_link *l = &ch->l[i];
		ev_name(nm, sizeof(nm), l->vector, l->kind);
		fprintf(f, "  %u. %-6s at rip %016" PRIx64, i + 1, nm, l->rip);
		if (l->has_error)
			fprintf(f, " error %#x", l->error);
		if (l->vector == X86_VEC_PF && l->kind == CPU_EV_EXCEPTION)
			fprintf(f, " cr2 %#" PRIx64, l->cr2);
		if (l->failed[0])
			fprintf(f, ": %s", l->failed);
		fprintf(f, "\n");
	}
}

static void print_walk(struct cpu *c, FILE *f)
{
	const struct pg_walk2d *r = &c->last_walk;
	const struct pg_walk *w = &r->guest;
	struct pg_mmu m;
	const char *names[6];

	if (!r->fault.vector)
		return;
	fprintf(f, "walk    %s fault at %#" PRIx64 ": vector %u error %#x",
		pg_stage_name(r->fault.stage), r->fault.addr, r->fault.vector, r->fault.error_code);
	if (r->fault.vector == X86_VEC_PF) {
		unsigned k = pg_decode_pfec(r->fault.error_code, names);
		fprintf(f, " (");
		for (unsigned i = 0; i < k; i++)
			fprintf(f, "%s%s", i ? " " : "", names[i]);
		fprintf(f, ")");
	}
	fprintf(f, ", level %u\n", r->fault.level);
	bool have = now_mmu(c, &m);
	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *lv = &w->lvl[i];
		fprintf(f,
			"  L%u table %#" PRIx64 " [%3u] entry @%#" PRIx64 " = 0x%016" PRIx64 "%s",
			lv->level, lv->table, lv->index, lv->entry_addr, lv->entry,
			lv->from_reg ? " (PDPTE register)" : "");
		if (have) {
			struct pg_decoded d;
			pg_decode_entry(&m, lv->level, lv->entry, &d);
			fprintf(f, " ");
			for (unsigned b = 0; b < d.nbits; b++)
				fprintf(f, " %s", d.bits[b]);
			if (!d.present)
				fprintf(f, " not-present");
		}
		fprintf(f, "\n");
	}
}

void cpu_report(struct cpu *c, FILE *f, const char *what)
{
	if (!f)
		return;
	fprintf(f, "tdpsim: %s\n", what);
	if (!c->ctx || cpu_ctx_begin(c)) {
		fprintf(f, "  (CPU state unavailable)\n");
		return;
	}
	uint32_t hf = cpu_ctx_hflags(c);
	struct cpu_seg_cache cs;
	cpu_ctx_get_seg(c, CPU_SEG_CS, &cs);
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);
	struct pg_regs pr = {
	    .cr0 = cpu_ctx_cr(c, 0), .cr4 = cpu_ctx_cr(c, 4), .efer = cpu_ctx_efer(c)};
	const struct pg_format *fmt = pg_format_of(pg_mode_of(&pr));
	fprintf(f, "mode    %s, paging %s, CPL %u\n", cpu_mode_name(c), fmt ? fmt->name : "?",
		hf & CPU_HF_CPL);
	fprintf(f, "rip     %016" PRIx64 "  cs:ip %04x:%0*" PRIx64 "\n", rip, cs.sel,
		(hf & CPU_HF_CS64)   ? 16
		: (hf & CPU_HF_CS32) ? 8
				     : 4,
		rip);
	uint64_t lin = (hf & CPU_HF_CS64) ? rip : cs.base + rip;
	print_insn(c, f, lin, hf);
	print_chain(c, f);
	print_walk(c, f);
	fprintf(f, "registers\n");
	cpu_ctx_begin(c);
	print_regs(c, f);
}
