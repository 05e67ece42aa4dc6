/*
 * pagetest under `tdpsim run`: the differential and end-to-end checks of
 * the CPU (issue 5, acceptance).
 *
 * - Every mode passes (exit status (0 << 1) | 1 = 1, no FAIL line) under
 *   --mmu tdpsim (the engine supplies every translation) and --mmu
 *   reference (QEMU's walker inside Unicorn), with byte-identical UART
 *   output and an identical --fault-log (vector, error code, CR2, RIP of
 *   every guest-visible exception: pagetest's faults hit no known QEMU
 *   deviation, see test_perm_matrix.c, so the error code is compared too).
 * - With a CPU model whose CPUID matches what qemu-system-x86_64 -cpu max
 *   offers under TCG (icelake-sp without PCID and INVPCID, which TCG lacks),
 *   the UART output equals the committed text qemu-system printed
 *   (guests/pagetest/expected/, checked against QEMU by test_guest_qemu),
 *   and its --fault-log lists the same exceptions (vector, error code,
 *   CR2 of a #PF, RIP) as qemu-system's own `-d int` log of the same run.
 * - --model timing (every access fed to the timing model) prints the same
 *   text as --model functional, and a host dimension (--host npt2, npt3,
 *   ept4, ept5) gives the same text and the same fault log as none.
 * - Two runs with the timing model give byte-identical statistics.
 * - The fault storm (4000 CPL3 demand faults) and a timer storm (1000 ticks
 *   at CPL3) end with no #DF: no vector 8 in the fault log.
 * - pagetest's tdx checks pass as a TD with --gpaw 48 (mode=4level) and
 *   --gpaw 52 (mode=5level), and report shared bit 47 and 51 (GPAW - 1).
 * - pagetest's triple option (empty IDT, then #UD) stops with the report
 *   and exit status 2; a missing or malformed kernel file gives one line on
 *   stderr and exit status 2.
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "guest_run.h"

/* CPUID of qemu-system-x86_64 7.2 -cpu max under TCG, as far as pagetest
 * looks (its "cpuid:" line): no PCID, no INVPCID. */
#define QEMU_MAX_FEATURES "cpu.features=pse,pae,pge,pse36,nx,1g,la57,smep,smap,syscall,sep,lm"

static gchar *tmpdir;

/* Run tdpsim run --kernel PAGETEST --append APPEND --model functional
 * --mem 64 --mmu MMU [--fault-log FLOG] EXTRA... (NULL-terminated; a later
 * --model overrides). */
static struct spawn_result tdpsim_run(const char *append, const char *mmu, const char *flog, ...)
{
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;
	va_list ap;

	g_ptr_array_add(a, (gpointer)TDPSIM_BIN);
	g_ptr_array_add(a, (gpointer) "run");
	g_ptr_array_add(a, (gpointer) "--kernel");
	g_ptr_array_add(a, (gpointer)PAGETEST_KERNEL);
	g_ptr_array_add(a, (gpointer) "--append");
	g_ptr_array_add(a, (gpointer)append);
	g_ptr_array_add(a, (gpointer) "--model");
	g_ptr_array_add(a, (gpointer) "functional");
	/* pagetest needs 32 MiB; 64 starts faster than the default 128. */
	g_ptr_array_add(a, (gpointer) "--mem");
	g_ptr_array_add(a, (gpointer) "64");
	g_ptr_array_add(a, (gpointer) "--mmu");
	g_ptr_array_add(a, (gpointer)mmu);
	if (flog) {
		g_ptr_array_add(a, (gpointer) "--fault-log");
		g_ptr_array_add(a, (gpointer)flog);
	}
	va_start(ap, flog);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		g_ptr_array_add(a, (gpointer)s);
	va_end(ap);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 120);
	g_ptr_array_free(a, TRUE);
	return r;
}

static gchar *slurp(const char *path)
{
	gchar *t = NULL;

	g_assert_true(g_file_get_contents(path, &t, NULL, NULL));
	return t;
}

