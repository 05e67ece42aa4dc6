/*
 * Statistics output: a readable table, one flat JSON object, or CSV (one
 * header line of keys, one line of values), all three driven by one table
 * of {stable key, where the value comes from, description}. The keys are a
 * stable interface documented in docs/stats.md: rename nothing, only add.
 *
 * A value is a counter of struct tm_stats, a sum of consecutive counters,
 * or derived (totals, rates, per-walk and per-kilo-instruction figures). A
 * ratio whose denominator is zero is 0. Output never depends on the locale
 * or on pointer order: rows print in table order.
 */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "model.h"

enum st_kind {
	ST_SECTION = 0, /* a heading of the text table, no value */
	ST_U64,         /* the counter at off */
	ST_SUM,         /* n consecutive counters from off */
	ST_FN_U,        /* integer derived by fu */
	ST_FN_D,        /* fraction or rate derived by fd */
};

struct st_row {
	const char *key;
	uint8_t kind;
	uint8_t n;
	size_t off;
	uint64_t (*fu)(const struct tm_stats *s);
	double (*fd)(const struct tm_stats *s);
	const char *desc;
};

#define OFF(f) offsetof(struct tm_stats, f)

static double ratio(double a, double b)
{
	return b != 0 ? a / b : 0;
}

static uint64_t sum(const uint64_t *v, unsigned n)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += v[i];
	return t;
}

static uint64_t tlb_hits(const struct tm_stats *s, int l)
{
	return sum(s->tlb_hits[l], TM_NSIZES);
}

static uint64_t tlb_misses(const struct tm_stats *s, int l)
{
	return sum(s->tlb_misses[l], TM_NSIZES) + s->tlb_misses_fault[l];
}

/* ---- derived values ------------------------------------------------------ */

#define TLB_FNS(name, l)                                                                  \
	static uint64_t name##_misses(const struct tm_stats *s)                           \
	{                                                                                 \
		return tlb_misses(s, l);                                                  \
	}                                                                                 \
	static double name##_rate(const struct tm_stats *s)                               \
	{                                                                                 \
		return ratio((double)tlb_hits(s, l), (double)(tlb_hits(s, l) + tlb_misses(s, l))); \
	}
TLB_FNS(l1i, TM_L1I)
TLB_FNS(l1d, TM_L1D)
TLB_FNS(stlb, TM_STLB)

static uint64_t xlate_cycles(const struct tm_stats *s)
{
	return s->cycles[TM_CY_TLB] + s->cycles[TM_CY_WALK] + s->cycles[TM_CY_AD] +
	       s->cycles[TM_CY_FLUSH] + s->cycles[TM_CY_VMEXIT];
}

static double xlate_per_kinsn(const struct tm_stats *s)
{
	return ratio(1000.0 * (double)xlate_cycles(s), (double)s->instructions);
}

static double xlate_share(const struct tm_stats *s)
{
	return ratio((double)xlate_cycles(s), (double)sum(s->cycles, TM_NCY));
}

static double refs_per_walk(const struct tm_stats *s)
{
	return ratio((double)s->walk_refs, (double)s->walks);
}

static double skipped_per_walk(const struct tm_stats *s)
{
	return ratio((double)s->walk_refs_skipped, (double)s->walks);
}

static double cycles_per_walk(const struct tm_stats *s)
{
	return ratio((double)s->cycles[TM_CY_WALK], (double)s->walks);
}

static double ntlb_rate(const struct tm_stats *s)
{
	return ratio((double)s->ntlb_hits, (double)(s->ntlb_hits + s->ntlb_misses));
}

/* Every flush event except MOV to CR3 with bit 63 set (it flushes nothing). */
static uint64_t flushes(const struct tm_stats *s)
{
	return sum(s->flushes, TM_FL_NCAUSES) - s->flushes[TM_FL_CR3_NOFLUSH];
}

static uint64_t pwc_hits(const struct tm_stats *s)
{
	return sum(s->pwc_hits, 6);
}

static uint64_t pwc_misses(const struct tm_stats *s)
{
	return sum(s->pwc_misses, 6);
}

