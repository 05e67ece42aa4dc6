/*
 * `tdpsim walk`: explain one translation.
 *
 * It sets up a paging state from the options (guest mode, CR0/CR4/EFER bits,
 * CPU model), takes the guest tables either from a raw guest-physical image
 * or from a small synthetic layout (synth.c), runs the engine's walker once
 * and prints every level, the result or the fault, and the memory
 * references. The walk itself is the engine's: this file only sets up,
 * validates and explains. Every bad input is one line on stderr and exit 2;
 * a guest fault is a result (exit 0). docs/cli-walk.md documents the output.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli.h"
#include "walk.h"
#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/decode.h"
#include "paging/synth.h"
#include "paging/walk.h"

#define CMD "walk"

/* The synthetic layout: tables from 1 MiB up, in 2 MiB of RAM; the page
 * itself is not backed (a walk never reads the data). */
#define SYNTH_TABLE_BASE UINT64_C(0x100000)
#define SYNTH_RAM_SIZE   UINT64_C(0x200000)
#define SYNTH_PA_BASE    UINT64_C(0x40000000)

static const struct guest_mode guest_modes[] = {
	{ "nopaging", CR0_PE, 0, 0, CR0_PG, 0, EFER_LMA, 0xc0403abc },
	{ "2level", CR0_PE | CR0_PG, 0, 0, 0, CR4_PAE | CR4_PSE | CR4_LA57, EFER_LME | EFER_LMA,
	  0xc0403abc },
	{ "2level-pse", CR0_PE | CR0_PG, CR4_PSE, 0, 0, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA,
	  0xc0403abc },
	{ "pae", CR0_PE | CR0_PG, CR4_PAE, 0, 0, CR4_LA57, EFER_LME | EFER_LMA, 0xc0403abc },
	{ "4level", CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, 0, CR4_LA57, 0,
	  UINT64_C(0x00007f1234567abc) },
	{ "5level", CR0_PE | CR0_PG, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA, 0, 0, 0,
	  UINT64_C(0x00ab7f1234567abc) },
};

static const struct cli_bit cr0_bits[] = {
	{ "pe", CR0_PE }, { "wp", CR0_WP }, { "pg", CR0_PG }, { NULL, 0 },
};
static const struct cli_bit cr4_bits[] = {
	{ "pse", CR4_PSE },   { "pae", CR4_PAE },   { "pge", CR4_PGE },
	{ "la57", CR4_LA57 }, { "pcide", CR4_PCIDE }, { "smep", CR4_SMEP },
	{ "smap", CR4_SMAP }, { "pke", CR4_PKE },   { "pks", CR4_PKS },
	{ NULL, 0 },
};
static const struct cli_bit efer_bits[] = {
	{ "nxe", EFER_NXE }, { "lme", EFER_LME }, { "lma", EFER_LMA }, { NULL, 0 },
};
static const struct cli_bit entry_bits[] = {
	{ "p", PTE_P },   { "rw", PTE_RW }, { "us", PTE_US }, { "pwt", PTE_PWT },
	{ "pcd", PTE_PCD }, { "a", PTE_A },   { "d", PTE_D },   { "g", PTE_G },
	{ "xd", PTE_XD }, { "pk", PTE_PK }, { NULL, 0 },
};

/* ---- parsing ---------------------------------------------------------- */

static const char *reg_bit_name(const struct cli_bit *t, uint64_t bit)
{
	for (; t->name; t++)
		if (t->mask == bit)
			return t->name;
	return "?";
}

/* Apply --cr0/--cr4/--efer lists to *reg, refusing mode-defining bits that
 * contradict --guest: set bits it forbids, or cleared bits it needs. */
static int apply_reg_list(gchar **lists, const char *opt, const struct cli_bit *table,
			  const struct guest_mode *gm, uint64_t need, uint64_t forbid,
			  uint64_t *reg)
{
	char why[320];

	for (gchar **l = lists; l && *l; l++) {
		uint64_t set, clear, bad;

		if (cli_parse_bits(*l, table, &set, &clear, why, sizeof(why)))
			return cli_fail(CMD, "--%s %s: %s", opt, *l, why);
		bad = (set & forbid) | (clear & need);
		if (bad) {
			uint64_t bit = bad & -bad;
			const char *hint = bit == CR4_PSE && table == cr4_bits
						   ? " (use --guest 2level-pse for 4 MiB pages)"
						   : "";

			return cli_fail(CMD, "--%s %s%s conflicts with --guest %s%s", opt,
					(clear & bit) ? "-" : "", reg_bit_name(table, bit),
					gm->name, hint);
		}
		*reg = (*reg | set) & ~clear;
	}
	return 0;
}

static int parse_num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	int rc = cli_parse_u64(s, out);

	if (rc == 0 && *out > max)
		rc = -ERANGE;
	if (rc == -ERANGE)
		return cli_fail(CMD, "--%s %s is out of range (at most 0x%" PRIx64 ")", opt, s,
				max);
	if (rc)
		return cli_fail(CMD, "--%s %s is not a number (decimal, or hex with 0x)", opt, s);
	return 0;
}

static int parse_entry_flags(const char *opt, const char *list, const struct pg_format *fmt,
			     uint64_t *out)
{
	char why[320];

	if (cli_parse_bits(list, entry_bits, out, NULL, why, sizeof(why)))
		return cli_fail(CMD, "--%s %s: %s", opt, list, why);
	if (fmt->entry_bytes == 4 && (*out >> 32))
		return cli_fail(CMD,
				"--%s %s: %s has 4-byte entries, without XD or protection keys",
				opt, list, fmt->name);
	return 0;
}