static void assert_passed(const struct spawn_result *r, const char *what)
{
	if (r->status != 1 || strstr(r->out, "FAIL"))
		g_test_message("%s: status %d\nFAIL lines:\n%s\nstderr:\n%s", what, r->status,
			       grun_fail_lines(r->out), r->err);
	g_assert_cmpint(r->status, ==, 1);
	g_assert_null(strstr(r->out, "FAIL"));
	g_assert_nonnull(strstr(r->out, "\nSUMMARY pagetest mode="));
}

/* No #DF (vector 8) among the guest-visible exceptions; returns the
 * number of #PF lines. Log lines: "VV EEEE CR2 RIP" in hex. */
static unsigned flog_check(const char *log)
{
	gchar **lines = g_strsplit(log, "\n", -1);
	unsigned npf = 0;

	for (unsigned i = 0; lines[i]; i++) {
		if (!lines[i][0])
			continue;
		unsigned vec = (unsigned)g_ascii_strtoull(lines[i], NULL, 16);

		g_assert_cmpuint(vec, !=, 8);
		npf += vec == 14;
	}
	g_strfreev(lines);
	return npf;
}

/* Both MMUs: same UART text, same fault log; returns the UART text. */
static gchar *run_both(const char *append, unsigned *npf, const char *extra)
{
	gchar *fa = g_build_filename(tmpdir, "flog-tdpsim.txt", NULL);
	gchar *fb = g_build_filename(tmpdir, "flog-reference.txt", NULL);
	struct spawn_result a = tdpsim_run(append, "tdpsim", fa, extra, NULL);
	struct spawn_result b = tdpsim_run(append, "reference", fb, extra, NULL);
	gchar *la, *lb, *out;

	assert_passed(&a, "--mmu tdpsim");
	assert_passed(&b, "--mmu reference");
	g_assert_cmpstr(a.out, ==, b.out);
	la = slurp(fa);
	lb = slurp(fb);
	g_assert_cmpstr(la, ==, lb);
	*npf = flog_check(la);
	out = g_strdup(a.out);
	g_free(la);
	g_free(lb);
	g_free(fa);
	g_free(fb);
	spawn_free(&a);
	spawn_free(&b);
	return out;
}

static void test_mode(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s", mode);
	unsigned npf;
	gchar *out = run_both(append, &npf, NULL);

	/* At least the demand-paging test's 9 first touches and the
	 * user-supervisor fault reach the guest's #PF handler. */
	g_assert_cmpuint(npf, >=, 10);
	/* Where the model offers PCID/INVPCID, their tests ran and passed. */
	if (strstr(out, " +invpcid"))
		g_assert_nonnull(strstr(out, "\nPASS invpcid\n"));
	if (strstr(out, " +pcid") && (g_str_equal(mode, "4level") || g_str_equal(mode, "5level")))
		g_assert_nonnull(strstr(out, "\nPASS processes-pcid\n"));
	g_free(out);
	g_free(append);
}

/* "VV E CR2 RIP" (hex) of every exception in @log, one per line, CR2 kept
 * for #PF only. @qemu: a `qemu-system-x86_64 -d int` log, whose entries
 * read "N: v=VV e=EEEE i=I cpl=C IP=SEL:RIP ... CR2=CR2": exceptions are
 * the entries with i=0 (not INT n) and v < 32 (not an external
 * interrupt). Otherwise a --fault-log: "VV E CR2 RIP" per line. */
