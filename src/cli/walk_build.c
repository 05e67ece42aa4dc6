/*
 * `tdpsim walk`: the guest tables and the walk. The synthetic layout maps
 * --va to --pa-base with one leaf of --page-size (synth.c); an --image is
 * guest-physical memory as given. The walk is the engine's (pg_walk, or
 * pg_walk2d under --host), through a tracing accessor that records the
 * last address read and the A/D bits each level's update newly set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "paging/access_ram.h"
#include "paging/bits.h"

#define CMD WALK_CMD

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

/* The tracing accessor: the engine's RAM accessor, watched. */

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

int walk_build_synthetic(struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	struct pg_synth s;
	char sz[32];
	bool nc;
	int rc;

	rc = check_page_size(c, c->o->page_size ? c->o->page_size : "4k");
	if (rc)
		return rc;
	if (c->host ? !walk_host_guest_ram(c) : cpu_ram_init(&c->ram, WALK_SYNTH_RAM_SIZE) != 0)
		return cli_fail(CMD, "cannot allocate %" PRIu64 " bytes of guest RAM",
				WALK_SYNTH_RAM_SIZE);
	if (fmt->levels == 0)
		return c->host ? walk_host_build(c, 0) : 0;
	if (c->pa_base & (c->page_size - 1))
		return cli_fail(CMD, "--pa-base 0x%" PRIx64 " is not aligned to the %s page",
				c->pa_base, walk_size_name(c->page_size, sz, sizeof(sz)));
	if (c->cpu.maxphyaddr < 64 && (c->pa_base >> c->cpu.maxphyaddr))
		return cli_fail(CMD, "--pa-base 0x%" PRIx64 " is above MAXPHYADDR (%u bits)",
				c->pa_base, c->cpu.maxphyaddr);
	rc = pg_synth_init(&s, &c->ram, fmt, WALK_SYNTH_TABLE_BASE);
	g_assert(rc == 0 && s.root == WALK_SYNTH_TABLE_BASE);

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
				c->pa_base, walk_size_name(c->page_size, sz, sizeof(sz)), c->gm->name);
	if (rc)
		return cli_fail(CMD, "cannot build the synthetic tables: %s", g_strerror(-rc));
	return c->host ? walk_host_build(c, s.next) : 0;
}

int walk_load_image(struct walk_ctx *c)
{
	char why[512];

	if (cpu_ram_load_image(&c->ram, c->o->image, 0, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	return 0;
}

int walk_run(struct walk_ctx *c)
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
