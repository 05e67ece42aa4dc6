/*
 * The guest-physical memory map (src/pc/dev_pc.c, dev_bus.c; src/cpu/
 * machine.c, fill.c, phys.c): a guest touches the VGA window, the BIOS
 * ROM, shadow RAM, the PCI hole, space above RAM and a device's MMIO, under
 * both MMUs; and the layout QEMU 7.2's pc machine gives a 4 GiB guest.
 *
 * Expectations: QEMU's pc machine (hw/i386/pc_piix.c: the RAM split at
 * 3.5 GiB / 3 GiB; unassigned_mem_ops: reads 0, writes ignored).
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "cpu/cpu.h"
#include "pc/dev.h"

#define LOAD_PA 0x100000
#define RES_PA	0x300000
#define DEV_PA	UINT64_C(0xfeb00000)

struct echo {
	uint64_t reg;
	unsigned reads, writes;
};

static uint64_t echo_read(void *dev, uint64_t addr, unsigned size)
{
	struct echo *e = dev;
	uint64_t pattern = UINT64_C(0x8877665544332211);

	e->reads++;
	if (addr == DEV_PA + 4)
		return e->reg;
	if (addr >= DEV_PA + 8)
		return pattern >> (8 * (addr - DEV_PA - 8));
	return 0;
}

static void echo_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct echo *e = dev;

	e->writes++;
	if (addr == DEV_PA + 4)
		e->reg = val;
}

static const struct dev_desc echo_desc = {
    .name = "echo", .space = DEV_MMIO, .width = 4, .base = DEV_PA, .len = 0x1000,
    .read = echo_read, .write = echo_write};

static void test_config(struct tm_config *cfg)
{
	tm_config_defaults(cfg);
	cfg->cpu.vendor = TM_VENDOR_INTEL;
	cfg->cpu.maxphyaddr = 46;
	cfg->cpu.linear_bits = 48;
	cfg->cpu.features = TM_FEAT_PSE | TM_FEAT_PAE | TM_FEAT_NX | TM_FEAT_LM;
	cfg->cpu.tsc_hz = 1000000000;
}

static void run_memmap(uint8_t mmu)
{
	char *path = g_build_filename(MACHINE_GUESTS, "memmap32.bin", NULL);
	struct cpu_opts o = {.mem_bytes = 16u << 20, .mmu_kind = mmu,
			     .model_kind = CPU_MODEL_FUNCTIONAL, .max_insns = 100000};
	struct cpu_boot b = {.kind = CPU_BOOT_MULTIBOOT, .entry = LOAD_PA, .eax = 0x2badb002};
	struct tm_config cfg;
	struct cpu c;
	struct echo e = {0};
	struct dev_rom *rom;
	uint64_t res[8];
	char why[256] = "", *logtext = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logtext, &loglen);
	gchar *img;
	gsize len;

	g_assert_true(g_file_get_contents(path, &img, &len, NULL));
	test_config(&cfg);
	o.report = stderr;
	o.unassigned_log = log;
	if (cpu_machine_init(&c, &cfg, &o, why, sizeof(why)))
		g_error("cpu_machine_init: %s", why);
	g_assert_cmpint(dev_bus_add(&c.bus, &echo_desc, &e), ==, 0);
	rom = dev_mem_rom(&c.bus, 0xf0000);
	g_assert_nonnull(rom);
	memcpy(rom->bytes, "\xef\xbe\xad\xde", 4);
	g_assert_cmpint(cpu_ram_write(&c.ram, LOAD_PA, img, len), ==, 0);
	g_assert_cmpint(cpu_boot_enter(&c, &b, why, sizeof(why)), ==, 0);
	g_assert_cmpint(cpu_run(&c), ==, CPU_STOP_EXIT);
	g_assert_cmpint(c.bus.exit_status, ==, 0x21);
	g_assert_cmpint(cpu_ram_read(&c.ram, RES_PA, res, sizeof(res)), ==, 0);
	g_assert_cmphex(res[0], ==, 0);			     /* VGA window: 0, write dropped */
	g_assert_cmphex(res[1], ==, 0xdeadbeefdeadbeefull); /* ROM kept its bytes */
	g_assert_cmphex(res[2], ==, 0xc0c0c0c0);	     /* shadow RAM */
	g_assert_cmphex(res[3], ==, 0);			     /* PCI hole */
	g_assert_cmphex(res[4], ==, 0);			     /* above RAM */
	g_assert_cmphex(res[5], ==, 0xabcd1234);	     /* the device's register */
	g_assert_cmphex(res[6], ==, 0x8877665544332211ull); /* 8 bytes in two pieces */
	g_assert_cmpuint(e.writes, ==, 1);
	g_assert_cmpuint(e.reads, ==, 3);
	/* Reads of nothing: VGA twice, the hole, above RAM; one write. */
	g_assert_cmpuint(c.bus.un.mem_reads, ==, 4);
	g_assert_cmpuint(c.bus.un.mem_writes, ==, 1);
	g_assert_cmpuint(c.bus.un.rom_writes, ==, 1);
	fclose(log);
	g_assert_nonnull(strstr(logtext, "unassigned: write of 4 bytes (0x12345678) to "
					 "guest-physical 0xa0000"));
	g_assert_nonnull(strstr(logtext, "to guest-physical 0xf0000 in ROM bios"));
	g_assert_nonnull(strstr(logtext, "read of 4 bytes at guest-physical 0xd0000000"));
	cpu_machine_free(&c);
	free(logtext);
	g_free(img);
	g_free(path);
}