static const char *size_name(uint64_t size, char *buf, size_t n)
{
	if (size >= (UINT64_C(1) << 30) && !(size & ((UINT64_C(1) << 30) - 1)))
		snprintf(buf, n, "%" PRIu64 " GiB", size >> 30);
	else if (size >= (UINT64_C(1) << 20) && !(size & ((UINT64_C(1) << 20) - 1)))
		snprintf(buf, n, "%" PRIu64 " MiB", size >> 20);
	else
		snprintf(buf, n, "%" PRIu64 " KiB", size >> 10);
	return buf;
}

/* The page sizes @fmt can map, "4k, 2m, 1g". */
static void format_sizes(const struct pg_format *fmt, char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	for (unsigned l = 1; l <= fmt->levels; l++) {
		unsigned shift = fmt->lvl[l].shift, unit = shift >= 30 ? 30 : shift >= 20 ? 20 : 10;

		if (pg_synth_leaf_level(fmt, UINT64_C(1) << shift) != l)
			continue;
		k += (size_t)snprintf(buf + k, n - k, "%s%" PRIu64 "%c", k ? ", " : "",
				      UINT64_C(1) << (shift - unit), "kmg"[unit / 10 - 1]);
		if (k >= n)
			return;
	}
}

/* --page-size against the format and the paging state (CR4.PSE, 1 GiB
 * support). Runs after pg_mmu_init(). */
static int check_page_size(struct walk_ctx *c, const char *arg)
{
	const struct pg_format *fmt = c->mmu.fmt;
	char sizes[64];
	unsigned l;

	if (fmt->levels == 0) {
		if (c->page_size != 4096)
			return cli_fail(CMD,
					"--page-size %s: --guest nopaging has no pages, only 4k "
					"is accepted",
					arg);
		return 0;
	}
	l = pg_synth_leaf_level(fmt, c->page_size);
	if (l == 0) {
		format_sizes(fmt, sizes, sizeof(sizes));
		return cli_fail(CMD, "--page-size %s is not a page size of --guest %s (%s%s)", arg,
				c->gm->name, sizes,
				fmt->lvl[2].ps == PG_PS_PSE ? "; 4m needs --guest 2level-pse" : "");
	}
	if (l > 1 && !c->mmu.ps_leaf[l]) {
		if (fmt->lvl[l].ps == PG_PS_PSE)
			return cli_fail(CMD, "--page-size %s needs CR4.PSE: use --guest 2level-pse",
					arg);
		if (fmt->lvl[l].ps == PG_PS_1G)
			return cli_fail(CMD, "--page-size %s needs a CPU model with 1 GiB pages "
					"(drop --no-1g)", arg);
		return cli_fail(CMD, "--page-size %s is not enabled in this paging state", arg);
	}
	return 0;
}

/* ---- the tracing accessor --------------------------------------------- */

static int trace_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct walk_ctx *c = opaque;
	uint64_t before = 0;
	int rc;

	c->last_addr = r->addr;
	if (r->kind == PG_REF_SET_AD)
		cpu_ram_read_le(&c->ram, r->addr, r->size, &before);
	rc = c->inner.ref(c->inner.opaque, r, f);
	if (rc == 0 && r->kind == PG_REF_SET_AD && r->level <= PG_LEVELS_MAX)
		c->ad_set[r->level] |= r->set & ~before;
	return rc;
}

static int ref_error(struct walk_ctx *c, int rc)
{
	if (rc == -EFAULT && c->o->image)
		return cli_fail(CMD, "walk read GPA 0x%" PRIx64 " outside the %" PRIu64
				"-byte image", c->last_addr, c->ram.size);
	return cli_fail(CMD, "walk failed: %s", g_strerror(-rc));
}

/* ---- explanations ------------------------------------------------------ */

/* Why pg_check_access() refused, in words (mirrors perm.c's order). */
static void deny_reason(const struct walk_ctx *c, char *buf, size_t n)
{
	const struct pg_mmu *m = &c->mmu;
	const struct pg_req *rq = &c->rq;
	unsigned p = c->w.perms;
	bool user = rq->cpl == 3 && !rq->implicit, upage = p & PG_PERM_U;
	const char *r = NULL;

	if (user) {
		if (!upage)
			r = "user-mode access to a supervisor-mode page (U/S=0 at some level)";
		else if (rq->access == PG_ACC_WRITE && !(p & PG_PERM_W))
			r = "user-mode write to a read-only page (R/W=0 at some level)";
		else if (rq->access == PG_ACC_FETCH && !(p & PG_PERM_X))
			r = "fetch from a no-execute page (XD=1 at some level)";
	} else if (rq->access == PG_ACC_FETCH) {
		if (!(p & PG_PERM_X))
			r = "fetch from a no-execute page (XD=1 at some level)";
		else if (upage && m->smep)
			r = "SMEP: supervisor-mode fetch from a user-mode page";
	} else {
		if (upage && m->smap && rq->implicit)
			r = "SMAP: implicit supervisor-mode access to a user-mode page";
		else if (upage && m->smap && !(m->regs.rflags & RFLAGS_AC))
			r = "SMAP: supervisor-mode access to a user-mode page with EFLAGS.AC=0";
		else if (rq->access == PG_ACC_WRITE && !(p & PG_PERM_W) && m->wp)
			r = "supervisor-mode write to a read-only page with CR0.WP=1";
	}
	if (c->w.fault.error_code & PFEC_PK)
		snprintf(buf, n, "%s%sprotection key %u denies the %s (%s)", r ? r : "",
			 r ? "; " : "", c->w.pkey, pg_access_name(rq->access),
			 upage ? "PKRU" : "IA32_PKRS");
	else
		snprintf(buf, n, "%s", r ? r : "access rights deny it");
}

