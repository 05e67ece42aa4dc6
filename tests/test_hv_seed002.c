/*
 * Seed 002's own test. Sean Christopherson found the nested NPT mmu_role
 * bugs by randomising the vCPU's CR0, CR4 and EFER (get_random_long())
 * right before kvm_init_shadow_npt_mmu(), which is given L1's registers
 * explicitly: every result must depend on those alone.
 *
 * Here the nested NPT context is built from L1's registers at VMRUN
 * (hv_model_new(), and again at every L1 VMRUN, TRC_EV_VMENTRY). While L2
 * runs, the vCPU's current CR0/CR4/EFER (the feed's register events) are L2's:
 * that is the ambient state. Before every VMRUN the driver below sets them
 * to random 64-bit values, delivers the VMRUN, then loads L2's real
 * registers (as VMRUN loads L2's state from its VMCB) before L2's next
 * access. The stream is synth's (hvw_run) through the hypervisor models'
 * feed consumer (hv/feed.h), as `tdpsim compare` runs it. Over 1,100 draws (fixed seed, deterministic), every seed-000
 * nested row (32-bit, PAE and 4-level L1 under 3-, 4- and 5-level L0)
 * under three strategies, everything the hypervisor computes must equal a
 * run where the ambient registers are L2's own:
 *   - the role and key of every shadow page and of every root, current
 *     and previous (hashed in page order with their pins and parents);
 *   - the outcome of every access of the synthetic stream (address, kind,
 *     host-physical address or fault: hv_model_outcome());
 *   - every counter (struct hv_stats, whole).
 * The timing model is not compared: it models the vCPU's own TLB, which
 * does see the vCPU's register writes (a CR0.PG 1 -> 0 flushes it).
 *
 * The root's role is also checked against hv_npt_shadow_roles() from L1's
 * registers, and against seed 000 (level L0's, promoted when L0's level
 * exceeds L1's).
 */
#include <string.h>

#include <glib.h>

#include "cli/hv_work.h"
#include "hv/feed.h"
#include "hv/role.h"
#include "hv/shadow.h"
#include "hv/table.h"
#include "paging/bits.h"

#define DRAWS 1100

struct ncase {
	const char *l1;
	unsigned l0;
};

/* Seed 000's shadow nested NPT rows. */
static const struct ncase cases[] = {
	{ "2level", 3 }, { "2level-pse", 3 }, { "pae", 3 },
	{ "2level", 4 }, { "2level-pse", 4 }, { "pae", 4 },
	{ "2level", 5 }, { "2level-pse", 5 }, { "pae", 5 },
	{ "4level", 4 }, { "4level", 5 },
};
static const char *const strategies[] = { "kvm-5.15", "kvm-6.1", "pae-root-pages" };

struct result {
	uint64_t outcome, tables, roots;
	struct hv_stats st;
};

/* The hypervisor models' feed consumer (hv/feed.h), wrapped: every L1
 * VMRUN (TRC_EV_VMENTRY) is preceded by the ambient registers and followed
 * by L2's own. */
struct driver {
	struct trc_consumer inner;
	const struct pg_regs *l2; /* L2's real registers */
	GRand *rnd;               /* NULL: the ambient registers are L2's own */
	uint64_t vmruns;
};

