/*
 * Exception and interrupt delivery (deliver.h).
 *
 * One attempt (dlv_one) reads the gate, checks it, finds the stack, builds
 * the whole frame in a buffer and writes it with one linear access (both
 * pages of a frame that straddles a page are translated before any byte is
 * written), then loads CS/SS through the context blob and writes RSP,
 * RFLAGS and RIP. A fault met on the way is returned as data (DLV_FAULT),
 * and cpu_deliver() decides what follows from SDM Vol. 3A 6.15, Tables 6-4
 * and 6-5:
 *
 *   first \ second   benign    contributory   page fault
 *   benign           serial    serial         serial
 *   contributory     serial    #DF            serial
 *   page fault       serial    #DF            #DF
 *   double fault     serial    shutdown       shutdown
 *
 * where contributory = #DE, #TS, #NP, #SS, #GP (and #CP), page fault = #PF
 * and #VE, and external/software interrupts count as benign. "Serial" means
 * the second exception is delivered instead (the first is re-raised when
 * the handler returns to the faulting instruction).
 *
 * The RFLAGS image pushed for a fault has RF as it was: QEMU's TCG, the
 * reference the project's guests are compared with, does not set RF there
 * (real hardware sets it for fault-class exceptions, SDM Vol. 3A 18.3.1.1).
 * No stack-segment limit checks are made in protected mode (flat stacks).
 *
 * Error codes for faults found while delivering (SDM Vol. 3A 6.13): bit 0
 * EXT = the event being delivered is external to the program (an interrupt
 * or an earlier exception, not INT n/INT3/INTO), bit 1 IDT = the index
 * refers to a gate, bits 15:3 the index.
 */
#include <glib.h>

#include "cpu/deliver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpu/ctx.h"
#include "cpu/linear.h"

#define DLV_FAULT 1

#define ERR_EXT		1u /* error code bit 0 */
#define ERR_IDT		2u /* error code bit 1 */
#define DESC_CONFORMING (1u << 10)
#define HF_INHIBIT_IRQ	(1u << 3)

/* Gate types (S = 0), SDM Vol. 3A Table 3-2. */
#define GATE_TASK   0x5
#define GATE_INT16  0x6
#define GATE_TRAP16 0x7
#define GATE_INT32  0xe /* 64-bit interrupt gate in IA-32e mode */
#define GATE_TRAP32 0xf

/* One delivery attempt. */
struct dlv {
	struct cpu *c;
	const struct cpu_event *ev;
	bool ext;     /* EXT bit for error codes */
	bool soft;    /* INT n / INT3 / INTO: gate DPL >= CPL */
	uint64_t rip; /* RIP to push */
	uint64_t rsp, rflags;
	unsigned cpl;
	/* out: a fault met while delivering */
	uint8_t nvec;
	uint32_t nerr;
	uint64_t ncr2;
	char what[96]; /* what was being done when it faulted */
	char *why;     /* negative return: reason (chain.why) */
	size_t why_len;
};

bool cpu_vector_has_error(unsigned v)
{
	return v == X86_VEC_DF || (v >= X86_VEC_TS && v <= X86_VEC_PF) || v == X86_VEC_AC ||
	       v == X86_VEC_CP;
}

enum dclass { DC_BENIGN, DC_CONTRIB, DC_PF, DC_DF };

/* SDM Vol. 3A Table 6-4. */
static enum dclass dclass_of(unsigned v, uint8_t kind)
{
	if (kind != CPU_EV_EXCEPTION)
		return DC_BENIGN;
	switch (v) {
	case X86_VEC_DE:
	case X86_VEC_TS:
	case X86_VEC_NP:
	case X86_VEC_SS:
	case X86_VEC_GP:
	case X86_VEC_CP:
		return DC_CONTRIB;
	case X86_VEC_PF:
	case X86_VEC_VE:
		return DC_PF;
	case X86_VEC_DF:
		return DC_DF;
	default:
		return DC_BENIGN;
	}
}

