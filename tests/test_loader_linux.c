/*
 * Unit tests of the Linux bzImage loader (src/boot/loader_linux.c).
 *
 * Each image is bzimage.h's synthetic one, written field by field from
 * the kernel's Documentation/arch/x86/boot.rst, so the expected
 * boot_params, placement and entry come from the protocol, not from the
 * loader. RAM is laid out as a PC's (a hole from 640 KiB to
 * 1 MiB), so the e820 table has two RAM entries.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "boot/loader.h"
#include "bzimage.h"
#include "cpu/ram.h"

#define MIB	 (UINT64_C(1) << 20)
#define RAM_SIZE (96 * MIB)
#define BP	 0x9000 /* where the loader says boot_params go */

static uint64_t r(const uint8_t *p, size_t off, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void ram_pc(struct cpu_ram *ram)
{
	g_assert_cmpint(cpu_ram_init(ram, RAM_SIZE), ==, 0);
	g_assert_cmpint(cpu_ram_add_hole(ram, 0xa0000, 0x100000), ==, 0);
}

static char *tmpfile_of(size_t len)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("tdpsim-initrd-XXXXXX", &path, &err);
	uint8_t *buf = g_malloc(len);

	g_assert_no_error(err);
	close(fd);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7);
	g_assert_true(g_file_set_contents(path, (const char *)buf, (gssize)len, &err));
	g_free(buf);
	return path;
}

static int load(struct cpu_ram *ram, const struct bz *z, size_t len, const char *cmd,
		const char *initrd, struct cpu_boot *b, char *why)
{
	struct cpu_module m = {.path = initrd};

	return cpu_load_kernel_buf(ram, "bzImage", z->b, len, cmd, initrd ? &m : NULL,
				   initrd ? 1 : 0, b, why, 256);
}

static void test_entry64(void)
{
	struct cpu_ram ram;
	struct cpu_boot b;
	struct bz z;
	char why[256] = "";
	uint8_t bp[4096];
	char *initrd = tmpfile_of(10000);

	ram_pc(&ram);
	bz_make(&z, true, 0x2000000);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "console=ttyS0 quiet", initrd, &b, why), ==, 0);
	/* boot.rst, 64-bit boot protocol: entry at the load address + 0x200,
	 * RSI = boot_params, __BOOT_CS = 0x10, __BOOT_DS = 0x18. */
	g_assert_cmpint(b.kind, ==, CPU_BOOT_LINUX64);
	g_assert_cmphex(b.entry, ==, 0x100200);
	g_assert_cmphex(b.rsi, ==, BP);
	g_assert_cmphex(b.cs_sel, ==, 0x10);
	g_assert_cmphex(b.ds_sel, ==, 0x18);
	g_assert_cmphex(b.cr3 & 0xfff, ==, 0);
	g_assert_cmpint(b.gdt_limit, >=, 0x1f);
	/* The GDT's __BOOT_CS is a 64-bit code segment (L=1), __BOOT_DS data. */
	uint64_t cs = 0, ds = 0;
	cpu_ram_read_le(&ram, b.gdt_base + 0x10, 8, &cs);
	cpu_ram_read_le(&ram, b.gdt_base + 0x18, 8, &ds);
	g_assert_cmphex((cs >> 53) & 1, ==, 1);	  /* L */
	g_assert_cmphex((cs >> 40) & 0x1a, ==, 0x1a); /* S, code, readable */
	g_assert_cmphex((ds >> 40) & 0x1a, ==, 0x12); /* S, data, writable */

	/* The protected-mode part at 1 MiB. */
	uint64_t v;
	cpu_ram_read_le(&ram, 0x100000, 4, &v);
	g_assert_cmphex(v, ==, 0x11223344);
	cpu_ram_read_le(&ram, 0x100000 + BZ_PM_LEN - 4, 4, &v);
	g_assert_cmphex(v, ==, 0x55667788);

	/* boot_params: the header copied (0x1f1 .. 0x202 + 0x66), loader
	 * fields filled in (zero-page.rst offsets). */
	g_assert_cmpint(cpu_ram_read(&ram, BP, bp, sizeof(bp)), ==, 0);
	g_assert_cmphex(r(bp, 0x202, 4), ==, 0x53726448);
	g_assert_cmphex(r(bp, 0x260, 4), ==, 0x2000000);
	g_assert_cmphex(r(bp, 0x210, 1), ==, 0xff);	/* type_of_loader: undefined */
	g_assert_cmphex(r(bp, 0x211, 1) & 0x80, ==, 0); /* no heap: no setup code ran */
	g_assert_cmphex(r(bp, 0x211, 1) & 0x01, ==, 1);
	uint64_t cmd = r(bp, 0x228, 4);
	char got[64] = "";
	cpu_ram_read(&ram, cmd, got, sizeof("console=ttyS0 quiet"));
	g_assert_cmpstr(got, ==, "console=ttyS0 quiet");
	/* The initrd: page-aligned, at the top of RAM, its bytes intact. */
	uint64_t ird = r(bp, 0x218, 4), irs = r(bp, 0x21c, 4);
	g_assert_cmpuint(irs, ==, 10000);
	g_assert_cmphex(ird & 0xfff, ==, 0);
	g_assert_cmphex(ird + irs, <=, RAM_SIZE);
	g_assert_cmphex(ird + irs + 4096, >, RAM_SIZE);
	uint8_t c;
	cpu_ram_read(&ram, ird + 9999, &c, 1);
	g_assert_cmpuint(c, ==, (uint8_t)(9999 * 7));
	/* e820: RAM below 640 KiB and from 1 MiB to the end, type 1. */
	g_assert_cmpuint(r(bp, 0x1e8, 1), ==, 2);
	g_assert_cmphex(r(bp, 0x2d0, 8), ==, 0);
	g_assert_cmphex(r(bp, 0x2d8, 8), ==, 0xa0000);
	g_assert_cmpuint(r(bp, 0x2e0, 4), ==, 1);
	g_assert_cmphex(r(bp, 0x2e4, 8), ==, 0x100000);
	g_assert_cmphex(r(bp, 0x2ec, 8), ==, RAM_SIZE - 0x100000);
	g_assert_cmpuint(r(bp, 0x2f4, 4), ==, 1);
	/* The screen_info and EDD areas stay zero. */
	for (unsigned i = 0; i < 0x40; i++)
		g_assert_cmpuint(bp[i], ==, 0);
	g_assert_cmpuint(r(bp, 0x1e9, 1), ==, 0); /* eddbuf_entries */
	g_assert_cmphex(b.initrd_lo, ==, ird);
	g_assert_cmphex(b.cmdline_pa, ==, cmd);

	g_unlink(initrd);
	g_free(initrd);
	cpu_ram_free(&ram);
}

