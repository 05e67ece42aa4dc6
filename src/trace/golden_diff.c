/*
 * Comparing two golden files, and the report `tdpsim diff` prints: what a
 * developer reads in a failed CI log.
 *
 * Events are aligned by where they happen, not by their index: a change
 * that adds one walk would otherwise make every later line differ. Two
 * events are the same event when they happen at the same instruction count
 * and RIP and have the same subject (a walk: its address, access kind and
 * CPL; any other line: all of it); the same event is equal when the rest
 * (a walk's references, their fates, its outcome and cycles) is equal too.
 * Events are in run order and instruction counts never decrease, so one
 * merge pass aligns them; at one instruction count, an event of A is
 * looked for among B's events at that count before it is called A's alone.
 */
#include "golden.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The subject of a walk ends where its outcome starts. */
static size_t subject_len(const struct trc_gline *e)
{
	const char *arrow;

	if (strcmp(e->kind, "walk") != 0)
		return strlen(e->body);
	arrow = strstr(e->body, " -> ");
	return arrow ? (size_t)(arrow - e->body) : strlen(e->body);
}

/* The next blank-separated word of [*p, end) other than a code= field
 * (the code is context for the reader, not part of the translation: a
 * replay may not hold the bytes of code the guest wrote), into @w/@n;
 * false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *n)
{
	for (;;) {
		while (*p < end && **p == ' ')
			(*p)++;
		if (*p == end)
			return false;
		*w = *p;
		while (*p < end && **p != ' ')
			(*p)++;
		*n = (size_t)(*p - *w);
		if (*n < 5 || memcmp(*w, "code=", 5) != 0)
			return true;
	}
}

/* Are @na bytes at @a and @nb at @b the same, code= fields aside? */
static bool same_text(const char *a, size_t na, const char *b, size_t nb)
{
	const char *ea = a + na, *eb = b + nb, *wa, *wb;
	size_t la, lb;

	for (;;) {
		bool ma = next_word(&a, ea, &wa, &la), mb = next_word(&b, eb, &wb, &lb);

		if (!ma || !mb)
			return ma == mb;
		if (la != lb || memcmp(wa, wb, la) != 0)
			return false;
	}
}

static bool same_event(const struct trc_gline *a, const struct trc_gline *b)
{
	return a->kind == b->kind && a->insns == b->insns && a->has_rip == b->has_rip &&
	       a->rip == b->rip && same_text(a->body, subject_len(a), b->body, subject_len(b));
}

#define EV(f, i) (&g_array_index((f)->ev, struct trc_gline, (i)))

/* Is there an event of @b at or after @j, at @a's instruction count, that
 * is the same event as @a? */
static bool ahead(const struct trc_gfile *b, guint j, const struct trc_gline *a)
{
	for (; j < b->ev->len && EV(b, j)->insns == a->insns; j++)
		if (same_event(a, EV(b, j)))
			return true;
	return false;
}

static void divergence(struct trc_gdiff *d, long i, long j)
{
	if (d->first)
		return;
	d->first = true;
	d->first_a = i;
	d->first_b = j;
}

void trc_golden_compare(const struct trc_gfile *a, const struct trc_gfile *b,
			struct trc_gdiff *d)
{
	guint i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	d->first_a = d->first_b = d->ctx_a = -1;
	while (i < a->ev->len || j < b->ev->len) {
		const struct trc_gline *ea = i < a->ev->len ? EV(a, i) : NULL;
		const struct trc_gline *eb = j < b->ev->len ? EV(b, j) : NULL;

		if (ea && eb && same_event(ea, eb)) {
			if (same_text(ea->body, strlen(ea->body), eb->body, strlen(eb->body))) {
				d->equal++;
				if (!d->first)
					d->ctx_a = i;
			} else {
				d->changed++;
				divergence(d, i, j);
			}
			i++, j++;
		} else if (ea && (!eb || ea->insns < eb->insns ||
				  (ea->insns == eb->insns && !ahead(b, j, ea)))) {
			d->only_a++;
			divergence(d, i, -1);
			i++;
		} else {
			d->only_b++;
			divergence(d, -1, j);
			j++;
		}
	}
	/* Statistics: by key, in A's order, then keys only B has. */
	for (guint k = 0; k < a->st->len; k++) {
		const struct trc_gstat *sa = &g_array_index(a->st, struct trc_gstat, k);
		bool found = false;

		for (guint l = 0; l < b->st->len && !found; l++) {
			const struct trc_gstat *sb = &g_array_index(b->st, struct trc_gstat, l);

			if (strcmp(sa->key, sb->key) == 0) {
				found = true;
				d->stats_moved += sa->val != sb->val;
			}
		}
		d->stats_moved += !found;
	}
	for (guint l = 0; l < b->st->len; l++) {
		bool found = false;

		for (guint k = 0; k < a->st->len && !found; k++)
			found = strcmp(g_array_index(a->st, struct trc_gstat, k).key,
				       g_array_index(b->st, struct trc_gstat, l).key) == 0;
		d->stats_moved += !found;
	}
}

