/*
 * Unit tests of the synthetic page-table builder (src/paging/synth.c).
 *
 * Entry values and addresses are computed by hand from the manuals' layouts
 * (SDM Vol. 3A 4.3-4.5), not by the builder; every layout is then walked by
 * the engine's walker as a cross-check.
 */
#include <errno.h>
#include <glib.h>

#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/synth.h"
#include "paging/walk.h"

#define BASE UINT64_C(0x10000)
#define PRW  (PTE_P | PTE_RW)
#define PRWU (PTE_P | PTE_RW | PTE_US)

struct fixture {
	struct cpu_ram ram;
	struct pg_synth s;
};

static void setup(struct fixture *f, const struct pg_format *fmt, uint64_t ram_size)
{
	g_assert_cmpint(cpu_ram_init(&f->ram, ram_size), ==, 0);
	g_assert_cmpint(pg_synth_init(&f->s, &f->ram, fmt, BASE), ==, 0);
	g_assert_cmphex(f->s.root, ==, BASE);
	g_assert_cmpuint(f->s.tables, ==, 1);
}

static uint64_t rd(struct fixture *f, uint64_t addr)
{
	uint64_t v = 0;

	g_assert_cmpint(cpu_ram_read_le(&f->ram, addr, f->s.fmt->entry_bytes, &v), ==, 0);
	return v;
}

/* Walk @va through the layout with the engine and return the result. */
static void walk(struct fixture *f, uint64_t va, struct pg_walk *w)
{
	const struct pg_format *fmt = f->s.fmt;
	struct pg_regs r = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = f->s.root };
	struct pg_accessor acc;
	struct pg_cpu cpu;
	struct pg_mmu m;
	struct pg_fault pf;
	const char *why = NULL;
	struct pg_req rq = { .va = va, .access = PG_ACC_READ };

	pg_cpu_all(&cpu);
	cpu.maxphyaddr = 52;
	if (fmt->mode == PG_MODE_2LEVEL)
		r.cr4 = CR4_PSE;
	if (fmt->mode >= PG_MODE_PAE) {
		r.cr4 |= CR4_PAE;
		r.efer |= EFER_NXE;
	}
	if (fmt->mode >= PG_MODE_4LEVEL)
		r.efer |= EFER_LME | EFER_LMA;
	if (fmt->mode == PG_MODE_5LEVEL)
		r.cr4 |= CR4_LA57;
	g_assert_cmpint(pg_mmu_init(&m, &r, &cpu, &why), ==, 0);
	g_assert_true(m.fmt == fmt);
	pg_ram_accessor(&acc, &f->ram);
	if (fmt->top_in_regs) {
		g_assert_cmpint(pg_pae_load_pdptes(&m, &acc, &pf, NULL), ==, 0);
		g_assert_cmpuint(pf.vector, ==, 0);
	}
	g_assert_cmpint(pg_walk(&m, &acc, &rq, w), ==, 0);
}

static void teardown(struct fixture *f)
{
	cpu_ram_free(&f->ram);
}

static void test_leaf_level(void)
{
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_2level, 4096), ==, 1);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_2level, 4 << 20), ==, 2);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_2level, 2 << 20), ==, 0);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_pae, 2 << 20), ==, 2);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_pae, 1 << 30), ==, 0);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_4level, 1 << 30), ==, 3);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_4level, UINT64_C(1) << 39), ==, 0);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_5level, UINT64_C(1) << 48), ==, 0);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_5level, 8192), ==, 0);
	g_assert_cmpuint(pg_synth_leaf_level(&pg_fmt_nopaging, 4096), ==, 0);
}