static gchar *exceptions_of(const char *log, bool qemu)
{
	GString *s = g_string_new("");
	gchar **lines = g_strsplit(log, "\n", -1);

	for (unsigned i = 0; lines[i]; i++) {
		unsigned long long v, e, cr2 = 0, rip;
		unsigned soft;
		const char *p, *q;

		if (qemu) {
			p = strstr(lines[i], ": v=");
			q = strstr(lines[i], " CR2=");
			if (!p || !q || sscanf(p, ": v=%llx e=%llx i=%u", &v, &e, &soft) != 3 ||
			    !(p = strstr(p, " IP=")) || !(p = strchr(p, ':')) ||
			    sscanf(p + 1, "%llx", &rip) != 1 || sscanf(q + 5, "%llx", &cr2) != 1)
				continue;
			if (soft || v >= 32)
				continue;
		} else if (sscanf(lines[i], "%llx %llx %llx %llx", &v, &e, &cr2, &rip) != 4) {
			continue;
		}
		g_string_append_printf(s, "%02llx %llx %llx %llx\n", v, e, v == 14 ? cr2 : 0, rip);
	}
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}

/* The same text as qemu-system-x86_64, on a model with QEMU's CPUID, and
 * the same guest-visible exceptions (vector, error code, CR2, RIP) as
 * qemu-system's `-d int` log shows, when qemu-system is installed. */
static void test_vs_qemu(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s", mode);
	gchar *want = grun_expected(mode);
	gchar *cfg = g_build_filename(TDPSIM_SOURCE_DIR, "configs", "icelake-sp.ini", NULL);
	gchar *flog = g_build_filename(tmpdir, "flog-tdpsim.txt", NULL);
	gchar *qlog = g_build_filename(tmpdir, "qemu-int.log", NULL);
	gchar *qemu = g_find_program_in_path("qemu-system-x86_64");
	struct spawn_result r =
	    tdpsim_run(append, "tdpsim", flog, "--config", cfg, "--set", QEMU_MAX_FEATURES, NULL);
	struct spawn_result q = {0};
	gchar *ft = NULL, *qt = NULL, *fx = NULL, *qx = NULL;

	g_assert_nonnull(want);
	assert_passed(&r, "QEMU-like CPUID");
	g_assert_cmpstr(r.out, ==, want);
	if (!qemu) {
		g_test_message("qemu-system-x86_64 not installed: exceptions not compared");
		goto out;
	}
	const char *const dlog[] = {"-d", "int", "-D", qlog, NULL};

	q = grun_qemu(qemu, append, dlog);
	g_assert_cmpint(q.status, ==, 1);
	g_assert_cmpstr(q.out, ==, want);
	ft = slurp(flog);
	qt = slurp(qlog);
	fx = exceptions_of(ft, false);
	qx = exceptions_of(qt, true);
	/* At least the 9 demand faults and the user-supervisor fault. */
	g_assert_cmpuint(strlen(qx), >, 10 * 10);
	g_assert_cmpstr(fx, ==, qx);
out:
	g_unlink(qlog);
	spawn_free(&r);
	spawn_free(&q);
	g_free(ft);
	g_free(qt);
	g_free(fx);
	g_free(qx);
	g_free(qemu);
	g_free(qlog);
	g_free(flog);
	g_free(cfg);
	g_free(want);
	g_free(append);
}

/* --model timing feeds every access to the timing model; what the guest
 * computes must not change: the same UART text as --model functional. */
static void test_timing(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s", mode);
	struct spawn_result f = tdpsim_run(append, "tdpsim", NULL, NULL);
	struct spawn_result t = tdpsim_run(append, "tdpsim", NULL, "--model", "timing", NULL);

	assert_passed(&f, "--model functional");
	assert_passed(&t, "--model timing");
	g_assert_cmpstr(t.out, ==, f.out);
	spawn_free(&f);
	spawn_free(&t);
	g_free(append);
}

/* A host dimension (nested paging under the guest's tables) changes costs,
 * never what the guest sees: the same UART text and the same
 * guest-visible exceptions as without one (DESIGN.md: host-dimension
 * faults are the hypervisor's, never the guest's). */
