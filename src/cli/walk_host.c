/*
 * `tdpsim walk --host MODE`: the host dimension of the walk command.
 *
 * The synthetic layout puts guest-physical memory inside host-physical
 * memory at GUEST_HPA_OFFSET, so every translation visibly changes the
 * address: host tables at HOST_TABLE_BASE map each guest table page and the
 * final page GPA -> GPA + GUEST_HPA_OFFSET with host pages of
 * --host-page-size. The walk itself is pg_walk2d(); this file sets it up and
 * draws the reference grid (guest levels by host levels, each reference
 * numbered in the order the hardware makes it).
 *
 * The host modes and the host tables are the hypervisor's (hv/host.h), the
 * same for every command; host_mode_parse() is the --host lookup that
 * `tdpsim synth` shares; the options' rules are host_opts.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ept/ept.h"
#include "hv/tdx.h"
#include "npt/npt.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/nested.h"
#include "paging/synth.h"
#include "walk.h"

#define CMD "walk"

#define GUEST_HPA_OFFSET UINT64_C(0x40000000) /* 1 GiB: aligned for every host page size */
#define HOST_TABLE_BASE  UINT64_C(0x200000)
#define GUEST_RAM_SIZE   UINT64_C(0x200000)   /* the guest view (as without --host) */

#define SZ_4K HV_SZ_4K
#define SZ_2M HV_SZ_2M
#define SZ_4M HV_SZ_4M
#define SZ_1G HV_SZ_1G

struct walk_host {
	const struct hv_host_mode *hm;
	uint64_t page_size;
	unsigned gpaw;            /* --gpaw: TDX, two EPT roots */
	struct cpu_ram hram;      /* host-physical memory */
	struct hv_host hv;        /* the host tables the hypervisor builds */
	bool built;               /* hv is set up */
	struct pg_mmu mmu;        /* the host format's context (TDX: the secure EPT) */
	struct hv_tdx *tdx;       /* --gpaw: &hv.tdx once built */
	struct pg_nested nested;
	struct pg_ref_log log;
	struct pg_walk2d r;
	struct pg_fault pdpte_fault;
	unsigned pdpte_refs;
	bool pdpte_load;          /* PDPTEs loaded through the host (EPT) */
	struct pg_ref_log pdpte_log; /* the references of that load */
	bool walked;              /* pg_walk2d() ran (no PDPTE-load fault) */
};

/* The host options were parsed by host_dim_parse() into c->hd; these are
 * the rules only walk has, against --image, --pa-base and the guest. */
int walk_host_parse(struct walk_ctx *c)
{
	const struct walk_opts *o = c->o;
	const struct host_dim *hd = &c->hd;
	struct walk_host *h;

	if (!hd->hm)
		return 0;
	if (o->image)
		return cli_fail(CMD, hd->gpaw ? "--gpaw needs --synthetic"
					      : "--host needs --synthetic (an image has no host "
						"tables)");
	if (hd->gpaw) {
		if (o->pa_base && c->page_size != SZ_4K)
			return cli_fail(CMD, "--gpaw: give --pa-base with 4 KiB guest pages only");
		/* The shared bit is GPA bit GPAW-1 (47 or 51): beyond what a guest
		 * without 8-byte entries can address. 32-bit paging reaches 40
		 * bits at most (PSE-36, SDM Vol. 3A 4.3); without paging the GPA
		 * is the 32-bit linear address. */
		if (hd->shared && (c->mmu.fmt->levels == 0 || c->mmu.fmt->entry_bytes == 4))
			return cli_fail(CMD, "--shared: --guest %s cannot reach the TDX shared bit "
					"(GPA bit %u): %s; use pae, 4level or 5level",
					c->gm->name, hd->gpaw - 1,
					c->mmu.fmt->levels ? "32-bit paging maps physical addresses "
							     "of at most 40 bits"
							   : "without paging a GPA is a 32-bit linear "
							     "address");
	}
	h = g_new0(struct walk_host, 1);
	c->host = h;
	h->hm = hd->hm;
	h->page_size = hd->page_size;
	h->gpaw = hd->gpaw;
	return 0;
}

