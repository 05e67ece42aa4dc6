/*
 * TDP roots keyed by role (src/hv/host.c, seed 003): a guest that toggles
 * CR0.WP keeps its EPT root when TDP roles are normalised, and gets a new,
 * empty root at every toggle without normalisation (KVM before 5.18), which
 * EPT violations then fill again. Expected counts are from first
 * principles:
 *
 *   8 guest pages (GPA 0..32 KiB) touched in each of 5 phases: boot
 *   (CR0.PG=1, WP=1, EFER.NXE=1, long mode), WP=0, WP=1, WP=0, WP=1;
 *   a 4-level EPT needs a root, a PDPT, a PD and a PT for them;
 *   an access faults (EPT violation) exactly when the current root has no
 *   leaf for the page.
 *
 * Normalised: one root (the reset vCPU's, whose role already has WP=NX=1),
 * 8 violations in all, no role change. Not normalised: the reset root has
 * WP=NX=0, so each of the 5 phases changes the role, frees the old root
 * (nothing else references it) and allocates an empty one: 6 roots, 5
 * freed, 40 violations. CR3 is not an input: both address spaces below
 * share the root.
 */
#include <glib.h>

#include "hv/host.h"
#include "paging/bits.h"
#include "paging/walk.h"

#define HRAM  (UINT64_C(8) << 20)
#define GRAM  (UINT64_C(4) << 20)
#define PAGES 8u

struct counts {
	uint64_t violations;
};

/* One access to @gpa: walk the current root; an EPT violation goes to the
 * hypervisor, which populates, and the access is retried. */
static void touch(struct hv_host *h, const struct cpu_ram *gram, uint64_t gpa, struct counts *n)
{
	struct pg_req rq = { .va = gpa, .access = PG_ACC_READ };
	struct pg_walk w;

	g_assert_cmpint(pg_walk(&h->mmu, &h->host.mem, &rq, &w), ==, 0);
	if (w.fault.vector) {
		n->violations++;
		g_assert_cmpint(hv_host_fault(h, &w.fault, gram), ==, 0);
		g_assert_cmpint(pg_walk(&h->mmu, &h->host.mem, &rq, &w), ==, 0);
	}
	g_assert_cmpuint(w.fault.vector, ==, 0);
	g_assert_cmphex(w.pa, ==, gpa);
}

static void run_phases(bool normalise, struct hv_host *h, struct counts *n)
{
	static const uint64_t cr0s[] = {
		CR0_PE | CR0_PG | CR0_WP, CR0_PE | CR0_PG, CR0_PE | CR0_PG | CR0_WP,
		CR0_PE | CR0_PG, CR0_PE | CR0_PG | CR0_WP,
	};
	struct cpu_ram hram, gram;
	struct pg_cpu cpu;
	const struct hv_host_layout l = { .table_base = GRAM, .table_bytes = UINT64_C(1) << 20,
					  .page_size = HV_SZ_4K, .unnormalised = !normalise };
	const char *why = NULL;

	g_assert_cmpint(cpu_ram_init(&hram, HRAM), ==, 0);
	gram = hram;
	gram.size = GRAM;
	pg_cpu_all(&cpu);
	cpu.maxphyaddr = 46;
	g_assert_cmpint(hv_host_init(h, &hv_host_modes[HV_HOST_EPT4], &hram, &l, &cpu, &why), ==, 0);
	for (size_t p = 0; p < G_N_ELEMENTS(cr0s); p++) {
		const struct hv_role_regs r = { .cr0 = cr0s[p], .cr4 = CR4_PAE,
						.efer = EFER_LME | EFER_LMA | EFER_NXE };
		int rc = hv_host_guest_regs(h, &r);

		g_assert_cmpint(rc, ==, normalise ? 0 : 1);
		for (unsigned i = 0; i < PAGES; i++)
			touch(h, &gram, (uint64_t)i << 12, n);
		/* The old root's subtree is gone: the live root and its three
		 * tables. */
		g_assert_cmpuint(h->tables.st.live, ==, 4);
		g_assert_cmpuint(hv_tables_audit(&h->tables, NULL), ==, 0);
		g_assert_true(h->root->key.role.cr0_wp == (normalise || (cr0s[p] & CR0_WP)));
	}
	hv_host_destroy(h);
	cpu_ram_free(&hram);
}

static void test_normalised(void)
{
	struct hv_host h;
	struct counts n = { 0 };

	run_phases(true, &h, &n);
	g_assert_cmpuint(n.violations, ==, PAGES);
	g_assert_cmpuint(h.st.roots_allocated, ==, 1);
	g_assert_cmpuint(h.st.roots_freed, ==, 0);
	g_assert_cmpuint(h.st.role_changes, ==, 0);
	g_assert_cmpuint(h.st.populated, ==, PAGES);
}

static void test_unnormalised(void)
{
	struct hv_host h;
	struct counts n = { 0 };

	run_phases(false, &h, &n);
	g_assert_cmpuint(n.violations, ==, 5 * PAGES);
	g_assert_cmpuint(h.st.roots_allocated, ==, 6);
	g_assert_cmpuint(h.st.roots_freed, ==, 5);
	g_assert_cmpuint(h.st.role_changes, ==, 5);
	g_assert_cmpuint(h.st.roots_reused, ==, 0);
}

/* A guest state whose role is live elsewhere is served by that root: with
 * two roots pinned (a second vCPU's), switching back finds it. */
static void test_reuse(void)
{
	struct hv_host h;
	struct cpu_ram hram;
	struct pg_cpu cpu;
	const struct hv_host_layout l = { .table_base = GRAM, .table_bytes = UINT64_C(1) << 20,
					  .page_size = HV_SZ_4K, .unnormalised = true };
	const struct hv_role_regs wp = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr4 = CR4_PAE },
				  nowp = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE };
	struct hv_table *other;
	const char *why = NULL;

	g_assert_cmpint(cpu_ram_init(&hram, HRAM), ==, 0);
	pg_cpu_all(&cpu);
	g_assert_cmpint(hv_host_init(&h, &hv_host_modes[HV_HOST_NPT4], &hram, &l, &cpu, &why), ==, 0);
	g_assert_cmpint(hv_host_guest_regs(&h, &wp), ==, 1);
	other = h.root;
	hv_table_pin(other); /* another vCPU runs on it */
	g_assert_cmpint(hv_host_guest_regs(&h, &nowp), ==, 1);
	g_assert_cmpint(hv_host_guest_regs(&h, &wp), ==, 1);
	g_assert_true(h.root == other);
	g_assert_cmpuint(h.st.roots_reused, ==, 1);
	/* The same role again: no switch. */
	g_assert_cmpint(hv_host_guest_regs(&h, &wp), ==, 0);
	hv_table_unpin(&h.tables, other);
	hv_host_destroy(&h);
	cpu_ram_free(&hram);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv/tdp/roots-survive-normalised", test_normalised);
	g_test_add_func("/hv/tdp/roots-rebuilt-unnormalised", test_unnormalised);
	g_test_add_func("/hv/tdp/root-reuse", test_reuse);
	return g_test_run();
}
