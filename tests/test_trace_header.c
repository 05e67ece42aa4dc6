/*
 * A trace's header is portable (docs/trace-format.md, "Header"): it names
 * the run's input files by base name and the sha256 of their bytes, and
 * its command line carries no folder of the machine that recorded it.
 * pagetest is recorded with absolute paths for the kernel, a Multiboot
 * module, the trace itself and a CPU-model file, all in a fresh temporary
 * folder: that folder's name must appear nowhere in the header (nor in
 * the file's raw bytes), the hashes must be sha256sum(1)'s, and the trace
 * must replay.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "spawn.h"
#include "trace/reader.h"

static gchar *sha256sum(const char *path)
{
	const char *argv[] = { "sha256sum", path, NULL };
	struct spawn_result r = spawn_argv(argv, 60);
	gchar *sum;

	g_assert_cmpint(r.status, ==, 0);
	sum = g_strndup(r.out, 64);
	spawn_free(&r);
	return sum;
}

static void copy(const char *from, const char *to)
{
	gchar *data;
	gsize len;

	g_assert_true(g_file_get_contents(from, &data, &len, NULL));
	g_assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
	g_free(data);
}

static void test_portable(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-hdr-XXXXXX", NULL);
	gchar *kernel = g_build_filename(dir, "pagetest", NULL);
	gchar *mod = g_build_filename(dir, "module.bin", NULL);
	gchar *cfg = g_build_filename(dir, "my-cpu.ini", NULL);
	gchar *trace = g_build_filename(dir, "boot.tdt", NULL);
	gchar *modarg = g_strconcat(mod, ",a b", NULL);
	gchar *cfgarg = g_strconcat("--config=", cfg, NULL);
	struct trc_reader *rd = NULL;
	char why[256];

	copy(PAGETEST_KERNEL, kernel);
	copy(TDPSIM_SOURCE_DIR "/configs/icelake-sp.ini", cfg);
	g_assert_true(g_file_set_contents(mod, "module bytes\n", -1, NULL));
	struct spawn_result r = spawn_tdpsim("run", "--kernel", kernel, "--module", modarg,
					     "--record", trace, cfgarg, NULL);

	g_assert_cmpint(r.status, ==, 1); /* pagetest passed */
	spawn_free(&r);

	/* No byte of the trace names the folder. */
	gchar *bytes;
	gsize len;

	g_assert_true(g_file_get_contents(trace, &bytes, &len, NULL));
	g_assert_null(memmem(bytes, len, dir, strlen(dir)));
	g_free(bytes);

	g_assert_cmpint(trc_reader_open(trace, &rd, why, sizeof(why)), ==, 0);
	GKeyFile *h = trc_reader_header(rd);
	gchar *cmd = g_key_file_get_string(h, "trace", "command", NULL);
	gchar *ksum = sha256sum(kernel), *msum = sha256sum(mod);
	gchar *text = g_key_file_to_data(h, NULL, NULL);

	g_assert_null(strstr(text, dir));
	g_free(text);
	const char *want[][2] = { { "kernel", "pagetest" }, { "kernel_sha256", ksum },
				  { "module1", "module.bin" }, { "module1_sha256", msum } };

	g_assert_cmpstr(cmd, ==, "run --kernel pagetest --module 'module.bin,a b' --record "
			"boot.tdt --config=my-cpu.ini");
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		gchar *v = g_key_file_get_string(h, "inputs", want[i][0], NULL);

		g_assert_cmpstr(v, ==, want[i][1]);
		g_free(v);
	}
	g_assert_false(g_key_file_has_key(h, "inputs", "initrd", NULL));
	trc_reader_close(rd);

	/* It replays as any trace does. */
	r = spawn_tdpsim("replay", trace, "--json", NULL);
	JsonObject *o = spawn_json_object(&r, "replay");

	json_object_unref(o);
	spawn_free(&r);

	g_free(cmd);
	g_free(ksum);
	g_free(msum);
	for (gchar **f = (gchar *[]){ kernel, mod, cfg, trace, NULL }; *f; f++) {
		g_unlink(*f);
		g_free(*f);
	}
	g_rmdir(dir);
	g_free(dir);
	g_free(modarg);
	g_free(cfgarg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/trace-header/portable", test_portable);
	return g_test_run();
}
