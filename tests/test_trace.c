/*
 * Traces end to end (issue 10's acceptance): `tdpsim run --record`, then
 * `tdpsim replay`, against the live run the replay stands for.
 *
 *  - For every guest mode of pagetest, replaying under the recording
 *    configuration gives the live run's statistics, byte for byte.
 *  - A trace recorded under the default configuration, replayed under a
 *    configuration B, gives the statistics of a live run under B with the
 *    trace's guest-visible CPU part (`run --config B --guest-cpu
 *    icelake-sp`): three CPU models' timing parts, TLB and PWC sizes,
 *    hosts none/npt4/ept4/ept5, VPID off.
 *  - An access the hypervisor emulates (MMIO) is one VM exit each, and a
 *    trace of such accesses replays under each host to the live run.
 *  - A recorded trace is a function of the guest: recording a run again
 *    while Unicorn's TLB is flushed after every fill, or every third,
 *    gives the same bytes (guest modes, a host, a TD, MMIO).
 *  - A TD's trace replays under other CPU models' timing parts.
 *  - Several configurations in one pass equal the single replays.
 *  - A B whose hardware could not have run the guest is refused.
 *
 * The expectation is always an independent live run of the emulated CPU,
 * never the replayer's own output.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hv/tdx.h"
#include "spawn.h"

static gchar *dir;

/* The "stats" member of the JSON a command printed (status @want). */
static gchar *stats_of(struct spawn_result *r, int want, const char *what)
{
	JsonParser *p = json_parser_new();
	JsonObject *o;
	JsonNode *n;
	gchar *s;

	if (r->status != want)
		g_error("%s: exit status %d (expected %d): %s", what, r->status, want, r->err);
	g_assert_true(json_parser_load_from_data(p, r->out, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	g_assert_true(json_object_has_member(o, "stats"));
	n = json_object_get_member(o, "stats");
	s = json_to_string(n, TRUE);
	g_object_unref(p);
	spawn_free(r);
	return s;
}

static gchar *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* `run ARGS --record TRACE --json`: the live statistics. */
static gchar *record(const char *trace, const char *const *args)
{
	GPtrArray *a = g_ptr_array_new();
	const char *cmd[] = { TDPSIM_BIN, "run", "--kernel", PAGETEST_KERNEL, "--json" };

	for (unsigned i = 0; i < G_N_ELEMENTS(cmd); i++)
		g_ptr_array_add(a, (gpointer)cmd[i]);
	for (const char *const *p = args; *p; p++)
		g_ptr_array_add(a, (gpointer)*p);
	if (trace) {
		g_ptr_array_add(a, (gpointer) "--record");
		g_ptr_array_add(a, (gpointer)trace);
	}
	g_ptr_array_add(a, NULL);
	struct spawn_result r = spawn_argv((const char *const *)a->pdata, 600);

	g_ptr_array_free(a, TRUE);
	return stats_of(&r, 1 /* pagetest: every check passed */, "tdpsim run");
}

static struct spawn_result replay_v(const char *trace, const char *const *args)
{
	GPtrArray *a = g_ptr_array_new();

	g_ptr_array_add(a, (gpointer)TDPSIM_BIN);
	g_ptr_array_add(a, (gpointer) "replay");
	g_ptr_array_add(a, (gpointer)trace);
	g_ptr_array_add(a, (gpointer) "--json");
	for (const char *const *p = args; *p; p++)
		g_ptr_array_add(a, (gpointer)*p);
	g_ptr_array_add(a, NULL);
	struct spawn_result r = spawn_argv((const char *const *)a->pdata, 600);

	g_ptr_array_free(a, TRUE);
	return r;
}

static gchar *replay(const char *trace, const char *const *args)
{
	struct spawn_result r = replay_v(trace, args);

	return stats_of(&r, 0, "tdpsim replay");
}

static void test_modes(void)
{
	static const char *const modes[] = { "mode=2level", "mode=2level-pse", "mode=pae",
					     "mode=4level", "mode=5level" };

	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
		gchar *trace = path_of("mode.trc");
		const char *args[] = { "--append", modes[i], NULL };
		const char *none[] = { NULL };
		gchar *live = record(trace, args), *rep = replay(trace, none);

		g_test_message("%s", modes[i]);
		g_assert_cmpstr(rep, ==, live);
		g_free(live);
		g_free(rep);
		g_unlink(trace);
		g_free(trace);
	}
}

/* Each B: its replay options; the live run adds --guest-cpu icelake-sp
 * (the recording's CPU model) to the same options. */
static const char *const configs[][5] = {
	{ "--config", "skylake-sp", NULL },
	{ "--config", "zen2", NULL },
	{ "--config", "icelake-sp", NULL },
	{ "--set", "tlb.l1d.entries=32", NULL },
	{ "--set", "tlb.stlb.entries=512", NULL },
	{ "--set", "pwc.pml4.entries=0", NULL },
	{ "--host", "none", NULL },
	{ "--host", "npt4", NULL },
	{ "--host", "ept4", NULL },
	{ "--host", "ept5", NULL },
	{ "--host", "ept4", "--vpid", "0", NULL },
	{ "--config", "zen2", "--host", "npt4", NULL },
};

/* Record pagetest with @guest (its --append and the like) under the
 * default configuration; each B of configs[] (only those with a host
 * dimension if @hosts_only) replays it to the statistics of a live run
 * under B. */
static void replays_equal_live(const char *const *guest, bool hosts_only)
{
	gchar *trace = path_of("default.trc");

	g_free(record(trace, guest));
	for (unsigned i = 0; i < G_N_ELEMENTS(configs); i++) {
		const char *args[12] = { 0 };
		unsigned n = 0;
		bool host = false;

		for (const char *const *p = configs[i]; *p; p++) {
			host = host || strcmp(*p, "--host") == 0;
			args[n++] = *p;
		}
		if (hosts_only && !host)
			continue;
		gchar *rep = replay(trace, args);

		args[n++] = "--guest-cpu";
		args[n++] = "icelake-sp";
		for (const char *const *p = guest; *p; p++)
			args[n++] = *p;
		gchar *live = record(NULL, args);

		g_test_message("B = %s %s", configs[i][0], configs[i][1]);
		g_assert_cmpstr(rep, ==, live);
		g_free(rep);
		g_free(live);
	}
	g_unlink(trace);
	g_free(trace);
}

static void test_configs(void)
{
	const char *none[] = { NULL };

	replays_equal_live(none, false);
}

/* stats.vmexits of a live pagetest run with @args. */
static guint64 live_vmexits(const char *const *args)
{
	gchar *s = record(NULL, args);
	JsonParser *p = json_parser_new();
	guint64 v;

	g_assert_true(json_parser_load_from_data(p, s, -1, NULL));
	v = (guint64)json_object_get_int_member(json_node_get_object(json_parser_get_root(p)),
						 "vmexits");
	g_object_unref(p);
	g_free(s);
	return v;
}

/*
 * Accesses the hypervisor emulates (pagetest mmio=N: N reads of the local
 * APIC's MMIO page): under a host dimension one VM exit per access, not
 * per translation of the page (Unicorn translates it once and caches it,
 * or again after any flush: a count that follows its TLB's wall-clock
 * resizing, which made a none-recorded Linux boot replay one exit off the
 * live ept4 boot). So 300 reads make exactly 200 exits more than 100; none
 * without a host; and a trace recorded without a host replays under each
 * host to the live run's statistics.
 */
static void test_mmio(void)
{
	static const char *const hosts[] = { "ept4", "npt4", "ept5" };
	const char *guest[] = { "--append", "mode=4level mmio=100", NULL };

	for (unsigned i = 0; i < G_N_ELEMENTS(hosts); i++) {
		const char *a100[] = { "--host", hosts[i], "--append", "mode=4level mmio=100", NULL };
		const char *a300[] = { "--host", hosts[i], "--append", "mode=4level mmio=300", NULL };
		guint64 e100 = live_vmexits(a100), e300 = live_vmexits(a300);

		g_test_message("%s: %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT " exits", hosts[i],
			       e100, e300);
		g_assert_cmpuint(e300 - e100, ==, 200);
	}
	g_assert_cmpuint(live_vmexits(guest), ==, 0);
	replays_equal_live(guest, true);
}

/*
 * A recorded trace is a function of the guest, not of Unicorn's TLB:
 * Unicorn refills a page whenever its TLB lost it, which in a real run
 * follows QEMU's TLB resizing on its wall clock (and tdpsim's own growth
 * and alias flushes). Recording the same run while that TLB is flushed
 * after every fill, or after every third (TDPSIM_UNICORN_TLB_FLUSH: the
 * most refills there can be, and another pattern), must give the bytes of
 * the plain recording, and the same statistics. The trace's name is the
 * same each time: the header names the command.
 */
static void test_deterministic(void)
{
	static const char *const runs[][6] = {
		{ "--append", "mode=4level", NULL },
		{ "--append", "mode=pae", NULL },
		{ "--append", "mode=2level-pse", NULL },
		{ "--append", "mode=4level mmio=20", "--host", "ept4", NULL },
		{ "--append", "mode=pae", "--host", "npt4", "--no-role-normalise", NULL },
		{ "--append", "mode=5level tdx", "--gpaw", "52", NULL },
	};
	static const char *const flush[] = { NULL, "1", "3" };
	gchar *trace = path_of("det.trc");

	for (unsigned i = 0; i < G_N_ELEMENTS(runs); i++) {
		gchar *bytes0 = NULL, *stats0 = NULL;
		gsize len0 = 0;

		for (unsigned f = 0; f < G_N_ELEMENTS(flush); f++) {
			gchar *bytes, *stats;
			gsize len;

			if (flush[f])
				g_setenv("TDPSIM_UNICORN_TLB_FLUSH", flush[f], TRUE);
			else
				g_unsetenv("TDPSIM_UNICORN_TLB_FLUSH");
			stats = record(trace, runs[i]);
			g_unsetenv("TDPSIM_UNICORN_TLB_FLUSH");
			g_assert_true(g_file_get_contents(trace, &bytes, &len, NULL));
			g_test_message("%s %s: flush every %s fills: %zu bytes", runs[i][1],
				       runs[i][2] ? runs[i][3] : "", flush[f] ? flush[f] : "no",
				       (size_t)len);
			if (!bytes0) {
				bytes0 = bytes;
				len0 = len;
				stats0 = stats;
				continue;
			}
			g_assert_cmpstr(stats, ==, stats0);
			g_assert_cmpuint(len, ==, len0);
			g_assert_true(memcmp(bytes, bytes0, len) == 0);
			g_free(bytes);
			g_free(stats);
		}
		g_free(bytes0);
		g_free(stats0);
	}
	g_unlink(trace);
	g_free(trace);
}

/* Several configurations in one pass: a column each, equal to the single
 * replays. */
static void test_multi(void)
{
	gchar *trace = path_of("multi.trc");
	const char *none[] = { NULL }, *two[] = { "--config", "icelake-sp", "--config", "zen2",
						   NULL };
	const char *z[] = { "--config", "zen2", NULL };
	struct spawn_result r;
	JsonParser *p = json_parser_new();
	JsonArray *a;

	g_free(record(trace, none));
	gchar *one = replay(trace, none), *zen = replay(trace, z);

	r = replay_v(trace, two);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(json_parser_load_from_data(p, r.out, -1, NULL));
	a = json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "configs");
	g_assert_cmpuint(json_array_get_length(a), ==, 2);
	for (unsigned i = 0; i < 2; i++) {
		JsonNode *s = json_object_get_member(json_array_get_object_element(a, i), "stats");
		gchar *t = json_to_string(s, TRUE);

		g_assert_cmpstr(t, ==, i ? zen : one);
		g_free(t);
	}
	g_object_unref(p);
	spawn_free(&r);
	g_free(one);
	g_free(zen);
	g_unlink(trace);
	g_free(trace);
}