static int raise_fault(struct dlv *d, uint8_t vec, uint32_t err, const char *what)
{
	d->nvec = vec;
	d->nerr = err;
	d->ncr2 = 0;
	snprintf(d->what, sizeof(d->what), "%s", what);
	return DLV_FAULT;
}

static uint32_t sel_err(const struct dlv *d, uint16_t sel)
{
	return (sel & 0xfffcu) | (d->ext ? ERR_EXT : 0);
}

static uint32_t idt_err(const struct dlv *d)
{
	return (uint32_t)d->ev->vector * 8 + ERR_IDT + (d->ext ? ERR_EXT : 0);
}

/* Turn a fault of the engine into the nested exception (or an error). */
static int from_walk(struct dlv *d, int rc, const struct pg_fault *f, const char *what)
{
	if (rc < 0) {
		snprintf(d->why, d->why_len,
			 "delivering vector %u: %s at a guest address outside RAM", d->ev->vector,
			 what);
		return rc;
	}
	if (f->vector == PG_VEC_VMEXIT) {
		snprintf(d->why, d->why_len,
			 "delivering vector %u: host-dimension fault (exit %#x) at GPA %#llx on %s",
			 d->ev->vector, f->exit_reason, (unsigned long long)f->gpa, what);
		return -EFAULT;
	}
	/* #PF error codes have no EXT bit; #GP/#SS(0) from a non-canonical
	 * address do (SDM Vol. 3A 6.13). */
	raise_fault(d, f->vector, f->vector == X86_VEC_PF ? f->error_code : (d->ext ? ERR_EXT : 0),
		    what);
	d->ncr2 = f->addr;
	return DLV_FAULT;
}

/* Implicit supervisor read of a system structure (IDT, GDT, LDT, TSS). */
static int sys_read(struct dlv *d, uint64_t la, void *buf, unsigned len, const char *what)
{
	struct pg_fault f;
	int rc = cpu__lin_access(d->c, la, buf, len, false, 0, true, false, &f);
	if (rc || f.vector)
		return from_walk(d, rc, &f, what);
	return 0;
}

/*
 * The frame, written at the new CPL as stack accesses, in one access so
 * that nothing is written unless all of it can be. The hardware pushes one
 * slot at a time from the top, so a #PF reports (CR2) the highest slot of
 * the page that faulted: the first push if the top page faulted, else the
 * slot just below the page boundary.
 */
static int stack_write(struct dlv *d, uint64_t la, const void *buf, unsigned len, unsigned cpl,
		       unsigned slot)
{
	struct pg_fault f;
	int rc = cpu__lin_access(d->c, la, (void *)buf, len, true, (uint8_t)cpl, false, true, &f);
	if (rc || f.vector) {
		rc = from_walk(d, rc, &f, "pushing the frame");
		if (rc == DLV_FAULT && f.vector == X86_VEC_PF) {
			uint64_t top = la + len, page = f.addr & ~0xfffull;
			d->ncr2 = page == ((top - 1) & ~0xfffull) ? top - slot : page + 4096 - slot;
		}
	}
	return rc;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Descriptor @sel from the GDT or LDT: #GP(sel|EXT) beyond the limit
 * (SDM Vol. 3A 3.4.2). @ts: report a bad selector as #TS (stack switch). */
static int load_desc(struct dlv *d, uint16_t sel, uint32_t *e1, uint32_t *e2, bool ts)
{
	uint64_t base;
	uint32_t limit;
	uint8_t b[8];

	if (sel & 4) {
		struct cpu_seg_cache ldt;
		cpu_ctx_get_seg(d->c, CPU_SEG_LDT, &ldt);
		base = ldt.base;
		limit = ldt.limit;
	} else {
		cpu_ctx_get_dt(d->c, false, &base, &limit);
	}
	if ((uint32_t)(sel | 7) > limit)
		return raise_fault(d, ts ? X86_VEC_TS : X86_VEC_GP, sel_err(d, sel),
				   "selector beyond the descriptor-table limit");
	int rc = sys_read(d, base + (sel & ~7u), b, 8, "reading a segment descriptor");
	if (rc)
		return rc;
	*e1 = le32(b);
	*e2 = le32(b + 4);
	return 0;
}

static void desc_cache(uint16_t sel, uint32_t e1, uint32_t e2, struct cpu_seg_cache *sc)
{
	uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000);
	if (e2 & CPU_DESC_G)
		limit = (limit << 12) | 0xfff;
	sc->sel = sel;
	sc->base = (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000u);
	sc->limit = limit;
	sc->flags = e2; /* QEMU keeps the whole high dword */
}

