/*
 * Broken Linux kernels and initrds at the command line: `tdpsim run` with
 * a bzImage whose header is bad, or that asks for more RAM than --mem, or
 * an initrd that does not fit, gives one line naming the problem and exit
 * status 2 (issue 13's acceptance; the loader's own unit tests are
 * test_loader_linux). The images are bzimage.h's synthetic header, broken
 * one field at a time, written to files; nothing needs a fetched kernel.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bzimage.h"
#include "spawn.h"

#define MIB (UINT64_C(1) << 20)

static gchar *dir;

static gchar *write_file(const char *name, const void *data, size_t len)
{
	gchar *p = g_build_filename(dir, name, NULL);
	GError *e = NULL;

	g_assert_true(g_file_set_contents(p, data, (gssize)len, &e));
	return p;
}

/* `run --kernel K [--initrd I] --mem MEM`: one line containing @needle. */
static void expect(const char *k, const char *initrd, const char *mem, const char *needle)
{
	const char *argv[] = { TDPSIM_BIN, "run", "--kernel", k, "--mem", mem, "--model",
			       "functional", "--max-insns", "100000", initrd ? "--initrd" : NULL,
			       initrd, NULL };
	struct spawn_result r = spawn_argv(argv, 120);

	spawn_expect_one_line(&r, needle);
	spawn_free(&r);
}

struct broken {
	const char *name;
	size_t off;      /* the field changed (0: none) */
	uint64_t value;
	unsigned bytes;
	size_t len;      /* the file's length (0: the whole image) */
	const char *mem; /* --mem */
	const char *needle;
};

static void test_kernels(void)
{
	static const struct broken cases[] = {
		/* boot.rst: boot_flag 0xAA55 at 0x1FE. */
		{ "bad-boot-flag", 0x1fe, 0x1234, 2, 0, "64",
		  "bzImage boot flag is 0x1234, not 0xaa55" },
		/* No "HdrS" at 0x202: no Linux header at all, nor another. */
		{ "bad-magic", 0x202, 0x53726449, 4, 0, "64", "nor a Linux bzImage" },
		/* Protocol 2.09: no init_size yet (2.10 added it). */
		{ "old-protocol", 0x206, 0x0209, 2, 0, "64", "boot protocol 2.09 is older than 2.10" },
		/* The file ends inside the 4 setup sectors (5 * 512 bytes). */
		{ "truncated-setup", 0, 0, 0, 0x400, "64", "truncated bzImage (1024 bytes" },
		/* setup_sects 200: the setup code would end past the file. */
		{ "setup-sects", 0x1f1, 200, 1, 0, "64",
		  "truncated bzImage (14848 bytes; the header says 200 setup sectors" },
		/* The header's jump says it ends at 0x212, before init_size. */
		{ "short-header", 0x201, 0x10, 1, 0, "64", "ends at 0x212)" },
		/* loadflags without LOADED_HIGH: a zImage. */
		{ "zimage", 0x211, 0, 1, 0, "64", "a zImage (loaded low)" },
		/* init_size 200 MiB from 16 MiB: more than 64 MiB of RAM. */
		{ "init-size", 0x260, 200 * MIB, 4, 0, "64",
		  "needs RAM up to 0xd800000 (init_size 0xc800000 at 0x1000000); raise --mem" },
		/* The same image fits 256 MiB but not 128: --mem decides. */
		{ "init-size-128", 0x260, 200 * MIB, 4, 0, "128", "raise --mem" },
		/* A kernel that wants to run at 2 GiB (not relocatable). */
		{ "pref-address", 0x258, 0x80000000, 8, 0, "64",
		  "needs RAM up to 0x82000000 (init_size 0x2000000 at 0x80000000)" },
		/* ... or at the top of the address space. */
		{ "pref-wraps", 0x258, UINT64_C(0xfffffffffffff000), 8, 0, "64",
		  "past the end of the address space" },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct broken *c = &cases[i];
		struct bz z;
		gchar *k;

		bz_make(&z, true, 0x2000000);
		if (c->bytes)
			bz_put(z.b, c->off, c->value, c->bytes);
		if (c->off == 0x258)
			bz_put(z.b, 0x234, 0, 1); /* not relocatable: it runs at pref_address */
		g_test_message("%s", c->name);
		k = write_file(c->name, z.b, c->len ? c->len : sizeof(z.b));
		expect(k, NULL, c->mem, c->needle);
		g_free(k);
	}
}

static void test_initrds(void)
{
	struct bz z;
	gchar *k, *rd;
	gchar *big = g_malloc0(48 * MIB), *huge;

	bz_make(&z, true, 0x2000000); /* 32 MiB from 16 MiB: RAM up to 48 MiB */
	k = write_file("kernel", z.b, sizeof(z.b));
	/* 48 MiB: fits in 128 MiB of RAM, but not between the kernel's end
	 * (48 MiB) and the top of 64 MiB. */
	rd = write_file("initrd-48m", big, 48 * MIB);
	expect(k, rd, "64", "does not fit in RAM between the kernel (ends at 0x3000000) and "
	       "0x4000000; raise --mem");
	g_free(rd);
	/* Larger than all of RAM. */
	huge = g_malloc0(70 * MIB);
	rd = write_file("initrd-70m", huge, 70 * MIB);
	expect(k, rd, "64", "(73400320 bytes) is larger than the guest's RAM (67108864 bytes); "
	       "raise --mem");
	g_free(rd);
	g_free(huge);
	g_free(big);
	g_free(k);
}

/* Runs that pass the loader: the image's code is zeros, so the run ends
 * at --max-insns or on a fault, never with a loader error. */
static void expect_loaded(const char *k, const char *initrd, const char *mem)
{
	const char *argv[] = { TDPSIM_BIN, "run", "--kernel", k, "--mem", mem, "--model",
			       "functional", "--max-insns", "1000", initrd ? "--initrd" : NULL,
			       initrd, NULL };
	struct spawn_result r = spawn_argv(argv, 120);

	g_test_message("%s", r.err);
	g_assert_null(strstr(r.err, "error: kernel '"));
	g_assert_null(strstr(r.err, "error: initrd '"));
	g_assert_nonnull(strstr(r.err, "\nrun: "));
	spawn_free(&r);
}

/* The same images, unbroken or given more --mem, pass the loader: the
 * errors above are the broken fields' and --mem's. */
static void test_good(void)
{
	struct bz z;
	gchar *k, *rd, *big = g_malloc0(48 * MIB);

	bz_make(&z, true, 0x2000000);
	k = write_file("good", z.b, sizeof(z.b));
	expect_loaded(k, NULL, "64");
	rd = write_file("initrd-48m", big, 48 * MIB);
	expect_loaded(k, rd, "128");
	g_free(k);
	bz_make(&z, true, 200 * MIB);
	k = write_file("init-size-256", z.b, sizeof(z.b));
	expect_loaded(k, NULL, "256");
	g_free(k);
	g_free(rd);
	g_free(big);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("tdpsim-bzimage-XXXXXX", NULL);
	g_test_add_func("/cli-bzimage/kernels", test_kernels);
	g_test_add_func("/cli-bzimage/initrds", test_initrds);
	g_test_add_func("/cli-bzimage/good", test_good);
	rc = g_test_run();
	spawn_rmtree(dir);
	g_free(dir);
	return rc;
}