int host_mode_parse(const char *cmd, const char *name, const char *page_size,
		    const struct hv_host_mode **out, uint64_t *size)
{
	const struct hv_host_mode *hm = hv_host_mode_find(name);
	uint64_t v = SZ_4K;
	int rc;

	if (!hm)
		return cli_fail(cmd, "--host %s: expected none, npt2, npt3, npt4, npt5, ept4 or "
				"ept5", name);
	if (page_size && (rc = cli_parse_page_size(cmd, "host-page-size", page_size, &v)))
		return rc;
	if (!(v & hm->sizes))
		return cli_fail(cmd, "--host-page-size %s: --host %s has no such leaf (%s)",
				page_size, name,
				v == SZ_4M ? "4 MiB pages exist only in 2-level tables (npt2)"
				: v == SZ_1G ? "1 GiB pages need 4- or 5-level tables"
					     : "2 MiB pages need PAE, 4- or 5-level tables");
	*out = hm;
	*size = v;
	return 0;
}

struct cpu_ram *walk_host_guest_ram(struct walk_ctx *c)
{
	struct walk_host *h = c->host;

	/* TDX: the slot must reach the synthetic page at 0x40000000 too; the
	 * host buffer is allocated lazily by the OS, untouched pages cost
	 * nothing. */
	uint64_t size = GUEST_HPA_OFFSET + (h->gpaw ? GUEST_HPA_OFFSET : 0) + GUEST_RAM_SIZE;

	if (cpu_ram_init(&h->hram, size))
		return NULL;
	c->ram.base = h->hram.base + GUEST_HPA_OFFSET;
	c->ram.size = GUEST_RAM_SIZE;
	return &c->ram;
}

void walk_host_free(struct walk_ctx *c)
{
	if (!c->host)
		return;
	if (c->host->built)
		hv_host_destroy(&c->host->hv);
	if (c->host->hram.base) {
		cpu_ram_free(&c->host->hram);
		c->ram = (struct cpu_ram){ 0 }; /* the guest view pointed into it */
	}
	g_free(c->host);
	c->host = NULL;
}

/* TDX: both EPT roots from hv_tdx; every GFN used is mapped through the
 * alias of its state; --shared converts the final page first. */
static int build_tdx(struct walk_ctx *c, uint64_t table_end, uint64_t final_gpa)
{
	struct walk_host *h = c->host;
	struct hv_tdx *t;
	const struct hv_host_layout l = {
		.table_base = HOST_TABLE_BASE,
		.table_bytes = HOST_TABLE_BASE,
		.hpa_offset = GUEST_HPA_OFFSET,
		.page_size = SZ_4K,
		.slot_pages = (GUEST_HPA_OFFSET + GUEST_RAM_SIZE) >> 12,
	};
	const char *why = NULL;
	unsigned gpaw = h->gpaw;
	int rc;

	/* walk_host_parse() refused --shared for guests without 8-byte entries. */
	if (((final_gpa & ~(UINT64_C(1) << (gpaw - 1))) >> 12) >= l.slot_pages ||
	    (final_gpa >> gpaw))
		return cli_fail(CMD, "--gpaw: the final GPA 0x%" PRIx64 " is outside the TD's "
				"memory slot (GPAs below 0x%" PRIx64 ")", final_gpa,
				l.slot_pages << 12);
	rc = hv_host_init(&h->hv, hv_host_mode_tdx(gpaw), &h->hram, &l, &c->cpu, &why);
	if (rc)
		return cli_fail(CMD, "cannot set up TDX (GPAW %u): %s", gpaw,
				why ? why : g_strerror(-rc));
	h->built = true;
	t = h->tdx = &h->hv.tdx;
	for (uint64_t g = c->mmu.fmt->levels ? c->mmu.root & ~UINT64_C(0xfff) : table_end;
	     g < table_end && !rc; g += 4096)
		rc = hv_host_map(&h->hv, g);
	if (!rc && c->o->shared)
		rc = hv_tdx_convert(t, final_gpa & ~t->shared_mask & ~UINT64_C(0xfff), 4096, true);
	if (!rc)
		rc = hv_host_map(&h->hv, final_gpa);
	if (rc)
		return cli_fail(CMD, "cannot map the TDX layout: %s", g_strerror(-rc));
	h->mmu = t->ept[HV_TDX_SECURE];
	h->nested.host = &h->hv.host;
	h->nested.log = &h->log;
	return 0;
}

