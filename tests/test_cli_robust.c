/*
 * Bad input and failed output at the command line (issue: robustness):
 * results that cannot be written, memory budgets checked before
 * allocating, images mapped rather than copied, and options whose bad
 * values used to be ignored. Every refusal is one line on stderr and exit
 * status 2; the expectations are the documented behaviour (docs/cli-*.md),
 * not read back from the code.
 */
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "spawn.h"

/* run prints the guest's console or its statistics on stderr before the
 * error: keep the last line, the one that must say what failed. */
static void keep_last_line(struct spawn_result *r)
{
	char *last = g_strrstr_len(r->err, (gssize)strlen(r->err) - 1, "\n");

	if (last)
		memmove(r->err, last + 1, strlen(last));
}

/* `tdpsim ARGS... > /dev/full`, through sh (spawn has no redirection). */
static struct spawn_result run_to_full(const char *const *args)
{
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(a, (gpointer) "sh");
	g_ptr_array_add(a, (gpointer) "-c");
	g_ptr_array_add(a, (gpointer) "exec \"$0\" \"$@\" > /dev/full");
	g_ptr_array_add(a, (gpointer)TDPSIM_BIN);
	for (const char *const *p = args; *p; p++)
		g_ptr_array_add(a, (gpointer)*p);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 0);
	g_ptr_array_free(a, TRUE);
	return r;
}

static void test_output_full(void)
{
	static const char *const synth[] = { "synth", "--pattern", "random", "--pages", "64",
					     "--accesses", "100", NULL };
	static const char *const synth_json[] = { "synth", "--pattern", "random", "--pages", "64",
						  "--accesses", "100", "--json", NULL };
	static const char *const synth_csv[] = { "synth", "--pattern", "random", "--pages", "64",
						 "--accesses", "100", "--csv", NULL };
	static const char *const walk[] = { "walk", "--synthetic", NULL };
	static const char *const walk_json[] = { "walk", "--synthetic", "--json", NULL };
	/* The guest passes (status 1) and the JSON is lost: 2, not 1. */
	static const char *const run_json[] = { "run", "--json", "--model", "functional", NULL };
	static const char *const help[] = { "help", NULL };
	const char *const *cmds[] = { synth, synth_json, synth_csv, walk, walk_json, run_json,
				      help };

	for (unsigned i = 0; i < G_N_ELEMENTS(cmds); i++) {
		struct spawn_result r = run_to_full(cmds[i]);

		/* run --json moves the guest's console to stderr: the error is
		 * the one line after it. */
		if (cmds[i] == run_json)
			keep_last_line(&r);
		spawn_expect_one_line(&r, "cannot write the output (stdout): No space left on device");
		spawn_free(&r);
	}

	/* The same runs to a working stdout succeed: the failure is the write. */
	struct spawn_result r = spawn_tdpsim("run", "--json", "--model", "functional", NULL);
	g_assert_cmpint(r.status, ==, 1);
	spawn_free(&r);

	/* A --fault-log that cannot be written. */
	r = spawn_tdpsim("run", "--model", "functional", "--fault-log", "/dev/full", NULL);
	keep_last_line(&r);
	spawn_expect_one_line(&r, "cannot write --fault-log /dev/full: No space left on device");
	spawn_free(&r);
}

