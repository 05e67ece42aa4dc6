/*
 * The CPU-state blob (ctx.h): offsets of QEMU's CPUX86State inside
 * Unicorn 2.1.1's uc_context, the start-up self-check that proves each one,
 * and the segment-cache loads that keep hflags consistent.
 *
 * Layout (unicorn/probe-2.1.1.md, Q3; QEMU 5 target/i386/cpu.h, x86_64
 * build): struct uc_context { size_t context_size; int mode; int arch; int
 * snapshot_level; char data[]; } puts the CPUX86State copy at byte 20, and
 * uc_context_save copies offsetof(CPUX86State, retaddr) bytes.
 */
#include "cpu/ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


#define CTX_DATA_OFF 20 /* offsetof(struct uc_context, data) */

/* Offsets of CPUX86State fields (each checked by ctx_selfcheck). */
#define E_REGS	 0 /* target_ulong regs[16] */
#define E_EIP	 128
#define E_EFLAGS 136
#define E_HFLAGS 176
#define E_SEG(i) (184 + 24 * (i)) /* SegmentCache segs[6]: ES CS SS DS FS GS */
#define E_LDT	 328
#define E_TR	 352
#define E_GDT	 376
#define E_IDT	 400
#define E_CR(i)	 (424 + 8 * (i)) /* cr[5] */
/* After cr[5]: int32 a20_mask (+4 pad), BNDReg bnd_regs[4] (64),
 * BNDCSReg bndcs_regs (16), uint64 msr_bndcfgs: efer at 424+40+8+64+16+8. */
#define E_EFER	  560
#define E_DR0	  5368
#define E_ERRCODE 5352 /* int error_code: dr[0] - 16 */
#define E_OLDEXC  5464 /* int old_exception: dr[0] + 96 */
/* SegmentCache: { uint32 selector; (pad) uint64 base; uint32 limit; uint32 flags } */
#define SC_SEL	 0
#define SC_BASE	 8
#define SC_LIMIT 16
#define SC_FLAGS 20

struct cpu_ctx {
	uc_context *uctx;
	uint8_t *data;
	size_t size;		/* CPUX86State bytes in the blob */
};

/* ---- raw blob access ---- */

static uint32_t get32(const struct cpu_ctx *x, size_t off)
{
	uint32_t v;
	memcpy(&v, x->data + off, 4);
	return v;
}

static uint64_t get64(const struct cpu_ctx *x, size_t off)
{
	uint64_t v;
	memcpy(&v, x->data + off, 8);
	return v;
}

static void set32(struct cpu_ctx *x, size_t off, uint32_t v)
{
	memcpy(x->data + off, &v, 4);
}

static void set64(struct cpu_ctx *x, size_t off, uint64_t v)
{
	memcpy(x->data + off, &v, 8);
}

static size_t seg_off(enum cpu_seg s)
{
	return s == CPU_SEG_LDT ? E_LDT : s == CPU_SEG_TR ? E_TR : E_SEG(s);
}

uint64_t cpu_reg(struct cpu *c, int uc_reg)
{
	uint64_t v = 0;
	uc_reg_read(c->uc, uc_reg, &v);
	return v;
}

/* ---- self-check ---- */

static uint64_t rd_msr(uc_engine *uc, uint32_t msr)
{
	uc_x86_msr m = {.rid = msr, .value = 0};
	uc_reg_read(uc, UC_X86_REG_MSR, &m);
	return m.value;
}

