/*
 * The hypervisor model as a consumer of the feed (src/hv/feed.h): a live
 * run, a replay and synth drive it through the same calls.
 *
 * - The audit can fail: over guest tables built here, a shadow leaf made
 *   wrong by hand (another frame; a right the guest does not give) is
 *   counted at its next fill, and so is a shadow that still translates an
 *   address whose guest walk raised #PF. A guest #PF the shadow agrees
 *   with is injected (exits.pf_injected), not a mismatch.
 * - Every pagetest mode, run live under shadow paging by `tdpsim compare
 *   --kernel` with two strategies: the audit checks fills and finds no
 *   mismatch, and the models saw exactly what the plain engine did:
 *   the same accesses and instructions as `tdpsim run` of the same guest,
 *   and one injected #PF per #PF the engine's walks delivered (run's
 *   exceptions."14"). With --unsync too (4level).
 * - `compare --trace T` prints byte-identical JSON to `compare --kernel`
 *   of the run that recorded T (same strategies, same options).
 * - compare --hv tdp on every pagetest mode, live: audit 0; normalised,
 *   one root; kvm-5.15's unnormalised roles change it as often as the live
 *   CPU's own host does, and the EPT violations equal the live CPU's VM
 *   exits under the same host; its trace (pae) gives the same JSON.
 *   On synth, every guest mode audits clean too.
 *   (test_hv_tdp_audit: a wrong EPT leaf is counted.)
 * - MMIO (pagetest mmio=N, N reads of the local APIC): every access the
 *   hypervisor emulates is one VM exit in compare's models as in `run
 *   --host`: under TDP the first an EPT violation / #NPF that leaves an
 *   MMIO SPTE, the N-1 others misconfigurations / #NPF with RSVD
 *   (exits.mmio); under shadow paging the first a shadow fault that leaves
 *   an MMIO SPTE, the N-1 others #PF exits on it. Each at cost.vmexit plus
 *   the emulation. A none-recorded trace gives the live JSON; run --host's
 *   golden gives the same exit reasons.
 * - A live run under EPT selects its TDP root by role: with
 *   --no-role-normalise one new root (and its flush) per change of the
 *   guest's (CR0.WP, EFER.NXE), counted from the guest's own writes.
 * (synth: test_hv_compare audits every guest mode.)
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hv/feed.h"
#include "hv/shadow_int.h"
#include "paging/bits.h"
#include "paging/format.h"
#include "paging/synth.h"
#include "spawn.h"
#include "timing/config.h"

/* ---- the audit can fail -------------------------------------------------- */

#define VA_RW UINT64_C(0x400000)
#define VA_RO UINT64_C(0x401000)
#define VA_NONE UINT64_C(0x500000)
#define PA_RW UINT64_C(0x200000)
#define PA_RO UINT64_C(0x201000)

struct unit {
	struct tm_config cfg;
	struct cpu_ram ram;
	struct pg_synth s;
	struct hv_feed *f;
	struct trc_sink sink;
	struct hv_model *m;
};

