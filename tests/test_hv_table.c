/*
 * Unit tests of the hypervisor's table objects and iterator
 * (src/hv/table.c), on 4-level EPT tables built by hand:
 *
 *   host RAM 1 MiB, tables at 0x10000..0x20000 (16 pages), allocated in
 *   order from 0x10000 while nothing is freed.
 *   root (PML4) 0x10000; PDPT 0x11000; PD 0x12000 (GPA 0..1 GiB);
 *   PT 0x13000 (0..2 MiB); PD 0x14000 (1..2 GiB); PT 0x15000 (1 GiB + 2 MiB).
 *   Leaves: GPA 0x1000 and 0x40201000 (RWX, WB: 0x37).
 *
 * Expected visit orders and counts follow from that layout and the EPT
 * index split (SDM Vol. 3C 29.3.2: 47:39, 38:30, 29:21, 20:12).
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "ept/ept.h"
#include "hv/table.h"
#include "paging/bits.h"

#define TBASE UINT64_C(0x10000)
#define LEAF  UINT64_C(0x37)

struct fx {
	struct cpu_ram ram;
	struct hv_tables ts;
	struct hv_table *root;
};

static struct hv_table *child(struct fx *f, struct hv_table *parent, uint64_t addr)
{
	union hv_role r = parent->key.role;
	struct hv_key k = { .gpa = addr, .role = r };
	struct hv_table *t;
	uint64_t e = hv_entry_addr(&f->ts, parent->hpa, r.level, addr), v = 0;

	g_assert_cmpint(hv_entry_read(&f->ts, e, &v), ==, 0);
	if (v)
		return hv_table_at(&f->ts, hv_entry_child(&f->ts, v));
	k.role.level--;
	k.gpa = addr & ~(hv_level_span(&f->ts, r.level) - 1);
	g_assert_cmpint(hv_table_alloc(&f->ts, &k, false, &t), ==, 0);
	g_assert_cmpint(hv_table_link(&f->ts, e, t, EPTE_RWX), ==, 0);
	return t;
}

static void map(struct fx *f, uint64_t gpa)
{
	struct hv_table *t = f->root;

	while (t->key.role.level > 1)
		t = child(f, t, gpa);
	g_assert_cmpint(hv_entry_write(&f->ts, hv_entry_addr(&f->ts, t->hpa, 1, gpa), gpa | LEAF),
			==, 0);
}

static void setup(struct fx *f)
{
	struct hv_key k = { .gpa = 0 };

	g_assert_cmpint(cpu_ram_init(&f->ram, 1u << 20), ==, 0);
	g_assert_cmpint(hv_tables_init(&f->ts, &f->ram, &ept_fmt4, TBASE, 16 * 4096), ==, 0);
	k.role.level = 4;
	k.role.direct = 1;
	k.role.access = HV_ACC_ALL;
	g_assert_cmpint(hv_table_alloc(&f->ts, &k, true, &f->root), ==, 0);
	hv_table_pin(f->root);
	map(f, 0x1000);
	map(f, UINT64_C(0x40201000));
}

static void teardown(struct fx *f)
{
	hv_tables_destroy(&f->ts);
	cpu_ram_free(&f->ram);
}

static void test_layout(void)
{
	struct fx f;

	setup(&f);
	g_assert_cmphex(f.root->hpa, ==, TBASE);
	g_assert_cmpuint(f.ts.st.allocated, ==, 6);
	g_assert_cmpuint(f.ts.st.live, ==, 6);
	g_assert_cmpuint(f.ts.st.peak, ==, 6);
	g_assert_true(hv_table_find(&f.ts, &f.root->key) == f.root);
	g_assert_true(hv_table_at(&f.ts, 0x15008) == hv_table_at(&f.ts, 0x15000));
	g_assert_cmphex(hv_table_at(&f.ts, 0x15000)->key.gpa, ==, 0x40200000);
	g_assert_cmpuint(hv_table_at(&f.ts, 0x15000)->key.role.level, ==, 1);
	g_assert_cmpuint(hv_tables_audit(&f.ts, NULL), ==, 0);
	teardown(&f);
}

static void test_iter_order(void)
{
	static const struct { unsigned level; uint64_t addr, entry_hpa; } want[] = {
		{ 4, 0, TBASE },
		{ 3, 0, 0x11000 },
		{ 2, 0, 0x12000 },
		{ 1, 0x1000, 0x13008 },
		{ 3, 0x40000000, 0x11008 },
		{ 2, 0x40200000, 0x14008 },
		{ 1, 0x40201000, 0x15008 },
	};
	struct fx f;
	struct hv_iter it;
	unsigned n = 0, all = 0;

	setup(&f);
	hv_for_each_entry(it, &f.ts, f.root, 1, 0, UINT64_MAX) {
		all++;
		if (!hv_entry_present(&f.ts, it.old))
			continue;
		g_assert_cmpuint(n, <, G_N_ELEMENTS(want));
		g_assert_cmpuint(it.level, ==, want[n].level);
		g_assert_cmphex(it.addr, ==, want[n].addr);
		g_assert_cmphex(it.entry_hpa, ==, want[n].entry_hpa);
		n++;
	}
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(want));
	/* Every entry of the 6 tables is visited once. */
	g_assert_cmpuint(all, ==, 6 * 512);

	/* A range that starts inside the second PT: only its leaf and the
	 * entries after it, no step back into earlier tables. */
	n = 0;
	hv_for_each_entry(it, &f.ts, f.root, 1, UINT64_C(0x40201000), UINT64_C(0x40202000))
		if (hv_entry_present(&f.ts, it.old) && it.level == 1)
			n++;
	g_assert_cmpuint(n, ==, 1);
	/* min_level 3 never goes below the PDPT. */
	hv_for_each_entry(it, &f.ts, f.root, 3, 0, UINT64_MAX)
		g_assert_cmpuint(it.level, >=, 3);
	teardown(&f);
}

