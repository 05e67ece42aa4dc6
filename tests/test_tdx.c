/*
 * Unit tests of the TDX shared bit model (src/hv/tdx.c): secure and shared
 * EPT roots, aliases of one GFN, MapGPA conversion in both directions,
 * accesses through the wrong alias, GPAW 48 against GPAW 52.
 *
 * Expected addresses, entry values and reference counts are computed by
 * hand from the layout below and the EPT format (SDM Vol. 3C 29.3.2):
 *
 *   host RAM   4 MiB
 *   0x100000   secure EPT tables (64 KiB), root first
 *   0x110000   shared EPT tables (64 KiB), root first
 *   0x200000   the memory slot: GFN i at 0x200000 + i * 4096, 256 pages
 *
 * An EPT leaf for slot page i is 0x200000 + i * 4096 | 0x37 (RWX = 7, memory
 * type WB = 6 in bits 5:3).
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/ram.h"
#include "ept/ept.h"
#include "hv/tdx.h"
#include "paging/bits.h"
#include "paging/nested.h"
#include "paging/synth.h"
#include "paging/walk.h"

#define RAM_SIZE    UINT64_C(0x400000)
#define SECURE_BASE UINT64_C(0x100000)
#define SHARED_BASE UINT64_C(0x110000)
#define SLOT_BASE   UINT64_C(0x200000)
#define SLOT_PAGES  256u
#define LEAF_BITS   UINT64_C(0x37)
#define BIT47       (UINT64_C(1) << 47)
#define BIT51       (UINT64_C(1) << 51)

struct flush_log {
	unsigned n;
	uint64_t gpa[16];
};

struct fixture {
	struct cpu_ram ram;
	struct hv_tdx t;
	struct pg_host h;
	struct flush_log flushes;
};

static void record_flush(void *opaque, uint64_t alias_gpa)
{
	struct flush_log *l = opaque;

	g_assert_cmpuint(l->n, <, G_N_ELEMENTS(l->gpa));
	l->gpa[l->n++] = alias_gpa;
}

static void setup(struct fixture *f, unsigned gpaw)
{
	struct hv_tdx_cfg cfg = {
		.gpaw = gpaw,
		.table_base = { SECURE_BASE, SHARED_BASE },
		.table_bytes = 0x10000,
		.slot_base = SLOT_BASE,
		.slot_pages = SLOT_PAGES,
	};
	const char *why = NULL;

	memset(f, 0, sizeof(*f));
	g_assert_cmpint(cpu_ram_init(&f->ram, RAM_SIZE), ==, 0);
	g_assert_cmpint(hv_tdx_init(&f->t, &f->ram, &cfg, &why), ==, 0);
	f->t.flush = record_flush;
	f->t.flush_opaque = &f->flushes;
	hv_tdx_host(&f->t, &f->h);
}

static void teardown(struct fixture *f)
{
	hv_tdx_destroy(&f->t);
	cpu_ram_free(&f->ram);
}

/* One host-dimension walk of @gpa as pg_walk2d() makes it for a final
 * access: select the root, walk it with the selected address. */
static const struct pg_mmu *host_walk(struct fixture *f, uint64_t gpa, uint8_t access,
				      struct pg_walk *w)
{
	uint64_t walk_gpa = 0;
	const struct pg_mmu *m = f->h.select(f->h.opaque, gpa, &walk_gpa);
	struct pg_req rq = { .va = walk_gpa, .access = access, .cpl = 3, .host = PG_HREQ_FINAL };

	g_assert_nonnull(m);
	g_assert_cmphex(walk_gpa, ==, gpa);
	g_assert_cmpint(pg_walk(m, &f->h.mem, &rq, w), ==, 0);
	return m;
}

static void assert_maps(struct fixture *f, uint64_t gpa, uint64_t hpa, unsigned levels)
{
	struct pg_walk w;

	host_walk(f, gpa, PG_ACC_WRITE, &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, hpa);
	g_assert_cmpuint(w.page_size, ==, 4096);
	g_assert_cmpuint(w.refs, ==, levels);
	g_assert_cmphex(w.lvl[levels - 1].entry, ==, hpa | LEAF_BITS);
}