static const struct pg_walk_level *fault_row(const struct walk_ctx *c)
{
	for (unsigned i = 0; i < c->w.nlevels; i++)
		if (c->w.lvl[i].level == c->w.fault.level)
			return &c->w.lvl[i];
	return NULL;
}

/* One line on the fault, after "=> ". */
static void fault_text(const struct walk_ctx *c, char *buf, size_t n)
{
	const struct pg_fault *f = &c->w.fault;
	const struct pg_format *fmt = c->mmu.fmt;
	const char *names[6];
	char bits[48] = "", why[200];
	unsigned nb = pg_decode_pfec(f->error_code, names);

	if (f->vector == X86_VEC_GP && f->stage == PG_STAGE_LINEAR) {
		snprintf(buf, n, "#GP(0): non-canonical address (bits 63:%u must all equal bit %u)",
			 fmt->va_bits - 1u, fmt->va_bits - 1u);
		return;
	}
	if (f->vector == X86_VEC_GP && f->stage == PG_STAGE_PDPTE_LOAD) {
		uint64_t e = 0;

		cpu_ram_read_le(&c->ram, f->gpa, 8, &e);
		snprintf(buf, n, "#GP(0) at PDPTE load: PDPTE %u at 0x%" PRIx64 " = 0x%016" PRIx64
			 " is present with reserved bits 0x%" PRIx64,
			 (unsigned)((f->gpa - c->mmu.root) / 8), f->gpa, e, e & c->mmu.rsvd[3][0]);
		return;
	}
	for (unsigned i = 0; i < nb; i++) {
		g_strlcat(bits, i ? " " : ": ", sizeof(bits));
		g_strlcat(bits, names[i], sizeof(bits));
	}
	if (!(f->error_code & PFEC_P)) {
		snprintf(why, sizeof(why), "not present");
	} else if (f->error_code & PFEC_RSVD) {
		const struct pg_walk_level *wl = fault_row(c);
		struct pg_decoded d = { 0 };

		if (wl)
			pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		snprintf(why, sizeof(why), "reserved bits 0x%" PRIx64 " set", d.rsvd);
	} else {
		deny_reason(c, why, sizeof(why));
	}
	snprintf(buf, n, "#%s(0x%x%s) at level %u (%s): %s; CR2 0x%" PRIx64,
		 f->vector == X86_VEC_PF ? "PF" : "GP", f->error_code, bits, f->level,
		 fmt->lvl[f->level].name ? fmt->lvl[f->level].name : "?", why, f->addr);
}

static void perms_string(unsigned p, char *buf)
{
	char *q = buf;

	if (p & PG_PERM_W)
		*q++ = 'W';
	if (p & PG_PERM_U)
		*q++ = 'U';
	if (p & PG_PERM_X)
		*q++ = 'X';
	*q = '\0';
}

/* "W U X", "U X", ..., "none" for text output. */
static_assert(PG_PERM_W == 1 && PG_PERM_U == 2 && PG_PERM_X == 4, "perms_words() table order");
static const char *perms_words(unsigned p)
{
	static const char *const words[8] = {
		"none", "W", "U", "W U", "X", "W X", "U X", "W U X",
	};
	return words[p & 7];
}

static void ad_string(uint64_t set, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", (set & PTE_A) ? "+A" : "", (set & PTE_D) ? "+D" : "");
}

/* ---- text output -------------------------------------------------------- */