int walk_host_build(struct walk_ctx *c, uint64_t table_end)
{
	struct walk_host *h = c->host;
	const struct hv_host_mode *hm = h->hm;
	const struct hv_host_layout l = {
		.table_base = HOST_TABLE_BASE,
		.table_bytes = GUEST_HPA_OFFSET - HOST_TABLE_BASE,
		.hpa_offset = GUEST_HPA_OFFSET,
		.page_size = h->page_size,
	};
	uint64_t final_gpa;
	const char *why = NULL;
	int rc;

	if (h->gpaw)
		return build_tdx(c, table_end,
				 c->mmu.fmt->levels ? c->pa_base | (c->rq.va & (c->page_size - 1))
						    : c->rq.va);
	rc = hv_host_init(&h->hv, hm, &h->hram, &l, &c->cpu, &why);
	if (rc)
		return cli_fail(CMD, "cannot set up --host %s: %s", hm->name,
				why ? why : g_strerror(-rc));
	h->built = true;

	/* Every guest table page, then the final page. */
	for (uint64_t g = c->mmu.fmt->levels ? c->mmu.root & ~UINT64_C(0xfff) : table_end;
	     g < table_end; g += 4096) {
		rc = hv_host_map(&h->hv, g);
		if (rc)
			return cli_fail(CMD, "cannot map GPA 0x%" PRIx64 " in --host %s: %s", g,
					hm->name, g_strerror(-rc));
	}
	final_gpa = c->mmu.fmt->levels ? c->pa_base | (c->rq.va & (c->page_size - 1)) : c->rq.va;
	rc = hv_host_map(&h->hv, final_gpa);
	if (rc)
		return cli_fail(CMD, "cannot map the final GPA 0x%" PRIx64 " in --host %s: %s",
				final_gpa, hm->name, g_strerror(-rc));

	h->mmu = h->hv.mmu;
	h->nested.host = &h->hv.host;
	h->nested.log = &h->log;
	return 0;
}

int walk_host_run(struct walk_ctx *c)
{
	struct walk_host *h = c->host;
	int rc;

	if (c->mmu.fmt->top_in_regs) {
		if (h->hv.host.guest_pdpte_in_walk) {
			/* AMD: PDPTEs are read through the nested tables on every
			 * walk, not loaded at CR3 (APM Vol. 2 15.25.10). */
			c->mmu.pdpte_in_walk = true;
		} else {
			unsigned before = h->nested.reads;

			rc = pg_nested_load_pdptes(&h->nested, &c->mmu, &h->pdpte_fault);
			if (rc)
				return cli_fail(CMD, "PDPTE load failed: %s", g_strerror(-rc));
			h->pdpte_load = true;
			h->pdpte_log = h->log;
			h->pdpte_refs = h->nested.reads - before;
			c->pdpte_refs = h->pdpte_refs;
			c->pdpte_loaded = c->mmu.pdpte_loaded;
			if (h->pdpte_fault.vector) {
				memset(&c->w, 0, sizeof(c->w));
				c->w.fault = h->pdpte_fault;
				return 0;
			}
		}
	}
	if (c->mmu.fmt->top_in_regs && !h->pdpte_load)
		c->pdpte_loaded = true;
	h->log.n = h->log.reads = h->log.ad = 0;
	rc = pg_walk2d(&h->nested, &c->mmu, &c->rq, &h->r);
	if (rc)
		return cli_fail(CMD, "2D walk failed: %s", g_strerror(-rc));
	h->walked = true;
	c->w = h->r.guest;
	c->w.fault = h->r.fault;
	/* What the walk set in each guest entry (read back from host memory). */
	for (unsigned i = 0; i < c->w.nlevels; i++) {
		const struct pg_walk_level *wl = &c->w.lvl[i];
		uint64_t now = 0;

		if (wl->from_reg || !cpu_ram_read_le(&c->ram, wl->entry_addr, c->mmu.fmt->entry_bytes,
						      &now))
			c->ad_set[wl->level] |= (now & ~wl->entry) & (PTE_A | PTE_D);
	}
	return 0;
}

unsigned walk_host_refs(const struct walk_ctx *c)
{
	return c->host->log.reads;
}

/* Column of a reference in the grid: host levels top..1, then the guest
 * entry itself. */
static int grid_col(const struct walk_host *h, const struct pg_ref_rec *r)
{
	return r->dim == PG_DIM_GUEST ? h->mmu.fmt->levels : h->mmu.fmt->levels - r->hlevel;
}

/* One grid row: @label, then a cell per column ("-" for none; the final
 * GPA's guest-entry cell is blank: there is no entry). Frees the cells. */