static void test_guest_tdpsim(void)
{
	run_memmap(CPU_MMU_TDPSIM);
}

static void test_guest_reference(void)
{
	run_memmap(CPU_MMU_REFERENCE);
}

/* QEMU 7.2 pc (pc_piix.c, gigabyte_align): 3.5 GiB or more of RAM is split
 * at 3 GiB, the rest from 4 GiB; less stays below 4 GiB whole. */
static void test_layout(void)
{
	struct cpu_ram r;
	uint64_t lo, hi;

	g_assert_cmpint(dev_pc_ram_layout(&r, UINT64_C(3583) << 20), ==, 0);
	g_assert_cmphex(r.size, ==, UINT64_C(3583) << 20);
	g_assert_cmpuint(r.nholes, ==, 2);
	g_assert_cmpint(dev_pc_ram_layout(&r, UINT64_C(4) << 30), ==, 0);
	g_assert_cmphex(r.size, ==, UINT64_C(5) << 30);
	g_assert_cmpuint(cpu_ram_bytes(&r), ==, (UINT64_C(4) << 30) - 0x20000 - 0x10000);
	g_assert_true(cpu_ram_contains(&r, 0xbffff000, 4096));
	g_assert_false(cpu_ram_contains(&r, 0xc0000000, 1));
	g_assert_false(cpu_ram_contains(&r, 0xfee00000, 4));
	g_assert_true(cpu_ram_contains(&r, UINT64_C(1) << 32, 4096));
	g_assert_false(cpu_ram_contains(&r, (UINT64_C(5) << 30) - 4, 8));
	g_assert_false(cpu_ram_contains(&r, 0xa0000, 4));
	g_assert_false(cpu_ram_contains(&r, 0x9fffc, 8));
	g_assert_true(cpu_ram_contains(&r, 0xc0000, 0x30000));
	g_assert_false(cpu_ram_contains(&r, 0xf0000, 4));
	/* The RAM ranges in order. */
	g_assert_cmpint(cpu_ram_range_from(&r, 0, &lo, &hi), ==, 0);
	g_assert_cmphex(hi, ==, 0xa0000);
	g_assert_cmpint(cpu_ram_range_from(&r, 0xa0000, &lo, &hi), ==, 0);
	g_assert_cmphex(lo, ==, 0xc0000);
	g_assert_cmphex(hi, ==, 0xf0000);
	g_assert_cmpint(cpu_ram_range_from(&r, 0xf0000, &lo, &hi), ==, 0);
	g_assert_cmphex(lo, ==, 0x100000);
	g_assert_cmphex(hi, ==, 0xc0000000);
	g_assert_cmpint(cpu_ram_range_from(&r, 0xc0000000, &lo, &hi), ==, 0);
	g_assert_cmphex(lo, ==, UINT64_C(1) << 32);
	g_assert_cmpint(cpu_ram_range_from(&r, hi, &lo, &hi), ==, -ENOENT);
	g_assert_cmpint(dev_pc_ram_layout(&r, 1u << 20), ==, -EINVAL);
}

/* A 4 GiB machine: Unicorn's view of RAM above 4 GiB is the buffer's
 * (written through Unicorn, read through tdpsim), and the PCI hole is the
 * board's. */
static void test_high_ram(void)
{
	struct cpu_opts o = {.mem_bytes = UINT64_C(4) << 30, .model_kind = CPU_MODEL_FUNCTIONAL};
	struct tm_config cfg;
	struct cpu c;
	char why[256];
	uint32_t v = 0x4a4b4c4d, back = 0;

	test_config(&cfg);
	o.report = stderr;
	if (cpu_machine_init(&c, &cfg, &o, why, sizeof(why)))
		g_error("cpu_machine_init: %s", why);
	g_assert_cmpint(uc_mem_write(c.uc, (UINT64_C(1) << 32) + 0x1234, &v, 4), ==, UC_ERR_OK);
	g_assert_cmpint(cpu_ram_read(&c.ram, (UINT64_C(1) << 32) + 0x1234, &back, 4), ==, 0);
	g_assert_cmphex(back, ==, v);
	g_assert_cmpint(uc_mem_read(c.uc, 0xd0000000, &back, 4), ==, UC_ERR_OK);
	g_assert_cmphex(back, ==, 0);
	g_assert_cmpuint(c.bus.un.mem_reads, ==, 1);
	cpu_machine_free(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/memmap/layout", test_layout);
	g_test_add_func("/memmap/guest/tdpsim", test_guest_tdpsim);
	g_test_add_func("/memmap/guest/reference", test_guest_reference);
	g_test_add_func("/memmap/high-ram", test_high_ram);
	return g_test_run();
}