static int wr_msr(uc_engine *uc, uint32_t msr, uint64_t val)
{
	uc_x86_msr m = {.rid = msr, .value = val};
	return uc_reg_write(uc, UC_X86_REG_MSR, &m) == UC_ERR_OK ? 0 : -EIO;
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(why, len, "context blob self-check: " __VA_ARGS__);               \
			ret = -EPROTO;                                                             \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/*
 * Write distinctive values through the API, save, and find each one at its
 * offset. The caller's state is saved first and restored at the end.
 */
static int ctx_check_static(uc_engine *uc, struct cpu_ctx *x, char *why, size_t len)
{
	static const int gpr[16] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
				    UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
				    UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
				    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15};
	static const int segr[4] = {UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS};
	uc_context *orig = NULL;
	int ret = 0;

	if (uc_context_alloc(uc, &orig) != UC_ERR_OK || uc_context_save(uc, orig) != UC_ERR_OK) {
		snprintf(why, len, "context blob self-check: cannot save the CPU state");
		ret = -EIO;
		goto out_free;
	}
	size_t total = uc_context_size(uc);
	CHECK(total > CTX_DATA_OFF + E_OLDEXC + 4, "uc_context_size %zu is too small", total);

	for (int i = 0; i < 16; i++) {
		uint64_t v = 0x5a00000000000000ull | ((uint64_t)i << 40) | (0x1234u + i);
		uc_reg_write(uc, gpr[i], &v);
	}
	uint64_t rip = 0x7ff0123456ull, dr0 = 0xd0d0d0d0c0c0ull, cr3 = 0x0badc000ull;
	uint64_t fsb = 0x0f5b0000fedcull, gsb = 0x065b0000abcdull;
	uc_reg_write(uc, UC_X86_REG_RIP, &rip);
	uc_reg_write(uc, UC_X86_REG_DR0, &dr0);
	uc_reg_write(uc, UC_X86_REG_CR3, &cr3);
	uc_reg_write(uc, UC_X86_REG_FS_BASE, &fsb);
	uc_reg_write(uc, UC_X86_REG_GS_BASE, &gsb);
	for (int i = 0; i < 4; i++) {
		uint64_t sel = 0x18 + 8 * i + (i & 3);
		uc_reg_write(uc, segr[i], &sel);
	}
	uc_x86_mmr tr = {
	    .selector = 0x48, .base = 0xfffff80012345000ull, .limit = 0x2067, .flags = 0x8b00};
	uc_x86_mmr ldt = {
	    .selector = 0x50, .base = 0x7654321000ull, .limit = 0x1ff, .flags = 0x8200};
	uc_x86_mmr gdt = {.base = 0xffff800000011000ull, .limit = 0x7f};
	uc_x86_mmr idt = {.base = 0xffff800000022000ull, .limit = 0xfff};
	uc_reg_write(uc, UC_X86_REG_TR, &tr);
	uc_reg_write(uc, UC_X86_REG_LDTR, &ldt);
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdt);
	uc_reg_write(uc, UC_X86_REG_IDTR, &idt);
	uint64_t rfl = 0x202 | RFLAGS_AC;
	uc_reg_write(uc, UC_X86_REG_RFLAGS, &rfl);
	CHECK(uc_context_save(uc, x->uctx) == UC_ERR_OK, "uc_context_save failed");

	/* uc_context_size = sizeof(struct uc_context) (24: data[] at 20,
	 * padded to 8) + the CPUX86State bytes in the context_size field. */
	size_t field = *(size_t *)(void *)x->uctx;
	CHECK(field + CTX_DATA_OFF <= total && total - field - CTX_DATA_OFF < 8,
	      "context_size field %zu does not fit uc_context_size %zu (data not at offset %d)",
	      field, total, CTX_DATA_OFF);
	x->size = field;
	for (int i = 0; i < 16; i++) {
		uint64_t v = 0x5a00000000000000ull | ((uint64_t)i << 40) | (0x1234u + i);
		CHECK(get64(x, E_REGS + 8 * i) == v, "regs[%d] not at offset %d", i,
		      E_REGS + 8 * i);
	}
	CHECK(get64(x, E_EIP) == rip, "eip not at offset %d", E_EIP);
	CHECK((get64(x, E_EFLAGS) & (RFLAGS_AC | RFLAGS_IF)) ==
		  (RFLAGS_AC | RFLAGS_IF),
	      "eflags not at offset %d", E_EFLAGS);
	for (int i = 0; i < 4; i++)
		CHECK(get32(x, E_SEG(i) + SC_SEL) == (uint32_t)(0x18 + 8 * i + (i & 3)),
		      "segs[%d].selector not at offset %d", i, E_SEG(i));
	CHECK(get64(x, E_SEG(CPU_SEG_FS) + SC_BASE) == fsb, "segs[FS].base not at offset %d",
	      E_SEG(CPU_SEG_FS) + SC_BASE);
	CHECK(get64(x, E_SEG(CPU_SEG_GS) + SC_BASE) == gsb, "segs[GS].base not at offset %d",
	      E_SEG(CPU_SEG_GS) + SC_BASE);
	CHECK(get32(x, E_TR + SC_SEL) == tr.selector && get64(x, E_TR + SC_BASE) == tr.base &&
		  get32(x, E_TR + SC_LIMIT) == tr.limit && get32(x, E_TR + SC_FLAGS) == tr.flags,
	      "tr not at offset %d", E_TR);
	CHECK(get32(x, E_LDT + SC_SEL) == ldt.selector && get64(x, E_LDT + SC_BASE) == ldt.base &&
		  get32(x, E_LDT + SC_LIMIT) == ldt.limit &&
		  get32(x, E_LDT + SC_FLAGS) == ldt.flags,
	      "ldt not at offset %d", E_LDT);
	CHECK(get64(x, E_GDT + SC_BASE) == gdt.base && get32(x, E_GDT + SC_LIMIT) == gdt.limit,
	      "gdt not at offset %d", E_GDT);
	CHECK(get64(x, E_IDT + SC_BASE) == idt.base && get32(x, E_IDT + SC_LIMIT) == idt.limit,
	      "idt not at offset %d", E_IDT);
	CHECK(get64(x, E_CR(3)) == cr3, "cr[3] not at offset %d", E_CR(3));
	CHECK(get64(x, E_DR0) == dr0, "dr[0] not at offset %d", E_DR0);
	CHECK((int32_t)get32(x, E_OLDEXC) == -1, "old_exception (offset %d) is %d, expected -1",
	      E_OLDEXC, (int32_t)get32(x, E_OLDEXC));

	/* cr[0] and hflags: CR0.TS is mirrored in hflags bit 11 by
	 * cpu_x86_update_cr0 (QEMU helper.c). */
	uint64_t cr0 = 0;
	uc_reg_read(uc, UC_X86_REG_CR0, &cr0);
	for (int ts = 0; ts < 2; ts++) {
		uint64_t v = (cr0 & ~8ull) | (ts ? 8ull : 0);
		uc_reg_write(uc, UC_X86_REG_CR0, &v);
		uc_context_save(uc, x->uctx);
		CHECK(get64(x, E_CR(0)) == v, "cr[0] not at offset %d", E_CR(0));
		CHECK(!!(get32(x, E_HFLAGS) & CPU_HF_TS) == ts, "hflags not at offset %d",
		      E_HFLAGS);
	}
	/* efer: two values through WRMSR; hflags.LMA follows EFER.LMA. */
	uint64_t efer0 = rd_msr(uc, MSR_IA32_EFER);
	for (int k = 0; k < 2; k++) {
		uint64_t v = k ? (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE) : 0;
		CHECK(wr_msr(uc, MSR_IA32_EFER, v) == 0, "WRMSR EFER refused");
		uint64_t back = rd_msr(uc, MSR_IA32_EFER);
		uc_context_save(uc, x->uctx);
		CHECK(get64(x, E_EFER) == back, "efer not at offset %d (%#llx vs %#llx)", E_EFER,
		      (unsigned long long)get64(x, E_EFER), (unsigned long long)back);
		CHECK(!!(get32(x, E_HFLAGS) & CPU_HF_LMA) == !!(back & EFER_LMA),
		      "hflags.LMA does not follow EFER.LMA");
	}
	(void)efer0;