static void grid_row(const char *label, GString **cell, unsigned cols, bool final)
{
	printf("%-12s", label);
	for (unsigned k = 0; k < cols; k++) {
		printf("%s%8s", k == cols - 1 ? " | " : " ",
		       cell[k] ? cell[k]->str : (k == cols - 1 && final ? "" : "-"));
		if (cell[k])
			g_string_free(cell[k], TRUE);
		cell[k] = NULL;
	}
	printf("\n");
}

static void grid_header(const struct pg_format *hf)
{
	printf("%-12s", "");
	for (unsigned k = 0; k < hf->levels; k++)
		printf(" %8s", hf->lvl[hf->levels - k].name);
	printf(" | %s\n", "guest entry");
}

static void grid_add(GString **cell, unsigned seq)
{
	if (!*cell)
		*cell = g_string_new(NULL);
	g_string_append_printf(*cell, "%s%u", (*cell)->len ? "," : "", seq);
}

/*
 * A PAE guest under EPT loads its 4 PDPTEs at CR3 load, each read through
 * the host tables (the host walk, then the PDPTE): one row per PDPTE,
 * numbered on their own (the walk's references start at 1 again).
 */
static void pdpte_load_text(const struct walk_host *h)
{
	const struct pg_format *hf = h->mmu.fmt;
	GString *cell[PG_LEVELS_MAX + 1] = { 0 };
	unsigned seq = 0, pdpte = 0;
	char label[32];

	printf("\nPDPTE load at CR3 load: guest PDPTEs through host %s, references in order\n",
	       h->hm->name);
	grid_header(hf);
	for (unsigned i = 0; i < h->pdpte_log.n; i++) {
		const struct pg_ref_rec *r = &h->pdpte_log.rec[i];

		if (r->kind != PG_REF_READ)
			continue;
		grid_add(&cell[grid_col(h, r)], ++seq);
		if (r->dim == PG_DIM_GUEST) {
			/* The PDPTE read ends its row. */
			snprintf(label, sizeof(label), "PDPTE %u", pdpte++);
			grid_row(label, cell, hf->levels + 1, false);
		}
	}
	for (unsigned k = 0; k <= hf->levels; k++)
		if (cell[k]) { /* host references of a PDPTE that was not read */
			snprintf(label, sizeof(label), "PDPTE %u", pdpte);
			grid_row(label, cell, hf->levels + 1, false);
			break;
		}
	printf("PDPTE load refs %u (guest entries %u, host entries %u)\n", h->pdpte_log.reads,
	       pdpte, h->pdpte_log.reads - pdpte);
}

void walk_host_text(const struct walk_ctx *c)
{
	const struct walk_host *h = c->host;
	const struct pg_format *gf = c->mmu.fmt, *hf = h->mmu.fmt;
	const unsigned cols = hf->levels + 1;
	unsigned rows = gf->levels + 1; /* guest levels, final */
	GString *cell[PG_LEVELS_MAX + 1][PG_LEVELS_MAX + 1] = { { 0 } };
	unsigned seq = 0;

	if (h->pdpte_load)
		pdpte_load_text(h);
	if (!h->walked)
		return;
	for (unsigned i = 0; i < h->log.n; i++) {
		const struct pg_ref_rec *r = &h->log.rec[i];
		unsigned row;

		if (r->kind != PG_REF_READ)
			continue;
		seq++;
		row = r->glevel == PG_GLEVEL_FINAL ? rows - 1 : (unsigned)gf->levels - r->glevel;
		grid_add(&cell[row][grid_col(h, r)], seq);
	}

	printf("\n2D walk: guest %s over host %s (%s host pages), references in order\n",
	       c->gm->name, h->hm->name,
	       h->page_size == SZ_4K ? "4 KiB" : h->page_size == SZ_2M ? "2 MiB"
				   : h->page_size == SZ_4M ? "4 MiB" : "1 GiB");
	grid_header(hf);
	for (unsigned row = 0; row < rows; row++) {
		char label[32];
		bool any = false;

		for (unsigned k = 0; k < cols; k++)
			any |= cell[row][k] != NULL;
		if (!any && row == rows - 1)
			continue;
		if (row == rows - 1)
			snprintf(label, sizeof(label), "final GPA");
		else
			snprintf(label, sizeof(label), "guest %s", gf->lvl[gf->levels - row].name);
		grid_row(label, cell[row], cols, row == rows - 1);
	}
	if (!h->r.fault.vector && !(c->w.fault.vector))
		printf("=> GPA 0x%" PRIx64 " -> HPA 0x%" PRIx64 " (%" PRIu64 " KiB host page)\n",
		       h->r.guest.pa, h->r.hpa, h->r.host_page_size >> 10);
	if (h->tdx)
		printf("TDX GPAW %u: shared bit 0x%" PRIx64 "; guest tables private (secure EPT), "
		       "final page %s\n", h->tdx->gpaw, h->tdx->shared_mask,
		       c->o->shared ? "shared (shared EPT)" : "private (secure EPT)");
	printf("2D refs %u (guest entries %u, host entries %u), A/D writes %u%s\n",
	       h->log.reads, h->r.guest.refs, h->log.reads - h->r.guest.refs, h->log.ad,
	       h->pdpte_load ? "; the PDPTE load is not counted" : "");
}