/* pagetest's TD converts a page to shared and back (MapGPA): the live
 * run counts the conversions, the leaves they zapped and the flushes, and
 * every flush reached the timing model as an INVEPT (its TLBs and
 * paging-structure caches), whose count the replay above reproduced. */
static void tdx_counts(void)
{
	const char *cmd[] = { TDPSIM_BIN, "run", "--kernel", PAGETEST_KERNEL, "--json",
			      "--append", "mode=4level tdx", "--gpaw", "48", NULL };
	struct spawn_result r = spawn_argv(cmd, 600);
	JsonParser *p = json_parser_new();
	JsonObject *o, *t, *st;

	g_assert_cmpint(r.status, ==, 1);
	g_assert_true(json_parser_load_from_data(p, r.out, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	t = json_object_get_object_member(json_object_get_object_member(o, "run"), "tdx");
	st = json_object_get_object_member(o, "stats");
	g_assert_cmpint(json_object_get_int_member(t, "conversions"), >=, 2);
	g_assert_cmpint(json_object_get_int_member(t, "flushes"), >=, 1);
	g_assert_cmpint(json_object_get_int_member(t, "zapped"), ==,
			json_object_get_int_member(t, "flushes"));
	g_assert_cmpint(json_object_get_int_member(st, "flushes.invept"), ==,
			json_object_get_int_member(t, "flushes"));
	g_assert_cmpint(json_object_get_int_member(t, "conversion_cycles"), ==,
			json_object_get_int_member(t, "conversions") * HV_TDX_COST_CONVERT +
				json_object_get_int_member(t, "flushes") * HV_TDX_COST_FLUSH);
	g_object_unref(p);
	spawn_free(&r);
}

static void test_tdx(void)
{
	gchar *trace = path_of("tdx.trc");
	const char *rec[] = { "--append", "mode=4level tdx", "--gpaw", "48", NULL };
	const char *b[] = { "--config", "zen2", NULL };
	const char *live_b[] = { "--append", "mode=4level tdx", "--gpaw", "48", "--config", "zen2",
				 "--guest-cpu", "icelake-sp", NULL };

	g_free(record(trace, rec));
	gchar *rep = replay(trace, b), *live = record(NULL, live_b);

	g_assert_cmpstr(rep, ==, live);
	tdx_counts();
	/* A TD chose its shared bit from its GPAW: no other host runs it. */
	const char *other[] = { "--host", "ept4", NULL };
	struct spawn_result r = replay_v(trace, other);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "GPAW 48"));
	spawn_free(&r);
	g_free(rep);
	g_free(live);
	g_unlink(trace);
	g_free(trace);
}