out:
	if (uc_context_restore(uc, orig) != UC_ERR_OK && ret == 0) {
		snprintf(why, len, "context blob self-check: cannot restore the CPU state");
		ret = -EIO;
	}
out_free:
	if (orig)
		uc_context_free(orig);
	return ret;
}

struct dyn_probe {
	struct cpu_ctx *x;
	uint32_t intno, error_code;
	int32_t old_exception;
	int hits;
};

static void dyn_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct dyn_probe *p = opaque;
	p->hits++;
	p->intno = intno;
	uc_context_save(uc, p->x->uctx);
	p->error_code = get32(p->x, E_ERRCODE);
	p->old_exception = (int32_t)get32(p->x, E_OLDEXC);
	uc_emu_stop(uc);
}

/*
 * error_code and old_exception need an exception QEMU raises itself: on a
 * scratch handle, `mov ds, ax` with selector 0x99 beyond an empty GDT gives
 * #GP(0x98) (SDM Vol. 2B MOV: #GP(selector) if the index is outside the
 * descriptor table limit; the error code is the selector with RPL cleared).
 */
static int ctx_check_dynamic(struct cpu_ctx *x, char *why, size_t len)
{
	static const uint8_t code[] = {0x66, 0xb8, 0x99, 0x00, /* mov ax, 0x99 */
				       0x8e, 0xd8,	       /* mov ds, ax */
				       0xf4};		       /* hlt */
	uc_engine *uc = NULL;
	uc_hook h;
	struct dyn_probe p = {.x = x};
	int ret = 0;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
		snprintf(why, len, "context blob self-check: cannot open a scratch Unicorn handle");
		return -EIO;
	}
	uc_mem_map(uc, 0x1000, 0x1000, UC_PROT_ALL);
	uc_mem_write(uc, 0x1000, code, sizeof(code));
	uc_x86_mmr gdt = {.base = 0x1800, .limit = 0};
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdt);
	uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)dyn_intr, &p, 1, 0);
	uc_emu_start(uc, 0x1000, 0x1000 + sizeof(code), 0, 16);
	CHECK(p.hits == 1 && p.intno == 13,
	      "expected one #GP from a bad selector, got %d (vector %u)", p.hits, p.intno);
	CHECK(p.error_code == 0x98, "error_code (offset %d) is %#x, expected 0x98", E_ERRCODE,
	      p.error_code);
	CHECK(p.old_exception == 13, "old_exception (offset %d) is %d, expected 13", E_OLDEXC,
	      p.old_exception);