void walk_host_fault_text(const struct walk_ctx *c, char *buf, size_t n)
{
	const struct pg_fault *f = &c->w.fault;

	if (f->exit_reason == PG_EXIT_NPF)
		snprintf(buf, n, "#NPF exit: EXITINFO1 0x%" PRIx64 " (%s), EXITINFO2 (GPA) 0x%" PRIx64
			 ", host level %u", f->host_info,
			 (f->host_info & NPF_GUEST_PT) ? "on a guest table access" : "on the final GPA",
			 f->gpa, f->level);
	else if (f->exit_reason == PG_EXIT_EPT_MISCONFIG)
		snprintf(buf, n, "EPT misconfiguration exit: GPA 0x%" PRIx64 ", EPT level %u", f->gpa,
			 f->level);
	else
		snprintf(buf, n, "EPT violation exit: qualification 0x%" PRIx64 " (%s), GPA 0x%" PRIx64
			 ", EPT level %u", f->host_info,
			 (f->host_info & EPTQ_GLA_FINAL) ? "on the final GPA" : "on a guest table access",
			 f->gpa, f->level);
}

void walk_host_json(const struct walk_ctx *c, JsonBuilder *b)
{
	const struct walk_host *h = c->host;
	char hex[24];
	unsigned seq = 0;

	json_builder_set_member_name(b, "host");
	json_builder_add_string_value(b, h->hm->name);
	if (h->tdx) {
		json_builder_set_member_name(b, "gpaw");
		json_builder_add_int_value(b, h->tdx->gpaw);
		snprintf(hex, sizeof(hex), "0x%" PRIx64, h->tdx->shared_mask);
		json_builder_set_member_name(b, "shared_bit");
		json_builder_add_string_value(b, hex);
	}
	json_builder_set_member_name(b, "host_page_size");
	json_builder_add_int_value(b, (gint64)h->page_size);
	json_builder_set_member_name(b, "hpa");
	if (h->r.fault.vector || c->w.fault.vector) {
		json_builder_add_null_value(b);
	} else {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, h->r.hpa);
		json_builder_add_string_value(b, hex);
	}
	json_builder_set_member_name(b, "guest_refs");
	json_builder_add_int_value(b, h->r.guest.refs);
	json_builder_set_member_name(b, "host_refs");
	json_builder_add_int_value(b, h->log.reads - h->r.guest.refs);
	json_builder_set_member_name(b, "references");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < h->log.n; i++) {
		const struct pg_ref_rec *r = &h->log.rec[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "n");
		json_builder_add_int_value(b, r->kind == PG_REF_READ ? ++seq : 0);
		json_builder_set_member_name(b, "kind");
		json_builder_add_string_value(b, r->kind == PG_REF_READ ? "read" : "ad");
		json_builder_set_member_name(b, "dim");
		json_builder_add_string_value(b, r->dim == PG_DIM_GUEST ? "guest" : "host");
		json_builder_set_member_name(b, "guest_level");
		if (r->glevel == PG_GLEVEL_FINAL)
			json_builder_add_string_value(b, "final");
		else if (r->glevel == PG_GLEVEL_PDPTE_LOAD)
			json_builder_add_string_value(b, "pdpte-load");
		else
			json_builder_add_int_value(b, r->glevel);
		json_builder_set_member_name(b, "host_level");
		json_builder_add_int_value(b, r->hlevel);
		json_builder_set_member_name(b, "hpa");
		snprintf(hex, sizeof(hex), "0x%" PRIx64, r->addr);
		json_builder_add_string_value(b, hex);
		json_builder_set_member_name(b, "gpa");
		snprintf(hex, sizeof(hex), "0x%" PRIx64, r->gpa);
		json_builder_add_string_value(b, hex);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}