static void unit_init(struct unit *u)
{
	char why[256] = "", *path = tm_config_find(TM_CONFIG_DEFAULT);
	struct hv_params p = { .kind = HV_SHADOW, .audit = true };
	struct pg_regs regs = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr4 = CR4_PAE,
				.efer = EFER_LME | EFER_LMA | EFER_NXE };
	struct trc_consumer k;

	g_assert_nonnull(path);
	tm_config_defaults(&u->cfg);
	g_assert_cmpint(tm_config_load(&u->cfg, path, why, sizeof(why)), ==, 0);
	g_free(path);
	g_assert_cmpint(cpu_ram_init(&u->ram, 4u << 20), ==, 0);
	g_assert_cmpint(pg_synth_init(&u->s, &u->ram, &pg_fmt_4level, 1u << 20), ==, 0);
	/* A/D set: the guest's own walks would have set them. */
	g_assert_cmpint(pg_synth_map(&u->s, VA_RW, PA_RW, 4096,
				     PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D,
				     PTE_P | PTE_RW | PTE_US | PTE_A), ==, 0);
	g_assert_cmpint(pg_synth_map(&u->s, VA_RO, PA_RO, 4096, PTE_P | PTE_US | PTE_A,
				     PTE_P | PTE_RW | PTE_US | PTE_A), ==, 0);
	regs.cr3 = u->s.root;
	g_assert_cmpint(hv_strategy_parse("kvm-6.1", &p.strat), ==, 0);
	tm_config_pg_cpu(&u->cfg, &p.cpu);
	p.cfg = &u->cfg;
	p.gram = &u->ram;
	g_assert_cmpint(hv_feed_new(&p, 1, NULL, &u->f), ==, 0);
	hv_feed_consumer(u->f, &k);
	trc_sink_init(&u->sink);
	g_assert_cmpint(trc_sink_add(&u->sink, &k), ==, 0);
	trc_start(&u->sink, &(struct trc_start){ .regs = regs, .cpl = 3, .code_bits = 64,
						 .ram_bytes = u->ram.size });
	g_assert_cmpint(hv_feed_error(u->f, why, sizeof(why)), ==, 0);
	u->m = hv_feed_model(u->f, 0);
	g_assert_nonnull(u->m);
}

static void unit_free(struct unit *u)
{
	trc_end(&u->sink);
	hv_feed_free(u->f);
	cpu_ram_free(&u->ram);
}

/* The shadow leaf that maps @va (the model's shadow walk). */
static uint64_t *shadow_leaf(struct hv_model *h, uint64_t va)
{
	struct pg_req rq = { .va = va, .access = PG_ACC_READ, .cpl = 3 };
	struct pg_walk w;
	uint64_t at;

	g_assert_cmpint(pg_walk(&h->smmu, &h->hacc, &rq, &w), ==, 0);
	g_assert_cmpint(w.fault.vector, ==, 0);
	at = w.lvl[w.nlevels - 1].entry_addr;
	/* A live shadow page's entry, in the model's host memory (x86 is
	 * little-endian, as the entries are). */
	g_assert_nonnull(hv_table_at(&h->ts, at));
	return (uint64_t *)(void *)(h->hram.base + at);
}

/* Forget the model's cached translations: the next access fills again. */
static void refill(struct hv_model *h)
{
	memset(h->tlb, 0, sizeof(*h->tlb) * (h->tlb_mask + 1));
}

static void read_at(struct unit *u, uint64_t va)
{
	trc_access(&u->sink, va + 8, 8, TRC_READ, 3, false);
}

static void test_wrong_frame(void)
{
	struct unit u;
	const struct hv_stats *st;

	unit_init(&u);
	st = hv_model_stats(u.m);
	read_at(&u, VA_RW);
	read_at(&u, VA_RO);
	g_assert_cmpint(st->audit_checks, ==, 2);
	g_assert_cmpint(st->audit_mismatches, ==, 0);
	/* The leaf now names the read-only page's frame. */
	uint64_t *e = shadow_leaf(u.m, VA_RW);

	*e = (*e & ~GENMASK64(51, 12)) | (HV_SLOT_BASE + PA_RO);
	refill(u.m);
	read_at(&u, VA_RW);
	g_assert_cmpint(st->audit_checks, ==, 3);
	g_assert_cmpint(st->audit_mismatches, ==, 1);
	g_assert_nonnull(strstr(hv_model_audit_first(u.m), "different host-physical address"));
	unit_free(&u);
}

static void test_wrong_rights(void)
{
	struct unit u;
	const struct hv_stats *st;

	unit_init(&u);
	st = hv_model_stats(u.m);
	read_at(&u, VA_RO);
	g_assert_cmpint(st->audit_mismatches, ==, 0);
	/* Writable in the shadow, read-only for the guest (CR0.WP=1). */
	*shadow_leaf(u.m, VA_RO) |= PTE_RW | PTE_D;
	refill(u.m);
	read_at(&u, VA_RO);
	g_assert_cmpint(st->audit_mismatches, ==, 1);
	g_assert_nonnull(strstr(hv_model_audit_first(u.m), "writable in the shadow only"));
	unit_free(&u);
}