out:
	uc_close(uc);
	return ret;
}

int cpu_ctx_init(struct cpu *c, char *why, size_t len)
{
	struct cpu_ctx *x = calloc(1, sizeof(*x));
	int ret;

	if (!x) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (uc_context_alloc(c->uc, &x->uctx) != UC_ERR_OK) {
		snprintf(why, len, "context blob self-check: uc_context_alloc failed");
		ret = -EIO;
		goto out_free;
	}
	x->data = (uint8_t *)x->uctx + CTX_DATA_OFF;
	ret = ctx_check_static(c->uc, x, why, len);
	if (ret)
		goto out_ctx;
	ret = ctx_check_dynamic(x, why, len);
	if (ret)
		goto out_ctx;
	c->ctx = x;
	return 0;
out_ctx:
	uc_context_free(x->uctx);
out_free:
	free(x);
	return ret;
}

void cpu_ctx_free(struct cpu *c)
{
	if (!c->ctx)
		return;
	uc_context_free(c->ctx->uctx);
	free(c->ctx);
	c->ctx = NULL;
}

int cpu_ctx_begin(struct cpu *c)
{
	return uc_context_save(c->uc, c->ctx->uctx) == UC_ERR_OK ? 0 : -EIO;
}

int cpu_ctx_commit(struct cpu *c)
{
	return uc_context_restore(c->uc, c->ctx->uctx) == UC_ERR_OK ? 0 : -EIO;
}

/* ---- fields ---- */

void cpu_ctx_get_seg(const struct cpu *c, enum cpu_seg s, struct cpu_seg_cache *out)
{
	size_t o = seg_off(s);
	out->sel = (uint16_t)get32(c->ctx, o + SC_SEL);
	out->base = get64(c->ctx, o + SC_BASE);
	out->limit = get32(c->ctx, o + SC_LIMIT);
	out->flags = get32(c->ctx, o + SC_FLAGS);
}

/* QEMU's cpu_x86_load_seg_cache (target/i386/cpu.h), on the blob. */
void cpu_ctx_load_seg(struct cpu *c, enum cpu_seg s, const struct cpu_seg_cache *sc)
{
	struct cpu_ctx *x = c->ctx;
	size_t o = seg_off(s);

	set32(x, o + SC_SEL, sc->sel);
	set64(x, o + SC_BASE, sc->base);
	set32(x, o + SC_LIMIT, sc->limit);
	set32(x, o + SC_FLAGS, sc->flags);
	if (s == CPU_SEG_LDT || s == CPU_SEG_TR)
		return;

	uint32_t hf = get32(x, E_HFLAGS);
	if (s == CPU_SEG_CS) {
		if ((hf & CPU_HF_LMA) && (sc->flags & CPU_DESC_L)) {
			hf |= CPU_HF_CS32 | CPU_HF_SS32 | CPU_HF_CS64;
			hf &= ~CPU_HF_ADDSEG;
		} else {
			hf &= ~(CPU_HF_CS32 | CPU_HF_CS64);
			if (sc->flags & CPU_DESC_B)
				hf |= CPU_HF_CS32;
		}
	}
	if (s == CPU_SEG_SS)
		hf = (hf & ~CPU_HF_CPL) | ((sc->flags & CPU_DESC_DPL) >> CPU_DESC_DPL_SHIFT);
	uint32_t nh = (get32(x, E_SEG(CPU_SEG_SS) + SC_FLAGS) & CPU_DESC_B) ? CPU_HF_SS32 : 0;
	if (hf & CPU_HF_CS64) {
		/* zero base assumed for DS, ES and SS in 64-bit code */
	} else if (!(get64(x, E_CR(0)) & CR0_PE) || (get64(x, E_EFLAGS) & RFLAGS_VM) ||
		   !(hf & CPU_HF_CS32)) {
		nh |= CPU_HF_ADDSEG;
	} else if ((get64(x, E_SEG(CPU_SEG_DS) + SC_BASE) | get64(x, E_SEG(CPU_SEG_ES) + SC_BASE) |
		    get64(x, E_SEG(CPU_SEG_SS) + SC_BASE)) != 0) {
		nh |= CPU_HF_ADDSEG;
	}
	set32(x, E_HFLAGS, (hf & ~(CPU_HF_SS32 | CPU_HF_ADDSEG)) | nh);
}

