/*
 * The golden writer (golden.h, docs/golden.md). Every line is built from
 * integers in fixed forms: hex addresses and entries with 0x, decimal
 * counts, and names from the tables below, so that two runs that computed
 * the same thing write the same bytes.
 */
#include "golden.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "paging/bits.h"
#include "paging/nested.h"

const char *const trc_golden_kinds[3] = { "R", "W", "X" };
const char *const trc_golden_fates[7] = { "l1d", "l2", "llc", "mem", "skip", "ad", "ad-skip" };

_Static_assert(TM_REF_AD_SKIPPED == 6, "one fate name per enum tm_ref_fate");

void trc_golden_init(struct trc_golden *g, FILE *f, uint64_t every, const struct pg_cpu *cpu)
{
	memset(g, 0, sizeof(*g));
	g->f = f;
	g->every = every ? every : 1;
	if (cpu)
		g->cpu = *cpu;
	fprintf(f, "%s\n", TRC_GOLDEN_MAGIC);
}

void trc_golden_meta(struct trc_golden *g, const char *key, const char *value)
{
	fprintf(g->f, "@ %s ", key);
	/* One line per key: line breaks in a command line become blanks. */
	for (const char *p = value; *p; p++)
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, g->f);
	fputc('\n', g->f);
}

void trc_golden_memory(struct trc_golden *g, const struct cpu_ram *ram, unsigned code_bits)
{
	g->ram = ram;
	g->code_bits = code_bits;
}

void trc_golden_regs(struct trc_golden *g, const struct pg_regs *regs)
{
	g->regs = *regs;
}

/* "KIND INDEX i=N rip=0x..": the part every event line starts with. */
static void head(struct trc_golden *g, const char *kind)
{
	fprintf(g->f, "%s %" PRIu64 " i=%" PRIu64, kind, g->index++, g->insns);
	if (g->has_rip)
		fprintf(g->f, " rip=0x%" PRIx64, g->rip);
	else
		fputs(" rip=-", g->f);
}

/* " code=BYTES/BITS": the code at @rip (@max bytes at most), when it can
 * be read. */
static void code(struct trc_golden *g, uint64_t rip, unsigned max)
{
	uint8_t buf[TRC_CODE_MAX];
	unsigned n, bits;

	if (max > TRC_CODE_MAX)
		max = TRC_CODE_MAX;
	if (!g->has_rip || !g->ram || !g->cpu.maxphyaddr || !max ||
	    trc_code_read(g->ram, &g->regs, &g->cpu, g->code_bits, rip, max, buf, &n, &bits))
		return;
	fputs(" code=", g->f);
	for (unsigned i = 0; i < n; i++)
		fprintf(g->f, "%02x", buf[i]);
	fprintf(g->f, "/%u", bits);
}

static const char *size_name(uint64_t size)
{
	switch (size) {
	case UINT64_C(1) << 12: return "4k";
	case UINT64_C(1) << 21: return "2m";
	case UINT64_C(1) << 22: return "4m";
	case UINT64_C(1) << 30: return "1g";
	default: return "?";
	}
}

/* The entry a guest read at @glevel found (the walk's level record). */
static bool guest_entry(const struct pg_walk2d *r, uint8_t glevel, uint64_t *val)
{
	if (!r)
		return false;
	for (unsigned i = 0; i < r->guest.nlevels && i < PG_LEVELS_MAX; i++)
		if (r->guest.lvl[i].level == glevel && !r->guest.lvl[i].from_reg) {
			*val = r->guest.lvl[i].entry;
			return true;
		}
	return false;
}

/* One reference: g<L>@HPA=ENTRY:FATE, h<H>.<G>@HPA:FATE, ad.<...>. */
static void ref(FILE *f, const struct pg_walk2d *r, const struct pg_ref_rec *rec, uint8_t fate)
{
	char g[4];
	uint64_t val;

	if (rec->glevel == PG_GLEVEL_FINAL)
		snprintf(g, sizeof(g), "f");
	else if (rec->glevel == PG_GLEVEL_PDPTE_LOAD)
		snprintf(g, sizeof(g), "p");
	else
		snprintf(g, sizeof(g), "%u", rec->glevel);
	if (rec->kind == PG_REF_SET_AD)
		fputs("ad.", f);
	if (rec->dim == PG_DIM_HOST)
		fprintf(f, "h%u.%s@0x%" PRIx64, rec->hlevel, g, rec->addr);
	else
		fprintf(f, "g%s@0x%" PRIx64, g, rec->addr);
	if (rec->dim == PG_DIM_GUEST && rec->kind == PG_REF_READ &&
	    guest_entry(r, rec->glevel, &val))
		fprintf(f, "=0x%" PRIx64, val);
	fprintf(f, ":%s", fate < 7 ? trc_golden_fates[fate] : "?");
}

static void outcome(FILE *f, const struct tm_walk_info *w)
{
	const struct pg_walk2d *r = w->r;

	if (w->bad_state) {
		fputs(" -> bad-state", f);
		return;
	}
	if (w->rc) {
		fprintf(f, " -> error=%d", -w->rc);
		return;
	}
	if (r->fault.vector == PG_VEC_VMEXIT) {
		fprintf(f, " -> vmexit=%u stage=%u gpa=0x%" PRIx64 " info=0x%" PRIx64,
			r->fault.exit_reason, r->fault.stage, r->fault.gpa, r->fault.host_info);
		return;
	}
	if (r->fault.vector) {
		fprintf(f, " -> fault=%u err=0x%x level=%u", r->fault.vector, r->fault.error_code,
			r->fault.level);
		return;
	}
	fprintf(f, " -> gpa=0x%" PRIx64 " hpa=0x%" PRIx64 " size=%s perms=%x", r->guest.pa, r->hpa,
		size_name(r->guest.page_size), r->guest.perms);
}

