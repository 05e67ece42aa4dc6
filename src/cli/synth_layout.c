/*
 * The memory layout of `tdpsim synth`: guest page tables over N data
 * pages, and for --host the host tables that map every GPA they use.
 *
 * Only table pages are backed by RAM; data pages are mapped but never read
 * (the model walks tables, it does not load data), so a million pages cost
 * a few MiB of tables. Guest-physical layout:
 *
 *   GPA 1 MiB ..            guest tables (bump-allocated by pg_synth)
 *   GPA pa_base ..          the data pages, contiguous, aligned to their size
 *
 * and linear addresses va_base + i * page_size map to pa_base + i * page_size.
 * With a host dimension, host-physical memory holds the host tables from
 * HOST_TABLE_BASE, and guest-physical memory at hpa_offset (1 GiB aligned, so
 * that every host page size maps GPA -> GPA + hpa_offset); the host buffer is
 * allocated lazily by the OS, untouched pages cost nothing.
 * synth_layout_model() puts a timing model on top: the one place that
 * picks how its walks reach these tables (cmd_synth.c and bench/ share it).
 */
#include "synth_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/synth.h"
#include "paging/walk.h"
#include "timing/model.h"

#define GUEST_TABLE_BASE UINT64_C(0x100000)
#define HOST_TABLE_BASE  UINT64_C(0x100000)
#define SZ_1G            (UINT64_C(1) << 30)
#define SZ_2M            (UINT64_C(1) << 21)
#define HOST_PAGES_MAX   (UINT64_C(1) << 26) /* 64 Mi host leaves: 512 MiB of tables */

/* Table pages needed for @n leaf entries in at most two contiguous runs:
 * per level, ceil(entries / 512) tables plus one for each run's ragged
 * edges, and the level above indexes those tables (512 entries is the
 * smallest full table; PAE's 4-entry PDPT gets one page). */