static void xlate(struct unit *u, uint64_t va, uint8_t vector)
{
	trc_event(&u->sink, &(struct trc_event){ .kind = TRC_EV_XLATE, .xlate.la = va,
						  .xlate.access = PG_ACC_READ, .xlate.cpl = 3,
						  .xlate.vector = vector });
}

static void test_missed_fault(void)
{
	struct unit u;
	const struct hv_stats *st;
	uint64_t pte = 0;

	unit_init(&u);
	st = hv_model_stats(u.m);
	/* A #PF the shadow agrees with: injected. */
	xlate(&u, VA_NONE, 14);
	g_assert_cmpint(st->exits[HV_EXIT_PF_INJECT], ==, 1);
	g_assert_cmpint(st->audit_mismatches, ==, 0);
	read_at(&u, VA_RW);
	/* The guest unmaps VA_RW behind the model's back (no write in the
	 * stream): its walk raises #PF, the shadow still translates. */
	struct pg_walk w;
	struct pg_mmu *gm = &u.m->gmmu;

	g_assert_cmpint(pg_walk(gm, &u.m->gacc, &(struct pg_req){ .va = VA_RW, .cpl = 3 }, &w),
			==, 0);
	pte = w.lvl[w.nlevels - 1].entry_addr;
	g_assert_cmpint(cpu_ram_write_le(&u.ram, pte, 8, 0), ==, 0);
	xlate(&u, VA_RW, 14);
	g_assert_cmpint(st->audit_mismatches, ==, 1);
	g_assert_nonnull(strstr(hv_model_audit_first(u.m), "raised #PF, the shadow translates"));
	unit_free(&u);
}

/* ---- pagetest, live and replayed ----------------------------------------- */

static const char *const modes[] = { "2level", "2level-pse", "pae", "4level", "5level" };
static gchar *tmpdir;

/* Run tdpsim with @argv (NULL-terminated); it must exit with @status
 * (pagetest's pass is 1 under `run`; compare exits 0). */
static struct spawn_result tdpsim(const char *const *argv, int status)
{
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(a, (gpointer)TDPSIM_BIN);
	for (const char *const *p = argv; *p; p++)
		g_ptr_array_add(a, (gpointer)*p);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 300);
	g_ptr_array_free(a, TRUE);
	if (r.status != status)
		g_error("tdpsim %s exited %d: %s", argv[0], r.status, r.err);
	return r;
}

static JsonObject *parse(const char *text)
{
	JsonParser *p = json_parser_new();
	JsonObject *o;

	g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
	o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	return o;
}

static gint64 member_int(JsonObject *o, const char *group, const char *key)
{
	return json_object_get_int_member(json_object_get_object_member(o, group), key);
}

/* compare --kernel pagetest mode=@mode under two strategies, the KVM one
 * with special roots and Lai's without (@unsync:
 * with --unsync): audit 0, and what the plain engine did in `run`. */