static void test_budgets(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *ini = g_build_filename(dir, "bigcache.ini", NULL);
	struct spawn_result r;

	/* 10^9 pages of 4 KiB: at least 10^9 / 512 PTE pages = 7.45 GiB. */
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "1000000000", "--accesses",
			 "10", NULL);
	spawn_expect_one_line(&r, "page tables 7.5 GiB");
	g_assert_nonnull(strstr(r.err, "--max-memory"));
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "4294967295", "--accesses",
			 "10", NULL);
	spawn_expect_one_line(&r, "--max-memory");
	spawn_free(&r);
	/* Three 1 GiB caches of 128-way sets (too wide for a set block,
	 * src/timing/cache.h): 3 x 2^24 64-byte lines, each line an entry. */
	g_assert_true(g_file_set_contents(ini, "[cpu]\nbase = icelake-sp\n"
					  "[cache.l1d]\nsize_kb = 1048576\nways = 128\n"
					  "[cache.l2]\nsize_kb = 1048576\nways = 128\n"
					  "[cache.llc]\nsize_kb = 1048576\nways = 128\n", -1, NULL));
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "100", "--accesses", "100",
			 "--config", ini, NULL);
	spawn_expect_one_line(&r, "timing model (--config/--set)");
	g_assert_nonnull(strstr(r.err, "--max-memory"));
	spawn_free(&r);
	r = spawn_tdpsim("run", "--config", ini, NULL);
	spawn_expect_one_line(&r, "timing model (--config/--set)");
	spawn_free(&r);
	r = spawn_tdpsim("run", "--mem", "65536", NULL);
	spawn_expect_one_line(&r, "guest RAM (--mem) 64.0 GiB");
	spawn_free(&r);
	/* The budget is a figure one option moves, both ways. */
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "100000", "--accesses", "10",
			 "--max-memory", "1m", NULL);
	spawn_expect_one_line(&r, "over the budget of 1.0 MiB");
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "100000", "--accesses", "10",
			 "--max-memory", "64m", NULL);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--max-memory", "lots", NULL);
	spawn_expect_one_line(&r, "--max-memory lots");
	spawn_free(&r);
	g_unlink(ini);
	g_rmdir(dir);
	g_free(ini);
	g_free(dir);
}

/* `walk --image` of a 1 GiB (sparse) file maps it: the child's peak RSS
 * stays far below the file (a copy took 2.1 GB). Run first in this
 * program, so that RUSAGE_CHILDREN's peak is this child's. */
static void test_image_mapped(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *img = g_build_filename(dir, "big.img", NULL);
	struct spawn_result r;
	struct rusage ru;
	FILE *f = fopen(img, "w");

	g_assert_nonnull(f);
	g_assert_cmpint(ftruncate(fileno(f), (off_t)1 << 30), ==, 0);
	fclose(f);
	r = spawn_tdpsim("walk", "--image", img, "--cr3", "0x1000", "--va", "0x1000", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "not present"));
	spawn_free(&r);
	g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &ru), ==, 0);
	g_test_message("peak RSS of the walk: %ld KiB", ru.ru_maxrss);
	g_assert_cmpint(ru.ru_maxrss, <, 256 * 1024);
	g_unlink(img);
	g_rmdir(dir);
	g_free(img);
	g_free(dir);
}

/* Values that were taken silently: refused now (docs/cli-run.md). A plain
 * ELF64 kernel (pagetest's 64-bit half, no Multiboot header) takes no
 * modules, whether the module exists or not. */
static void test_ignored_options(void)
{
	gchar *elf64 = g_build_filename(GUEST_DIR, "obj", "pagetest64.elf", NULL);
	struct spawn_result r = spawn_tdpsim("run", "--max-insns", "0", NULL);

	spawn_expect_one_line(&r, "--max-insns 0");
	spawn_free(&r);
	r = spawn_tdpsim("run", "--kernel", elf64, "--module", "/nonexistent", NULL);
	spawn_expect_one_line(&r, "a 64-bit ELF without a Multiboot header: it cannot take --module "
			    "'/nonexistent'");
	spawn_free(&r);
	r = spawn_tdpsim("run", "--kernel", elf64, "--module", elf64, NULL);
	spawn_expect_one_line(&r, "cannot take --module");
	spawn_free(&r);
	g_free(elf64);
	/* synth's process streams write no golden: --golden is refused there,
	 * not taken and left unwritten. */
	r = spawn_tdpsim("synth", "--pattern", "random", "--processes", "2", "--pages", "10",
			 "--accesses", "10", "--golden", "/nonexistent/g", NULL);
	spawn_expect_one_line(&r, "no --host, --gpaw, --page-size, --stride, --zipf-s or --golden");
	spawn_free(&r);

	/* A replay window that does not exist in the trace (a synth stream
	 * of 10 accesses, 10 instructions, no markers), an unknown trace
	 * format, and trace dump --limit 0 (it was "no limit"). */
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *trc = g_build_filename(dir, "t.trc", NULL);

	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--record", trc, NULL);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	r = spawn_tdpsim("replay", trc, "--to", "end", NULL);
	spawn_expect_one_line(&r, "--to end: no such marker in the trace");
	spawn_free(&r);
	r = spawn_tdpsim("replay", trc, "--warmup", "11", NULL);
	spawn_expect_one_line(&r, "--warmup 11: the trace has 10 instructions");
	spawn_free(&r);
	r = spawn_tdpsim("replay", trc, "--warmup", "10", NULL);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	r = spawn_tdpsim("replay", trc, "--format", "tdspim", NULL);
	spawn_expect_one_line(&r, "--format tdspim: expected tdpsim or champsim");
	spawn_free(&r);
	r = spawn_tdpsim("trace", "dump", trc, "--limit", "0", NULL);
	spawn_expect_one_line(&r, "--limit 0: expected a number of records, 1 or more");
	spawn_free(&r);
	spawn_rmtree(dir);
	g_free(trc);
	g_free(dir);
}