/* 32-bit paging, 4 KiB: PDE 0x301 and PTE 3 of 0xc0403000 (SDM Table 4-6). */
static void test_2level_4k(void)
{
	struct fixture f;
	struct pg_walk w;

	setup(&f, &pg_fmt_2level, 0x100000);
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0403000, 0x12345000, 4096, PRW, PRWU), ==, 0);
	g_assert_cmphex(rd(&f, 0x10c04), ==, 0x11007);
	g_assert_cmphex(rd(&f, 0x1100c), ==, 0x12345003);
	g_assert_cmpuint(f.s.tables, ==, 2);
	g_assert_cmphex(f.s.next, ==, 0x12000);
	/* The neighbour page shares the page table. */
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0404000, 0x12346000, 4096, PRW, PRWU), ==, 0);
	g_assert_cmphex(rd(&f, 0x11010), ==, 0x12346003);
	g_assert_cmpuint(f.s.tables, ==, 2);
	/* Remapping overwrites the leaf. */
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0404000, 0x777000, 4096, PTE_P, PRWU), ==, 0);
	g_assert_cmphex(rd(&f, 0x11010), ==, 0x777001);

	walk(&f, 0xc0403abc, &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, 0x12345abc);
	g_assert_cmpuint(w.refs, ==, 2);

	/* 32-bit entries: no PA above 4 GiB in a PTE, no bits above 31. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x1000, UINT64_C(0x100000000), 4096, PRW, PRWU), ==,
			-EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x1000, 0x1000, 4096, PRW | PTE_XD, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x100000000), 0x1000, 4096, PRW, PRWU), ==,
			-EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x1000, 0x1000, 2 << 20, PRW, PRWU), ==, -EINVAL);
	teardown(&f);
}

/* 32-bit paging, 4 MiB with PSE-36 (SDM Table 4-5): physical bits 39:32 go
 * to entry bits 20:13. 0x1234c00000: bits 31:22 = 0x34c00000, 39:32 = 0x12. */
static void test_2level_4m_pse36(void)
{
	struct fixture f;
	struct pg_walk w;

	setup(&f, &pg_fmt_2level, 0x100000);
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0400000, UINT64_C(0x1234c00000), 4 << 20, PRW, PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x10c04), ==, 0x34c00000 | (0x12 << 13) | PTE_PS | PRW);
	g_assert_cmphex(rd(&f, 0x10c04), ==, 0x34c24083);
	g_assert_cmpuint(f.s.tables, ==, 1);

	walk(&f, 0xc0403abc, &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, UINT64_C(0x1234c03abc));
	g_assert_cmpuint(w.page_size, ==, 4 << 20);
	g_assert_cmpuint(w.refs, ==, 1);

	/* PSE-36 holds 8 bits: 40-bit physical addresses at most. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, UINT64_C(0x10000000000), 4 << 20, PRW, PRWU),
			==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, 0x401000, 4 << 20, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x401000, 0x400000, 4 << 20, PRW, PRWU), ==, -EINVAL);
	/* A flag in the PSE-36 field is an address bit, not a flag. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, 0x400000, 4 << 20, PRW | BIT64(13), PRWU), ==,
			-EINVAL);
	/* ...but bit 12, PAT, is a flag of a large leaf. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, 0x400000, 4 << 20, PRW | PTE_PAT_LARGE, PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x10004), ==, 0x401083);
	teardown(&f);
}

/* PAE (SDM 4.4): PDPTE 3, PDE 2, PTE 3 of 0xc0403000. PDPTEs get P only. */
static void test_pae(void)
{
	struct fixture f;
	struct pg_walk w;

	setup(&f, &pg_fmt_pae, 0x100000);
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0403000, UINT64_C(0x123456000), 4096,
				     PTE_XD | PRW, PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x10018), ==, 0x11001);
	g_assert_cmphex(rd(&f, 0x11010), ==, 0x12007);
	g_assert_cmphex(rd(&f, 0x12018), ==, UINT64_C(0x8000000123456003));
	g_assert_cmpuint(f.s.tables, ==, 3);

	/* 2 MiB in the next PDE: PDE 3 of 0xc0600000. */
	g_assert_cmpint(pg_synth_map(&f.s, 0xc0600000, 0x40000000, 2 << 20, PRW, PRWU), ==, 0);
	g_assert_cmphex(rd(&f, 0x11018), ==, 0x40000083);
	g_assert_cmpuint(f.s.tables, ==, 3);

	walk(&f, 0xc0403abc, &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, UINT64_C(0x123456abc));
	g_assert_cmpuint(w.refs, ==, 2);
	walk(&f, 0xc0654321, &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, 0x40054321);
	g_assert_cmpuint(w.refs, ==, 1);

	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 1 << 30, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 4 << 20, PRW, PRWU), ==, -EINVAL);
	teardown(&f);
}