uint32_t cpu_ctx_hflags(const struct cpu *c)
{
	return get32(c->ctx, E_HFLAGS);
}

void cpu_ctx_set_hflags(struct cpu *c, uint32_t hf)
{
	set32(c->ctx, E_HFLAGS, hf);
}

uint64_t cpu_ctx_cr(const struct cpu *c, unsigned n)
{
	return n < 5 ? get64(c->ctx, E_CR(n)) : 0;
}

void cpu_ctx_set_cr(struct cpu *c, unsigned n, uint64_t val)
{
	if (n < 5)
		set64(c->ctx, E_CR(n), val);
}

uint64_t cpu_ctx_efer(const struct cpu *c)
{
	return get64(c->ctx, E_EFER);
}

void cpu_ctx_set_efer(struct cpu *c, uint64_t efer)
{
	set64(c->ctx, E_EFER, efer);
}

void cpu_ctx_get_dt(const struct cpu *c, bool idt, uint64_t *base, uint32_t *limit)
{
	size_t o = idt ? E_IDT : E_GDT;
	*base = get64(c->ctx, o + SC_BASE);
	*limit = get32(c->ctx, o + SC_LIMIT);
}

void cpu_ctx_set_dt(struct cpu *c, bool idt, uint64_t base, uint32_t limit)
{
	size_t o = idt ? E_IDT : E_GDT;
	set64(c->ctx, o + SC_BASE, base);
	set32(c->ctx, o + SC_LIMIT, limit);
}

uint32_t cpu_ctx_error_code(const struct cpu *c)
{
	return get32(c->ctx, E_ERRCODE);
}

void cpu_ctx_reset_old_exception(struct cpu *c)
{
	set32(c->ctx, E_OLDEXC, (uint32_t)-1);
}

int32_t cpu_ctx_old_exception(const struct cpu *c)
{
	return (int32_t)get32(c->ctx, E_OLDEXC);
}


/* ---- self-contained wrappers ---- */

int cpu_set_cr2(struct cpu *c, uint64_t cr2)
{
	int ret = cpu_ctx_begin(c);
	if (ret)
		return ret;
	set64(c->ctx, E_CR(2), cr2);
	return cpu_ctx_commit(c);
}

int cpu_reset_old_exception(struct cpu *c)
{
	int ret = cpu_ctx_begin(c);
	if (ret)
		return ret;
	cpu_ctx_reset_old_exception(c);
	return cpu_ctx_commit(c);
}

unsigned cpu_cpl(struct cpu *c)
{
	if (cpu_ctx_begin(c))
		return 0;
	return get32(c->ctx, E_HFLAGS) & CPU_HF_CPL;
}

int cpu_get_seg(struct cpu *c, enum cpu_seg s, struct cpu_seg_cache *out)
{
	int ret = cpu_ctx_begin(c);
	if (ret)
		return ret;
	cpu_ctx_get_seg(c, s, out);
	return 0;
}

/* The code segment's default operand size, from QEMU's hflags. */
uint8_t cpu__code_bits(struct cpu *c)
{
	uint32_t hf = cpu_ctx_begin(c) == 0 ? cpu_ctx_hflags(c) : CPU_HF_CS64;

	return (hf & CPU_HF_CS64) ? 64 : (hf & CPU_HF_CS32) ? 32 : 16;
}

bool cpu__code64(struct cpu *c)
{
	return cpu_ctx_begin(c) == 0 && (cpu_ctx_hflags(c) & CPU_HF_CS64);
}

/* Unicorn's own copy of an MSR (the context layer, as cpu_reg). */
uint64_t cpu_rdmsr(struct cpu *c, uint32_t msr)
{
	uc_x86_msr m = {.rid = msr, .value = 0};
	uc_reg_read(c->uc, UC_X86_REG_MSR, &m);
	return m.value;
}

int cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t val)
{
	uc_x86_msr m = {.rid = msr, .value = val};
	return uc_reg_write(c->uc, UC_X86_REG_MSR, &m) == UC_ERR_OK ? 0 : -EIO;
}
