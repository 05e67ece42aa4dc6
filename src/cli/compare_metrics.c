/*
 * The metrics `tdpsim compare` reports, as one table walked by every
 * output (text, JSON, CSV, HTML). The keys are a stable interface
 * (docs/cli-compare.md).
 */
#include <stddef.h>

#include "compare.h"

#define U(field) ((double)r->hv.field)

static double root_switches(const struct cmp_result *r, unsigned a) { (void)a; return U(root_switches); }
static double current_hits(const struct cmp_result *r, unsigned a) { (void)a; return U(current_root_hits); }
static double prev_hits(const struct cmp_result *r, unsigned a) { (void)a; return U(prev_root_hits); }
static double misses(const struct cmp_result *r, unsigned a) { (void)a; return U(root_misses); }
static double fast_hits(const struct cmp_result *r, unsigned a)
{
	(void)a;
	return U(current_root_hits) + U(prev_root_hits);
}
static double fast_rate(const struct cmp_result *r, unsigned a)
{
	(void)a;
	return r->hv.root_switches ? fast_hits(r, 0) / U(root_switches) : 0;
}
static double field(const struct cmp_result *r, unsigned off)
{
	return (double)*(const uint64_t *)((const char *)&r->hv + off);
}
static double syncs_per_switch(const struct cmp_result *r, unsigned a)
{
	(void)a;
	return r->hv.root_switches ? U(syncs_at_switch) / U(root_switches) : 0;
}
static double exits_all(const struct cmp_result *r, unsigned a)
{
	double n = 0;

	(void)a;
	for (unsigned i = 0; i < HV_NEXITS; i++)
		n += (double)r->hv.exits[i];
	return n;
}
static double exit_n(const struct cmp_result *r, unsigned e) { return (double)r->hv.exits[e]; }
static double exit_cyc(const struct cmp_result *r, unsigned e) { return (double)r->hv.exit_cycles[e]; }
static double bytes(const struct cmp_result *r, unsigned which)
{
	return (double)(which == 0 ? r->shadow_bytes_peak
			: which == 1 ? r->shadow_bytes_final : r->guest_table_bytes);
}
/* Translation: the timing model's TLB, walk and A/D cycles over the
 * shadow tables, plus the hypervisor's exits and work. */
static double xlat_cycles(const struct cmp_result *r, unsigned a)
{
	(void)a;
	return (double)(r->tm.cycles[TM_CY_TLB] + r->tm.cycles[TM_CY_WALK] +
			r->tm.cycles[TM_CY_AD] + r->tm.cycles[TM_CY_FLUSH]) + U(hv_cycles);
}
static double xlat_per_kinsn(const struct cmp_result *r, unsigned a)
{
	(void)a;
	return r->hv.instructions ? xlat_cycles(r, 0) * 1000.0 / U(instructions) : 0;
}
static double tm_walks(const struct cmp_result *r, unsigned a) { (void)a; return (double)r->tm.walks; }

#define F(key, label, f) { key, label, false, field, offsetof(struct hv_stats, f) }