/* ---- the report -------------------------------------------------------------- */

static const char *meta(const struct trc_gfile *g, const char *key)
{
	size_t kl = strlen(key);

	for (guint i = 0; i < g->meta->len; i++) {
		const char *m = g_ptr_array_index(g->meta, i);

		if (strncmp(m, key, kl) == 0 && m[kl] == ' ')
			return m + kl + 1;
	}
	return NULL;
}

/* The "@" lines that differ, by key. */
static void report_meta(const struct trc_gfile *a, const struct trc_gfile *b, FILE *out)
{
	bool header = false;

	for (int side = 0; side < 2; side++) {
		const struct trc_gfile *x = side ? b : a, *y = side ? a : b;

		for (guint i = 0; i < x->meta->len; i++) {
			const char *m = g_ptr_array_index(x->meta, i), *sp = strchr(m, ' ');
			char key[64];
			const char *va, *vb;

			snprintf(key, sizeof(key), "%.*s", sp ? (int)(sp - m) : (int)strlen(m), m);
			va = meta(a, key);
			vb = meta(b, key);
			if ((va && vb && strcmp(va, vb) == 0) || (side && meta(y, key)))
				continue;
			if (!header)
				fprintf(out, "\nThe runs differ in:\n");
			header = true;
			fprintf(out, "  %-16s A: %s\n  %-16s B: %s\n", key, va ? va : "(none)", "",
				vb ? vb : "(none)");
		}
	}
}

/* The code of @e, from its code= field, disassembled. A fault names its
 * instruction exactly; a walk names the block that made the access: every
 * instruction of it is listed, and the ones that could have made the
 * access marked (a fetch: the one at va; a read or write: those with a
 * memory operand). */
static void report_insn(const struct trc_gline *e, FILE *out)
{
	char code[2 * TRC_CODE_MAX + 8], text[160], f[32];
	uint8_t buf[TRC_CODE_MAX];
	unsigned n = 0, bits;
	const char *slash;
	bool walk = strcmp(e->kind, "walk") == 0, fetch = false;
	unsigned want = 0;
	uint64_t va = 0, rip = e->rip;

	if (!e->has_rip) {
		fprintf(out, "  code: none (the producer has no RIPs: a synthetic stream)\n");
		return;
	}
	if (!trc_gfield(e->body, "code", code, sizeof(code)) || !(slash = strchr(code, '/'))) {
		fprintf(out, "  code: at 0x%" PRIx64 ", not in the golden (the producer has no guest "
			"memory, or RIP was not mapped)\n", e->rip);
		return;
	}
	bits = (unsigned)strtoul(slash + 1, NULL, 10);
	/* A fault's code is at the RIP it was raised at. */
	if (!walk && trc_gfield(e->body, "at", f, sizeof(f)))
		rip = strtoull(f, NULL, 16);
	for (const char *p = code; p + 1 < slash && n < sizeof(buf); p += 2) {
		unsigned v;

		if (sscanf(p, "%2x", &v) != 1)
			break;
		buf[n++] = (uint8_t)v;
	}
	if (walk) {
		fetch = strstr(e->body, " X cpl=") != NULL;
		want = strstr(e->body, " W cpl=") ? TRC_MEM_WRITE : TRC_MEM_READ;
		if (trc_gfield(e->body, "va", f, sizeof(f)))
			va = strtoull(f, NULL, 16);
		fprintf(out, "  code: the block at 0x%" PRIx64 " that made the access (%u-bit; %s):\n",
			e->rip, bits, fetch ? "> fetched from va"
		      : want == TRC_MEM_WRITE ? "> writes memory" : "> reads memory");
	} else {
		fprintf(out, "  code (%u-bit):\n", bits);
	}
	for (unsigned off = 0, k = 0; off < n && k < (walk ? 16u : 1u); k++) {
		unsigned len = 0, mem = 0;
		bool mark;
		uint64_t at = rip + off;

		if (trc_disasm(buf + off, n - off, bits, at, text, sizeof(text), &len, &mem)) {
			/* The rest was cut at TRC_CODE_MAX bytes, or is not code. */
			if (!k)
				fprintf(out, "    0x%" PRIx64 ": %.*s (not decodable)\n", at,
					(int)(slash - code), code);
			break;
		}
		mark = walk && (fetch ? va >= at && va < at + len : (mem & want) != 0);
		fprintf(out, "  %c 0x%" PRIx64 ": %-22.*s %s\n", mark ? '>' : ' ', at, (int)len * 2,
			code + 2 * off, text);
		off += len;
	}
}