static void print_text(struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	const struct pg_walk *w = &c->w;
	const struct pg_regs *r = &c->regs;
	int vaw = fmt->va_bits == 32 ? 8 : 16, aw = fmt->entry_bytes == 8 ? 12 : 8;
	int ew = fmt->entry_bytes ? fmt->entry_bytes * 2 : 8;
	char sz[32];

	printf("walk %s  va 0x%0*" PRIx64 "  %s%s  CPL %u", c->gm->name, vaw, c->rq.va,
	       c->rq.implicit ? "implicit supervisor " : "", pg_access_name(c->rq.access),
	       c->rq.cpl);
	if (c->o->synthetic && fmt->levels)
		printf("  (synthetic tables, %s page at 0x%" PRIx64 ")\n",
		       size_name(c->page_size, sz, sizeof(sz)), c->pa_base);
	else if (c->o->image)
		printf("  (image %s, %" PRIu64 " bytes)\n", c->o->image, c->ram.size);
	else
		printf("\n");
	printf("CR0 0x%" PRIx64 "  CR3 0x%" PRIx64 "  CR4 0x%" PRIx64 "  EFER 0x%" PRIx64
	       "  MAXPHYADDR %u\n",
	       r->cr0, r->cr3, r->cr4, r->efer, c->cpu.maxphyaddr);
	if (fmt->top_in_regs && c->mmu.pdpte_in_walk)
		printf("PAE under nested paging: the PDPTE is read through the nested tables on "
		       "every walk (APM Vol. 2 15.25.10)\n");
	else if (fmt->top_in_regs)
		printf("PAE: %s the 4 PDPTE registers from 0x%" PRIx64
		       " at CR3 load (%u refs, not counted in the walk's refs)\n",
		       c->pdpte_loaded ? "loaded" : "failed to load", c->mmu.root, c->pdpte_refs);
	if (fmt->levels == 0)
		printf("no paging: the linear address is the physical address\n");

	if (w->nlevels) {
		printf("\n%-5s  %-5s  %-*s  %5s  %-*s  %-*s  %s\n", "level", "name", aw + 2,
		       "table", "index", aw + 2, "entry addr", ew + 2, "entry", "bits");
	}
	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *wl = &w->lvl[i];
		struct pg_decoded d;
		GString *bits = g_string_new(NULL);
		char ad[8];

		pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		for (unsigned b = 0; b < d.nbits; b++)
			g_string_append_printf(bits, "%s%s", b ? " " : "", d.bits[b]);
		if (!d.present)
			g_string_append(bits, d.nbits ? " (not present)" : "(not present)");
		else if (d.leaf)
			g_string_append_printf(bits, " -> page 0x%" PRIx64, d.addr);
		else
			g_string_append_printf(bits, " -> table 0x%" PRIx64, d.addr);
		if (wl->from_reg)
			g_string_append(bits, " (register)");
		ad_string(c->ad_set[wl->level], ad, sizeof(ad));
		if (*ad)
			g_string_append_printf(bits, " [%s]", ad);
		if (w->fault.vector && w->fault.level == wl->level)
			g_string_append(bits, " <- fault");
		printf("%5u  %-5s  0x%0*" PRIx64 "  %5u  0x%0*" PRIx64 "  0x%0*" PRIx64 "  %s\n",
		       wl->level, fmt->lvl[wl->level].name, aw, wl->table, wl->index, aw,
		       wl->entry_addr, ew, wl->entry, bits->str);
		g_string_free(bits, TRUE);
	}

	printf("\n");
	if (w->fault.vector || (fmt->top_in_regs && !c->pdpte_loaded)) {
		char text[400];

		if (w->fault.vector == PG_VEC_VMEXIT)
			walk_host_fault_text(c, text, sizeof(text));
		else
			fault_text(c, text, sizeof(text));
		printf("=> %s\n", text);
	} else {
		printf("=> PA 0x%0*" PRIx64 " (%s page, perms %s, pkey %u, global %s)\n", aw,
		       w->pa, size_name(w->page_size, sz, sizeof(sz)), perms_words(w->perms),
		       w->pkey, w->global ? "yes" : "no");
	}
	printf("refs %u, A/D writes %u\n", w->refs, w->ad_writes);
	if (c->host)
		walk_host_text(c);
}

/* ---- JSON output -------------------------------------------------------- */

static void json_hex(JsonBuilder *b, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, buf);
}

static void json_int(JsonBuilder *b, const char *key, int64_t v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

static void json_null(JsonBuilder *b, const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_add_null_value(b);
}

static void print_json(struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	const struct pg_walk *w = &c->w;
	const struct pg_fault *f = &c->w.fault;
	JsonBuilder *b = json_builder_new();
	JsonGenerator *g;
	JsonNode *root;
	gchar *out;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mode");
	json_builder_add_string_value(b, c->gm->name);
	json_hex(b, "va", c->rq.va);
	json_builder_set_member_name(b, "access");
	json_builder_add_string_value(b, pg_access_name(c->rq.access));
	json_int(b, "cpl", c->rq.cpl);
	json_builder_set_member_name(b, "implicit");
	json_builder_add_boolean_value(b, c->rq.implicit);
	json_hex(b, "cr0", c->regs.cr0);
	json_hex(b, "cr3", c->regs.cr3);
	json_hex(b, "cr4", c->regs.cr4);
	json_hex(b, "efer", c->regs.efer);
	json_int(b, "maxphyaddr", c->cpu.maxphyaddr);

	json_builder_set_member_name(b, "levels");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *wl = &w->lvl[i];
		struct pg_decoded d;

		pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		json_builder_begin_object(b);
		json_int(b, "level", wl->level);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, fmt->lvl[wl->level].name);
		json_hex(b, "table", wl->table);
		json_int(b, "index", wl->index);
		json_hex(b, "entry_addr", wl->entry_addr);
		json_hex(b, "entry", wl->entry);
		json_builder_set_member_name(b, "bits");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < d.nbits; k++)
			json_builder_add_string_value(b, d.bits[k]);
		json_builder_end_array(b);
		json_hex(b, "addr", d.addr);
		json_builder_set_member_name(b, "from_reg");
		json_builder_add_boolean_value(b, wl->from_reg);
		json_builder_set_member_name(b, "ad_set");
		json_builder_begin_array(b);
		if (c->ad_set[wl->level] & PTE_A)
			json_builder_add_string_value(b, "A");
		if (c->ad_set[wl->level] & PTE_D)
			json_builder_add_string_value(b, "D");
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	bool ok = !f->vector && !(fmt->top_in_regs && !c->pdpte_loaded);
	if (ok) {
		char perms[4];

		perms_string(w->perms, perms);
		json_hex(b, "pa", w->pa);
		json_int(b, "page_size", (int64_t)w->page_size);
		json_builder_set_member_name(b, "perms");
		json_builder_add_string_value(b, perms);
		json_int(b, "pkey", w->pkey);
		json_builder_set_member_name(b, "global");
		json_builder_add_boolean_value(b, w->global);
	} else {
		json_null(b, "pa");
		json_null(b, "page_size");
		json_null(b, "perms");
		json_null(b, "pkey");
		json_null(b, "global");
	}
	json_int(b, "refs", c->host ? walk_host_refs(c) : w->refs);
	json_int(b, "ad_writes", w->ad_writes);
	if (fmt->top_in_regs && !c->mmu.pdpte_in_walk)
		json_int(b, "pdpte_load_refs", c->pdpte_refs);

	if (ok) {
		json_null(b, "fault");
	} else {
		const char *names[6];
		unsigned nb = pg_decode_pfec(f->error_code, names);

		json_builder_set_member_name(b, "fault");
		json_builder_begin_object(b);
		json_int(b, "vector", f->vector);
		json_int(b, "error_code", f->error_code);
		json_builder_set_member_name(b, "error_bits");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < nb; k++)
			json_builder_add_string_value(b, names[k]);
		json_builder_end_array(b);
		json_hex(b, "addr", f->addr);
		json_int(b, "level", f->level);
		json_builder_set_member_name(b, "stage");
		json_builder_add_string_value(b, pg_stage_name(f->stage));
		if (f->stage == PG_STAGE_PDPTE_LOAD)
			json_hex(b, "gpa", f->gpa);
		if (f->vector == PG_VEC_VMEXIT) {
			json_int(b, "exit_reason", f->exit_reason);
			json_hex(b, "exit_info", f->host_info);
			json_hex(b, "gpa", f->gpa);
		}
		json_builder_end_object(b);
	}
	if (c->host)
		walk_host_json(c, b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	g = json_generator_new();
	json_generator_set_pretty(g, TRUE);
	json_generator_set_indent(g, 2);
	json_generator_set_root(g, root);
	out = json_generator_to_data(g, NULL);
	printf("%s\n", out);
	g_free(out);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
}