static void test_host(gconstpointer data)
{
	gchar **hm = g_strsplit(data, ":", 2); /* "HOST:MODE" */
	gchar *append = g_strdup_printf("mode=%s", hm[1]);
	gchar *fa = g_build_filename(tmpdir, "flog-tdpsim.txt", NULL);
	gchar *fb = g_build_filename(tmpdir, "flog-reference.txt", NULL);
	struct spawn_result a = tdpsim_run(append, "tdpsim", fa, NULL);
	struct spawn_result b = tdpsim_run(append, "tdpsim", fb, "--host", hm[0], NULL);
	gchar *la, *lb;

	assert_passed(&a, "no host");
	assert_passed(&b, hm[0]);
	g_assert_cmpstr(b.out, ==, a.out);
	la = slurp(fa);
	lb = slurp(fb);
	g_assert_cmpstr(lb, ==, la);
	g_free(la);
	g_free(lb);
	spawn_free(&a);
	spawn_free(&b);
	g_free(fa);
	g_free(fb);
	g_free(append);
	g_strfreev(hm);
}

/* Time is virtual (instructions): two runs of the same guest, timer
 * interrupts and fault storm included, give byte-identical statistics
 * (--json on stdout) and UART text (on stderr with --json). */
static void test_deterministic(void)
{
	struct spawn_result r[2];

	for (unsigned i = 0; i < 2; i++)
		r[i] = tdpsim_run("mode=4level storm=600", "tdpsim", NULL, "--model", "timing",
				  "--host", "ept4", "--json", NULL);
	g_assert_cmpint(r[0].status, ==, 1);
	g_assert_cmpint(r[1].status, ==, 1);
	g_assert_nonnull(strstr(r[0].out, "\"exceptions\""));
	g_assert_cmpstr(r[0].out, ==, r[1].out);
	g_assert_cmpstr(r[0].err, ==, r[1].err);
	spawn_free(&r[0]);
	spawn_free(&r[1]);
}

/* A member of the run's --json output: "run" or "stats" object, @key. */
static gint64 json_member(const char *json, const char *obj, const char *key)
{
	JsonParser *p = json_parser_new();
	gint64 v;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	JsonObject *o = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)),
						      obj);
	g_assert_true(json_object_has_member(o, key));
	v = json_object_get_int_member(o, key);
	g_object_unref(p);
	return v;
}

/* The same kernel from two folders (paths of different lengths): the
 * Multiboot command line names it by its base name, so the runs are the
 * same run, with byte-identical statistics and output. */
static void test_two_paths(void)
{
	g_autofree gchar *d1 = g_build_filename(tmpdir, "p", NULL);
	g_autofree gchar *d2 = g_build_filename(tmpdir, "a-much-longer-folder", "below", NULL);
	g_autofree gchar *k1 = g_build_filename(d1, "pagetest", NULL);
	g_autofree gchar *k2 = g_build_filename(d2, "pagetest", NULL);
	gchar *img = NULL;
	gsize len = 0;
	struct spawn_result r[2];
	const char *k[2] = {k1, k2};

	g_assert_true(g_file_get_contents(PAGETEST_KERNEL, &img, &len, NULL));
	g_assert_cmpint(g_mkdir_with_parents(d1, 0700), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(d2, 0700), ==, 0);
	g_assert_true(g_file_set_contents(k1, img, (gssize)len, NULL));
	g_assert_true(g_file_set_contents(k2, img, (gssize)len, NULL));
	for (unsigned i = 0; i < 2; i++) {
		const char *argv[] = {TDPSIM_BIN, "run", "--kernel", k[i], "--append",
				      "mode=4level", "--mem", "64", "--json", NULL};

		r[i] = spawn_argv(argv, 120);
		g_assert_cmpint(r[i].status, ==, 1);
	}
	g_assert_cmpint(json_member(r[0].out, "run", "instructions"), >, 0);
	g_assert_cmpstr(r[0].out, ==, r[1].out);
	g_assert_cmpstr(r[0].err, ==, r[1].err);
	for (unsigned i = 0; i < 2; i++) {
		spawn_free(&r[i]);
		g_unlink(k[i]);
	}
	g_free(img);
}