/* One reference of a path: "LABEL@HPA[=ENTRY]:FATE". */
struct pref {
	char label[16], hpa[24], entry[24], fate[12];
};

static unsigned split_path(const struct trc_gline *e, struct pref *r, unsigned max)
{
	char path[8192];
	unsigned n = 0;

	if (!trc_gfield(e->body, "path", path, sizeof(path)) || strcmp(path, "-") == 0)
		return 0;
	for (char *tok = strtok(path, ","); tok && n < max; tok = strtok(NULL, ",")) {
		char *at = strchr(tok, '@'), *eq, *colon = strrchr(tok, ':');

		memset(&r[n], 0, sizeof(r[n]));
		if (!at || !colon || colon < at)
			continue;
		*at = *colon = '\0';
		eq = strchr(at + 1, '=');
		if (eq)
			*eq = '\0';
		snprintf(r[n].label, sizeof(r[n].label), "%s", tok);
		snprintf(r[n].hpa, sizeof(r[n].hpa), "%s", at + 1);
		snprintf(r[n].entry, sizeof(r[n].entry), "%s", eq ? eq + 1 : "");
		snprintf(r[n].fate, sizeof(r[n].fate), "%s", colon + 1);
		n++;
	}
	return n;
}

/* What a label means: g4 "guest L4", h3.2 "host L3 for guest L2", ... */
static void label_name(const char *l, char *out, size_t len)
{
	bool ad = strncmp(l, "ad.", 3) == 0;
	const char *p = ad ? l + 3 : l, *dot = strchr(p, '.');
	const char *what = dot ? (dot[1] == 'f' ? "final GPA" : dot[1] == 'p' ? "PDPTE load" : NULL)
			       : NULL;

	if (*p == 'g')
		snprintf(out, len, "%sguest L%s", ad ? "A/D " : "", p + 1);
	else if (what)
		snprintf(out, len, "%shost L%.*s (%s)", ad ? "A/D " : "", (int)(dot - p - 1), p + 1,
			 what);
	else if (dot)
		snprintf(out, len, "%shost L%.*s (guest L%s)", ad ? "A/D " : "", (int)(dot - p - 1),
			 p + 1, dot + 1);
	else
		snprintf(out, len, "%s", l);
}

static void report_side(const char *tag, const struct trc_gline *e, FILE *out)
{
	char f[64];
	static const char *const keys[] = { "gpa", "hpa", "size", "fault", "err", "vmexit",
					    "refs", "skipped", "cycles" };

	if (!e) {
		fprintf(out, "    %s: (no such event)\n", tag);
		return;
	}
	fprintf(out, "    %s: %s #%" PRIu64, tag, e->kind, e->index);
	if (strcmp(e->kind, "walk") == 0) {
		for (unsigned k = 0; k < G_N_ELEMENTS(keys); k++)
			if (trc_gfield(e->body, keys[k], f, sizeof(f)))
				fprintf(out, " %s=%s", keys[k], f);
		fputc('\n', out);
	} else {
		fprintf(out, "%s\n", e->body);
	}
}

static void walk_row(const struct pref *x, const struct pref *y, FILE *out)
{
	char name[48], ca[64] = "-", cb[64] = "-";
	bool same;

	label_name(x ? x->label : y->label, name, sizeof(name));
	if (x)
		snprintf(ca, sizeof(ca), "%s%s%s %s", x->hpa, x->entry[0] ? "=" : "", x->entry,
			 x->fate);
	if (y)
		snprintf(cb, sizeof(cb), "%s%s%s %s", y->hpa, y->entry[0] ? "=" : "", y->entry,
			 y->fate);
	same = x && y && strcmp(ca, cb) == 0;
	fprintf(out, "  %s %-26s %-38s %s\n", same ? " " : "*", name, ca, cb);
}

/*
 * Both walks side by side, one row per reference in the hardware's order,
 * the two lists aligned on their labels (a longest common subsequence), so
 * that a reference only one walk made (a host walk a nested-TLB hit saved,
 * a level a PSC hit skipped) sits opposite "-".
 */