static void test_zap_range(void)
{
	struct fx f;
	struct hv_table *t;
	struct hv_key k = { .gpa = 0x1234000 };

	setup(&f);
	/* The second gigabyte: the leaf, and its PD and PT go. */
	g_assert_cmpint(hv_zap_range(&f.ts, f.root, UINT64_C(0x40000000), UINT64_C(0x80000000)),
			==, 1);
	g_assert_cmpuint(f.ts.st.freed, ==, 2);
	g_assert_cmpuint(f.ts.st.live, ==, 4);
	g_assert_null(hv_table_at(&f.ts, 0x14000));
	g_assert_null(hv_table_at(&f.ts, 0x15000));
	g_assert_cmpuint(hv_tables_audit(&f.ts, NULL), ==, 0);
	/* A range covering part of a PT only clears the leaf there. */
	g_assert_cmpint(hv_zap_range(&f.ts, f.root, 0, 0x2000), ==, 1);
	g_assert_cmpuint(f.ts.st.freed, ==, 2);
	/* Freed pages are reused, the last freed first: the PD at 0x14000
	 * was freed after its PT at 0x15000. */
	k.role.level = 1;
	g_assert_cmpint(hv_table_alloc(&f.ts, &k, false, &t), ==, 0);
	g_assert_cmphex(t->hpa, ==, 0x14000);
	g_assert_cmpuint(f.ts.st.peak, ==, 6);
	teardown(&f);
}

static void test_zap_pinned_root(void)
{
	struct fx f;
	struct hv_key k;

	setup(&f);
	k = f.root->key;
	hv_table_zap(&f.ts, f.root);
	/* The subtree is gone, the pinned root stays until unpinned, and it
	 * can no longer be found. */
	g_assert_cmpuint(f.ts.st.freed, ==, 5);
	g_assert_null(hv_table_find(&f.ts, &k));
	g_assert_nonnull(hv_table_at(&f.ts, TBASE));
	hv_table_unpin(&f.ts, f.root);
	g_assert_null(hv_table_at(&f.ts, TBASE));
	g_assert_cmpuint(f.ts.st.live, ==, 0);
	g_assert_cmpuint(f.ts.st.zapped, ==, 6);
	teardown(&f);
}

static void test_full_and_audit(void)
{
	struct fx f;
	struct hv_table *t;
	struct hv_key k = { .gpa = 0 };
	GString *why = g_string_new(NULL);
	int rc = 0;
	unsigned n = 0;

	setup(&f);
	k.role.level = 1;
	while ((rc = hv_table_alloc(&f.ts, &k, false, &t)) == 0)
		n++;
	g_assert_cmpint(rc, ==, -ENOSPC);
	g_assert_cmpuint(n, ==, 10);
	/* An entry written behind the API: the PT's parent count no longer
	 * matches. */
	g_assert_cmpint(hv_entry_write(&f.ts, 0x12000 + 8, 0x13000 | EPTE_RWX), ==, 0);
	g_assert_cmpuint(hv_tables_audit(&f.ts, why), ==, 1);
	g_assert_nonnull(strstr(why->str, "0x13000"));
	/* The root's key is taken. */
	g_assert_cmpint(hv_table_alloc(&f.ts, &f.root->key, true, &t), ==, -EEXIST);
	g_string_free(why, TRUE);
	teardown(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv/table/layout", test_layout);
	g_test_add_func("/hv/table/iter-order", test_iter_order);
	g_test_add_func("/hv/table/zap-range", test_zap_range);
	g_test_add_func("/hv/table/zap-pinned-root", test_zap_pinned_root);
	g_test_add_func("/hv/table/full-and-audit", test_full_and_audit);
	return g_test_run();
}