/*
 * VPID (SDM Vol. 3C 29.1): with VPID off (--vpid 0) every VM exit and VM
 * entry invalidates the guest's linear and combined mappings, so the model
 * counts one such flush per VM exit the hypervisor model took; with a VPID
 * (the default, as KVM gives one) there is none, and the guest's TLB
 * entries survive, so it walks less.
 */
static void test_vpid(void)
{
	struct spawn_result on = tdpsim_run("mode=4level", "tdpsim", NULL, "--model", "timing",
					    "--host", "ept4", "--json", NULL);
	struct spawn_result off = tdpsim_run("mode=4level", "tdpsim", NULL, "--model", "timing",
					     "--host", "ept4", "--vpid", "0", "--json", NULL);

	g_assert_cmpint(on.status, ==, 1);
	g_assert_cmpint(off.status, ==, 1);
	g_assert_cmpint(json_member(on.out, "run", "vmexits"), >, 10);
	g_assert_cmpint(json_member(on.out, "stats", "flushes.vmx"), ==, 0);
	g_assert_cmpint(json_member(off.out, "stats", "flushes.vmx"), ==,
			json_member(off.out, "run", "vmexits"));
	g_assert_cmpint(json_member(off.out, "stats", "walks"), >,
			json_member(on.out, "stats", "walks"));
	spawn_free(&on);
	spawn_free(&off);
}

/*
 * README's default job: `tdpsim run` with no options boots the built
 * pagetest (4-level paging) on the default CPU model with the timing model,
 * every test passes (isa-debug-exit 0: status 1), and the statistics are
 * there: walks happened, each of at least one reference.
 */
static void test_default_job(void)
{
	const char *argv[] = { TDPSIM_BIN, "run", "--json", NULL };
	struct spawn_result r = spawn_argv(argv, 120);

	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.err, "SUMMARY pagetest mode=4level:"));
	g_assert_null(strstr(r.err, "FAIL"));
	g_assert_cmpint(json_member(r.out, "run", "exit_status"), ==, 1);
	g_assert_cmpint(json_member(r.out, "stats", "walks"), >, 0);
	g_assert_cmpint(json_member(r.out, "stats", "walk_refs"), >=,
			json_member(r.out, "stats", "walks"));
	g_assert_cmpint(json_member(r.out, "stats", "instructions"), ==,
			json_member(r.out, "run", "instructions"));
	spawn_free(&r);
}

static void test_storm(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s storm=4000 ticks=1000", mode);
	unsigned npf;
	gchar *out = run_both(append, &npf, NULL);

	g_assert_nonnull(strstr(out, "\nPASS fault-storm\n"));
	g_assert_nonnull(strstr(out, "\nPASS timer-cpl3\n"));
	g_assert_cmpuint(npf, >=, 4000 + 10);
	g_free(out);
	g_free(append);
}

static void test_tdx(gconstpointer data)
{
	gchar **gm = g_strsplit(data, ":", 2); /* "GPAW:MODE" */
	unsigned bits = (unsigned)g_ascii_strtoull(gm[0], NULL, 10);
	gchar *line = g_strdup_printf("\ntdx: GPAW %u, shared bit %u\n", bits, bits - 1);
	gchar *append = g_strdup_printf("mode=%s tdx", gm[1]);
	struct spawn_result r = tdpsim_run(append, "tdpsim", NULL, "--gpaw", gm[0], NULL);

	assert_passed(&r, "tdx");
	g_assert_nonnull(strstr(r.out, line));
	g_assert_nonnull(strstr(r.out, "\nPASS tdx-info\n"));
	g_assert_nonnull(strstr(r.out, "\nPASS tdx-shared\n"));
	g_assert_nonnull(strstr(r.out, "\nPASS tdx-private\n"));
	spawn_free(&r);
	g_free(append);
	g_free(line);
	g_strfreev(gm);
}