/* ---- set-up and the walk ------------------------------------------------ */

static int setup_regs(struct walk_ctx *c)
{
	const struct walk_opts *o = c->o;
	const struct guest_mode *gm = c->gm;
	const struct pg_format *fmt;
	const char *why;
	uint64_t v;
	int rc;

	pg_cpu_all(&c->cpu);
	c->cpu.maxphyaddr = 46;
	if (o->maxphyaddr) {
		if (parse_num("maxphyaddr", o->maxphyaddr, 255, &v))
			return CLI_EXIT_USAGE;
		c->cpu.maxphyaddr = (uint8_t)v;
	}
	if (o->gpaw) {
		/* TDX: a TD's MAXPHYADDR is its GPAW (validated in walk_host.c). */
		uint64_t g = 0;

		if (!cli_parse_u64(o->gpaw, &g) && (g == 48 || g == 52)) {
			if (o->maxphyaddr && c->cpu.maxphyaddr != g)
				return cli_fail(CMD, "--maxphyaddr %s contradicts --gpaw %s (a TD's "
						"MAXPHYADDR is its GPAW)", o->maxphyaddr, o->gpaw);
			c->cpu.maxphyaddr = (uint8_t)g;
		}
	}
	c->cpu.gbpages = !o->no_1g;
	c->cpu.la57 = !o->no_la57;
	c->cpu.pse36 = !o->no_pse36;

	/* The mode's own bits, CR0.WP, and EFER.NXE where the format has NX. */
	fmt = pg_format_of(pg_mode_of(&(struct pg_regs){ .cr0 = gm->cr0, .cr4 = gm->cr4,
							 .efer = gm->efer }));
	c->regs.cr0 = gm->cr0 | CR0_WP;
	c->regs.cr4 = gm->cr4;
	c->regs.efer = gm->efer | (fmt->nx ? EFER_NXE : 0);
	rc = apply_reg_list(o->cr0, "cr0", cr0_bits, gm, gm->cr0, gm->forbid_cr0, &c->regs.cr0);
	if (!rc)
		rc = apply_reg_list(o->cr4, "cr4", cr4_bits, gm, gm->cr4, gm->forbid_cr4,
				    &c->regs.cr4);
	if (!rc)
		rc = apply_reg_list(o->efer, "efer", efer_bits, gm, gm->efer, gm->forbid_efer,
				    &c->regs.efer);
	if (rc)
		return rc;
	c->regs.rflags = o->ac ? RFLAGS_AC : 0;
	if (o->pkru) {
		if (parse_num("pkru", o->pkru, UINT32_MAX, &v))
			return CLI_EXIT_USAGE;
		c->regs.pkru = (uint32_t)v;
	}
	if (o->pkrs) {
		if (parse_num("pkrs", o->pkrs, UINT32_MAX, &v))
			return CLI_EXIT_USAGE;
		c->regs.pkrs = (uint32_t)v;
	}

	if (o->image) {
		if (!o->cr3 && fmt->levels)
			return cli_fail(CMD, "--image needs --cr3 ADDR (where the top table is)");
		if (o->cr3 && parse_num("cr3", o->cr3, UINT64_MAX, &c->regs.cr3))
			return CLI_EXIT_USAGE;
	} else {
		c->regs.cr3 = fmt->levels ? SYNTH_TABLE_BASE : 0;
	}

	rc = pg_mmu_init(&c->mmu, &c->regs, &c->cpu, &why);
	if (rc)
		return cli_fail(CMD, "bad paging state for --guest %s: %s", gm->name, why);
	return 0;
}