/* An EPT violation (not present at @level) for @gpa, after @refs reads. */
static void assert_violates(struct fixture *f, uint64_t gpa, unsigned level, unsigned refs)
{
	struct pg_walk w;

	host_walk(f, gpa, PG_ACC_READ, &w);
	g_assert_cmpuint(w.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(w.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(w.fault.stage, ==, PG_STAGE_HOST_FINAL);
	g_assert_cmphex(w.fault.gpa, ==, gpa);
	g_assert_cmpuint(w.fault.level, ==, level);
	g_assert_cmpuint(w.refs, ==, refs);
	/* Not present: the qualification's rights bits 5:3 are 0. */
	g_assert_cmphex(w.fault.host_info & (EPTQ_READABLE | EPTQ_WRITABLE | EPTQ_EXEC), ==, 0);
	g_assert_cmphex(w.fault.host_info & EPTQ_READ, ==, EPTQ_READ);
}

static uint64_t rd64(struct fixture *f, uint64_t hpa)
{
	uint64_t v = 0;

	g_assert_cmpint(cpu_ram_read_le(&f->ram, hpa, 8, &v), ==, 0);
	return v;
}

static void test_init(void)
{
	struct fixture f;
	struct cpu_ram ram;
	struct hv_tdx t;
	struct hv_tdx_cfg cfg = {
		.gpaw = 50,
		.table_base = { SECURE_BASE, SHARED_BASE },
		.table_bytes = 0x10000,
		.slot_base = SLOT_BASE,
		.slot_pages = SLOT_PAGES,
	};
	const char *why = NULL;

	setup(&f, 48);
	g_assert_cmphex(f.t.shared_mask, ==, BIT47);
	g_assert_cmphex(f.t.gpa_mask, ==, BIT47 * 2 - 1);
	for (unsigned r = 0; r < HV_TDX_ROOTS; r++) {
		g_assert_true(f.t.ept[r].fmt == &ept_fmt4);
		g_assert_cmpuint(f.t.synth[r].tables, ==, 1);
	}
	g_assert_cmphex(f.t.ept[HV_TDX_SECURE].root, ==, SECURE_BASE);
	g_assert_cmphex(f.t.ept[HV_TDX_SHARED].root, ==, SHARED_BASE);
	/* EPTP: root | (4 - 1) << 3 | WB. */
	g_assert_cmphex(f.t.ept[HV_TDX_SECURE].eptp, ==, SECURE_BASE | 0x1e);
	g_assert_false(hv_tdx_is_shared(&f.t, 0));
	g_assert_false(hv_tdx_is_shared(&f.t, SLOT_PAGES - 1));
	teardown(&f);

	setup(&f, 52);
	g_assert_cmphex(f.t.shared_mask, ==, BIT51);
	g_assert_true(f.t.ept[HV_TDX_SECURE].fmt == &ept_fmt5);
	g_assert_true(f.t.ept[HV_TDX_SHARED].fmt == &ept_fmt5);
	g_assert_cmphex(f.t.ept[HV_TDX_SHARED].eptp, ==, SHARED_BASE | 0x26);
	teardown(&f);

	g_assert_cmpint(cpu_ram_init(&ram, RAM_SIZE), ==, 0);
	g_assert_cmpint(hv_tdx_init(&t, &ram, &cfg, &why), ==, -EINVAL);
	g_assert_nonnull(why);
	cfg.gpaw = 48;
	cfg.table_base[HV_TDX_SHARED] = SECURE_BASE + 0x8000; /* overlaps the secure region */
	g_assert_cmpint(hv_tdx_init(&t, &ram, &cfg, &why), ==, -EINVAL);
	cfg.table_base[HV_TDX_SHARED] = SHARED_BASE;
	cfg.slot_base = RAM_SIZE - 0x1000; /* slot outside RAM */
	g_assert_cmpint(hv_tdx_init(&t, &ram, &cfg, &why), ==, -EINVAL);
	cfg.slot_base = SECURE_BASE; /* slot over the tables */
	g_assert_cmpint(hv_tdx_init(&t, &ram, &cfg, &why), ==, -EINVAL);
	cpu_ram_free(&ram);
}

/* The GFN is the GPA without the shared bit, whichever alias it comes by. */
static void test_gfn(void)
{
	struct fixture f;

	setup(&f, 48);
	g_assert_cmphex(hv_tdx_gfn(&f.t, 0x5000), ==, 5);
	g_assert_cmphex(hv_tdx_gfn(&f.t, 0x5000 | BIT47), ==, 5);
	g_assert_cmphex(hv_tdx_gfn(&f.t, 0x5abc | BIT47), ==, 5);
	g_assert_cmphex(hv_tdx_gfn(&f.t, BIT47 - 0x1000), ==, (BIT47 >> 12) - 1);
	g_assert_cmphex(hv_tdx_gfn(&f.t, UINT64_MAX), ==, (BIT47 >> 12) - 1);
	g_assert_cmphex(hv_tdx_alias(&f.t, 5, true), ==, 0x5000 | BIT47);
	g_assert_cmphex(hv_tdx_alias(&f.t, 5, false), ==, 0x5000);
	g_assert_true(hv_tdx_gpa_shared(&f.t, 0x5000 | BIT47));
	g_assert_false(hv_tdx_gpa_shared(&f.t, 0x5000 | BIT51));
	teardown(&f);

	setup(&f, 52);
	/* Bit 47 is an ordinary address bit under GPAW 52. */
	g_assert_cmphex(hv_tdx_gfn(&f.t, 0x5000 | BIT47), ==, (BIT47 >> 12) | 5);
	g_assert_cmphex(hv_tdx_gfn(&f.t, 0x5000 | BIT51), ==, 5);
	g_assert_false(hv_tdx_gpa_shared(&f.t, 0x5000 | BIT47));
	g_assert_true(hv_tdx_gpa_shared(&f.t, 0x5000 | BIT51));
	g_assert_cmphex(hv_tdx_gfn(&f.t, UINT64_MAX), ==, (BIT51 >> 12) - 1);
	teardown(&f);
}

/*
 * Shared and private aliases of GFN 5, converted private -> shared -> private.
 * @data: GPAW (48: 4-level EPTs, shared bit 47; 52: 5-level, bit 51).
 */
static void test_aliases(gconstpointer data)
{
	unsigned gpaw = GPOINTER_TO_UINT(data);
	unsigned lv = gpaw == 48 ? 4 : 5;
	uint64_t bit = gpaw == 48 ? BIT47 : BIT51;
	uint64_t priv = 0x5000, shared = 0x5000 | bit, hpa = SLOT_BASE + 0x5000;
	struct fixture f;
	struct pg_walk w;

	setup(&f, gpaw);
	g_assert_cmpint(hv_tdx_map(&f.t, 5), ==, 0);
	g_assert_cmpuint(f.t.stats.maps, ==, 1);
	/* The secure EPT got a table per level below the root. */
	g_assert_cmpuint(f.t.synth[HV_TDX_SECURE].tables, ==, lv);
	g_assert_cmpuint(f.t.synth[HV_TDX_SHARED].tables, ==, 1);

	/* Private alias: the slot page, one read per EPT level. */
	assert_maps(&f, priv, hpa, lv);
	host_walk(&f, priv, PG_ACC_READ, &w);
	g_assert_cmphex(w.perms & (PG_PERM_R | PG_PERM_W | PG_PERM_X), ==,
			PG_PERM_R | PG_PERM_W | PG_PERM_X);
	/* Secure leaf: the PT is the last table allocated, index 5. */
	g_assert_cmphex(w.lvl[lv - 1].entry_addr, ==, SECURE_BASE + (lv - 1) * 0x1000 + 5 * 8);
	/* Shared alias: the shared root is empty, not present at its top. */
	assert_violates(&f, shared, lv, 1);

	/* MapGPA to shared. */
	g_assert_cmpint(hv_tdx_convert(&f.t, priv, 0x1000, true), ==, 0);
	g_assert_true(hv_tdx_is_shared(&f.t, 5));
	g_assert_cmpuint(f.t.stats.conversions, ==, 1);
	g_assert_cmpuint(f.t.stats.zapped, ==, 1);
	g_assert_cmpuint(f.t.stats.flushes, ==, 1);
	g_assert_cmpuint(f.flushes.n, ==, 1);
	g_assert_cmphex(f.flushes.gpa[0], ==, priv);
	g_assert_cmphex(rd64(&f, SECURE_BASE + (lv - 1) * 0x1000 + 5 * 8), ==, 0);
	/* The secure root's table objects cleared the one leaf; the cost
	 * is one conversion and one flush. */
	g_assert_cmpuint(f.t.tables[HV_TDX_SECURE].st.leaves_cleared, ==, 1);
	g_assert_cmpuint(f.t.stats.cycles, ==, HV_TDX_COST_CONVERT + HV_TDX_COST_FLUSH);
	/* The old alias now violates at the zapped leaf, after a full walk. */
	assert_violates(&f, priv, 1, lv);
	/* The shared alias reaches the same slot page. */
	assert_maps(&f, shared, hpa, lv);
	host_walk(&f, shared, PG_ACC_READ, &w);
	if (gpaw == 48) {
		/* Bit 47 is in the PML4 index: 256. */
		g_assert_cmphex(w.lvl[0].entry_addr, ==, SHARED_BASE + 256 * 8);
		g_assert_cmphex(w.lvl[3].entry_addr, ==, SHARED_BASE + 0x3000 + 5 * 8);
	} else {
		/* Bit 51 is bit 3 of the PML5 index (56:48): 8. */
		g_assert_cmphex(w.lvl[0].entry_addr, ==, SHARED_BASE + 8 * 8);
		g_assert_cmphex(w.lvl[1].entry_addr, ==, SHARED_BASE + 0x1000);
		g_assert_cmphex(w.lvl[4].entry_addr, ==, SHARED_BASE + 0x4000 + 5 * 8);
	}
	g_assert_cmpuint(f.t.synth[HV_TDX_SHARED].tables, ==, lv);

	/* Converting to the state it is in changes nothing. */
	g_assert_cmpint(hv_tdx_convert(&f.t, priv, 0x1000, true), ==, 0);
	g_assert_cmpuint(f.t.stats.conversions, ==, 1);
	g_assert_cmpuint(f.flushes.n, ==, 1);

	/* MapGPA back to private. */
	g_assert_cmpint(hv_tdx_convert(&f.t, priv, 0x1000, false), ==, 0);
	g_assert_false(hv_tdx_is_shared(&f.t, 5));
	g_assert_cmpuint(f.t.stats.conversions, ==, 2);
	g_assert_cmpuint(f.t.stats.zapped, ==, 2);
	g_assert_cmpuint(f.flushes.n, ==, 2);
	g_assert_cmphex(f.flushes.gpa[1], ==, shared);
	assert_violates(&f, shared, 1, lv);
	assert_maps(&f, priv, hpa, lv);
	/* The secure tables were kept: no new table for the re-map. */
	g_assert_cmpuint(f.t.synth[HV_TDX_SECURE].tables, ==, lv);
	g_assert_cmpuint(f.t.stats.maps, ==, 3);
	g_assert_cmpuint(f.t.stats.cycles, ==, 2 * (HV_TDX_COST_CONVERT + HV_TDX_COST_FLUSH));
	/* Both roots are table objects: the secure one (and its tables) is
	 * the mirror, keyed apart from the shared one; counts and links are
	 * sound. */
	for (unsigned r = 0; r < HV_TDX_ROOTS; r++) {
		const struct hv_table *root = f.t.root[r];

		g_assert_nonnull(root);
		g_assert_cmphex(root->hpa, ==, r == HV_TDX_SECURE ? SECURE_BASE : SHARED_BASE);
		g_assert_cmpuint(root->key.role.level, ==, lv);
		g_assert_cmpuint(root->key.role.direct, ==, 1);
		g_assert_cmpuint(root->key.role.ad_disabled, ==, 1);
		g_assert_cmpuint(root->key.role.mirror, ==, r == HV_TDX_SECURE);
		g_assert_cmpuint(f.t.tables[r].st.live, ==, f.t.synth[r].tables);
		g_assert_cmpuint(hv_tables_audit(&f.t.tables[r], NULL), ==, 0);
	}
	g_assert_cmpuint(hv_table_at(&f.t.tables[HV_TDX_SECURE],
				     SECURE_BASE + (lv - 1) * 0x1000)->key.role.mirror, ==, 1);
	teardown(&f);
}

/* Ranges, the GHCI form and the errors. */
static void test_convert_ranges(gconstpointer data)
{
	unsigned gpaw = GPOINTER_TO_UINT(data);
	unsigned lv = gpaw == 48 ? 4 : 5;
	uint64_t bit = gpaw == 48 ? BIT47 : BIT51;
	struct fixture f;

	setup(&f, gpaw);
	for (uint64_t g = 0x10; g < 0x14; g++)
		g_assert_cmpint(hv_tdx_map(&f.t, g), ==, 0);
	g_assert_cmpint(hv_tdx_map(&f.t, SLOT_PAGES), ==, -ERANGE);

	/* GHCI MapGPA: the shared bit in the address says "to shared".
	 * GFNs 0x10..0x13 were mapped (zapped and flushed); 0x14..0x17 were
	 * not (no leaf, no flush). */
	g_assert_cmpint(hv_tdx_map_gpa(&f.t, 0x10000 | bit, 0x8000), ==, 0);
	g_assert_cmpuint(f.t.stats.conversions, ==, 8);
	g_assert_cmpuint(f.t.stats.zapped, ==, 4);
	g_assert_cmpuint(f.flushes.n, ==, 4);
	for (unsigned i = 0; i < 4; i++)
		g_assert_cmphex(f.flushes.gpa[i], ==, 0x10000 + i * 0x1000);
	for (uint64_t g = 0x10; g < 0x18; g++) {
		g_assert_true(hv_tdx_is_shared(&f.t, g));
		assert_maps(&f, (g << 12) | bit, SLOT_BASE + (g << 12), lv);
		assert_violates(&f, g << 12, 1, lv);
	}
	g_assert_false(hv_tdx_is_shared(&f.t, 0x18));
	/* Back to private for half of them, GHCI form without the bit. */
	g_assert_cmpint(hv_tdx_map_gpa(&f.t, 0x14000, 0x4000), ==, 0);
	g_assert_cmpuint(f.flushes.n, ==, 8);
	g_assert_cmphex(f.flushes.gpa[4], ==, 0x14000 | bit);
	for (uint64_t g = 0x14; g < 0x18; g++) {
		g_assert_false(hv_tdx_is_shared(&f.t, g));
		assert_maps(&f, g << 12, SLOT_BASE + (g << 12), lv);
		assert_violates(&f, (g << 12) | bit, 1, lv);
	}

	/* Errors change nothing. */
	struct hv_tdx_stats before = f.t.stats;
	g_assert_cmpint(hv_tdx_convert(&f.t, 0x5001, 0x1000, true), ==, -EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, 0x5000, 0x800, true), ==, -EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, 0x5000, 0, true), ==, -EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, 0x5000 | bit, 0x1000, true), ==, -EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, bit << 1, 0x1000, true), ==, -EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, UINT64_MAX & ~UINT64_C(0xfff), 0x2000, true), ==,
			-EINVAL);
	g_assert_cmpint(hv_tdx_convert(&f.t, SLOT_PAGES << 12, 0x1000, true), ==, -ERANGE);
	/* Straddles the slot's end: checked whole, GFN 0xff stays private. */
	g_assert_cmpint(hv_tdx_convert(&f.t, 0xff000, 0x2000, true), ==, -ERANGE);
	g_assert_false(hv_tdx_is_shared(&f.t, 0xff));
	if (gpaw == 52) /* bit 47 is an address bit here, far outside the slot */
		g_assert_cmpint(hv_tdx_convert(&f.t, BIT47, 0x1000, true), ==, -ERANGE);
	g_assert_cmpmem(&before, sizeof(before), &f.t.stats, sizeof(f.t.stats));
	teardown(&f);
}