/* 4-level (SDM 4.5): indices 254, 72, 418, 359 of 0x7f1234567000. */
static void test_4level(void)
{
	struct fixture f;
	struct pg_walk w;
	const uint64_t leaf = PTE_XD | (UINT64_C(3) << PTE_PK_SHIFT) | PTE_G | PRWU;

	setup(&f, &pg_fmt_4level, 0x100000);
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x7f1234567000), UINT64_C(0xabcdef000), 4096,
				     leaf, PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x107f0), ==, 0x11007);
	g_assert_cmphex(rd(&f, 0x11240), ==, 0x12007);
	g_assert_cmphex(rd(&f, 0x12d10), ==, 0x13007);
	g_assert_cmphex(rd(&f, 0x13b38), ==, UINT64_C(0x9800000abcdef107));
	g_assert_cmpuint(f.s.tables, ==, 4);

	/* 1 GiB at PDPTE 73 (0x7f1240000000), 2 MiB at PDE 419. */
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x7f1240000000), 0x80000000, 1 << 30, PRW,
				     PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x11248), ==, 0x80000083);
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x7f1234600000), 0x40000000, 2 << 20, PRW,
				     PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x12d18), ==, 0x40000083);
	g_assert_cmpuint(f.s.tables, ==, 4);

	walk(&f, UINT64_C(0x7f1234567abc), &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, UINT64_C(0xabcdefabc));
	g_assert_cmpuint(w.refs, ==, 4);
	g_assert_cmpuint(w.pkey, ==, 3);
	walk(&f, UINT64_C(0x7f1240001234), &w);
	g_assert_cmphex(w.pa, ==, UINT64_C(0x80001234));
	g_assert_cmpuint(w.refs, ==, 2);
	walk(&f, UINT64_C(0x7f1234654321), &w);
	g_assert_cmphex(w.pa, ==, UINT64_C(0x40054321));
	g_assert_cmpuint(w.refs, ==, 3);

	/* The upper half: PML4 index 256. */
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0xffff800000000000), 0x5000, 4096, PRW, PRW),
			==, 0);
	g_assert_cmphex(rd(&f, 0x10800), ==, 0x14003);
	walk(&f, UINT64_C(0xffff800000000010), &w);
	g_assert_cmphex(w.pa, ==, 0x5010);

	/* Non-canonical, misaligned, no such size, PA beyond 52 bits. */
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x800000000000), 0, 4096, PRW, PRWU), ==,
			-EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x1800, 0, 4096, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0x200000, 0x1000, 2 << 20, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 4 << 20, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 8192, PRW, PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, UINT64_C(1) << 52, 4096, PRW, PRWU), ==, -EINVAL);
	/* Flags over the address field, PS in a table entry. */
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 4096, PRW | BIT64(12), PRWU), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 4096, PRW, PRWU | PTE_PS), ==, -EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, 0, 0, 4096, PRW, PRWU | BIT64(40)), ==, -EINVAL);
	g_assert_cmpuint(f.s.tables, ==, 7); /* the failed calls allocated nothing */
	teardown(&f);
}

/* 5-level: indices 171, 254, 72, 418, 359 of 0xab7f1234567000. */
static void test_5level(void)
{
	struct fixture f;
	struct pg_walk w;

	setup(&f, &pg_fmt_5level, 0x100000);
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0xab7f1234567000), 0x42000, 4096, PRW, PRWU),
			==, 0);
	g_assert_cmphex(rd(&f, 0x10558), ==, 0x11007);
	g_assert_cmphex(rd(&f, 0x117f0), ==, 0x12007);
	g_assert_cmphex(rd(&f, 0x12240), ==, 0x13007);
	g_assert_cmphex(rd(&f, 0x13d10), ==, 0x14007);
	g_assert_cmphex(rd(&f, 0x14b38), ==, 0x42003);
	walk(&f, UINT64_C(0xab7f1234567abc), &w);
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, 0x42abc);
	g_assert_cmpuint(w.refs, ==, 5);
	/* Bit 56 set without sign extension: non-canonical for 57 bits. */
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0x100000000000000), 0, 4096, PRW, PRWU), ==,
			-EINVAL);
	g_assert_cmpint(pg_synth_map(&f.s, UINT64_C(0xff00000000000000), 0, 4096, PRW, PRWU), ==,
			0);
	teardown(&f);
}

static void test_conflicts(void)
{
	struct fixture f;

	setup(&f, &pg_fmt_4level, 0x100000);
	/* A 4 KiB page inside a 2 MiB one, and a 2 MiB page over a table. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x200000, 0x200000, 2 << 20, PRW, PRWU), ==, 0);
	g_assert_cmpint(pg_synth_map(&f.s, 0x201000, 0x1000, 4096, PRW, PRWU), ==, -EEXIST);
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, 0x1000, 4096, PRW, PRWU), ==, 0);
	g_assert_cmpint(pg_synth_map(&f.s, 0x400000, 0x400000, 2 << 20, PRW, PRWU), ==, -EEXIST);
	/* A 2 MiB page may replace a 2 MiB page. */
	g_assert_cmpint(pg_synth_map(&f.s, 0x200000, 0x600000, 2 << 20, PRW, PRWU), ==, 0);
	g_assert_cmphex(rd(&f, 0x12008), ==, 0x600083);
	teardown(&f);
}