static int setup_request(struct walk_ctx *c)
{
	const struct walk_opts *o = c->o;
	const struct pg_format *fmt = c->mmu.fmt;
	uint64_t v;

	c->rq.va = c->gm->default_va;
	if (o->va) {
		int rc = cli_parse_u64(o->va, &c->rq.va);

		if (rc == -ERANGE)
			return cli_fail(CMD, "--va %s does not fit 64 bits", o->va);
		if (rc)
			return cli_fail(CMD, "--va %s is not an address (decimal, or hex with 0x)",
					o->va);
	}
	/* 32-bit modes have a 32-bit linear space; 4/5-level addresses are
	 * checked by the walk itself (non-canonical is #GP, not an error). */
	if (fmt->va_bits == 32 && c->rq.va > UINT32_MAX)
		return cli_fail(CMD, "--va 0x%" PRIx64 " does not fit the 32-bit linear address "
				"space of --guest %s", c->rq.va, c->gm->name);

	if (!o->access || strcmp(o->access, "read") == 0)
		c->rq.access = PG_ACC_READ;
	else if (strcmp(o->access, "write") == 0)
		c->rq.access = PG_ACC_WRITE;
	else if (strcmp(o->access, "fetch") == 0)
		c->rq.access = PG_ACC_FETCH;
	else
		return cli_fail(CMD, "--access %s: expected read, write or fetch", o->access);
	if (o->cpl) {
		if (cli_parse_u64(o->cpl, &v) || v > 3)
			return cli_fail(CMD, "--cpl %s: expected 0, 1, 2 or 3", o->cpl);
		c->rq.cpl = (uint8_t)v;
	}
	c->rq.implicit = o->implicit;
	if (c->rq.implicit && c->rq.access == PG_ACC_FETCH)
		return cli_fail(CMD,
				"--implicit is a supervisor data access; it cannot be a fetch");
	return 0;
}

/* Synthetic options: parsed before pg_mmu_init so that their syntax errors
 * come first; checked against the paging state after. */
static int parse_synth_opts(struct walk_ctx *c, const struct pg_format *fmt)
{
	const struct walk_opts *o = c->o;

	c->page_size = 4096;
	if (o->page_size) {
		uint64_t v;

		if (cli_parse_u64(o->page_size, &v) ||
		    (v != 4096 && v != (UINT64_C(2) << 20) && v != (UINT64_C(4) << 20) &&
		     v != (UINT64_C(1) << 30)))
			return cli_fail(CMD, "--page-size %s: expected 4k, 2m, 4m or 1g",
					o->page_size);
		c->page_size = v;
	}
	c->pa_base = SYNTH_PA_BASE;
	if (o->pa_base) {
		if (fmt->levels == 0)
			return cli_fail(CMD, "--pa-base has no meaning with --guest nopaging (the "
					"linear address is the physical address)");
		if (parse_num("pa-base", o->pa_base, UINT64_MAX, &c->pa_base))
			return CLI_EXIT_USAGE;
	}
	c->leaf_flags = PTE_P | PTE_RW | PTE_US;
	c->table_flags = PTE_P | PTE_RW | PTE_US;
	if (o->leaf_flags && parse_entry_flags("leaf-flags", o->leaf_flags, fmt, &c->leaf_flags))
		return CLI_EXIT_USAGE;
	if (o->table_flags &&
	    parse_entry_flags("table-flags", o->table_flags, fmt, &c->table_flags))
		return CLI_EXIT_USAGE;
	return 0;
}

static int build_synthetic(struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	struct pg_synth s;
	char sz[32];
	bool nc;
	int rc;

	rc = check_page_size(c, c->o->page_size ? c->o->page_size : "4k");
	if (rc)
		return rc;
	if (c->host ? !walk_host_guest_ram(c) : cpu_ram_init(&c->ram, SYNTH_RAM_SIZE) != 0)
		return cli_fail(CMD, "cannot allocate %" PRIu64 " bytes of guest RAM",
				SYNTH_RAM_SIZE);
	if (fmt->levels == 0)
		return c->host ? walk_host_build(c, 0) : 0;
	if (c->pa_base & (c->page_size - 1))
		return cli_fail(CMD, "--pa-base 0x%" PRIx64 " is not aligned to the %s page",
				c->pa_base, size_name(c->page_size, sz, sizeof(sz)));
	if (c->cpu.maxphyaddr < 64 && (c->pa_base >> c->cpu.maxphyaddr))
		return cli_fail(CMD, "--pa-base 0x%" PRIx64 " is above MAXPHYADDR (%u bits)",
				c->pa_base, c->cpu.maxphyaddr);
	rc = pg_synth_init(&s, &c->ram, fmt, SYNTH_TABLE_BASE);
	g_assert(rc == 0 && s.root == SYNTH_TABLE_BASE);

	/* A non-canonical address faults before any table is read: there is
	 * nothing to map for it. */
	nc = fmt->va_bits < 64 && fmt->va_bits > 32 &&
	     (uint64_t)((int64_t)(c->rq.va << (64 - fmt->va_bits)) >> (64 - fmt->va_bits)) !=
		     c->rq.va;
	if (nc)
		return c->host ? walk_host_build(c, 0) : 0;
	if (c->host && c->o->shared)
		c->pa_base |= UINT64_C(1) << (c->cpu.maxphyaddr - 1); /* TDX shared bit */
	rc = pg_synth_map(&s, c->rq.va & ~(c->page_size - 1), c->pa_base, c->page_size,
			  c->leaf_flags, c->table_flags);
	if (rc == -EINVAL)
		return cli_fail(CMD,
				"--pa-base 0x%" PRIx64 " does not fit a %s entry of --guest %s",
				c->pa_base, size_name(c->page_size, sz, sizeof(sz)), c->gm->name);
	if (rc)
		return cli_fail(CMD, "cannot build the synthetic tables: %s", g_strerror(-rc));
	return c->host ? walk_host_build(c, s.next) : 0;
}