static void live_mode(const char *mode, bool unsync)
{
	gchar *append = g_strdup_printf("mode=%s", mode);
	const char *run[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append, "--mem",
			      "64", "--json", NULL };
	const char *cmp[] = { "compare", "--strategy", "kvm-5.15", "--strategy", "pae-root-pages",
			      "--kernel", PAGETEST_KERNEL,
			      "--append", append, "--mem", "64", "--audit", "--json",
			      unsync ? "--unsync" : NULL, NULL };
	struct spawn_result rr = tdpsim(run, 1), rc = tdpsim(cmp, 0);
	JsonObject *ro = parse(rr.out), *co = parse(rc.out);
	JsonArray *a = json_object_get_array_member(co, "strategies");
	JsonObject *ex = json_object_get_object_member(json_object_get_object_member(ro, "run"),
						       "exceptions");
	gint64 pf = json_object_has_member(ex, "14") ? json_object_get_int_member(ex, "14") : 0;

	/* The guest passed under shadow paging too. */
	g_assert_nonnull(strstr(rc.err, " 0 failed"));
	g_assert_cmpint(pf, >, 0);
	g_assert_cmpint(json_array_get_length(a), ==, 2);
	for (guint i = 0; i < 2; i++) {
		JsonObject *s = json_array_get_object_element(a, i);

		g_test_message("%s%s %s: %ld checks, %ld mismatches", mode, unsync ? " unsync" : "",
			       json_object_get_string_member(s, "strategy"),
			       (long)json_object_get_int_member(s, "audit_checks"),
			       (long)json_object_get_int_member(s, "audit_mismatches"));
		g_assert_cmpint(json_object_get_int_member(s, "audit_mismatches"), ==, 0);
		g_assert_cmpstr(json_object_get_string_member(s, "audit_first_mismatch"), ==, "");
		g_assert_cmpint(json_object_get_int_member(s, "audit_checks"), >, 300);
		g_assert_cmpint(json_object_get_int_member(s, "accesses"), ==,
				member_int(ro, "stats", "accesses"));
		g_assert_cmpint(json_object_get_int_member(s, "instructions"), ==,
				member_int(ro, "run", "instructions"));
		g_assert_cmpint(json_object_get_int_member(s, "exits.pf_injected"), ==, pf);
	}
	json_object_unref(ro);
	json_object_unref(co);
	spawn_free(&rr);
	spawn_free(&rc);
	g_free(append);
}

static void test_pagetest_audit(void)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++)
		live_mode(modes[i], false);
	live_mode("4level", true);
}

static void test_trace_equals_live(void)
{
	const char *pick[] = { "pae" };

	for (unsigned i = 0; i < G_N_ELEMENTS(pick); i++) {
		gchar *append = g_strdup_printf("mode=%s", pick[i]);
		gchar *trc = g_build_filename(tmpdir, "t.trc", NULL);
		const char *rec[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append,
				      "--mem", "64", "--record", trc, NULL };
		const char *live[] = { "compare", "--strategy", "kvm-5.15", "--strategy", "prev=1",
				       "--kernel", PAGETEST_KERNEL, "--append", append, "--mem",
				       "64", "--audit", "--json", NULL };
		const char *replay[] = { "compare", "--strategy", "kvm-5.15", "--strategy",
					 "prev=1", "--trace", trc, "--audit", "--json", NULL };
		struct spawn_result r0, r1, r2;

		r0 = tdpsim(rec, 1);
		r1 = tdpsim(live, 0);
		r2 = tdpsim(replay, 0);
		g_assert_nonnull(strstr(r1.out, "\"root_switches\""));
		g_assert_cmpstr(r2.out, ==, r1.out);
		spawn_free(&r0);
		spawn_free(&r1);
		spawn_free(&r2);
		g_unlink(trc);
		g_free(trc);
		g_free(append);
	}
}

/*
 * Live runs select the TDP root by role (hv_host_guest_regs at every MMU
 * context build): under --no-role-normalise every change of the guest's
 * (CR0.WP, EFER.NXE) from the reset vCPU's (0, 0) loads a new root, whose
 * load flushes (flushes.invept); normalised, none does. The expected count
 * comes from the guest's own register writes: the MMU events of a trace
 * of the same run (`trace dump`: cr0 cr3 cr4 efer ...). Its replay with
 * the option equals the live run with it.
 */