/* The gate's target code segment (SDM Vol. 3A 6.12.1.1; INT n pseudocode). */
static int target_cs(struct dlv *d, uint16_t sel, bool lm, struct cpu_seg_cache *cs,
		     unsigned *newcpl)
{
	uint32_t e1 = 0, e2 = 0;
	int rc;

	if ((sel & 0xfffc) == 0)
		return raise_fault(d, X86_VEC_GP, d->ext ? ERR_EXT : 0,
				   "null code selector in gate");
	rc = load_desc(d, sel, &e1, &e2, false);
	if (rc)
		return rc;
	unsigned dpl = (e2 & CPU_DESC_DPL) >> CPU_DESC_DPL_SHIFT;
	if (!(e2 & CPU_DESC_S) || !(e2 & CPU_DESC_CODE) || dpl > d->cpl)
		return raise_fault(d, X86_VEC_GP, sel_err(d, sel),
				   "gate target is not a code segment at DPL <= CPL");
	if (lm && (!(e2 & CPU_DESC_L) || (e2 & CPU_DESC_B)))
		return raise_fault(d, X86_VEC_GP, sel_err(d, sel),
				   "gate target is not a 64-bit code segment");
	if (!(e2 & CPU_DESC_P))
		return raise_fault(d, X86_VEC_NP, sel_err(d, sel),
				   "gate target segment not present");
	*newcpl = (e2 & DESC_CONFORMING) ? d->cpl : dpl;
	desc_cache((uint16_t)((sel & ~3u) | *newcpl), e1, e2, cs);
	return 0;
}

/* Final register writes after the blob was patched and committed. */
static int finish(struct dlv *d, uint64_t rsp, uint64_t rflags, uint64_t rip)
{
	struct cpu *c = d->c;
	cpu_ctx_set_hflags(c, cpu_ctx_hflags(c) & ~HF_INHIBIT_IRQ);
	cpu_ctx_reset_old_exception(c);
	if (cpu_ctx_commit(c))
		goto out_io;
	if (uc_reg_write(c->uc, UC_X86_REG_RSP, &rsp) ||
	    uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &rflags) ||
	    uc_reg_write(c->uc, UC_X86_REG_RIP, &rip))
		goto out_io;
	return 0;
out_io:
	snprintf(d->why, d->why_len, "delivering vector %u: Unicorn refused a register write",
		 d->ev->vector);
	return -EIO;
}