/* Config files at the command line (test_config checks the loader): an
 * invalid escape, an empty file and a missing one are one line each,
 * naming the file and what is wrong. */
static void test_bad_configs(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *esc = g_build_filename(dir, "esc.ini", NULL);
	gchar *empty = g_build_filename(dir, "empty.ini", NULL);
	gchar *trc = g_build_filename(dir, "t.trc", NULL);
	struct spawn_result r;

	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--record", trc, NULL);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	g_assert_true(g_file_set_contents(esc, "[cpu]\nbrand = a\\qb\nname = x\\q\n", -1, NULL));
	g_assert_true(g_file_set_contents(empty, "", 0, NULL));
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--config", esc, NULL);
	spawn_expect_one_line(&r, "esc.ini: cpu.brand = 'a\\qb'");
	g_assert_null(strstr(r.err, "GLib"));
	spawn_free(&r);
	r = spawn_tdpsim("run", "--config", empty, NULL);
	spawn_expect_one_line(&r, "empty.ini: not a complete CPU model, and no [cpu] base = MODEL");
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--config", "/nonexistent.ini", NULL);
	spawn_expect_one_line(&r, "--config /nonexistent.ini: no such file");
	spawn_free(&r);
	/* The error names the option that named the file. */
	r = spawn_tdpsim("run", "--guest-cpu", "/nonexistent.ini", NULL);
	spawn_expect_one_line(&r, "--guest-cpu /nonexistent.ini: no such file");
	spawn_free(&r);
	r = spawn_tdpsim("run", "--initrd", "/nonexistent.img", NULL);
	spawn_expect_one_line(&r, "--initrd /nonexistent.img: no such file");
	spawn_free(&r);
	/* replay's own list of configurations (it freed the name twice). */
	r = spawn_tdpsim("replay", trc, "--config", "zen2", "--config", empty, NULL);
	spawn_expect_one_line(&r, "empty.ini: not a complete CPU model");
	spawn_free(&r);
	spawn_rmtree(dir);
	g_free(trc);
	g_free(empty);
	g_free(esc);
	g_free(dir);
}

/*
 * A PAE guest whose MOV to CR0/CR3/CR4 loads bad PDPTEs (a reserved bit,
 * or a table outside RAM) gets #GP(0) at the MOV (SDM Vol. 3A 4.4.1), with
 * no host dimension and with EPT (the PDPTE reads go through it: an EPT
 * violation there is a VM exit, not an error). guests/pc/pdpte checks
 * each #GP's error code and RIP and prints what expected/pdpte.txt holds;
 * before, the run ended with "the engine cannot translate ...: Invalid
 * argument" or "Unicorn stopped with an exception the engine did not
 * raise".
 */