/* A GPA above GPAW has no root: the 2D walk refuses it. */
static void test_above_gpaw(void)
{
	struct fixture f;
	uint64_t walk_gpa = 0;

	setup(&f, 48);
	g_assert_null(f.h.select(f.h.opaque, BIT47 << 1, &walk_gpa));
	g_assert_null(f.h.select(f.h.opaque, BIT51 | 0x5000, &walk_gpa));
	g_assert_true(f.h.select(f.h.opaque, BIT47 | 0x5000, &walk_gpa) ==
		      &f.t.ept[HV_TDX_SHARED]);
	g_assert_true(f.h.select(f.h.opaque, 0x5000, &walk_gpa) == &f.t.ept[HV_TDX_SECURE]);
	teardown(&f);
	setup(&f, 52);
	g_assert_null(f.h.select(f.h.opaque, BIT51 << 1, &walk_gpa));
	g_assert_true(f.h.select(f.h.opaque, BIT47 | 0x5000, &walk_gpa) ==
		      &f.t.ept[HV_TDX_SECURE]);
	teardown(&f);
}

/*
 * A 4-level guest whose tables live in the slot (guest-physical view: GPA g
 * is host RAM SLOT_BASE + g). Guest tables at GFNs 1..4 (PML4, PDPT, PD,
 * PT); VA 0x400000 -> GPA 0x50000; VA 0x401000 -> shared alias of GFN 0x51.
 */