/* Real-address mode: the IVT (SDM Vol. 3A 20.1.4). */
static int dlv_real(struct dlv *d)
{
	struct cpu *c = d->c;
	uint64_t base;
	uint32_t limit;
	uint8_t ent[4], fr[6];
	struct cpu_seg_cache ss, cs;
	int rc;

	cpu_ctx_get_dt(c, true, &base, &limit);
	if ((uint32_t)d->ev->vector * 4 + 3 > limit)
		return raise_fault(d, X86_VEC_GP, 0, "vector beyond the IVT limit");
	rc = sys_read(d, base + d->ev->vector * 4u, ent, 4, "reading the IVT");
	if (rc)
		return rc;
	cpu_ctx_get_seg(c, CPU_SEG_SS, &ss);
	cpu_ctx_get_seg(c, CPU_SEG_CS, &cs);
	/* Push FLAGS, CS, IP (16 bits each, SP wraps at 64 KiB). */
	uint16_t sp = (uint16_t)d->rsp;
	uint16_t vals[3] = {(uint16_t)d->rflags, cs.sel, (uint16_t)d->rip};
	for (int i = 0; i < 3; i++) {
		sp = (uint16_t)(sp - 2);
		put(fr, vals[i], 2);
		rc = stack_write(d, ss.base + sp, fr, 2, 0, 2);
		if (rc)
			return rc;
	}
	uint16_t sel = (uint16_t)(ent[2] | ent[3] << 8);
	cs.sel = sel;
	cs.base = (uint64_t)sel << 4;
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
	uint64_t rfl = d->rflags & ~(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC | RFLAGS_RF);
	return finish(d, (d->rsp & ~0xffffull) | sp, rfl, (uint64_t)(ent[0] | ent[1] << 8));
}

/* Read SS:ESP for @newcpl from the current TSS (SDM Vol. 3A 7.2.1, 7.7). */
static int tss_stack32(struct dlv *d, unsigned newcpl, uint16_t *ss, uint32_t *esp)
{
	struct cpu_seg_cache tr;
	uint8_t b[8];
	int rc;

	cpu_ctx_get_seg(d->c, CPU_SEG_TR, &tr);
	unsigned type = (tr.flags & CPU_DESC_TYPE) >> CPU_DESC_TYPE_SHIFT;
	bool t32 = (type & 8) != 0; /* 9/B: 32-bit TSS; 1/3: 16-bit */
	unsigned off = t32 ? 4 + 8 * newcpl : 2 + 4 * newcpl;
	unsigned len = t32 ? 6 : 4;
	if (!(tr.flags & CPU_DESC_P) || off + len - 1 > tr.limit)
		return raise_fault(d, X86_VEC_TS, sel_err(d, tr.sel),
				   "stack pointer beyond the TSS limit");
	rc = sys_read(d, tr.base + off, b, len, "reading the TSS");
	if (rc)
		return rc;
	if (t32) {
		*esp = le32(b);
		*ss = (uint16_t)(b[4] | b[5] << 8);
	} else {
		*esp = (uint32_t)(b[0] | b[1] << 8);
		*ss = (uint16_t)(b[2] | b[3] << 8);
	}
	return 0;
}