/* A 5-level guest cannot run on a CPU without LA57 (Skylake-SP): one line,
 * exit 2. */
static void test_refuse_la57(void)
{
	gchar *trace = path_of("la57.trc");
	const char *rec[] = { "--append", "mode=5level", NULL };
	const char *b[] = { "--config", "skylake-sp", NULL };
	struct spawn_result r;

	g_free(record(trace, rec));
	r = replay_v(trace, b);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "LA57"));
	g_assert_cmpuint(strchr(r.err, '\n') - r.err + 1, ==, strlen(r.err));
	spawn_free(&r);
	g_unlink(trace);
	g_free(trace);
}

/* synth --record: the replay's statistics are the synth run's (its JSON
 * holds them at the top level, beside its own keys). */
static void test_synth(void)
{
	gchar *trace = path_of("synth.trc");
	const char *argv[] = { TDPSIM_BIN, "synth", "--pattern", "random", "--pages", "10000",
			       "--accesses", "200000", "--json", "--record", trace, NULL };
	const char *none[] = { NULL };
	struct spawn_result r = spawn_argv(argv, 600);
	JsonObject *live = spawn_json_object(&r, "tdpsim synth");
	JsonParser *p = json_parser_new();
	gchar *rep = replay(trace, none);
	GList *keys;
	unsigned n = 0;

	g_assert_true(json_parser_load_from_data(p, rep, -1, NULL));
	keys = json_object_get_members(json_node_get_object(json_parser_get_root(p)));
	for (GList *k = keys; k; k = k->next) {
		JsonNode *a = json_object_get_member(json_node_get_object(json_parser_get_root(p)),
						     k->data);
		gchar *x, *y;

		if (!json_object_has_member(live, k->data))
			continue;
		x = json_to_string(a, FALSE);
		y = json_to_string(json_object_get_member(live, k->data), FALSE);
		g_assert_cmpstr(x, ==, y);
		g_free(x);
		g_free(y);
		n++;
	}
	g_assert_cmpuint(n, >, 50);
	g_list_free(keys);
	g_object_unref(p);
	json_object_unref(live);
	spawn_free(&r);
	g_free(rep);
	g_unlink(trace);
	g_free(trace);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("tdpsim-trace-XXXXXX", NULL);
	g_assert_nonnull(dir);
	g_test_add_func("/trace/modes", test_modes);
	g_test_add_func("/trace/configs", test_configs);
	g_test_add_func("/trace/mmio", test_mmio);
	g_test_add_func("/trace/deterministic", test_deterministic);
	g_test_add_func("/trace/multi", test_multi);
	g_test_add_func("/trace/tdx", test_tdx);
	g_test_add_func("/trace/refuse-la57", test_refuse_la57);
	g_test_add_func("/trace/synth", test_synth);
	rc = g_test_run();
	g_rmdir(dir);
	g_free(dir);
	return rc;
}
