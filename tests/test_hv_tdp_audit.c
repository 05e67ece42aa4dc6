/*
 * The TDP MMU's audit can fail (src/hv/tdp_model.c): over guest tables
 * built here and driven through the feed consumer (hv/feed.h), every
 * functional 2D translation first agrees with the engine's own walk of the
 * guest tables; an EPT leaf then made by hand to map another host page is
 * counted at the next fill, as a translation that differs.
 */
#include <string.h>

#include <glib.h>

#include "hv/feed.h"
#include "hv/tdp_model.h"
#include "paging/bits.h"
#include "paging/format.h"
#include "paging/synth.h"
#include "timing/config.h"

#define VA UINT64_C(0x400000)
#define PA UINT64_C(0x200000)
#define PA_OTHER UINT64_C(0x201000)

static void test_wrong_ept_leaf(void)
{
	char why[256] = "", *path = tm_config_find(TM_CONFIG_DEFAULT);
	struct hv_params p = { .kind = HV_TDP, .audit = true, .tdp_host = HV_HOST_EPT4,
			       .tdp_normalise = true };
	struct pg_regs regs = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr4 = CR4_PAE,
				.efer = EFER_LME | EFER_LMA | EFER_NXE };
	struct hv_feed_result r;
	struct trc_consumer k;
	struct tm_config cfg;
	struct trc_sink sink;
	struct cpu_ram ram;
	struct pg_synth s;
	struct hv_feed *f;
	struct hv_host *h;
	struct pg_walk w;
	uint64_t at, e;

	g_assert_nonnull(path);
	tm_config_defaults(&cfg);
	g_assert_cmpint(tm_config_load(&cfg, path, why, sizeof(why)), ==, 0);
	g_free(path);
	g_assert_cmpint(cpu_ram_init(&ram, 4u << 20), ==, 0);
	g_assert_cmpint(pg_synth_init(&s, &ram, &pg_fmt_4level, 1u << 20), ==, 0);
	g_assert_cmpint(pg_synth_map(&s, VA, PA, 4096, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D,
				     PTE_P | PTE_RW | PTE_US | PTE_A), ==, 0);
	regs.cr3 = s.root;
	g_assert_cmpint(hv_strategy_parse("kvm-6.1", &p.strat), ==, 0);
	tm_config_pg_cpu(&cfg, &p.cpu);
	p.cfg = &cfg;
	p.gram = &ram;
	g_assert_cmpint(hv_feed_new(&p, 1, NULL, &f), ==, 0);
	hv_feed_consumer(f, &k);
	trc_sink_init(&sink);
	g_assert_cmpint(trc_sink_add(&sink, &k), ==, 0);
	trc_start(&sink, &(struct trc_start){ .regs = regs, .cpl = 3, .code_bits = 64,
					      .ram_bytes = ram.size });
	g_assert_cmpint(hv_feed_error(f, why, sizeof(why)), ==, 0);
	g_assert_nonnull(hv_feed_tdp(f, 0));
	h = hv_tdp_host(hv_feed_tdp(f, 0));

	trc_access(&sink, VA + 8, 8, TRC_READ, 3, false);
	g_assert_cmpint(hv_feed_result(f, 0, &r), ==, 0);
	g_assert_cmpint(r.hv.audit_checks, ==, 1);
	g_assert_cmpint(r.hv.audit_mismatches, ==, 0);
	/* The four guest tables and the data page, each an EPT violation. */
	g_assert_cmpint(r.hv.exits[HV_EXIT_NPF], ==, 5);
	/* The EPT leaf of PA now maps another host page. */
	g_assert_cmpint(pg_walk(&h->mmu, &h->host.mem, &(struct pg_req){ .va = PA }, &w), ==, 0);
	g_assert_cmpint(w.fault.vector, ==, 0);
	at = w.lvl[w.nlevels - 1].entry_addr;
	g_assert_cmpint(cpu_ram_read_le(h->hram, at, 8, &e), ==, 0);
	g_assert_cmpint(cpu_ram_write_le(h->hram, at, 8, (e & ~GENMASK64(51, 12)) | PA_OTHER), ==,
			0);
	/* The guest invalidates: the next access fills again. */
	trc_event(&sink, &(struct trc_event){ .kind = TRC_EV_INVLPG, .invlpg.la = VA });
	trc_access(&sink, VA + 8, 8, TRC_READ, 3, false);
	g_assert_cmpint(hv_feed_result(f, 0, &r), ==, 0);
	g_assert_cmpint(r.hv.audit_checks, ==, 2);
	g_assert_cmpint(r.hv.audit_mismatches, ==, 1);
	g_assert_nonnull(strstr(r.audit_first, "translation differs"));
	trc_end(&sink);
	hv_feed_free(f);
	cpu_ram_free(&ram);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv-tdp/audit/wrong-ept-leaf", test_wrong_ept_leaf);
	return g_test_run();
}