static void test_live_tdp_roles(void)
{
	gchar *trc = g_build_filename(tmpdir, "roles.trc", NULL);
	const char *norm[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", "mode=4level",
			       "--mem", "64", "--host", "ept4", "--json", NULL };
	const char *un[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", "mode=4level",
			     "--mem", "64", "--host", "ept4", "--no-role-normalise", "--json",
			     "--record", trc, NULL };
	const char *dump[] = { "trace", "dump", trc, NULL };
	const char *rep[] = { "replay", trc, "--no-role-normalise", "--json", NULL };
	struct spawn_result rn = tdpsim(norm, 1), ru = tdpsim(un, 1), rd = tdpsim(dump, 0),
			    rr = tdpsim(rep, 0);
	JsonObject *on = parse(rn.out), *ou = parse(ru.out), *orr = parse(rr.out);
	unsigned changes = 0, wp = 0, nx = 0;

	/* The dump has a line per access (millions); only its "mmu" lines
	 * are split, so the Sanitize build does not spend minutes here. */
	for (const char *p = rd.out; (p = strstr(p, " mmu ")) != NULL;) {
		const char *bol = p, *eol = strchr(p, '\n');

		while (bol > rd.out && bol[-1] != '\n')
			bol--;
		gchar *line = g_strndup(bol, eol ? (gsize)(eol - bol) : strlen(bol));
		gchar **f = g_strsplit(line, " ", -1);

		if (g_strv_length(f) > 6 && strcmp(f[2], "mmu") == 0) {
			unsigned w = (g_ascii_strtoull(f[3], NULL, 16) >> 16) & 1;
			unsigned n = (g_ascii_strtoull(f[6], NULL, 16) >> 11) & 1;

			changes += w != wp || n != nx;
			wp = w;
			nx = n;
		}
		g_strfreev(f);
		g_free(line);
		p = eol ? eol : p + strlen(p);
	}
	g_test_message("(CR0.WP, EFER.NXE) changes: %u", changes);
	g_assert_cmpuint(changes, >=, 2); /* NXE on, and the cr0-wp test's toggles */
	g_assert_cmpint(member_int(on, "stats", "flushes.invept"), ==, 0);
	g_assert_cmpint(member_int(ou, "stats", "flushes.invept"), ==, changes);
	/* Each new root is empty: EPT violations fill it again. */
	g_assert_cmpint(member_int(ou, "run", "vmexits"), >, member_int(on, "run", "vmexits"));
	g_assert_true(json_node_equal(json_object_get_member(ou, "stats"),
				      json_object_get_member(orr, "stats")));
	json_object_unref(on);
	json_object_unref(ou);
	json_object_unref(orr);
	spawn_free(&rn);
	spawn_free(&ru);
	spawn_free(&rd);
	spawn_free(&rr);
	g_free(trc);
}

/*
 * compare --hv tdp on every pagetest mode, live: the audit checks every
 * functional 2D translation against the engine's walk and finds nothing.
 * Normalised (kvm-6.1) the root never changes; kvm-5.15 (roles follow
 * CR0.WP and EFER.NXE) changes it once per change of the guest's pair,
 * counted by the live CPU's own host (run --host ept4 --no-role-normalise:
 * one INVEPT per new root). The EPT violations equal the live CPU's VM
 * exits under the same host and normalisation: the same guest-physical
 * pages meet the same empty roots. Its trace gives the same JSON.
 */