static int load_image(struct walk_ctx *c)
{
	char why[512];

	if (cpu_ram_load_image(&c->ram, c->o->image, 0, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	return 0;
}

static int run_walk(struct walk_ctx *c)
{
	int rc;

	struct pg_accessor acc = { .ref = trace_ref, .opaque = c };

	if (c->host)
		return walk_host_run(c);
	pg_ram_accessor(&c->inner, &c->ram);

	if (c->mmu.fmt->top_in_regs) {
		rc = pg_pae_load_pdptes(&c->mmu, &acc, &c->pdpte_fault, &c->pdpte_refs);
		if (rc)
			return ref_error(c, rc);
		c->pdpte_loaded = c->mmu.pdpte_loaded;
		if (!c->pdpte_loaded) {
			/* #GP(0) at the CR3 load: there is no walk to make. */
			memset(&c->w, 0, sizeof(c->w));
			c->w.fault = c->pdpte_fault;
			return 0;
		}
	}
	rc = pg_walk(&c->mmu, &acc, &c->rq, &c->w);
	if (rc)
		return ref_error(c, rc);
	return 0;
}

int cmd_walk(int argc, char **argv)
{
	struct walk_opts o = { 0 };
	struct walk_ctx c = { 0 };
	const GOptionEntry entries[] = {
	    {"synthetic", 0, 0, G_OPTION_ARG_NONE, &o.synthetic,
	     "Build a small synthetic page-table layout that maps --va", NULL},
	    {"image", 0, 0, G_OPTION_ARG_FILENAME, &o.image,
	     "Read tables from a raw guest-physical image (byte i at GPA i)", "FILE"},
	    {"cr3", 0, 0, G_OPTION_ARG_STRING, &o.cr3, "CR3 value, with --image", "ADDR"},
	    {"guest", 0, 0, G_OPTION_ARG_STRING, &o.guest,
	     "Paging mode: nopaging, 2level, 2level-pse, pae, 4level (default), 5level", "MODE"},
	    {"va", 0, 0, G_OPTION_ARG_STRING, &o.va,
	     "Linear address to translate (default: one with nonzero indices at every level)",
	     "ADDR"},
	    {"access", 0, 0, G_OPTION_ARG_STRING, &o.access,
	     "Access kind: read (default), write, fetch", "KIND"},
	    {"cpl", 0, 0, G_OPTION_ARG_STRING, &o.cpl, "Current privilege level 0-3 (default 0)",
	     "N"},
	    {"implicit", 0, 0, G_OPTION_ARG_NONE, &o.implicit,
	     "Implicit supervisor access (GDT, IDT, TSS...), even at CPL 3", NULL},
	    {"page-size", 0, 0, G_OPTION_ARG_STRING, &o.page_size,
	     "Synthetic leaf size: 4k (default), 2m, 4m, 1g", "SIZE"},
	    {"pa-base", 0, 0, G_OPTION_ARG_STRING, &o.pa_base,
	     "Synthetic: physical address of the page (default 0x40000000)", "ADDR"},
	    {"leaf-flags", 0, 0, G_OPTION_ARG_STRING, &o.leaf_flags,
	     "Synthetic leaf flags (default p,rw,us): p,rw,us,pwt,pcd,a,d,g,xd,pk=N", "LIST"},
	    {"table-flags", 0, 0, G_OPTION_ARG_STRING, &o.table_flags,
	     "Synthetic non-leaf flags (default p,rw,us)", "LIST"},
	    {"cr0", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cr0,
	     "CR0 bits to set (-name clears): pe, wp, pg", "LIST"},
	    {"cr4", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cr4,
	     "CR4 bits to set (-name clears): pse, pae, pge, la57, pcide, smep, smap, pke, pks",
	     "LIST"},
	    {"efer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.efer,
	     "EFER bits to set (-name clears): nxe, lme, lma", "LIST"},
	    {"ac", 0, 0, G_OPTION_ARG_NONE, &o.ac, "Set EFLAGS.AC (SMAP override)", NULL},
	    {"pkru", 0, 0, G_OPTION_ARG_STRING, &o.pkru, "PKRU value", "VALUE"},
	    {"pkrs", 0, 0, G_OPTION_ARG_STRING, &o.pkrs, "IA32_PKRS value", "VALUE"},
	    {"maxphyaddr", 0, 0, G_OPTION_ARG_STRING, &o.maxphyaddr,
	     "CPU model: physical-address width 32-52 (default 46)", "N"},
	    {"no-1g", 0, 0, G_OPTION_ARG_NONE, &o.no_1g, "CPU model: no 1 GiB pages", NULL},
	    {"no-la57", 0, 0, G_OPTION_ARG_NONE, &o.no_la57, "CPU model: no 5-level paging", NULL},
	    {"no-pse36", 0, 0, G_OPTION_ARG_NONE, &o.no_pse36, "CPU model: no PSE-36", NULL},
	    {"host", 0, 0, G_OPTION_ARG_STRING, &o.host,
	     "Host dimension: none (default), npt2, npt3, npt4, npt5, ept4, ept5", "MODE"},
	    {"host-page-size", 0, 0, G_OPTION_ARG_STRING, &o.host_page_size,
	     "Synthetic host leaf size: 4k (default), 2m, 4m (npt2), 1g", "SIZE"},
	    {"gpaw", 0, 0, G_OPTION_ARG_STRING, &o.gpaw,
	     "TDX: guest-physical address width 48 or 52 (shared bit 47 or 51)", "BITS"},
	    {"shared", 0, 0, G_OPTION_ARG_NONE, &o.shared,
	     "TDX: the final page is shared (its GPA carries the shared bit)", NULL},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON object", NULL},
	    G_OPTION_ENTRY_NULL};
	GOptionContext *ctx;
	GError *err = NULL;
	int rc = CLI_EXIT_USAGE;

	g_set_prgname("tdpsim walk");
	ctx = g_option_context_new("- explain one address translation");
	g_option_context_set_summary(
		ctx, "Walks the guest page tables for one linear address and prints every level\n"
		     "(table, index, entry, decoded bits), the physical address or the fault\n"
		     "with its error code, and the number of memory references.\n\n"
		     "  tdpsim walk --synthetic --guest MODE --page-size SIZE --va ADDR [--json]\n"
		     "  tdpsim walk --image FILE --cr3 ADDR --guest MODE --va ADDR [--json]");
	g_option_context_set_description(
		ctx, "Every mode sets CR0.WP; pae, 4level and 5level also set EFER.NXE. Clear\n"
		     "them with --cr0 -wp or --efer -nxe. Mode-defining bits (CR0.PG, CR4.PAE,\n"
		     "CR4.PSE, CR4.LA57, EFER.LME/LMA) must agree with --guest.\n"
		     "The CPU model has every feature, MAXPHYADDR 46, unless told otherwise.\n"
		     "Numbers are decimal or 0x hex, with an optional k, m or g suffix.\n\n"
		     "Exit status: 0 when the walk is explained (a guest fault included),\n"
		     "2 for bad input. See docs/cli-walk.md.\n");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		rc = cli_fail(CMD, "%s", err->message);
		g_error_free(err);
		goto out;
	}
	if (argc > 1) {
		rc = cli_fail(CMD, "unexpected argument '%s'", argv[1]);
		goto out;
	}
	if (!!o.synthetic == !!o.image) {
		rc = cli_fail(CMD, o.synthetic ? "--synthetic and --image exclude each other"
					       : "give --synthetic or --image FILE");
		goto out;
	}
	if (o.image && (o.page_size || o.pa_base || o.leaf_flags || o.table_flags)) {
		rc = cli_fail(CMD, "--page-size, --pa-base, --leaf-flags and --table-flags "
				   "shape synthetic tables: they need --synthetic");
		goto out;
	}
	if (o.synthetic && o.cr3) {
		rc = cli_fail(CMD, "--cr3 needs --image (--synthetic puts its tables at 0x%" PRIx64
				   ")", SYNTH_TABLE_BASE);
		goto out;
	}

	c.o = &o;
	c.gm = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(guest_modes); i++)
		if (strcmp(guest_modes[i].name, o.guest ? o.guest : "4level") == 0)
			c.gm = &guest_modes[i];
	if (!c.gm) {
		rc = cli_fail(CMD, "--guest %s: expected nopaging, 2level, 2level-pse, pae, "
				   "4level or 5level", o.guest);
		goto out;
	}
	{
		const struct guest_mode *gm = c.gm;
		const struct pg_format *fmt =
			pg_format_of(pg_mode_of(&(struct pg_regs){ .cr0 = gm->cr0, .cr4 = gm->cr4,
								  .efer = gm->efer }));

		if (o.synthetic && (rc = parse_synth_opts(&c, fmt)))
			goto out;
	}
	if ((rc = setup_regs(&c)) || (rc = setup_request(&c)) || (rc = walk_host_parse(&c)))
		goto out;
	rc = o.synthetic ? build_synthetic(&c) : load_image(&c);
	if (rc || (rc = run_walk(&c)))
		goto out;

	if (o.json)
		print_json(&c);
	else
		print_text(&c);
	rc = CLI_EXIT_OK;
out:
	walk_host_free(&c);
	cpu_ram_free(&c.ram);
	g_option_context_free(ctx);
	g_free(o.image);
	g_free(o.cr3);
	g_free(o.guest);
	g_free(o.page_size);
	g_free(o.pa_base);
	g_free(o.va);
	g_free(o.access);
	g_free(o.cpl);
	g_free(o.pkru);
	g_free(o.pkrs);
	g_free(o.maxphyaddr);
	g_free(o.leaf_flags);
	g_free(o.table_flags);
	g_strfreev(o.cr0);
	g_strfreev(o.cr4);
	g_strfreev(o.efer);
	g_free(o.host);
	g_free(o.host_page_size);
	g_free(o.gpaw);
	return rc;
}