static void test_pae_bad_pdptes(void)
{
	static const char *const hosts[] = { NULL, "ept4", "ept5" };
	gchar *k = g_build_filename(GUEST_DIR, "pc", "pdpte", NULL);
	gchar *path = g_build_filename(TDPSIM_SOURCE_DIR, "guests", "pc", "expected", "pdpte.txt",
				       NULL);
	gchar *want = NULL;

	g_assert_true(g_file_get_contents(path, &want, NULL, NULL));
	for (unsigned i = 0; i < G_N_ELEMENTS(hosts); i++) {
		struct spawn_result r = spawn_tdpsim("run", "--kernel", k, "--model", "functional",
						     hosts[i] ? "--host" : NULL, hosts[i], NULL);

		g_test_message("--host %s: status %d\n%s", hosts[i] ? hosts[i] : "none", r.status,
			       r.err);
		g_assert_cmpint(r.status, ==, 1);
		g_assert_cmpstr(r.out, ==, want);
		g_assert_nonnull(strstr(r.err, "exception 13 delivered 4 times"));
		if (hosts[i])
			g_assert_null(strstr(r.err, " 0 VM exits"));
		spawn_free(&r);
	}

	/* Recorded under ept4 and replayed: the replay's statistics equal the
	 * live run's (the paging events decide the PDPTE loads the same way). */
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *trc = g_build_filename(dir, "pdpte.trc", NULL);
	struct spawn_result live = spawn_tdpsim("run", "--kernel", k, "--host", "ept4", "--json",
						"--record", trc, NULL);
	struct spawn_result rep = spawn_tdpsim("replay", trc, "--json", NULL);
	const char *ls = strstr(live.out, "\"stats\""), *rs = strstr(rep.out, "\"stats\"");

	g_assert_cmpint(live.status, ==, 1);
	g_assert_cmpint(rep.status, ==, 0);
	g_assert_nonnull(ls);
	g_assert_nonnull(rs);
	g_assert_cmpstr(ls, ==, rs);
	spawn_free(&live);
	spawn_free(&rep);
	spawn_rmtree(dir);
	g_free(trc);
	g_free(dir);
	g_free(want);
	g_free(path);
	g_free(k);
}

/* run --json: the integer member @key of "run". */
static gint64 json_run_int(const char *json, const char *key)
{
	JsonParser *p = json_parser_new();
	gint64 v;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	v = json_object_get_int_member(
		json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "run"),
		key);
	g_object_unref(p);
	return v;
}

/* A Multiboot kernel in the a.out kludge form (header flag 16, loaded
 * whole at 1 MiB) that writes @value to isa-debug-exit with a 4-byte OUT. */
static gchar *debug_exit_kernel(const char *dir, uint32_t value)
{
	uint32_t hdr[8] = { 0x1badb002u, 1u << 16, 0, 0x100000, 0x100000, 0, 0, 0x100020 };
	uint8_t img[64] = { 0 };
	static const uint8_t code[] = { 0x66, 0xba, 0xf4, 0x00, /* mov dx, 0xf4 */
					0xb8, 0, 0, 0, 0,       /* mov eax, value */
					0xef,                   /* out dx, eax */
					0xf4, 0xeb, 0xfd };     /* hlt; jmp hlt */
	gchar *name = g_strdup_printf("exit-%u", value);
	gchar *path = g_build_filename(dir, name, NULL);

	hdr[2] = -(hdr[0] + hdr[1]);
	memcpy(img, hdr, sizeof(hdr));
	memcpy(img + 32, code, sizeof(code));
	memcpy(img + 32 + 5, &value, 4);
	g_assert_true(g_file_set_contents(path, (const char *)img, sizeof(img), NULL));
	g_free(name);
	return path;
}

/*
 * isa-debug-exit: the guest's status is (value << 1) | 1; the process
 * exit status keeps its low 8 bits, as exit() in QEMU's debugexit device
 * does (so 64-127 give 129-255, which shells read as signals); --json
 * keeps the whole value (docs/cli-run.md). QEMU, when installed, runs the
 * same kernel and must exit with the same status.
 */