static const struct cmp_metric metrics[] = {
	{ "root_switches", "root switches", false, root_switches, 0 },
	{ "current_root_hits", "  current-root hits", false, current_hits, 0 },
	{ "prev_roots_hits", "  prev_roots hits", false, prev_hits, 0 },
	{ "root_misses", "  misses (rebuilds)", false, misses, 0 },
	{ "fast_switch_hits", "fast-switch hits", false, fast_hits, 0 },
	{ "fast_switch_hit_rate", "fast-switch hit rate", true, fast_rate, 0 },
	F("roots_allocated", "roots allocated", roots_allocated),
	F("roots_freed", "roots freed", roots_freed),
	F("special_roots_built", "special root pages built", special_roots_built),
	F("sp_allocated", "shadow pages allocated", sp_allocated),
	F("sp_live_peak", "shadow pages live, peak", sp_live_peak),
	F("sp_live_final", "shadow pages live, final", sp_live),
	F("sp_zapped", "shadow pages zapped", sp_zapped),
	F("sp_recycled", "shadow pages recycled", sp_recycled),
	F("sp_synced", "shadow pages synced", sp_synced),
	F("sp_unsynced", "shadow pages unsynced", sp_unsynced),
	F("sp_reclaimed", "shadow pages reclaimed", sp_reclaimed),
	{ "syncs_per_switch", "syncs per CR3 switch", true, syncs_per_switch, 0 },
	F("wp_exits", "write-protection exits", wp_exits),
	F("emulations", "emulated writes", emulations),
	F("write_flooding_zaps", "write-flooding zaps", write_flooding_zaps),
	{ "vm_exits", "VM exits", false, exits_all, 0 },
	{ "exits.cr3", "  CR3 write", false, exit_n, HV_EXIT_CR3 },
	{ "exits.invlpg", "  INVLPG/INVPCID", false, exit_n, HV_EXIT_INVLPG },
	{ "exits.pf_hidden", "  #PF hidden", false, exit_n, HV_EXIT_PF_HIDDEN },
	{ "exits.pf_injected", "  #PF injected", false, exit_n, HV_EXIT_PF_INJECT },
	{ "exits.write_protect", "  write-protect", false, exit_n, HV_EXIT_WP },
	{ "exits.npf", "  EPT violation/#NPF", false, exit_n, HV_EXIT_NPF },
	{ "exits.mapgpa", "  MapGPA", false, exit_n, HV_EXIT_MAPGPA },
	{ "exits.cr_mode", "  CR0/CR4/EFER", false, exit_n, HV_EXIT_MODE },
	{ "exits.mmio", "  MMIO (emulated)", false, exit_n, HV_EXIT_MMIO },
	{ "exit_cycles.cr3", "cycles: CR3 write", false, exit_cyc, HV_EXIT_CR3 },
	{ "exit_cycles.invlpg", "cycles: INVLPG", false, exit_cyc, HV_EXIT_INVLPG },
	{ "exit_cycles.pf_hidden", "cycles: #PF hidden", false, exit_cyc, HV_EXIT_PF_HIDDEN },
	{ "exit_cycles.pf_injected", "cycles: #PF injected", false, exit_cyc, HV_EXIT_PF_INJECT },
	{ "exit_cycles.write_protect", "cycles: write-protect", false, exit_cyc, HV_EXIT_WP },
	{ "exit_cycles.npf", "cycles: EPT violation/#NPF", false, exit_cyc, HV_EXIT_NPF },
	{ "exit_cycles.mapgpa", "cycles: MapGPA", false, exit_cyc, HV_EXIT_MAPGPA },
	{ "exit_cycles.cr_mode", "cycles: CR0/CR4/EFER", false, exit_cyc, HV_EXIT_MODE },
	{ "exit_cycles.mmio", "cycles: MMIO (emulated)", false, exit_cyc, HV_EXIT_MMIO },
	F("tlb_flushes_local", "TLB flushes, local", flush_local),
	F("tlb_flushes_remote", "TLB flushes, remote", flush_remote),
	{ "shadow_bytes_peak", "shadow memory, peak (bytes)", false, bytes, 0 },
	{ "shadow_bytes_final", "shadow memory, final (bytes)", false, bytes, 1 },
	{ "guest_table_bytes", "guest/L1 table memory (bytes)", false, bytes, 2 },
	{ "walks", "shadow-table walks", false, tm_walks, 0 },
	{ "translation_cycles", "translation cycles", false, xlat_cycles, 0 },
	{ "translation_cycles_per_kinsn", "translation cycles / 1k insns", true, xlat_per_kinsn, 0 },
	F("audit_checks", "audit checks", audit_checks),
	F("audit_mismatches", "audit mismatches", audit_mismatches),
	F("accesses", "accesses", accesses),
	F("instructions", "instructions", instructions),
	{ NULL, NULL, false, NULL, 0 },
};

const struct cmp_metric *cmp_metrics(void)
{
	return metrics;
}