static void report_walks(const struct trc_gline *ea, const struct trc_gline *eb, FILE *out)
{
	static struct pref ra[256], rb[256];
	static uint16_t lcs[257][257];
	unsigned na = ea ? split_path(ea, ra, 256) : 0, nb = eb ? split_path(eb, rb, 256) : 0;
	unsigned i = 0, j = 0;

	for (int x = (int)na; x >= 0; x--)
		for (int y = (int)nb; y >= 0; y--)
			lcs[x][y] = x == (int)na || y == (int)nb ? 0
				    : strcmp(ra[x].label, rb[y].label) == 0
					    ? lcs[x + 1][y + 1] + 1
					    : MAX(lcs[x + 1][y], lcs[x][y + 1]);
	fprintf(out, "\n  %-28s %-38s %s\n", "reference", "A: entry address = value, served by",
		"B");
	while (i < na || j < nb) {
		if (i < na && j < nb && strcmp(ra[i].label, rb[j].label) == 0)
			walk_row(&ra[i++], &rb[j++], out);
		else if (i < na && (j == nb || lcs[i + 1][j] >= lcs[i][j + 1]))
			walk_row(&ra[i++], NULL, out);
		else
			walk_row(NULL, &rb[j++], out);
	}
	if (!na && !nb)
		fprintf(out, "  (no references)\n");
}

static void report_stats(const struct trc_gfile *a, const struct trc_gfile *b, FILE *out)
{
	fprintf(out, "\nStatistics that moved (A -> B):\n");
	for (guint k = 0; k < a->st->len; k++) {
		const struct trc_gstat *sa = &g_array_index(a->st, struct trc_gstat, k);
		const struct trc_gstat *sb = NULL;

		for (guint l = 0; l < b->st->len && !sb; l++)
			if (strcmp(sa->key, g_array_index(b->st, struct trc_gstat, l).key) == 0)
				sb = &g_array_index(b->st, struct trc_gstat, l);
		if (!sb)
			fprintf(out, "  %-34s %14" PRIu64 " -> (absent)\n", sa->key, sa->val);
		else if (sa->val != sb->val)
			fprintf(out, "  %-34s %14" PRIu64 " -> %-14" PRIu64 " (%+" PRId64 ")\n",
				sa->key, sa->val, sb->val, (int64_t)(sb->val - sa->val));
	}
	for (guint l = 0; l < b->st->len; l++) {
		const struct trc_gstat *sb = &g_array_index(b->st, struct trc_gstat, l);
		bool found = false;

		for (guint k = 0; k < a->st->len && !found; k++)
			found = strcmp(g_array_index(a->st, struct trc_gstat, k).key, sb->key) == 0;
		if (!found)
			fprintf(out, "  %-34s %14s -> %" PRIu64 "\n", sb->key, "(absent)", sb->val);
	}
}

void trc_golden_report(const struct trc_gfile *a, const struct trc_gfile *b,
		       const struct trc_gdiff *d, const char *name_a, const char *name_b,
		       unsigned context, FILE *out)
{
	const struct trc_gline *ea = d->first_a >= 0 ? EV(a, d->first_a) : NULL;
	const struct trc_gline *eb = d->first_b >= 0 ? EV(b, d->first_b) : NULL;
	const struct trc_gline *at = ea ? ea : eb;

	fprintf(out, "tdpsim diff: A %s and B %s differ\n", name_a, name_b);
	report_meta(a, b, out);
	if (at) {
		fprintf(out, "\nFirst divergence: %s #%" PRIu64 " of %s, after %" PRIu64
			" instructions, rip ", at->kind, at->index, ea ? "A" : "B", at->insns);
		if (at->has_rip)
			fprintf(out, "0x%" PRIx64 "\n", at->rip);
		else
			fprintf(out, "- (synthetic)\n");
		if (!ea || !eb)
			fprintf(out, "  only %s has this event (%s)\n", ea ? "A" : "B",
				strcmp(at->kind, "walk") == 0
					? "the other run's TLBs held the translation: no walk"
					: "the other run did not reach it here");
		report_insn(at, out);
		/* The lines before it that both runs share. */
		if (d->ctx_a >= 0 && context) {
			long from = d->ctx_a - (long)context + 1;

			fprintf(out, "  before it, in both:\n");
			for (long k = from < 0 ? 0 : from; k <= d->ctx_a; k++)
				fprintf(out, "    %s\n", EV(a, k)->text);
		}
		report_side("A", ea, out);
		report_side("B", eb, out);
		if (strcmp(at->kind, "walk") == 0)
			report_walks(ea, eb, out);
		fputc('\n', out);
		for (int side = 0; side < 2; side++) {
			const struct trc_gline *e = side ? eb : ea;

			if (e)
				fprintf(out, "  %c line %u: %s\n", "AB"[side], e->lineno, e->text);
			else
				fprintf(out, "  %c: no such event\n", "AB"[side]);
		}
	}
	fprintf(out, "\nEvents: %" PRIu64 " differ (%" PRIu64 " changed, %" PRIu64 " only in A, %"
		PRIu64 " only in B); %" PRIu64 " equal; A has %u, B has %u.\n",
		d->changed + d->only_a + d->only_b, d->changed, d->only_a, d->only_b, d->equal,
		a->ev->len, b->ev->len);
	if (d->stats_moved)
		report_stats(a, b, out);
	else
		fprintf(out, "Statistics: all equal.\n");
}