static uint64_t table_bound(uint64_t n)
{
	uint64_t total = 2;

	for (unsigned l = 1; l <= PG_LEVELS_MAX; l++) {
		n = (n + 511) / 512 + 2;
		total += n;
	}
	return total;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

void synth_layout_free(struct synth_layout *l)
{
	if (l->has_host) {
		hv_host_destroy(&l->host);
		cpu_ram_free(&l->hram);
	}
	else if (l->gram.base)
		cpu_ram_free(&l->gram);
	memset(l, 0, sizeof(*l));
}

/* Validate the guest state against the CPU model and the page size. */
static int guest_state(struct synth_layout *l, const struct guest_mode *gm,
		       const struct pg_cpu *cpu, char *why, unsigned len)
{
	const char *reason = NULL;
	unsigned leaf;

	/* The mode's own bits (guest_modes.c), and CR0.WP as every modern
	 * kernel sets it (and `tdpsim walk` does); with paging off WP has no
	 * effect (SDM Vol. 3A 2.5). */
	l->regs = (struct pg_regs){ .cr0 = gm->cr0 | CR0_WP, .cr4 = gm->cr4, .efer = gm->efer,
				    .cr3 = GUEST_TABLE_BASE };
	if (pg_mmu_init(&l->mmu, &l->regs, cpu, &reason)) {
		snprintf(why, len, "--guest %s: %s", gm->name, reason ? reason : "invalid");
		return -EINVAL;
	}
	l->fmt = l->mmu.fmt;
	if (l->fmt->levels == 0)
		return 0;
	leaf = pg_synth_leaf_level(l->fmt, l->page_size);
	if (leaf == 0 || (leaf > 1 && !l->mmu.ps_leaf[leaf])) {
		snprintf(why, len, "--page-size %" PRIu64 "%c: not a page size of --guest %s%s",
			 l->page_size >> (l->page_size >= SZ_1G ? 30 : l->page_size >= SZ_2M ? 20 : 10),
			 l->page_size >= SZ_1G ? 'g' : l->page_size >= SZ_2M ? 'm' : 'k', gm->name,
			 leaf > 1 ? " on this CPU model (PSE/1 GiB pages off)" : "");
		return -EINVAL;
	}
	return 0;
}

/* The guest tables: every data page, in address order. */
static int build_guest(struct synth_layout *l, char *why, unsigned len)
{
	struct pg_synth s;
	const uint64_t flags = PTE_P | PTE_RW | PTE_US;
	int rc;

	if (l->fmt->levels == 0)
		return 0;
	rc = pg_synth_init(&s, &l->gram, l->fmt, GUEST_TABLE_BASE);
	for (uint64_t i = 0; i < l->pages && !rc; i++)
		rc = pg_synth_map(&s, l->vas ? l->vas[i] : l->va_base + i * l->page_size,
				  (l->pa_base + i * l->page_size) | l->shared_bit, l->page_size, flags,
				  flags);
	if (rc) {
		snprintf(why, len, "cannot build the guest tables: %s", g_strerror(-rc));
		return rc;
	}
	l->guest_tables = s.tables;
	l->regs.cr3 = s.root;
	return 0;
}

/* The host tables: the guest table pages and the data pages. A TD
 * (@l->gpaw): both EPT roots from hv_tdx, the slot covering every GPA in use
 * (hpa_offset is its base, so the guest-physical view is where it is without
 * TDX), each GFN mapped through its private alias, or with --shared the data
 * pages converted to shared first (GHCI MapGPA: converts and maps). */
static int build_host(struct synth_layout *l, const struct hv_host_mode *hm,
		      uint64_t host_page_size, uint64_t table_bytes, const struct pg_cpu *cpu,
		      char *why, unsigned len)
{
	struct hv_host *h = &l->host;
	const char *reason = NULL;
	uint64_t end = l->pa_base + l->pages * l->page_size;
	const struct hv_host_layout hl = {
		.table_base = HOST_TABLE_BASE,
		.table_bytes = l->gpaw ? table_bytes : l->hpa_offset - HOST_TABLE_BASE,
		.hpa_offset = l->hpa_offset,
		.page_size = host_page_size,
		.slot_pages = end >> 12,
	};
	int rc;

	rc = hv_host_init(h, l->gpaw ? hv_host_mode_tdx(l->gpaw) : hm, &l->hram, &hl, cpu,
			  &reason);
	if (rc) {
		if (l->gpaw)
			snprintf(why, len, "cannot set up TDX (GPAW %u): %s", l->gpaw,
				 reason ? reason : g_strerror(-rc));
		else
			snprintf(why, len, "cannot set up --host %s: %s", hm->name,
				 reason ? reason : g_strerror(-rc));
		return rc;
	}
	for (uint64_t g = GUEST_TABLE_BASE; g < l->gram.size && !rc; g += 4096)
		rc = hv_host_map(h, g);
	if (!rc && l->shared_bit)
		rc = hv_tdx_convert(&h->tdx, l->pa_base, end - l->pa_base, true);
	for (uint64_t g = l->pa_base & ~(host_page_size - 1); g < end && !rc && !l->shared_bit;
	     g += host_page_size)
		rc = hv_host_map(h, g);
	if (rc) {
		if (l->gpaw)
			snprintf(why, len, "cannot map the TD's memory: %s", g_strerror(-rc));
		else
			snprintf(why, len, "cannot map the guest's %" PRIu64 " MiB of guest-physical "
				 "memory in --host %s: %s", end >> 20, hm->name,
				 rc == -EINVAL ? "GPAs beyond the host format's reach"
					       : g_strerror(-rc));
		return rc;
	}
	l->host_tables = hv_host_table_pages(h);
	return 0;
}

uint64_t synth_layout_bytes(const struct guest_mode *gm, uint64_t pages, uint64_t page_size,
			    const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw)
{
	const bool paging = guest_mode_format(gm)->levels != 0;
	uint64_t gsize = paging ? table_bound(pages) * 4096 : 0, host_pages;

	if (!hm)
		return gsize;
	/* As synth_layout_build() counts them; past HOST_PAGES_MAX it refuses. */
	host_pages = (align_up(GUEST_TABLE_BASE + gsize, page_size > SZ_2M ? page_size : SZ_2M) +
		      pages * page_size) / host_page_size + 2 + (GUEST_TABLE_BASE + gsize) / 4096;
	if (host_pages > HOST_PAGES_MAX)
		host_pages = HOST_PAGES_MAX;
	return gsize + (gpaw ? 2 : 1) * table_bound(host_pages) * 4096;
}

static int layout_build(struct synth_layout *l, const struct guest_mode *gm,
			const struct pg_cpu *cpu, const uint64_t *vas, uint64_t pages,
			uint64_t page_size, const struct hv_host_mode *hm, uint64_t host_page_size,
			unsigned gpaw, bool shared, char *why, unsigned why_len)
{
	uint64_t gsize, span, host_pages = 0, limit;
	int rc;

	memset(l, 0, sizeof(*l));
	l->vas = vas;
	l->pages = pages;
	l->page_size = page_size;
	rc = guest_state(l, gm, cpu, why, why_len);
	if (rc)
		return rc;
	if (shared) {
		if (!gpaw) {
			snprintf(why, why_len, "--shared needs --gpaw (a TD's shared memory)");
			return -EINVAL;
		}
		if (l->fmt->levels == 0 || l->fmt->entry_bytes == 4) {
			snprintf(why, why_len, "--shared: --guest %s cannot map GPA bit %u, the shared "
				 "bit (use pae, 4level or 5level)", gm->name, gpaw - 1);
			return -EINVAL;
		}
		l->shared_bit = UINT64_C(1) << (gpaw - 1);
	}

	/* Linear and physical room for the data pages. */
	span = pages * page_size;
	limit = l->fmt->va_bits == 32 ? UINT64_C(1) << 32 : UINT64_C(1) << (l->fmt->va_bits - 1);
	if (pages > limit / page_size) {
		snprintf(why, why_len, "--pages %" PRIu64 " of %" PRIu64 " KiB do not fit in the "
			 "%u-bit linear address space of --guest %s", pages, page_size >> 10,
			 l->fmt->va_bits, gm->name);
		return -EINVAL;
	}
	gsize = GUEST_TABLE_BASE + table_bound(pages) * 4096;
	/* Scattered pages: each may need a table at every level. */
	if (vas)
		gsize = GUEST_TABLE_BASE + (2 + pages * l->fmt->levels) * 4096;
	if (l->fmt->levels == 0)
		gsize = GUEST_TABLE_BASE;
	l->pa_base = align_up(gsize, page_size > SZ_2M ? page_size : SZ_2M);
	/* With paging off the linear address is the (guest-)physical one. */
	l->va_base = l->fmt->levels == 0 ? l->pa_base : 0;
	limit = l->fmt->entry_bytes == 4 || l->fmt->levels == 0 ? UINT64_C(1) << 32
								 : UINT64_C(1) << cpu->maxphyaddr;
	if (l->pa_base + span > limit || l->pa_base + span < l->pa_base) {
		snprintf(why, why_len, "--pages %" PRIu64 " of %" PRIu64 " KiB do not fit in the "
			 "guest-physical space of --guest %s (%" PRIu64 " GiB)", pages,
			 page_size >> 10, gm->name, limit >> 30);
		return -EINVAL;
	}

	if (hm) {
		l->has_host = true;
		host_pages = (l->pa_base + span) / host_page_size + 2 + gsize / 4096;
		if (host_pages > HOST_PAGES_MAX) {
			snprintf(why, why_len, "--host-page-size %" PRIu64 "k: %" PRIu64 " host pages "
				 "would back %" PRIu64 " MiB of guest memory (at most %" PRIu64
				 "); use larger host pages", host_page_size >> 10, host_pages,
				 (l->pa_base + span) >> 20, HOST_PAGES_MAX);
			return -EINVAL;
		}
		l->gpaw = gpaw;
		l->hpa_offset =
			align_up(HOST_TABLE_BASE + (gpaw ? 2 : 1) * table_bound(host_pages) * 4096,
				 SZ_1G);
		/* TDX backs the whole slot (lazily: untouched pages cost nothing). */
		rc = cpu_ram_init(&l->hram, l->hpa_offset +
						    (gpaw ? align_up(l->pa_base + span, 4096) : gsize));
		if (!rc) {
			l->gram.base = l->hram.base + l->hpa_offset;
			l->gram.size = gsize;
		}
	} else {
		rc = cpu_ram_init(&l->gram, gsize);
	}
	if (rc) {
		snprintf(why, why_len, "cannot allocate the table memory: %s", g_strerror(-rc));
		goto out_free;
	}
	rc = build_guest(l, why, why_len);
	if (!rc && hm)
		rc = build_host(l, hm, host_page_size, table_bound(host_pages) * 4096, cpu, why,
				why_len);
	if (rc)
		goto out_free;
	/* The final state, with CR3 at the root the builder allocated. */
	rc = pg_mmu_init(&l->mmu, &l->regs, cpu, &(const char *){ NULL });
	if (rc) {
		snprintf(why, why_len, "--guest %s: invalid paging state", gm->name);
		goto out_free;
	}
	return 0;
out_free:
	synth_layout_free(l);
	return rc;
}

int synth_layout_build(struct synth_layout *l, const struct guest_mode *gm,
		       const struct pg_cpu *cpu, uint64_t pages, uint64_t page_size,
		       const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw,
		       bool shared, char *why, unsigned why_len)
{
	return layout_build(l, gm, cpu, NULL, pages, page_size, hm, host_page_size, gpaw, shared,
			    why, why_len);
}

int synth_layout_build_pages(struct synth_layout *l, const struct guest_mode *gm,
			     const struct pg_cpu *cpu, const uint64_t *vas, uint64_t pages,
			     const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw,
			     char *why, unsigned why_len)
{
	return layout_build(l, gm, cpu, vas, pages, 4096, hm, host_page_size, gpaw, false, why,
			    why_len);
}

int synth_layout_model(struct synth_layout *l, const struct tm_config *cfg,
		       const struct pg_cpu *cpu, struct tm_model **out, char *why,
		       unsigned why_len)
{
	struct tm_env env = { .cpu = cpu, .host = l->has_host ? &l->host.host : NULL,
			      .set_ad = true };

	if (!l->has_host) {
		pg_ram_accessor(&env.mem, &l->gram);
		env.ram = l->gram.base;
		env.ram_size = l->gram.size;
	}
	return tm_model_new(cfg, &env, &l->regs, out, why, why_len);
}