static void test_debug_exit_status(void)
{
	static const uint32_t values[] = { 0, 64, 127, 245, 0x7fffffff };
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *qemu = g_find_program_in_path("qemu-system-x86_64");

	for (unsigned i = 0; i < G_N_ELEMENTS(values); i++) {
		gchar *k = debug_exit_kernel(dir, values[i]);
		int64_t full = ((int64_t)values[i] << 1) | 1;
		gchar *text = g_strdup_printf("exit status %d", (int)(full & 0xff));
		struct spawn_result r = spawn_tdpsim("run", "--kernel", k, "--model", "functional",
						     NULL);

		g_test_message("value %u: status %d\n%s", values[i], r.status, r.err);
		g_assert_cmpint(r.status, ==, (int)(full & 0xff));
		g_assert_nonnull(strstr(r.err, text));
		if (full > 0xff) {
			gchar *note = g_strdup_printf("(isa-debug-exit status %" G_GINT64_FORMAT
						      ", truncated to 8 bits", full);

			g_assert_nonnull(strstr(r.err, note));
			g_free(note);
		}
		spawn_free(&r);
		r = spawn_tdpsim("run", "--kernel", k, "--model", "functional", "--json", NULL);
		g_assert_cmpint(r.status, ==, (int)(full & 0xff));
		g_assert_cmpint(json_run_int(r.out, "exit_status"), ==, full);
		g_assert_cmpint(json_run_int(r.out, "process_exit_status"), ==, full & 0xff);
		spawn_free(&r);
		if (qemu) {
			const char *argv[] = { qemu, "-kernel", k, "-nodefaults", "-vga", "none",
					       "-display", "none", "-monitor", "none", "-device",
					       "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "128",
					       "-accel", "tcg", "-no-reboot", NULL };

			r = spawn_argv(argv, 60);
			g_assert_cmpint(r.status, ==, (int)(full & 0xff));
			spawn_free(&r);
		}
		g_unlink(k);
		g_free(text);
		g_free(k);
	}
	g_rmdir(dir);
	g_free(dir);
	g_free(qemu);
}

/* The short form's keys, in its order (docs/stats.md, "The short form"). */
static const char *const brief_keys[] = {
	"accesses", "instructions", "translation_cycles_per_kilo_insn", "translation_share",
	"tlb.l1i.hit_rate", "tlb.l1d.hit_rate", "tlb.stlb.hit_rate", "walks",
	"walk_refs_per_walk", "flushes", "vmexits",
};

/* The rows "  key  value  description" of a text table, key -> value. */
static GHashTable *text_rows(const char *text)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	gchar **lines = g_strsplit(text, "\n", -1);

	for (unsigned i = 0; lines[i]; i++) {
		gchar **w;

		if (!g_str_has_prefix(lines[i], "  ") || lines[i][2] == ' ' || lines[i][2] == '(')
			continue;
		w = g_strsplit_set(g_strstrip(lines[i]), " ", -1);
		for (unsigned j = 1; w[j]; j++)
			if (*w[j]) {
				g_hash_table_insert(h, g_strdup(w[0]), g_strdup(w[j]));
				break;
			}
		g_strfreev(w);
	}
	g_strfreev(lines);
	return h;
}

/* Each short-form row shows the value the same run's JSON has. */
static void check_brief(const char *text, const char *json, const char *stats_member)
{
	GHashTable *rows = text_rows(text);
	JsonParser *p = json_parser_new();
	JsonObject *o;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	if (stats_member)
		o = json_object_get_object_member(o, stats_member);
	g_assert_cmpuint(g_hash_table_size(rows), ==, G_N_ELEMENTS(brief_keys));
	for (unsigned i = 0; i < G_N_ELEMENTS(brief_keys); i++) {
		JsonNode *n = json_object_get_member(o, brief_keys[i]);
		const char *got = g_hash_table_lookup(rows, brief_keys[i]);
		gchar *want = json_node_get_value_type(n) == G_TYPE_DOUBLE
				      ? g_strdup_printf("%.4f", json_node_get_double(n))
				      : g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));

		g_assert_cmpstr(got, ==, want);
		g_free(want);
	}
	g_object_unref(p);
	g_hash_table_destroy(rows);
}