void trc_golden_walk(void *opaque, const struct tm_walk_info *w)
{
	struct trc_golden *g = opaque;
	FILE *f = g->f;

	if (g->nwalks++ % g->every) {
		g->index++;
		return;
	}
	head(g, "walk");
	fprintf(f, " va=0x%" PRIx64 " %s cpl=%u", w->va, w->kind < 3 ? trc_golden_kinds[w->kind] : "?",
		w->cpl);
	/* The whole block (up to TRC_CODE_MAX bytes): its accesses are placed
	 * by block, so `tdpsim diff` shows every instruction that could have
	 * made this one. */
	code(g, g->rip, g->block_bytes ? g->block_bytes : 15);
	outcome(f, w);
	fprintf(f, " refs=%u skipped=%u cycles=%" PRIu64, w->refs, w->skipped, w->cycles);
	fputs(" path=", f);
	if (!w->log || !w->log->n)
		fputc('-', f);
	for (unsigned i = 0; w->log && i < w->log->n; i++) {
		if (i)
			fputc(',', f);
		ref(f, w->r, &w->log->rec[i], w->fate[i]);
	}
	fputc('\n', f);
}

static const char *const event_names[] = {
	[TM_EV_CR0] = "cr0",       [TM_EV_CR3] = "cr3",       [TM_EV_CR4] = "cr4",
	[TM_EV_EFER] = "efer",     [TM_EV_INVLPG] = "invlpg", [TM_EV_INVPCID] = "invpcid",
	[TM_EV_INVEPT] = "invept", [TM_EV_INVVPID] = "invvpid", [TM_EV_VMEXIT] = "vmexit",
	[TM_EV_VMENTRY] = "vmentry", [TM_EV_PKRU] = "pkru",   [TM_EV_MSR] = "msr",
	[TM_EV_RFLAGS] = "rflags",
};

void trc_golden_event(struct trc_golden *g, const struct tm_event *ev)
{
	FILE *f = g->f;
	const char *name = ev->kind < G_N_ELEMENTS(event_names) && event_names[ev->kind]
				   ? event_names[ev->kind] : "unknown";

	switch (ev->kind) {
	case TM_EV_CR0: g->regs.cr0 = ev->val; break;
	case TM_EV_CR3: g->regs.cr3 = ev->val; break;
	case TM_EV_CR4: g->regs.cr4 = ev->val; break;
	case TM_EV_EFER: g->regs.efer = ev->val; break;
	default: break;
	}
	/* VM exits have lines of their own kind: CI logs search for them. */
	head(g, ev->kind == TM_EV_VMEXIT ? "vmexit" : "event");
	if (ev->kind != TM_EV_VMEXIT)
		fprintf(f, " %s", name);
	switch (ev->kind) {
	case TM_EV_INVLPG:
		fprintf(f, " addr=0x%" PRIx64, ev->addr);
		break;
	case TM_EV_INVPCID:
		fprintf(f, " type=%u pcid=0x%x addr=0x%" PRIx64, ev->type, ev->pcid, ev->addr);
		break;
	case TM_EV_INVVPID:
		fprintf(f, " type=%u vpid=0x%x addr=0x%" PRIx64, ev->type, ev->pcid, ev->addr);
		break;
	case TM_EV_INVEPT:
		fprintf(f, " type=%u eptp=0x%" PRIx64, ev->type, ev->val);
		break;
	case TM_EV_VMEXIT:
		fprintf(f, " reason=%" PRIu64, ev->val);
		break;
	case TM_EV_VMENTRY:
		break;
	case TM_EV_MSR:
		fprintf(f, " msr=0x%x val=0x%" PRIx64, ev->msr, ev->val);
		break;
	default:
		fprintf(f, " val=0x%" PRIx64, ev->val);
		break;
	}
	fputc('\n', f);
}

void trc_golden_fault(struct trc_golden *g, uint8_t vector, bool has_error, uint32_t error,
		      uint64_t cr2)
{
	head(g, "fault");
	fprintf(g->f, " vec=%u", vector);
	if (has_error)
		fprintf(g->f, " err=0x%x", error);
	if (vector == X86_VEC_PF)
		fprintf(g->f, " cr2=0x%" PRIx64, cr2);
	code(g, g->rip, 15);
	fputc('\n', g->f);
}

void trc_golden_vmexit(struct trc_golden *g, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	head(g, "vmexit");
	fprintf(g->f, " reason=%u qual=0x%" PRIx64 " gpa=0x%" PRIx64 "\n", reason, qual, gpa);
}

void trc_golden_marker(struct trc_golden *g, const char *text)
{
	head(g, "marker");
	fputc(' ', g->f);
	/* Printable ASCII stays; the rest (blanks included) is \xNN, so that
	 * a marker is one token and every line splits on blanks. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '\\')
			fputc(*p, g->f);
		else
			fprintf(g->f, "\\x%02x", *p);
	}
	fputc('\n', g->f);
}

int trc_golden_finish(struct trc_golden *g, const struct tm_stats *s)
{
	const char *key;
	bool is_int;
	uint64_t u;
	double d;

	/* Ratios are left out: they follow from the integers, and a printed
	 * double is the one thing that could differ between libcs. */
	for (unsigned i = 0; s && tm_stats_get(s, i, &key, &is_int, &u, &d); i++)
		if (is_int)
			fprintf(g->f, "stat %s %" PRIu64 "\n", key, u);
	fprintf(g->f, "end %" PRIu64 " events %" PRIu64 " walks\n", g->index, g->nwalks);
	if (fflush(g->f) || ferror(g->f))
		return -EIO;
	return 0;
}
