/*
 * The golden writer (golden.h, docs/golden.md). Every line is built from
 * integers in fixed forms: hex addresses and entries with 0x, decimal
 * counts, and names from the tables below, so that two runs that computed
 * the same thing write the same bytes.
 */
#include "golden.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
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

/* "KIND INDEX i=N rip=0x..": the part every event line starts with. */
static void head(struct trc_golden *g, const char *kind)
{
	fprintf(g->f, "%s %" PRIu64 " i=%" PRIu64, kind, g->index++,
		g->sink ? g->sink->insns : g->insns);
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
	    trc_code_read(g->ram, g->unknown, &g->regs, &g->cpu, g->code_bits, rip, max, buf, &n,
			  &bits))
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

/* A walk line without its head and code: "va=... cpl=N" and the rest. */
struct held_walk {
	gchar *pre, *post;
	bool skip;              /* sampled out by --golden-every */
};

static void emit_walk(struct trc_golden *g, const struct held_walk *h)
{
	if (h->skip) {
		g->index++;
		return;
	}
	head(g, "walk");
	fprintf(g->f, " %s", h->pre);
	/* The whole block (up to TRC_CODE_MAX bytes): its accesses are placed
	 * by block, so `tdpsim diff` shows every instruction that could have
	 * made this one. */
	code(g, g->rip, g->block_bytes ? g->block_bytes : 15);
	fprintf(g->f, "%s\n", h->post);
}

void trc_golden_walk(void *opaque, const struct tm_walk_info *w)
{
	struct trc_golden *g = opaque;
	struct held_walk h = { .skip = g->nwalks++ % g->every != 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!h.skip) {
		h.pre = g_strdup_printf("va=0x%" PRIx64 " %s cpl=%u", w->va,
					w->kind < 3 ? trc_golden_kinds[w->kind] : "?", w->cpl);
		f = open_memstream(&buf, &len);
		if (!f) {
			g_free(h.pre);
			h.pre = g_strdup("(out of memory)");
			h.post = g_strdup("");
		} else {
			outcome(f, w);
			fprintf(f, " refs=%u skipped=%u cycles=%" PRIu64, w->refs, w->skipped,
				w->cycles);
			fputs(" path=", f);
			if (!w->log || !w->log->n)
				fputc('-', f);
			for (unsigned i = 0; w->log && i < w->log->n; i++) {
				if (i)
					fputc(',', f);
				ref(f, w->r, &w->log->rec[i], w->fate[i]);
			}
			fclose(f);
			h.post = g_strdup(buf);
			free(buf);
		}
	}
	/* The sink fetches a block before its consumers hear of it: hold its
	 * fetch walks until trc_golden's block() names the block. */
	if (w->kind == TM_FETCH && g->sink && g->held) {
		struct held_walk *copy = g_new(struct held_walk, 1);

		*copy = h;
		g_ptr_array_add(g->held, copy);
		return;
	}
	emit_walk(g, &h);
	g_free(h.pre);
	g_free(h.post);
}

static void release_held(struct trc_golden *g)
{
	for (guint i = 0; g->held && i < g->held->len; i++) {
		struct held_walk *h = g_ptr_array_index(g->held, i);

		emit_walk(g, h);
		g_free(h->pre);
		g_free(h->post);
		g_free(h);
	}
	if (g->held)
		g_ptr_array_set_size(g->held, 0);
}

static const char *const event_names[TRC_EV_COUNT] = {
	[TRC_EV_CR0] = "cr0",       [TRC_EV_CR3] = "cr3",         [TRC_EV_CR4] = "cr4",
	[TRC_EV_EFER] = "efer",     [TRC_EV_PKRU] = "pkru",       [TRC_EV_RFLAGS] = "rflags",
	[TRC_EV_MSR] = "msr",       [TRC_EV_INVLPG] = "invlpg",   [TRC_EV_INVPCID] = "invpcid",
	[TRC_EV_INVEPT] = "invept", [TRC_EV_INVVPID] = "invvpid", [TRC_EV_VMENTRY] = "vmentry",
	[TRC_EV_MAPGPA] = "mapgpa",
};

/* The paging registers the instruction bytes are read through. */
static void track_regs(struct trc_golden *g, const struct trc_event *ev)
{
	switch (ev->kind) {
	case TRC_EV_CR0: g->regs.cr0 = ev->reg.value; break;
	case TRC_EV_CR3: g->regs.cr3 = ev->cr3.operand; break;
	case TRC_EV_CR4: g->regs.cr4 = ev->reg.value; break;
	case TRC_EV_EFER: g->regs.efer = ev->reg.value; break;
	case TRC_EV_MMU: g->regs = ev->mmu.regs; break;
	default: break;
	}
}

static void fault_line(struct trc_golden *g, const struct trc_event *ev)
{
	static const char *const types[] = { "exception", "interrupt", "software" };
	uint64_t block = g->rip;

	/* A delivery names its own instruction exactly. */
	head(g, "fault");
	fprintf(g->f, " vec=%u %s", ev->deliver.vector,
		ev->deliver.type < 3 ? types[ev->deliver.type] : "?");
	if (ev->deliver.has_error)
		fprintf(g->f, " err=0x%x", ev->deliver.error);
	if (ev->deliver.vector == X86_VEC_PF && ev->deliver.type == TRC_DELIVER_EXCEPTION)
		fprintf(g->f, " cr2=0x%" PRIx64, ev->deliver.cr2);
	fprintf(g->f, " at=0x%" PRIx64, ev->deliver.rip);
	g->rip = ev->deliver.rip;
	code(g, ev->deliver.rip, 15);
	g->rip = block;
	fputc('\n', g->f);
}