struct guest {
	struct cpu_ram view;
	struct pg_synth s;
	struct pg_mmu m;
	struct pg_regs r;
};

static void guest_setup(struct fixture *f, struct guest *g)
{
	uint64_t bit = f->t.shared_mask;
	struct pg_cpu cpu;
	const char *why = NULL;

	g->view = (struct cpu_ram){ .base = f->ram.base + SLOT_BASE, .size = SLOT_PAGES << 12 };
	g_assert_cmpint(pg_synth_init(&g->s, &g->view, &pg_fmt_4level, 0x1000), ==, 0);
	g_assert_cmpint(pg_synth_map(&g->s, 0x400000, 0x50000, 4096, PTE_P | PTE_RW, PTE_P | PTE_RW),
			==, 0);
	g_assert_cmpint(pg_synth_map(&g->s, 0x401000, 0x51000 | bit, 4096, PTE_P | PTE_RW,
				     PTE_P | PTE_RW),
			==, 0);
	g_assert_cmpuint(g->s.tables, ==, 4);
	for (uint64_t gfn = 1; gfn <= 4; gfn++)
		g_assert_cmpint(hv_tdx_map(&f->t, gfn), ==, 0);
	g_assert_cmpint(hv_tdx_map(&f->t, 0x50), ==, 0);
	g_assert_cmpint(hv_tdx_map(&f->t, 0x51), ==, 0);

	pg_cpu_all(&cpu);
	cpu.maxphyaddr = f->t.gpaw; /* a TD's MAXPHYADDR is its GPAW */
	g->r = (struct pg_regs){
		.cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000, .cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA | EFER_NXE,
	};
	g_assert_cmpint(pg_mmu_init(&g->m, &g->r, &cpu, &why), ==, 0);
}