/*
 * The default text statistics are the short form (11 figures), the same
 * values as the JSON's; --stats full is the whole table; JSON and CSV keep
 * every key; a bad --stats is one line and exit 2.
 */
static void test_short_stats(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-robust-XXXXXX", NULL);
	gchar *trc = g_build_filename(dir, "pae.trc", NULL);
	struct spawn_result r, j;

	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "5000", "--accesses", "20000",
			 "--host", "ept4", NULL);
	j = spawn_tdpsim("synth", "--pattern", "random", "--pages", "5000", "--accesses", "20000",
			 "--host", "ept4", "--json", NULL);
	g_assert_cmpint(r.status, ==, 0);
	check_brief(r.out, j.out, NULL);
	g_assert_nonnull(strstr(r.out, "(11 of "));
	g_assert_null(strstr(r.out, "cycles.base"));
	g_assert_nonnull(strstr(j.out, "\"cycles.base\""));
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "5000", "--accesses", "20000",
			 "--host", "ept4", "--stats", "full", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "  cycles.base "));
	g_assert_nonnull(strstr(r.out, "\nReferences per walk\n  walk_hist."));
	g_assert_null(strstr(r.out, "(11 of "));
	spawn_free(&r);
	spawn_free(&j);

	/* run: the default job, and a recording of it replayed. */
	r = spawn_tdpsim("run", "--append", "mode=pae", "--record", trc, NULL);
	j = spawn_tdpsim("run", "--append", "mode=pae", "--json", NULL);
	g_assert_cmpint(r.status, ==, 1);
	check_brief(r.err, j.out, "stats");
	g_assert_null(strstr(r.err, "cycles.base"));
	spawn_free(&r);
	spawn_free(&j);
	r = spawn_tdpsim("replay", trc, NULL);
	j = spawn_tdpsim("replay", trc, "--json", NULL);
	g_assert_cmpint(r.status, ==, 0);
	check_brief(r.out, j.out, "stats");
	spawn_free(&r);
	spawn_free(&j);
	/* Two configurations: a column each, the short form's rows only. */
	r = spawn_tdpsim("replay", trc, "--config", "icelake-sp", "--config", "zen2", NULL);
	g_assert_cmpint(r.status, ==, 0);
	{
		gchar **lines = g_strsplit(g_strstrip(r.out), "\n", -1);

		g_assert_cmpuint(g_strv_length(lines), ==, 1 + G_N_ELEMENTS(brief_keys));
		for (unsigned i = 0; i < G_N_ELEMENTS(brief_keys); i++)
			g_assert_true(g_str_has_prefix(lines[1 + i], brief_keys[i]));
		g_strfreev(lines);
	}
	spawn_free(&r);

	r = spawn_tdpsim("run", "--stats", "long", NULL);
	spawn_expect_one_line(&r, "--stats long: expected short or full");
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "10", "--accesses", "10",
			 "--stats", "", NULL);
	spawn_expect_one_line(&r, "--stats : expected short or full");
	spawn_free(&r);
	r = spawn_tdpsim("replay", trc, "--stats", "FULL", NULL);
	spawn_expect_one_line(&r, "--stats FULL: expected short or full");
	spawn_free(&r);
	g_unlink(trc);
	g_rmdir(dir);
	g_free(trc);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/robust/image-mapped", test_image_mapped);
	g_test_add_func("/robust/output-full", test_output_full);
	g_test_add_func("/robust/budgets", test_budgets);
	g_test_add_func("/robust/ignored-options", test_ignored_options);
	g_test_add_func("/robust/bad-configs", test_bad_configs);
	g_test_add_func("/robust/pae-bad-pdptes", test_pae_bad_pdptes);
	g_test_add_func("/robust/debug-exit-status", test_debug_exit_status);
	g_test_add_func("/robust/short-stats", test_short_stats);
	return g_test_run();
}