void trc_golden_event(struct trc_golden *g, const struct trc_event *ev)
{
	FILE *f = g->f;

	track_regs(g, ev);
	switch (ev->kind) {
	case TRC_EV_MMU:
	case TRC_EV_XLATE:
	case TRC_EV_MMIO:
		/* The functional CPU's own steps and the board's accesses:
		 * their effects reach the golden as walks, faults and exits. */
		return;
	case TRC_EV_DELIVER:
		fault_line(g, ev);
		return;
	case TRC_EV_VMEXIT:
		head(g, "vmexit");
		fprintf(f, " reason=%u cause=%s gpa=0x%" PRIx64 "\n", ev->vmexit.reason,
			ev->vmexit.cause == TRC_EXIT_GUEST ? "guest" : "host-fault", ev->vmexit.gpa);
		return;
	case TRC_EV_MARKER:
		head(g, "marker");
		fprintf(f, " id=%u text=", ev->marker.id);
		/* Printable ASCII stays; the rest (blanks included) is \xNN, so
		 * that a marker is one token and every line splits on blanks. */
		for (const unsigned char *p = (const unsigned char *)(ev->marker.text ? ev->marker.text
										    : "");
		     *p; p++) {
			if (*p > ' ' && *p < 0x7f && *p != '\\')
				fputc(*p, f);
			else
				fprintf(f, "\\x%02x", *p);
		}
		fputc('\n', f);
		return;
	default:
		break;
	}
	head(g, "event");
	fprintf(f, " %s", ev->kind < TRC_EV_COUNT && event_names[ev->kind] ? event_names[ev->kind]
									   : "unknown");
	switch (ev->kind) {
	case TRC_EV_CR3:
		fprintf(f, " val=0x%" PRIx64, ev->cr3.operand);
		break;
	case TRC_EV_MSR:
		fprintf(f, " msr=0x%x val=0x%" PRIx64, ev->msr.index, ev->msr.value);
		break;
	case TRC_EV_INVLPG:
		fprintf(f, " addr=0x%" PRIx64, ev->invlpg.la);
		break;
	case TRC_EV_INVPCID:
		fprintf(f, " type=%u pcid=0x%x addr=0x%" PRIx64, ev->invpcid.type, ev->invpcid.pcid,
			ev->invpcid.la);
		break;
	case TRC_EV_INVEPT:
		fprintf(f, " type=%u eptp=0x%" PRIx64, ev->invept.type, ev->invept.eptp);
		break;
	case TRC_EV_INVVPID:
		fprintf(f, " type=%u vpid=0x%x addr=0x%" PRIx64, ev->invvpid.type, ev->invvpid.vpid,
			ev->invvpid.la);
		break;
	case TRC_EV_VMENTRY:
		break;
	case TRC_EV_MAPGPA:
		fprintf(f, " gpa=0x%" PRIx64 " bytes=0x%" PRIx64 " to=%s ok=%u", ev->mapgpa.gpa,
			ev->mapgpa.bytes, ev->mapgpa.shared ? "shared" : "private", ev->mapgpa.ok);
		break;
	default: /* CR0, CR4, EFER, PKRU, RFLAGS */
		fprintf(f, " val=0x%" PRIx64, ev->reg.value);
		break;
	}
	fputc('\n', f);
}

/* ---- the consumer ---------------------------------------------------------- */

static void c_start(void *o, const struct trc_start *st)
{
	struct trc_golden *g = o;

	g->regs = st->regs;
	g->code_bits = st->code_bits;
	/* RIPs come with blocks: a producer with none (synth) writes rip=-. */
}

static void c_block(void *o, const struct trc_block *b)
{
	struct trc_golden *g = o;

	g->rip = b->pc;
	g->block_bytes = b->size;
	g->code_bits = b->code_bits;
	g->has_rip = true;
	release_held(g);
}

static void c_event(void *o, const struct trc_event *ev)
{
	trc_golden_event(o, ev);
}

static void c_end(void *o)
{
	release_held(o);
}

void trc_golden_consumer(struct trc_golden *g, const struct trc_sink *s,
			 const struct cpu_ram *ram, struct trc_consumer *out)
{
	*out = (struct trc_consumer){ .start = c_start, .block = c_block, .event = c_event,
				      .end = c_end, .opaque = g };
	g->sink = s;
	g->ram = s->ram ? s->ram : ram;
	if (!g->held)
		g->held = g_ptr_array_new();
	if (s->tm)
		tm_set_walk_hook(s->tm, trc_golden_walk, g);
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
	release_held(g);
	if (g->held)
		g_ptr_array_free(g->held, TRUE);
	g->held = NULL;
	fprintf(g->f, "end %" PRIu64 " events %" PRIu64 " walks\n", g->index, g->nwalks);
	if (fflush(g->f) || ferror(g->f))
		return -EIO;
	return 0;
}