/* Protected mode, 32-bit IDT (SDM Vol. 3A 6.10-6.12). */
static int dlv_prot(struct dlv *d)
{
	struct cpu *c = d->c;
	uint64_t base;
	uint32_t limit;
	uint8_t g[8];
	int rc;

	if (d->rflags & RFLAGS_VM) {
		snprintf(d->why, d->why_len,
			 "delivering vector %u: virtual-8086 mode is not supported", d->ev->vector);
		return -ENOTSUP;
	}
	cpu_ctx_get_dt(c, true, &base, &limit);
	if ((uint32_t)d->ev->vector * 8 + 7 > limit)
		return raise_fault(d, X86_VEC_GP, idt_err(d), "vector beyond the IDT limit");
	rc = sys_read(d, base + d->ev->vector * 8u, g, 8, "reading the IDT");
	if (rc)
		return rc;
	uint32_t e1 = le32(g), e2 = le32(g + 4);
	unsigned type = (e2 >> 8) & 0x1f; /* S bit included: must be 0 */
	if (type == GATE_TASK) {
		snprintf(d->why, d->why_len, "delivering vector %u: task gates are not supported",
			 d->ev->vector);
		return -ENOTSUP;
	}
	if (type != GATE_INT16 && type != GATE_TRAP16 && type != GATE_INT32 && type != GATE_TRAP32)
		return raise_fault(d, X86_VEC_GP, idt_err(d), "not an interrupt or trap gate");
	unsigned gdpl = (e2 & CPU_DESC_DPL) >> CPU_DESC_DPL_SHIFT;
	if (d->soft && gdpl < d->cpl)
		return raise_fault(d, X86_VEC_GP, idt_err(d),
				   "software interrupt through a gate with DPL < CPL");
	if (!(e2 & CPU_DESC_P))
		return raise_fault(d, X86_VEC_NP, idt_err(d), "gate not present");
	bool g32 = (type & 8) != 0;
	unsigned w = g32 ? 4 : 2;
	uint32_t off = g32 ? ((e1 & 0xffff) | (e2 & 0xffff0000u)) : (e1 & 0xffff);

	struct cpu_seg_cache cs, ss, oldcs;
	unsigned newcpl;
	rc = target_cs(d, (uint16_t)(e1 >> 16), false, &cs, &newcpl);
	if (rc)
		return rc;
	cpu_ctx_get_seg(c, CPU_SEG_SS, &ss);
	cpu_ctx_get_seg(c, CPU_SEG_CS, &oldcs);
	uint8_t fr[7 * 4];
	unsigned n = 0;
	uint64_t esp = d->rsp;
	bool newstack = newcpl < d->cpl;
	struct cpu_seg_cache nss = ss;
	if (newstack) {
		uint16_t nsel = 0;
		uint32_t nesp = 0, s1 = 0, s2 = 0;
		rc = tss_stack32(d, newcpl, &nsel, &nesp);
		if (rc)
			return rc;
		if ((nsel & 0xfffc) == 0)
			return raise_fault(d, X86_VEC_TS, d->ext ? ERR_EXT : 0,
					   "null SS in the TSS");
		rc = load_desc(d, nsel, &s1, &s2, true);
		if (rc)
			return rc;
		unsigned sdpl = (s2 & CPU_DESC_DPL) >> CPU_DESC_DPL_SHIFT;
		if ((nsel & 3) != newcpl || sdpl != newcpl || !(s2 & CPU_DESC_S) ||
		    (s2 & CPU_DESC_CODE) || !(s2 & CPU_DESC_W))
			return raise_fault(
			    d, X86_VEC_TS, sel_err(d, nsel),
			    "TSS stack segment is not a writable data segment at the new CPL");
		if (!(s2 & CPU_DESC_P))
			return raise_fault(d, X86_VEC_SS, sel_err(d, nsel),
					   "TSS stack segment not present");
		desc_cache(nsel, s1, s2, &nss);
		esp = nesp;
		/* Old SS:ESP first (highest addresses). */
		put(fr + n, ss.sel, w), n += w;
		put(fr + n, d->rsp, w), n += w;
	}
	put(fr + n, d->rflags, w), n += w;
	put(fr + n, oldcs.sel, w), n += w;
	put(fr + n, d->rip, w), n += w;
	if (d->ev->has_error)
		put(fr + n, d->ev->error, w), n += w;
	/* fr holds the pushes in push order; memory order is the reverse. */
	uint8_t mem[7 * 4];
	for (unsigned i = 0; i < n; i += w)
		memcpy(mem + (n - w - i), fr + i, w);
	uint64_t mask = (nss.flags & CPU_DESC_B) ? 0xffffffffull : 0xffffull;
	uint64_t nsp = (esp - n) & mask;
	rc = stack_write(d, (nss.base + nsp) & 0xffffffffull, mem, n, newcpl, w);
	if (rc)
		return rc;
	if (newstack)
		cpu_ctx_load_seg(c, CPU_SEG_SS, &nss);
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
	uint64_t rfl = d->rflags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (!(type & 1))
		rfl &= ~RFLAGS_IF;
	return finish(d, (esp & ~mask) | nsp, rfl, off);
}