static void test_entry32(void)
{
	struct cpu_ram ram;
	struct cpu_boot b;
	struct bz z;
	char why[256] = "";

	ram_pc(&ram);
	bz_make(&z, false, 0x1000000);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", NULL, &b, why), ==, 0);
	/* boot.rst, 32-bit boot protocol: entry at code32_start, paging off. */
	g_assert_cmpint(b.kind, ==, CPU_BOOT_LINUX32);
	g_assert_cmphex(b.entry, ==, 0x100000);
	g_assert_cmphex(b.rsi, ==, BP);
	g_assert_cmphex(b.cr3, ==, 0);
	uint64_t cs = 0;
	cpu_ram_read_le(&ram, b.gdt_base + 0x10, 8, &cs);
	g_assert_cmphex((cs >> 53) & 3, ==, 2); /* D=1, L=0: 32-bit code */
	uint64_t ird = 1;
	cpu_ram_read_le(&ram, BP + 0x218, 8, &ird);
	g_assert_cmphex(ird, ==, 0); /* no initrd: image and size 0 */
	cpu_ram_free(&ram);
}

/* Broken images and requests: one reason each, nothing half-done. */
static void test_errors(void)
{
	struct cpu_ram ram;
	struct cpu_boot b;
	struct bz z;
	char why[256];
	char *big = tmpfile_of(50 * MIB);

	ram_pc(&ram);
	bz_make(&z, true, 0x2000000);
	bz_put(z.b, 0x1fe, 0x1234, 2);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", NULL, &b, why), ==, -ENOEXEC);
	g_assert_nonnull(strstr(why, "boot flag"));

	bz_make(&z, true, 0x2000000);
	bz_put(z.b, 0x206, 0x0209, 2);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", NULL, &b, why), ==, -ENOEXEC);
	g_assert_nonnull(strstr(why, "2.09 is older than 2.10"));

	bz_make(&z, true, 0x2000000);
	g_assert_cmpint(load(&ram, &z, 0x400, "", NULL, &b, why), ==, -ENOEXEC);
	g_assert_nonnull(strstr(why, "truncated"));

	bz_make(&z, true, 0x2000000);
	bz_put(z.b, 0x211, 0, 1);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", NULL, &b, why), ==, -ENOEXEC);
	g_assert_nonnull(strstr(why, "zImage"));

	/* init_size of 96 MiB at 16 MiB: more than the 96 MiB of RAM. */
	bz_make(&z, true, 96 * MIB);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", NULL, &b, why), ==, -ENOMEM);
	g_assert_nonnull(strstr(why, "raise --mem"));

	/* An initrd that would overlap the kernel's 16+32 MiB. */
	bz_make(&z, true, 32 * MIB);
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), "", big, &b, why), ==, -ENOMEM);
	g_assert_nonnull(strstr(why, "does not fit"));

	char longcmd[3000];
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	g_assert_cmpint(load(&ram, &z, sizeof(z.b), longcmd, NULL, &b, why), ==, -E2BIG);
	g_assert_nonnull(strstr(why, "cmdline_size 2047"));

	g_unlink(big);
	g_free(big);
	cpu_ram_free(&ram);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/loader-linux/entry64", test_entry64);
	g_test_add_func("/loader-linux/entry32", test_entry32);
	g_test_add_func("/loader-linux/errors", test_errors);
	return g_test_run();
}