static void test_tdp(void)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
		gchar *append = g_strdup_printf("mode=%s", modes[i]);
		gchar *trc = g_build_filename(tmpdir, "tdp.trc", NULL);
		/* The trace's equality once (pae): recording costs little, a
		 * second compare does. */
		bool with_trace = strcmp(modes[i], "pae") == 0;
		const char *rn[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append,
				     "--mem", "64", "--host", "ept4", "--json", "--record", trc,
				     NULL };
		const char *ru[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append,
				     "--mem", "64", "--host", "ept4", "--no-role-normalise", "--json",
				     NULL };
		const char *cmp[] = { "compare", "--hv", "tdp", "--strategy", "kvm-5.15",
				      "--strategy", "kvm-6.1", "--kernel", PAGETEST_KERNEL,
				      "--append", append, "--mem", "64", "--audit", "--json", NULL };
		const char *ctr[] = { "compare", "--hv", "tdp", "--strategy", "kvm-5.15",
				      "--strategy", "kvm-6.1", "--trace", trc, "--audit", "--json",
				      NULL };
		struct spawn_result a = tdpsim(rn, 1), b = tdpsim(ru, 1), c = tdpsim(cmp, 0), d = { 0 };
		JsonObject *on = parse(a.out), *ou = parse(b.out), *oc = parse(c.out);
		JsonArray *s = json_object_get_array_member(oc, "strategies");
		JsonObject *k515 = json_array_get_object_element(s, 0);
		JsonObject *k61 = json_array_get_object_element(s, 1);

		g_test_message("%s: kvm-5.15 %ld role changes %ld npf, kvm-6.1 %ld npf", modes[i],
			       (long)json_object_get_int_member(k515, "root_switches"),
			       (long)json_object_get_int_member(k515, "exits.npf"),
			       (long)json_object_get_int_member(k61, "exits.npf"));
		for (guint j = 0; j < 2; j++) {
			JsonObject *o = json_array_get_object_element(s, j);

			g_assert_cmpint(json_object_get_int_member(o, "audit_mismatches"), ==, 0);
			g_assert_cmpint(json_object_get_int_member(o, "audit_checks"), >, 300);
			g_assert_cmpint(json_object_get_int_member(o, "accesses"), ==,
					member_int(on, "stats", "accesses"));
		}
		g_assert_cmpint(json_object_get_int_member(k61, "root_switches"), ==, 0);
		g_assert_cmpint(json_object_get_int_member(k61, "roots_allocated"), ==, 1);
		g_assert_cmpint(json_object_get_int_member(k61, "roots_freed"), ==, 0);
		g_assert_cmpint(json_object_get_int_member(k515, "root_switches"), ==,
				member_int(ou, "stats", "flushes.invept"));
		g_assert_cmpint(json_object_get_int_member(k515, "root_switches"), >=, 2);
		/* Only the current root is held: each change frees the old
		 * one, and no root of the new role is still live. */
		g_assert_cmpint(json_object_get_int_member(k515, "roots_freed"), ==,
				json_object_get_int_member(k515, "root_switches"));
		g_assert_cmpint(json_object_get_int_member(k515, "roots_allocated"), ==,
				json_object_get_int_member(k515, "root_switches") + 1);
		g_assert_cmpint(json_object_get_int_member(k61, "exits.npf"), ==,
				member_int(on, "run", "vmexits"));
		g_assert_cmpint(json_object_get_int_member(k515, "exits.npf"), ==,
				member_int(ou, "run", "vmexits"));
		if (with_trace) {
			d = tdpsim(ctr, 0);
			g_assert_cmpstr(d.out, ==, c.out);
		}
		json_object_unref(on);
		json_object_unref(ou);
		json_object_unref(oc);
		spawn_free(&a);
		spawn_free(&b);
		spawn_free(&c);
		spawn_free(&d);
		g_unlink(trc);
		g_free(trc);
		g_free(append);
	}
}

/* The exit reasons of a `run --golden` file: how many of @reason. */
static unsigned golden_reasons(const char *path, unsigned reason)
{
	gchar *text = NULL, *pat = g_strdup_printf(" reason=%u ", reason);
	unsigned n = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	for (const char *p = text; (p = strstr(p, pat)); p++)
		n++;
	g_free(text);
	g_free(pat);
	return n;
}

/*
 * Accesses the hypervisor emulates, in compare's models and in a live run
 * under a host, counted from first principles: pagetest mmio=N makes N
 * reads of one MMIO page (the local APIC) and no other MMIO access, so
 * N=300 against N=100 adds 200 exits everywhere. Under TDP the first read
 * is an EPT violation / #NPF (it leaves the MMIO SPTE, KVM's
 * mark_mmio_spte) and the N-1 others are misconfigurations / #NPF with
 * RSVD: exits.mmio = N-1, each at cost.vmexit + the emulation; and
 * vm_exits equals `run --host`'s vmexits (the RAM pages' EPT violations
 * plus N). Under shadow paging the first read is a shadow fault (a hidden
 * #PF that links the shadow levels and leaves the MMIO SPTE) and the N-1
 * others #PF exits on the MMIO SPTE: exits.mmio = N-1, and the hidden #PFs
 * do not grow with N. The live run's golden gives the same reasons (EPT: one
 * violation at the APIC's GPA, N-1 misconfigurations 49; NPT: all 0x400).
 * A trace recorded without a host gives compare the live run's JSON, under
 * TDP and shadow paging.
 */