/* IA-32e mode, 64-bit IDT (SDM Vol. 3A 6.14). */
static int dlv_long(struct dlv *d)
{
	struct cpu *c = d->c;
	uint64_t base;
	uint32_t limit;
	uint8_t g[16];
	int rc;

	cpu_ctx_get_dt(c, true, &base, &limit);
	if ((uint32_t)d->ev->vector * 16 + 15 > limit)
		return raise_fault(d, X86_VEC_GP, idt_err(d), "vector beyond the IDT limit");
	rc = sys_read(d, base + d->ev->vector * 16u, g, 16, "reading the IDT");
	if (rc)
		return rc;
	uint32_t e1 = le32(g), e2 = le32(g + 4), e3 = le32(g + 8);
	unsigned type = (e2 >> 8) & 0x1f;
	if (type != GATE_INT32 && type != GATE_TRAP32)
		return raise_fault(d, X86_VEC_GP, idt_err(d),
				   "not a 64-bit interrupt or trap gate");
	unsigned gdpl = (e2 & CPU_DESC_DPL) >> CPU_DESC_DPL_SHIFT;
	if (d->soft && gdpl < d->cpl)
		return raise_fault(d, X86_VEC_GP, idt_err(d),
				   "software interrupt through a gate with DPL < CPL");
	if (!(e2 & CPU_DESC_P))
		return raise_fault(d, X86_VEC_NP, idt_err(d), "gate not present");
	unsigned ist = e2 & 7;
	uint64_t off = (e1 & 0xffff) | (e2 & 0xffff0000u) | ((uint64_t)e3 << 32);

	struct cpu_seg_cache cs, ss, oldcs;
	unsigned newcpl;
	rc = target_cs(d, (uint16_t)(e1 >> 16), true, &cs, &newcpl);
	if (rc)
		return rc;
	cpu_ctx_get_seg(c, CPU_SEG_SS, &ss);
	cpu_ctx_get_seg(c, CPU_SEG_CS, &oldcs);
	uint64_t rsp = d->rsp;
	if (ist || newcpl < d->cpl) {
		/* RSPn at 4 + 8n, ISTn at 36 + 8(n-1) (SDM Vol. 3A Figure 7-11). */
		struct cpu_seg_cache tr;
		uint8_t b[8];
		unsigned toff = ist ? 36 + 8 * (ist - 1) : 4 + 8 * newcpl;
		cpu_ctx_get_seg(c, CPU_SEG_TR, &tr);
		if (!(tr.flags & CPU_DESC_P) || toff + 7 > tr.limit)
			return raise_fault(d, X86_VEC_TS, sel_err(d, tr.sel),
					   "stack pointer beyond the TSS limit");
		rc = sys_read(d, tr.base + toff, b, 8,
			      ist ? "reading the IST pointer" : "reading RSP0-2 from the TSS");
		if (rc)
			return rc;
		rsp = le32(b) | (uint64_t)le32(b + 4) << 32;
	}
	rsp &= ~15ull; /* 16-byte alignment (6.14.2) */
	uint64_t fr[6];
	unsigned n = 0;
	if (d->ev->has_error)
		fr[n++] = d->ev->error;
	fr[n++] = d->rip;
	fr[n++] = oldcs.sel;
	fr[n++] = d->rflags;
	fr[n++] = d->rsp;
	fr[n++] = ss.sel;
	uint8_t mem[48];
	for (unsigned i = 0; i < n; i++)
		put(mem + 8 * i, fr[i], 8);
	rsp -= 8 * n;
	rc = stack_write(d, rsp, mem, 8 * n, newcpl, 8);
	if (rc)
		return rc;
	if (newcpl != d->cpl) {
		/* SS = NULL selector with RPL = new CPL (6.14.4). */
		struct cpu_seg_cache nss = {.sel = (uint16_t)newcpl,
					    .base = 0,
					    .limit = 0,
					    .flags = newcpl << CPU_DESC_DPL_SHIFT};
		cpu_ctx_load_seg(c, CPU_SEG_SS, &nss);
	}
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
	uint64_t rfl = d->rflags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (type == GATE_INT32)
		rfl &= ~RFLAGS_IF;
	return finish(d, rsp, rfl, off);
}