static uint64_t rand64(GRand *r)
{
	return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static void set_regs(struct driver *d, uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	const uint8_t kinds[3] = { TRC_EV_CR0, TRC_EV_CR4, TRC_EV_EFER };
	const uint64_t vals[3] = { cr0, cr4, efer };

	for (unsigned i = 0; i < 3; i++)
		d->inner.event(d->inner.opaque,
			       &(struct trc_event){ .kind = kinds[i], .reg.value = vals[i] });
}

static void d_start(void *o, const struct trc_start *st)
{
	struct driver *d = o;

	d->inner.start(d->inner.opaque, st);
}

static void d_access(void *o, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl, bool impl)
{
	struct driver *d = o;

	d->inner.access(d->inner.opaque, la, size, kind, cpl, impl);
}

static void d_insns(void *o, uint64_t n)
{
	struct driver *d = o;

	d->inner.insns(d->inner.opaque, n);
}

static void d_event(void *o, const struct trc_event *ev)
{
	struct driver *d = o;

	if (ev->kind != TRC_EV_VMENTRY) {
		d->inner.event(d->inner.opaque, ev);
		return;
	}
	d->vmruns++;
	if (d->rnd) {
		uint64_t cr0 = rand64(d->rnd), cr4 = rand64(d->rnd), efer = rand64(d->rnd);

		set_regs(d, cr0, cr4, efer);
	} else {
		set_regs(d, d->l2->cr0, d->l2->cr4, d->l2->efer);
	}
	d->inner.event(d->inner.opaque, ev);
	set_regs(d, d->l2->cr0, d->l2->cr4, d->l2->efer);
}

static uint64_t fold(uint64_t h, uint64_t v)
{
	return (h ^ v) * UINT64_C(0x100000001b3);
}

static uint64_t key_of(const struct hv_table *t)
{
	return t ? fold(fold(fold(0, t->hpa), t->key.gpa), t->key.role.word) : 0;
}

static void run(const struct ncase *c, const char *strategy, GRand *rnd, struct result *out)
{
	const struct guest_mode *l1 = guest_mode_find(c->l1);
	struct hvw_opts o = { .gm = guest_mode_find("4level"), .l1 = l1, .pat = SP_RANDOM,
			      .pages = 32, .accesses = 400, .seed = 7, .insns = 1,
			      .processes = 3, .switch_every = 15 };
	struct tm_config cfg;
	struct hv_params p = { .kind = HV_NESTED, .audit = true, .host_levels = (uint8_t)c->l0,
			       .set_ad = true, .cfg = &cfg };
	struct driver d = { .rnd = rnd };
	struct trc_consumer k = { .start = d_start, .access = d_access, .insns = d_insns,
				  .event = d_event, .opaque = &d };
	struct trc_sink sink;
	struct hv_feed *f;
	struct hv_model *m;
	struct hvw w;
	char why[200];
	const struct hv_tables *ts;
	union hv_cpu_role cpu;
	union hv_role root;

	/* Ice Lake-SP: LA57, for the 5-level L0 rows. */
	if (tm_config_load(&cfg, TDPSIM_SOURCE_DIR "/configs/icelake-sp.ini", why, sizeof(why)))
		g_error("config: %s", why);
	tm_config_pg_cpu(&cfg, &p.cpu);
	g_assert_cmpint(hv_strategy_parse(strategy, &p.strat), ==, 0);
	if (hvw_build(&w, &o, &p.cpu, why, sizeof(why)))
		g_error("hvw_build: %s", why);
	p.gram = &w.ram;
	g_assert_cmpint(hv_feed_new(&p, 1, &w.l1regs, &f), ==, 0);
	hv_feed_consumer(f, &d.inner);
	d.l2 = &w.regs;
	trc_sink_init(&sink);
	g_assert_cmpint(trc_sink_add(&sink, &k), ==, 0);
	g_assert_cmpint(hvw_run(&w, &sink), ==, 0);
	if (hv_feed_error(f, why, sizeof(why)))
		g_error("the model: %s", why);
	m = hv_feed_model(f, 0);
	g_assert_cmpuint(d.vmruns, >, 20);

	memset(out, 0, sizeof(*out));
	out->outcome = hv_model_outcome(m);
	out->st = *hv_model_stats(m);
	g_assert_cmpuint(out->st.audit_mismatches, ==, 0);
	ts = hv_model_tables(m);
	out->tables = fold(fold(ts->st.allocated, ts->st.freed), ts->st.zapped);
	for (uint64_t i = 0; i < ts->bytes / HV_TABLE_SIZE; i++) {
		const struct hv_table *t = ts->by_page[i];

		if (t)
			out->tables = fold(fold(fold(fold(out->tables, key_of(t)), t->pins),
						t->parents), t->hashed);
	}
	for (unsigned i = 0; i <= HV_PREV_ROOTS_MAX; i++)
		out->roots = fold(out->roots, key_of(hv_model_root(m, i)));

	/* The current root's role is the one L1's registers give (seed 000:
	 * L0's level, promoted above a shorter L1). */
	{
		const struct hv_role_regs r1 = hv_role_regs_of(&w.l1regs, false, false);
		const struct hv_table *cur = hv_model_root(m, 0);

		g_assert_cmpint(hv_npt_shadow_roles(&r1, c->l0, &cpu, &root), ==, 0);
		g_assert_nonnull(cur);
		g_assert_cmphex(cur->key.role.word, ==, root.word);
		g_assert_cmpuint(cur->key.role.level, ==, c->l0);
		g_assert_cmpuint(cur->key.role.guest_mode, ==, 1);
		g_assert_cmpuint(cur->key.role.passthrough, ==,
				 c->l0 > guest_mode_format(l1)->levels);
	}
	hv_feed_free(f);
	hvw_free(&w);
}

static void test_ambient(void)
{
	struct result base[G_N_ELEMENTS(cases)][G_N_ELEMENTS(strategies)];
	GRand *rnd = g_rand_new_with_seed(2021062213u);

	for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++)
		for (unsigned s = 0; s < G_N_ELEMENTS(strategies); s++)
			run(&cases[c], strategies[s], NULL, &base[c][s]);
	for (unsigned i = 0; i < DRAWS; i++) {
		unsigned c = i % G_N_ELEMENTS(cases);
		unsigned s = (i / G_N_ELEMENTS(cases)) % G_N_ELEMENTS(strategies);
		struct result r;

		run(&cases[c], strategies[s], rnd, &r);
		if (r.outcome != base[c][s].outcome || r.tables != base[c][s].tables ||
		    r.roots != base[c][s].roots || memcmp(&r.st, &base[c][s].st, sizeof(r.st)))
			g_error("draw %u (L1 %s under a %u-level L0, %s): the ambient vCPU "
				"registers changed %s", i, cases[c].l1, cases[c].l0, strategies[s],
				r.outcome != base[c][s].outcome ? "the translations"
				: r.tables != base[c][s].tables ? "the shadow pages' roles"
				: r.roots != base[c][s].roots	? "the roots"
								: "the counters");
	}
	g_rand_free(rnd);
}

/* The baseline itself is not vacuous: two L1 formats give different roots
 * and different host-physical outcomes for the same L2 stream. */
static void test_cases_differ(void)
{
	struct result a, b;

	run(&cases[0], "kvm-6.1", NULL, &a);
	run(&cases[10], "kvm-6.1", NULL, &b);
	g_assert_cmpuint(a.roots, !=, b.roots);
	g_assert_cmpuint(a.tables, !=, b.tables);
	g_assert_cmpuint(a.st.accesses, ==, b.st.accesses);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv/seed002/ambient", test_ambient);
	g_test_add_func("/hv/seed002/cases-differ", test_cases_differ);
	return g_test_run();
}