static void test_mmio(void)
{
	static const char *const hosts[] = { "ept4", "npt4" };
	const gint64 n[] = { 100, 300 }, vmexit = 1000 /* icelake-sp cost.vmexit */;

	for (unsigned h = 0; h < G_N_ELEMENTS(hosts); h++) {
		gint64 mmio_exits[2], npf[2], sh_exits[2], sh_hidden[2];

		for (unsigned k = 0; k < 2; k++) {
			gchar *append = g_strdup_printf("mode=4level mmio=%ld", (long)n[k]);
			gchar *gold = g_build_filename(tmpdir, "mmio.golden", NULL);
			gchar *trc = g_build_filename(tmpdir, "mmio.trc", NULL);
			const char *run[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append,
					      "--mem", "64", "--host", hosts[h], "--json", "--golden",
					      gold, NULL };
			const char *rec[] = { "run", "--kernel", PAGETEST_KERNEL, "--append", append,
					      "--mem", "64", "--record", trc, NULL };
			const char *cmp[] = { "compare", "--hv", "tdp", "--host", hosts[h],
					      "--strategy", "kvm-6.1", "--kernel", PAGETEST_KERNEL,
					      "--append", append, "--mem", "64", "--audit", "--json",
					      NULL };
			const char *ctr[] = { "compare", "--hv", "tdp", "--host", hosts[h],
					      "--strategy", "kvm-6.1", "--trace", trc, "--audit",
					      "--json", NULL };
			const char *sh[] = { "compare", "--strategy", "kvm-6.1", "--kernel",
					     PAGETEST_KERNEL, "--append", append, "--mem", "64",
					     "--audit", "--json", NULL };
			const char *shtr[] = { "compare", "--strategy", "kvm-6.1", "--trace", trc,
					       "--audit", "--json", NULL };
			struct spawn_result a = tdpsim(run, 1), b = tdpsim(rec, 1), c = tdpsim(cmp, 0);
			struct spawn_result d = tdpsim(ctr, 0), e = tdpsim(sh, 0), g = tdpsim(shtr, 0);
			JsonObject *ro = parse(a.out), *co = parse(c.out), *so = parse(e.out);
			JsonObject *t = json_array_get_object_element(
				json_object_get_array_member(co, "strategies"), 0);
			JsonObject *s = json_array_get_object_element(
				json_object_get_array_member(so, "strategies"), 0);
			bool ept = hosts[h][0] == 'e';

			g_test_message("%s mmio=%ld: run %ld exits, compare tdp %ld (npf %ld, mmio "
				       "%ld), shadow mmio %ld", hosts[h], (long)n[k],
				       (long)member_int(ro, "run", "vmexits"),
				       (long)json_object_get_int_member(t, "vm_exits"),
				       (long)json_object_get_int_member(t, "exits.npf"),
				       (long)json_object_get_int_member(t, "exits.mmio"),
				       (long)json_object_get_int_member(s, "exits.mmio"));
			g_assert_cmpint(json_object_get_int_member(t, "vm_exits"), ==,
					member_int(ro, "run", "vmexits"));
			g_assert_cmpint(json_object_get_int_member(t, "exits.mmio"), ==, n[k] - 1);
			g_assert_cmpint(json_object_get_int_member(t, "exit_cycles.mmio"), ==,
					(n[k] - 1) * (vmexit + 2500));
			g_assert_cmpint(json_object_get_int_member(t, "audit_mismatches"), ==, 0);
			g_assert_cmpint(json_object_get_int_member(s, "exits.mmio"), ==, n[k] - 1);
			g_assert_cmpint(json_object_get_int_member(s, "exit_cycles.mmio"), ==,
					(n[k] - 1) * (vmexit + 2500));
			g_assert_cmpint(json_object_get_int_member(s, "audit_mismatches"), ==, 0);
			g_assert_cmpstr(g.out, ==, e.out);
			sh_exits[k] = json_object_get_int_member(s, "vm_exits");
			sh_hidden[k] = json_object_get_int_member(s, "exits.pf_hidden");
			g_assert_cmpuint(golden_reasons(gold, 49), ==, ept ? n[k] - 1 : 0);
			g_assert_cmpuint(golden_reasons(gold, 0x400), ==,
					 ept ? 0 : member_int(ro, "run", "vmexits"));
			g_assert_cmpstr(d.out, ==, c.out);
			mmio_exits[k] = json_object_get_int_member(t, "vm_exits");
			npf[k] = json_object_get_int_member(t, "exits.npf");
			json_object_unref(ro);
			json_object_unref(co);
			json_object_unref(so);
			spawn_free(&a);
			spawn_free(&b);
			spawn_free(&c);
			spawn_free(&d);
			spawn_free(&e);
			spawn_free(&g);
			g_unlink(gold);
			g_unlink(trc);
			g_free(gold);
			g_free(trc);
			g_free(append);
		}
		g_assert_cmpint(mmio_exits[1] - mmio_exits[0], ==, 200);
		g_assert_cmpint(npf[1], ==, npf[0]);
		g_assert_cmpint(sh_exits[1] - sh_exits[0], ==, 200);
		g_assert_cmpint(sh_hidden[1], ==, sh_hidden[0]);
	}
}