static bool ev_soft(uint8_t kind)
{
	return kind == CPU_EV_SOFTINT || kind == CPU_EV_INT3 || kind == CPU_EV_INTO;
}

static void chain_add(struct cpu_chain *ch, const struct cpu_event *ev, uint64_t rip)
{
	if (ch->n >= CPU_CHAIN_MAX)
		return;
	struct cpu_chain_link *l = &ch->l[ch->n++];
	memset(l, 0, sizeof(*l));
	l->vector = ev->vector;
	l->kind = ev->kind;
	l->has_error = ev->has_error;
	l->error = ev->error;
	l->cr2 = ev->vector == X86_VEC_PF && ev->kind == CPU_EV_EXCEPTION ? ev->cr2 : 0;
	l->rip = rip;
}

/* The feed hears of each event the guest received (TRC_EV_DELIVER). */
static void feed_delivered(struct cpu *c, const struct cpu_event *ev, uint64_t rip)
{
	struct trc_event t = { .kind = TRC_EV_DELIVER };

	t.deliver.vector = ev->vector;
	t.deliver.type = ev->kind == CPU_EV_EXCEPTION ? TRC_DELIVER_EXCEPTION
			 : ev->kind == CPU_EV_EXTINT ? TRC_DELIVER_EXTINT : TRC_DELIVER_SOFTINT;
	t.deliver.has_error = ev->has_error;
	t.deliver.error = ev->error;
	t.deliver.rip = rip;
	t.deliver.cr2 = ev->vector == X86_VEC_PF ? ev->cr2 : 0;
	trc_event(&c->sink, &t);
}

/* The chain lives beside the machine, made at the first delivery (freed
 * with the machine). */
static struct cpu_chain *chain_of(struct cpu *c)
{
	if (!c->chain)
		c->chain = g_new0(struct cpu_chain, 1);
	return c->chain;
}