static void set_cr3(struct fixture *f, struct guest *g, uint64_t cr3)
{
	struct pg_cpu cpu;
	const char *why = NULL;

	pg_cpu_all(&cpu);
	cpu.maxphyaddr = f->t.gpaw;
	g->r.cr3 = cr3;
	g_assert_cmpint(pg_mmu_init(&g->m, &g->r, &cpu, &why), ==, 0);
}

static void walk2d(struct fixture *f, struct guest *g, uint64_t va, struct pg_ref_log *log,
		   struct pg_walk2d *r)
{
	struct pg_nested n = { .host = &f->h, .log = log };
	struct pg_req rq = { .va = va, .access = PG_ACC_READ };

	if (log)
		memset(log, 0, sizeof(*log));
	g_assert_cmpint(pg_walk2d(&n, &g->m, &rq, r), ==, 0);
}

static void test_guest(gconstpointer data)
{
	unsigned gpaw = GPOINTER_TO_UINT(data);
	unsigned lv = gpaw == 48 ? 4 : 5;
	struct fixture f;
	struct guest g;
	struct pg_walk2d r;
	struct pg_ref_log *log = g_new0(struct pg_ref_log, 1);
	uint64_t bit;

	setup(&f, gpaw);
	bit = f.t.shared_mask;
	guest_setup(&f, &g);

	/* All private: (4 + 1)(lv + 1) - 1 reads. */
	walk2d(&f, &g, 0x400000, log, &r);
	g_assert_cmpuint(r.fault.vector, ==, 0);
	g_assert_cmphex(r.guest.pa, ==, 0x50000);
	g_assert_cmphex(r.hpa, ==, SLOT_BASE + 0x50000);
	g_assert_cmpuint(r.refs, ==, 5 * (lv + 1) - 1);

	/* The final GPA through the shared alias of a private GFN. */
	walk2d(&f, &g, 0x401000, NULL, &r);
	g_assert_cmpuint(r.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(r.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(r.fault.stage, ==, PG_STAGE_HOST_FINAL);
	g_assert_cmphex(r.fault.gpa, ==, 0x51000 | bit);
	g_assert_cmphex(r.fault.gla, ==, 0x401000);
	g_assert_cmpuint(r.fault.level, ==, lv); /* the shared root is empty */
	/* The guest's MapGPA for it; the private leaf goes, one flush. */
	g_assert_cmpint(hv_tdx_map_gpa(&f.t, 0x51000 | bit, 0x1000), ==, 0);
	g_assert_cmpuint(f.flushes.n, ==, 1);
	g_assert_cmphex(f.flushes.gpa[0], ==, 0x51000);
	walk2d(&f, &g, 0x401000, NULL, &r);
	g_assert_cmpuint(r.fault.vector, ==, 0);
	g_assert_cmphex(r.guest.pa, ==, 0x51000 | bit);
	g_assert_cmphex(r.hpa, ==, SLOT_BASE + 0x51000);

	/* The guest PT (GFN 4) becomes shared; the PD still names its
	 * private alias, which now violates on the table access. */
	g_assert_cmpint(hv_tdx_convert(&f.t, 0x4000, 0x1000, true), ==, 0);
	walk2d(&f, &g, 0x400000, NULL, &r);
	g_assert_cmpuint(r.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(r.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(r.fault.stage, ==, PG_STAGE_HOST_TABLE);
	g_assert_cmphex(r.fault.gpa, ==, 0x4000);
	g_assert_cmpuint(r.fault.level, ==, 1);
	g_assert_cmphex(r.fault.host_info & (EPTQ_GLA_VALID | EPTQ_GLA_FINAL), ==,
			EPTQ_GLA_VALID);
	/* The guest points its PDE at the shared alias (PD index 2). */
	uint64_t pde = 0;
	g_assert_cmpint(cpu_ram_read_le(&g.view, 0x3000 + 2 * 8, 8, &pde), ==, 0);
	g_assert_cmphex(pde & ~UINT64_C(0xfff), ==, 0x4000);
	g_assert_cmpint(cpu_ram_write_le(&g.view, 0x3000 + 2 * 8, 8, pde | bit), ==, 0);
	walk2d(&f, &g, 0x400000, log, &r);
	g_assert_cmpuint(r.fault.vector, ==, 0);
	g_assert_cmphex(r.hpa, ==, SLOT_BASE + 0x50000);
	g_assert_cmpuint(r.refs, ==, 5 * (lv + 1) - 1);
	/* The PTE read went through the shared alias to the same slot page. */
	bool seen = false;
	for (unsigned i = 0; i < log->n; i++) {
		const struct pg_ref_rec *e = &log->rec[i];

		if (e->dim == PG_DIM_GUEST && e->glevel == 1) {
			g_assert_cmphex(e->gpa, ==, 0x4000 | bit);
			g_assert_cmphex(e->addr, ==, SLOT_BASE + 0x4000);
			seen = true;
		}
		if (e->dim == PG_DIM_HOST && e->glevel == 1)
			g_assert_cmphex(e->gpa, ==, 0x4000 | bit);
	}
	g_assert_true(seen);

	/* CR3 through the wrong alias: GFN 1 is private. The shared root has
	 * tables down to the PT from GFN 4's mapping; PT entry 1 is empty. */
	set_cr3(&f, &g, 0x1000 | bit);
	walk2d(&f, &g, 0x400000, NULL, &r);
	g_assert_cmpuint(r.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(r.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(r.fault.stage, ==, PG_STAGE_HOST_TABLE);
	g_assert_cmphex(r.fault.gpa, ==, 0x1000 | bit);
	g_assert_cmpuint(r.fault.level, ==, 1);
	g_assert_cmpuint(r.refs, ==, lv);
	/* Through the right alias it walks. */
	set_cr3(&f, &g, 0x1000);
	walk2d(&f, &g, 0x400000, NULL, &r);
	g_assert_cmpuint(r.fault.vector, ==, 0);

	g_free(log);
	teardown(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tdx/init", test_init);
	g_test_add_func("/tdx/gfn", test_gfn);
	g_test_add_data_func("/tdx/aliases/gpaw48", GUINT_TO_POINTER(48), test_aliases);
	g_test_add_data_func("/tdx/aliases/gpaw52", GUINT_TO_POINTER(52), test_aliases);
	g_test_add_data_func("/tdx/convert-ranges/gpaw48", GUINT_TO_POINTER(48),
			     test_convert_ranges);
	g_test_add_data_func("/tdx/convert-ranges/gpaw52", GUINT_TO_POINTER(52),
			     test_convert_ranges);
	g_test_add_func("/tdx/above-gpaw", test_above_gpaw);
	g_test_add_data_func("/tdx/guest/gpaw48", GUINT_TO_POINTER(48), test_guest);
	g_test_add_data_func("/tdx/guest/gpaw52", GUINT_TO_POINTER(52), test_guest);
	return g_test_run();
}