/* compare --hv tdp on synth, every guest mode, 3 processes with PTE
 * writes: the audit finds nothing. With paging off every access is to
 * one of the 300 data pages (GPA = linear address): 300 EPT violations. */
static void test_tdp_synth(void)
{
	const char *gm[] = { "nopaging", "2level", "2level-pse", "pae", "4level", "5level" };

	for (unsigned i = 0; i < G_N_ELEMENTS(gm); i++) {
		const char *cmp[] = { "compare", "--hv", "tdp", "--strategy", "kvm-5.15",
				      "--strategy", "kvm-6.1", "--guest", gm[i], "--processes", "3",
				      "--switch-every", "200", "--pte-writes", "50", "--accesses",
				      "20000", "--pages", "300", "--audit", "--json", NULL };
		struct spawn_result r = tdpsim(cmp, 0);
		JsonObject *o = parse(r.out);
		JsonArray *a = json_object_get_array_member(o, "strategies");

		for (guint j = 0; j < 2; j++) {
			JsonObject *s = json_array_get_object_element(a, j);

			g_assert_cmpint(json_object_get_int_member(s, "audit_mismatches"), ==, 0);
			g_assert_cmpint(json_object_get_int_member(s, "audit_checks"), >, 1000);
			if (i == 0)
				g_assert_cmpint(json_object_get_int_member(s, "exits.npf"), ==, 300);
		}
		json_object_unref(o);
		spawn_free(&r);
	}
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-hvfeed-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/hv-feed/audit/wrong-frame", test_wrong_frame);
	g_test_add_func("/hv-feed/audit/wrong-rights", test_wrong_rights);
	g_test_add_func("/hv-feed/audit/missed-fault", test_missed_fault);
	g_test_add_func("/hv-feed/pagetest-audit", test_pagetest_audit);
	g_test_add_func("/hv-feed/trace-equals-live", test_trace_equals_live);
	g_test_add_func("/hv-feed/live-tdp-roles", test_live_tdp_roles);
	g_test_add_func("/hv-feed/tdp", test_tdp);
	g_test_add_func("/hv-feed/tdp-synth", test_tdp_synth);
	g_test_add_func("/hv-feed/mmio", test_mmio);
	rc = g_test_run();
	spawn_rmtree(tmpdir);
	g_free(tmpdir);
	return rc;
}