int cpu_deliver(struct cpu *c, const struct cpu_event *ev0)
{
	struct cpu_chain *ch = chain_of(c);
	struct cpu_event ev = *ev0;
	int rc;

	memset(ch, 0, sizeof(*ch));
	if (cpu_ctx_begin(c)) {
		snprintf(ch->why, sizeof(ch->why),
			 "delivering vector %u: cannot save the CPU state", ev.vector);
		return -EIO;
	}
	uint64_t rip0 = cpu_reg(c, UC_X86_REG_RIP);
	uint64_t rsp = cpu_reg(c, UC_X86_REG_RSP), rflags = cpu_reg(c, UC_X86_REG_RFLAGS);
	bool soft = ev_soft(ev.kind);
	/* A fault met while delivering INT n is reported at the INT
	 * instruction (CD ib: 2 bytes; CC, CE: 1 byte). */
	uint64_t insn_rip = !soft ? rip0 : ev.next_rip - (ev.kind == CPU_EV_SOFTINT ? 2 : 1);
	uint64_t push_rip = soft ? ev.next_rip : rip0;
	bool ext = !soft;

	for (;;) {
		chain_add(ch, &ev, insn_rip);
		if (ev.vector == X86_VEC_PF && ev.kind == CPU_EV_EXCEPTION)
			cpu_ctx_set_cr(c, 2, ev.cr2); /* CR2 is loaded even if delivery fails */
		struct dlv d = {.c = c,
				.ev = &ev,
				.ext = ext,
				.soft = ev_soft(ev.kind),
				.rip = push_rip,
				.rsp = rsp,
				.rflags = rflags,
				.cpl = cpu_ctx_hflags(c) & CPU_HF_CPL,
				.why = ch->why,
				.why_len = sizeof(ch->why)};
		if (!(cpu_ctx_cr(c, 0) & CR0_PE))
			rc = dlv_real(&d);
		else if (cpu_ctx_hflags(c) & CPU_HF_LMA)
			rc = dlv_long(&d);
		else
			rc = dlv_prot(&d);
		if (rc == 0)
			feed_delivered(c, &ev, insn_rip);
		if (rc <= 0)
			return rc;

		/* A fault while delivering @ev: Table 6-5. */
		struct cpu_chain_link *l = &ch->l[ch->n - 1];
		snprintf(l->failed, sizeof(l->failed), "%s", d.what);
		if (d.nvec == X86_VEC_PF)
			ch->have_walk = true;
		enum dclass first = dclass_of(ev.vector, ev.kind);
		enum dclass second = dclass_of(d.nvec, CPU_EV_EXCEPTION);
		struct cpu_event next = {.vector = d.nvec,
					 .kind = CPU_EV_EXCEPTION,
					 .has_error = cpu_vector_has_error(d.nvec),
					 .error = d.nerr,
					 .cr2 = d.ncr2};
		if ((first == DC_DF && second != DC_BENIGN) || ch->n >= CPU_CHAIN_MAX) {
			if (d.nvec == X86_VEC_PF)
				cpu_ctx_set_cr(c, 2, d.ncr2);
			chain_add(ch, &next, insn_rip);
			ch->triple = true;
			cpu_ctx_reset_old_exception(c);
			cpu_ctx_commit(c);
			/* Shutdown: leave RIP at the instruction whose event
			 * could not be delivered (INT n: the INT itself), for
			 * the report. */
			uc_reg_write(c->uc, UC_X86_REG_RIP, &insn_rip);
			return CPU_TRIPLE_FAULT;
		}
		if ((first == DC_CONTRIB && second == DC_CONTRIB) ||
		    (first == DC_PF && second != DC_BENIGN)) {
			if (d.nvec == X86_VEC_PF) /* the second #PF loaded CR2 */
				cpu_ctx_set_cr(c, 2, d.ncr2);
			chain_add(ch, &next, insn_rip);
			ch->l[ch->n - 1].escalated = true;
			snprintf(ch->l[ch->n - 1].failed, sizeof(ch->l[0].failed),
				 "escalated to #DF (SDM Vol. 3A Table 6-5)");
			next = (struct cpu_event){.vector = X86_VEC_DF,
						  .kind = CPU_EV_EXCEPTION,
						  .has_error = true,
						  .error = 0};
		}
		ev = next;
		ext = true;
		push_rip = insn_rip;
	}
}

const struct cpu_chain *cpu_deliver_chain(const struct cpu *c)
{
	static const struct cpu_chain none;

	return c->chain ? c->chain : &none;
}

/* A guest-visible exception: counted, and in --fault-log. */
void cpu__log_exception(struct cpu *c, uint8_t vec, uint32_t err, uint64_t cr2, uint64_t rip)
{
	c->n.exceptions[vec]++;
	if (vec == X86_VEC_PF)
		c->last_cr2 = cr2;
	if (c->fault_log)
		fprintf(c->fault_log, "%02x %x %" PRIx64 " %" PRIx64 "\n", vec, err,
			vec == X86_VEC_PF ? cr2 : 0, rip);
}

/* An exception raised at @rip by an instruction tdpsim emulates or refuses
 * (a site, a MOV that loaded bad PDPTEs): logged, delivered as a new event,
 * and a triple fault or an undeliverable exception ends the run with the
 * report. */
int cpu__raise(struct cpu *c, uint8_t vec, bool has_error, uint32_t error, uint64_t rip)
{
	struct cpu_event ev = { .vector = vec, .kind = CPU_EV_EXCEPTION,
				.has_error = has_error, .error = error };
	int rc;

	cpu__log_exception(c, vec, error, 0, rip);
	cpu_reset_old_exception(c);
	rc = cpu_deliver(c, &ev);
	if (rc == CPU_TRIPLE_FAULT)
		cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault delivering exception %u", vec);
	else if (rc < 0)
		cpu_run_stop(c, CPU_STOP_ERROR, "cannot deliver exception %u: %s", vec,
			     cpu_deliver_chain(c)->why);
	return rc;
}