/* ---- the table --------------------------------------------------------------- */

#define SECTION(t)        { t, ST_SECTION, 0, 0, NULL, NULL, NULL }
#define U64(k, f, d)      { k, ST_U64, 1, OFF(f), NULL, NULL, d }
#define SUM(k, f, n, d)   { k, ST_SUM, n, OFF(f), NULL, NULL, d }
#define FNU(k, fn, d)     { k, ST_FN_U, 0, 0, fn, NULL, d }
#define FND(k, fn, d)     { k, ST_FN_D, 0, 0, NULL, fn, d }

#define TLB_ROWS(t, l, name, what)                                                        \
	SUM("tlb." t ".hits", tlb_hits[l], TM_NSIZES, what " hits"),                      \
	FNU("tlb." t ".misses", name##_misses, what " misses (walks or lower levels)"),   \
	FND("tlb." t ".hit_rate", name##_rate, what " hits / lookups"),                   \
	U64("tlb." t ".hits.4k", tlb_hits[l][TM_4K], "hits on 4 KiB entries"),            \
	U64("tlb." t ".hits.2m", tlb_hits[l][TM_2M], "hits on 2 MiB entries"),            \
	U64("tlb." t ".hits.1g", tlb_hits[l][TM_1G], "hits on 1 GiB entries"),            \
	U64("tlb." t ".misses.4k", tlb_misses[l][TM_4K], "misses that found a 4 KiB page"), \
	U64("tlb." t ".misses.2m", tlb_misses[l][TM_2M], "misses that found a 2 MiB page"), \
	U64("tlb." t ".misses.1g", tlb_misses[l][TM_1G], "misses that found a 1 GiB page"), \
	U64("tlb." t ".misses.fault", tlb_misses_fault[l], "misses that ended in a fault")

#define H(n) U64("walk_hist." #n, walk_hist[n], "walks with " #n " references")
#define H10(t) H(t##0), H(t##1), H(t##2), H(t##3), H(t##4), H(t##5), H(t##6), H(t##7), \
	       H(t##8), H(t##9)

static const struct st_row rows[] = {
	SECTION("Run"),
	U64("accesses", accesses, "memory accesses (fetches included)"),
	U64("reads", reads, "data reads"),
	U64("writes", writes, "data writes"),
	U64("fetches", fetches, "instruction fetches"),
	U64("instructions", instructions, "instructions retired"),
	SECTION("Cycles"),
	SUM("cycles", cycles, TM_NCY, "all cycles"),
	U64("cycles.base", cycles[TM_CY_BASE], "instructions at the base CPI"),
	U64("cycles.tlb", cycles[TM_CY_TLB], "TLB lookups beyond L1"),
	U64("cycles.walk", cycles[TM_CY_WALK], "page walks (table references)"),
	U64("cycles.ad", cycles[TM_CY_AD], "A/D updates (locked RMW)"),
	U64("cycles.vmexit", cycles[TM_CY_VMEXIT], "VM exits and entries"),
	U64("cycles.flush", cycles[TM_CY_FLUSH], "flushes and invalidations"),
	FNU("translation_cycles", xlate_cycles, "tlb + walk + ad + flush + vmexit"),
	FND("translation_cycles_per_kilo_insn", xlate_per_kinsn,
	    "translation cycles per 1000 instructions"),
	FND("translation_share", xlate_share, "translation cycles / cycles"),
	SECTION("TLBs"),
	TLB_ROWS("l1i", TM_L1I, l1i, "L1 ITLB"),
	TLB_ROWS("l1d", TM_L1D, l1d, "L1 DTLB"),
	TLB_ROWS("stlb", TM_STLB, stlb, "STLB"),
	SECTION("Walks"),
	U64("walks", walks, "page walks (one per STLB miss)"),
	U64("walk_refs", walk_refs, "table references made, both dimensions"),
	FND("walk_refs_per_walk", refs_per_walk, "walk_refs / walks"),
	U64("walk_refs.guest", walk_guest_refs, "references to guest tables"),
	U64("walk_refs.host", walk_host_refs, "references to host tables"),
	U64("walk_refs_skipped", walk_refs_skipped, "references saved by PWC/nested-TLB hits"),
	FND("walk_refs_skipped_per_walk", skipped_per_walk, "walk_refs_skipped / walks"),
	FND("walk_cycles_per_walk", cycles_per_walk, "cycles.walk / walks"),
	U64("walk_faults", walk_faults, "walks that ended in a fault"),
	U64("ad_updates", ad_updates, "A/D bits set (locked RMW)"),
	SECTION("Paging-structure caches"),
	FNU("pwc.hits", pwc_hits, "hits, all levels"),
	FNU("pwc.misses", pwc_misses, "misses, all levels"),
	U64("pwc.unified.hits", pwc_hits[0], "unified (AMD) page-walk cache hits"),
	U64("pwc.unified.misses", pwc_misses[0], "unified page-walk cache misses"),
	U64("pwc.pml5e.hits", pwc_hits[5], "PML5E cache hits"),
	U64("pwc.pml5e.misses", pwc_misses[5], "PML5E cache misses"),
	U64("pwc.pml4e.hits", pwc_hits[4], "PML4E cache hits"),
	U64("pwc.pml4e.misses", pwc_misses[4], "PML4E cache misses"),
	U64("pwc.pdpte.hits", pwc_hits[3], "PDPTE cache hits"),
	U64("pwc.pdpte.misses", pwc_misses[3], "PDPTE cache misses"),
	U64("pwc.pde.hits", pwc_hits[2], "PDE cache hits"),
	U64("pwc.pde.misses", pwc_misses[2], "PDE cache misses"),
	U64("ntlb.hits", ntlb_hits, "nested TLB (GPA -> HPA) hits"),
	U64("ntlb.misses", ntlb_misses, "nested TLB misses"),
	FND("ntlb.hit_rate", ntlb_rate, "nested TLB hits / lookups"),
	U64("npwc.hits", npwc_hits, "host-dimension PWC hits"),
	U64("npwc.misses", npwc_misses, "host-dimension PWC misses"),
	SECTION("Table lines"),
	U64("lines.l1d", line_hits[TM_ML_L1D], "references served by the L1D"),
	U64("lines.l2", line_hits[TM_ML_L2], "references served by the L2"),
	U64("lines.llc", line_hits[TM_ML_LLC], "references served by the LLC"),
	U64("lines.mem", line_hits[TM_ML_MEM], "references served by memory"),
	SECTION("Flushes and VM exits"),
	FNU("flushes", flushes, "flush events (cr3_noflush excluded)"),
	U64("flushes.cr3", flushes[TM_FL_CR3], "MOV to CR3"),
	U64("flushes.cr3_noflush", flushes[TM_FL_CR3_NOFLUSH], "MOV to CR3 with bit 63 (no flush)"),
	U64("flushes.cr4_pge", flushes[TM_FL_CR4_PGE], "CR4.PGE toggled"),
	U64("flushes.cr4_pcide", flushes[TM_FL_CR4_PCIDE], "CR4.PCIDE cleared"),
	U64("flushes.cr0_pg", flushes[TM_FL_CR0_PG], "CR0.PG 1->0, CR4.PAE change or SMEP 0->1"),
	U64("flushes.invlpg", flushes[TM_FL_INVLPG], "INVLPG"),
	U64("flushes.invpcid0", flushes[TM_FL_INVPCID0], "INVPCID type 0 (address)"),
	U64("flushes.invpcid1", flushes[TM_FL_INVPCID1], "INVPCID type 1 (context)"),
	U64("flushes.invpcid2", flushes[TM_FL_INVPCID2], "INVPCID type 2 (all, globals too)"),
	U64("flushes.invpcid3", flushes[TM_FL_INVPCID3], "INVPCID type 3 (all but globals)"),
	U64("flushes.invept", flushes[TM_FL_INVEPT], "INVEPT"),
	U64("flushes.invvpid", flushes[TM_FL_INVVPID], "INVVPID"),
	U64("flushes.vmx", flushes[TM_FL_VMX], "VM entry/exit without VPID/ASID"),
	U64("vmexits", vmexits, "VM exits"),
	SECTION("References per walk"),
	H10(), H10(1), H10(2), H10(3),
	U64("walk_hist.40", walk_hist[TM_HIST_MAX], "walks with 40 or more references"),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

_Static_assert(TM_HIST_MAX == 40, "walk_hist rows cover 0..39 and 40+");

/* ---- values ------------------------------------------------------------------ */

struct st_val {
	bool is_int;
	uint64_t u;
	double d;
};

static struct st_val value(const struct st_row *r, const struct tm_stats *s)
{
	const uint64_t *p = (const uint64_t *)((const uint8_t *)s + r->off);

	switch (r->kind) {
	case ST_U64:
		return (struct st_val){ true, *p, 0 };
	case ST_SUM:
		return (struct st_val){ true, sum(p, r->n), 0 };
	case ST_FN_U:
		return (struct st_val){ true, r->fu(s), 0 };
	default:
		return (struct st_val){ false, 0, r->fd(s) };
	}
}

const char *tm_stats_key(unsigned i)
{
	for (unsigned k = 0; k < NROWS; k++) {
		if (rows[k].kind == ST_SECTION)
			continue;
		if (i-- == 0)
			return rows[k].key;
	}
	return NULL;
}

bool tm_stats_get(const struct tm_stats *s, unsigned i, const char **key, bool *is_int,
		  uint64_t *u, double *d)
{
	for (unsigned k = 0; k < NROWS; k++) {
		struct st_val v;

		if (rows[k].kind == ST_SECTION || i-- != 0)
			continue;
		v = value(&rows[k], s);
		*key = rows[k].key;
		*is_int = v.is_int;
		*u = v.u;
		*d = v.d;
		return true;
	}
	return false;
}

static void print_val(FILE *f, struct st_val v)
{
	if (v.is_int)
		fprintf(f, "%" PRIu64, v.u);
	else
		fprintf(f, "%.6f", v.d);
}

static void print_row(FILE *f, const struct st_row *r, struct st_val v)
{
	char num[32];

	if (v.is_int)
		snprintf(num, sizeof(num), "%" PRIu64, v.u);
	else
		snprintf(num, sizeof(num), "%.4f", v.d);
	fprintf(f, "  %-34s %18s  %s\n", r->key, num, r->desc);
}

static void print_text(const struct tm_stats *s, const char *name, FILE *f)
{
	if (name)
		fprintf(f, "CPU model: %s\n", name);
	for (unsigned k = 0; k < NROWS; k++) {
		const struct st_row *r = &rows[k];
		struct st_val v;

		if (r->kind == ST_SECTION) {
			fprintf(f, "\n%s\n", r->key);
			continue;
		}
		v = value(r, s);
		/* The histogram lists the buckets that have walks. */
		if (r->off >= OFF(walk_hist) && r->off <= OFF(walk_hist[TM_HIST_MAX]) &&
		    r->kind == ST_U64 && v.u == 0)
			continue;
		print_row(f, r, v);
	}
}

/*
 * The short form: what a first look at a run needs (the work, what
 * translation cost, how the TLBs and walks went, what flushed them), rows
 * of the full table in its order; --stats full, the JSON and the CSV have
 * them all.
 */
static const char *const brief[] = {
	"accesses", "instructions", "translation_cycles_per_kilo_insn", "translation_share",
	"tlb.l1i.hit_rate", "tlb.l1d.hit_rate", "tlb.stlb.hit_rate",
	"walks", "walk_refs_per_walk", "flushes", "vmexits",
};

bool tm_stats_brief(const char *key)
{
	for (size_t i = 0; i < sizeof(brief) / sizeof(brief[0]); i++)
		if (strcmp(brief[i], key) == 0)
			return true;
	return false;
}

static void print_short(const struct tm_stats *s, const char *name, FILE *f)
{
	unsigned all = 0;

	for (unsigned k = 0; k < NROWS; k++)
		all += rows[k].kind != ST_SECTION;
	if (name)
		fprintf(f, "CPU model: %s\n", name);
	for (unsigned k = 0; k < NROWS; k++)
		if (rows[k].kind != ST_SECTION && tm_stats_brief(rows[k].key))
			print_row(f, &rows[k], value(&rows[k], s));
	fprintf(f, "  (%zu of %u figures: --stats full for the whole table)\n",
		sizeof(brief) / sizeof(brief[0]), all);
}

static void print_csv(const struct tm_stats *s, const char *name, FILE *f)
{
	bool first = true;

	if (name) {
		fputs("config", f);
		first = false;
	}
	for (unsigned k = 0; k < NROWS; k++)
		if (rows[k].kind != ST_SECTION) {
			fprintf(f, "%s%s", first ? "" : ",", rows[k].key);
			first = false;
		}
	fputc('\n', f);
	first = true;
	if (name) {
		/* RFC 4180 quoting: a name is free text. */
		fputc('"', f);
		for (const char *p = name; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
		first = false;
	}
	for (unsigned k = 0; k < NROWS; k++)
		if (rows[k].kind != ST_SECTION) {
			if (!first)
				fputc(',', f);
			print_val(f, value(&rows[k], s));
			first = false;
		}
	fputc('\n', f);
}

void tm_stats_build_json(const struct tm_stats *s, const char *name, JsonBuilder *b)
{
	if (name) {
		json_builder_set_member_name(b, "config");
		json_builder_add_string_value(b, name);
	}
	for (unsigned k = 0; k < NROWS; k++) {
		struct st_val v;

		if (rows[k].kind == ST_SECTION)
			continue;
		v = value(&rows[k], s);
		json_builder_set_member_name(b, rows[k].key);
		if (v.is_int)
			json_builder_add_int_value(b, (gint64)v.u);
		else
			json_builder_add_double_value(b, v.d);
	}
}

int tm_stats_print_builder(JsonBuilder *b, FILE *f)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	gchar *text;

	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	json_generator_set_indent(g, 2);
	text = json_generator_to_data(g, NULL);
	fprintf(f, "%s\n", text);
	g_free(text);
	if (root)
		json_node_unref(root);
	g_object_unref(g);
	return ferror(f) ? -EIO : 0;
}

/* struct tm_stats is uint64_t counters only (stats.h): it subtracts as an
 * array. */
_Static_assert(sizeof(struct tm_stats) % sizeof(uint64_t) == 0, "tm_stats: counters only");

void tm_stats_sub(struct tm_stats *out, const struct tm_stats *b, const struct tm_stats *a)
{
	const uint64_t *pb = (const uint64_t *)b, *pa = (const uint64_t *)a;
	uint64_t *po = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		po[i] = pb[i] - pa[i];
}

static int print_json(const struct tm_stats *s, const char *name, FILE *f)
{
	JsonBuilder *b = json_builder_new();
	int rc;

	json_builder_begin_object(b);
	tm_stats_build_json(s, name, b);
	json_builder_end_object(b);
	rc = tm_stats_print_builder(b, f);
	g_object_unref(b);
	return rc;
}

int tm_stats_fprint(const struct tm_stats *s, const char *name, FILE *f, int fmt)
{
	switch (fmt) {
	case TM_FMT_TEXT:
		print_text(s, name, f);
		break;
	case TM_FMT_JSON:
		print_json(s, name, f);
		break;
	case TM_FMT_CSV:
		print_csv(s, name, f);
		break;
	case TM_FMT_SHORT:
		print_short(s, name, f);
		break;
	default:
		return -EINVAL;
	}
	return ferror(f) ? -EIO : 0;
}

int tm_stats_write(const struct tm_model *m, FILE *f, enum tm_format fmt)
{
	return tm_stats_fprint(tm_model_stats(m), tm_model_config(m)->name, f, fmt);
}

void tm_stats_json(const struct tm_model *m, struct _JsonBuilder *b)
{
	tm_stats_build_json(tm_model_stats(m), tm_model_config(m)->name, b);
}