static void test_init_errors(void)
{
	struct cpu_ram ram;
	struct pg_synth s;

	g_assert_cmpint(cpu_ram_init(&ram, 0x12000), ==, 0);
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_4level, 0x10800), ==, -EINVAL);
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_4level, 0x12000), ==, -ENOSPC);
	/* 32-bit CR3: the root must sit below 4 GiB. */
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_2level, UINT64_C(0x100000000)), ==,
			-EINVAL);
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_pae, UINT64_C(0x100000000)), ==, -EINVAL);

	/* Room for the root and one table: the third level runs out. */
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_4level, 0x10000), ==, 0);
	g_assert_cmpint(pg_synth_map(&s, 0, 0, 4096, PRW, PRWU), ==, -ENOSPC);
	g_assert_cmpuint(s.tables, ==, 2);

	/* No paging: no tables, nothing to map. */
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_nopaging, 0x10000), ==, 0);
	g_assert_cmphex(s.root, ==, 0);
	g_assert_cmpuint(s.tables, ==, 0);
	g_assert_cmpint(pg_synth_map(&s, 0, 0, 4096, PRW, PRWU), ==, -EINVAL);
	cpu_ram_free(&ram);
}

/* Many pages, in an order that defeats and then uses the path cache; the
 * engine must find every one. 2^18 pages of 4 KiB from a 1 GiB boundary fill
 * exactly one PD: root + PDPT + PD + 512 PTs. */
static void test_bulk(void)
{
	const uint64_t va0 = UINT64_C(0x7f0000000000), n = UINT64_C(1) << 18;
	struct fixture f;
	struct pg_walk w;

	setup(&f, &pg_fmt_4level, 4 << 20);
	for (uint64_t i = 0; i < n; i++)
		g_assert_cmpint(pg_synth_map(&f.s, va0 + i * 4096, UINT64_C(0x100000000) + i * 4096,
					     4096, PRW, PRWU),
				==, 0);
	g_assert_cmpuint(f.s.tables, ==, 3 + 512);
	/* Alternate between two far-apart regions. */
	for (uint64_t i = 0; i < 64; i++) {
		uint64_t va = (i & 1) ? UINT64_C(0xffffff8000000000) + i * 4096 : i * 4096;
		g_assert_cmpint(pg_synth_map(&f.s, va, i * 4096, 4096, PRW, PRWU), ==, 0);
	}
	for (uint64_t i = 0; i < n; i += 4099) {
		walk(&f, va0 + i * 4096 + 0x123, &w);
		g_assert_cmpuint(w.fault.vector, ==, 0);
		g_assert_cmphex(w.pa, ==, UINT64_C(0x100000000) + i * 4096 + 0x123);
	}
	for (uint64_t i = 0; i < 64; i++) {
		uint64_t va = (i & 1) ? UINT64_C(0xffffff8000000000) + i * 4096 : i * 4096;
		walk(&f, va, &w);
		g_assert_cmpuint(w.fault.vector, ==, 0);
		g_assert_cmphex(w.pa, ==, i * 4096);
	}
	/* After editing the tables behind the builder's back. */
	g_assert_cmpint(cpu_ram_write_le(&f.ram, BASE, 8, 0), ==, 0);
	pg_synth_forget_path(&f.s);
	g_assert_cmpint(pg_synth_map(&f.s, 0x5000, 0x9000, 4096, PRW, PRWU), ==, 0);
	walk(&f, 0x5000, &w);
	g_assert_cmphex(w.pa, ==, 0x9000);
	teardown(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/synth/leaf-level", test_leaf_level);
	g_test_add_func("/synth/2level-4k", test_2level_4k);
	g_test_add_func("/synth/2level-4m-pse36", test_2level_4m_pse36);
	g_test_add_func("/synth/pae", test_pae);
	g_test_add_func("/synth/4level", test_4level);
	g_test_add_func("/synth/5level", test_5level);
	g_test_add_func("/synth/conflicts", test_conflicts);
	g_test_add_func("/synth/init-errors", test_init_errors);
	g_test_add_func("/synth/bulk", test_bulk);
	return g_test_run();
}