static void test_triple(void)
{
	struct spawn_result r = tdpsim_run("mode=4level triple", "tdpsim", NULL, NULL);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.out, "\ntriple: empty IDT, then #UD\n"));
	g_assert_null(strstr(r.out, "SUMMARY"));
	/* The report names the triple fault (report.c). */
	g_assert_nonnull(strcasestr(r.err, "triple"));
	spawn_free(&r);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void bad_kernel(const char *path)
{
	const char *argv[] = {TDPSIM_BIN, "run", "--kernel", path, "--model", "functional", NULL};
	struct spawn_result r = spawn_argv(argv, 60);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpuint(count_lines(r.err), ==, 1);
	g_assert_nonnull(strstr(r.err, path));
	g_assert_cmpstr(r.out, ==, "");
	spawn_free(&r);
}

static void test_bad_kernel(void)
{
	gchar *missing = g_build_filename(tmpdir, "no-such-kernel", NULL);
	gchar *garbage = g_build_filename(tmpdir, "garbage-kernel", NULL);
	gchar *trunc = g_build_filename(tmpdir, "truncated-kernel", NULL);
	gchar *img = NULL;
	gsize len = 0;

	bad_kernel(missing);
	g_assert_true(g_file_set_contents(garbage, "this is not a kernel\n", -1, NULL));
	bad_kernel(garbage);
	/* pagetest cut inside its first segment: header valid, image short. */
	g_assert_true(g_file_get_contents(PAGETEST_KERNEL, &img, &len, NULL));
	g_assert_cmpuint(len, >, 0x1800);
	g_assert_true(g_file_set_contents(trunc, img, 0x1800, NULL));
	bad_kernel(trunc);
	g_free(img);
	g_free(missing);
	g_free(garbage);
	g_free(trunc);
}

int main(int argc, char **argv)
{
	static const char *modes[] = {"2level", "2level-pse", "pae", "4level", "5level"};
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-run-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
		gchar *name = g_strdup_printf("/run/pagetest/%s", modes[i]);
		g_test_add_data_func(name, modes[i], test_mode);
		g_free(name);
		name = g_strdup_printf("/run/vs-qemu/%s", modes[i]);
		g_test_add_data_func(name, modes[i], test_vs_qemu);
		g_free(name);
	}
	g_test_add_data_func("/run/timing/pae", "pae", test_timing);
	g_test_add_data_func("/run/timing/5level", "5level", test_timing);
	g_test_add_data_func("/run/host/npt2", "npt2:2level-pse", test_host);
	g_test_add_data_func("/run/host/npt3", "npt3:pae", test_host);
	g_test_add_data_func("/run/host/ept4", "ept4:4level", test_host);
	g_test_add_data_func("/run/host/ept5", "ept5:5level", test_host);
	g_test_add_func("/run/deterministic", test_deterministic);
	g_test_add_func("/run/two-paths", test_two_paths);
	g_test_add_func("/run/vpid", test_vpid);
	g_test_add_func("/run/default-job", test_default_job);
	g_test_add_data_func("/run/storm/pae", "pae", test_storm);
	g_test_add_data_func("/run/storm/4level", "4level", test_storm);
	g_test_add_data_func("/run/tdx/48", "48:4level", test_tdx);
	g_test_add_data_func("/run/tdx/52", "52:5level", test_tdx);
	g_test_add_func("/run/triple", test_triple);
	g_test_add_func("/run/bad-kernel", test_bad_kernel);
	rc = g_test_run();
	/* Leave nothing behind. */
	const char *names[] = {"flog-tdpsim.txt", "flog-reference.txt", "no-such-kernel",
			       "garbage-kernel", "truncated-kernel"};
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
		gchar *p = g_build_filename(tmpdir, names[i], NULL);
		g_unlink(p);
		g_free(p);
	}
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
