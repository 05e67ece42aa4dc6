/*
 * The feed seam (trace/sink.h) on the live CPU: the start state is an
 * event. A 64-bit ELF kernel is entered in long mode with paging already on
 * (CPU_BOOT_LONG64: the loader's identity map of 2 MiB pages, SDM Vol. 3A
 * 4.5); the timing model must walk from its first access, as the hardware
 * does, not take the run for paging-off because nobody told it CR0.
 *
 * Expected counts, from first principles: the kernel below touches three
 * 2 MiB pages (its code at 1 MiB, data at 4 MiB and 6 MiB) and reads 4 MiB
 * twice. With cold TLBs that is one walk per page (the code page by the
 * fetch, each data page by its first read), the second read of 4 MiB hits
 * the L1 DTLB: 3 walks, 3 reads.
 */
#include <elf.h>
#include <glib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/loader.h"
#include "cpu/cpu.h"
#include "timing/config.h"

static const uint8_t kcode[] = {
	0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov rax, [0x400000] */
	0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, /* mov rax, [0x600000] */
	0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x40, 0x00, /* mov rax, [0x400008] */
	0xb0, 0x00,                                     /* mov al, 0 */
	0xe6, 0xf4,                                     /* out 0xf4, al: exit status 1 */
	0xf4,                                           /* hlt */
};

/* An ELF64 executable: one PT_LOAD of kcode at 1 MiB, entry there. */
static size_t build_elf64(uint8_t *b, size_t cap)
{
	size_t off = 0x100;
	/* One PT_LOAD of kcode at 1 MiB (paddr = vaddr), entry there. */
	Elf64_Ehdr e = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
				      ELFDATA2LSB, EV_CURRENT },
			 .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			 .e_entry = 0x100000, .e_phoff = sizeof(e), .e_ehsize = sizeof(e),
			 .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1 };
	Elf64_Phdr p = { .p_type = PT_LOAD, .p_offset = off, .p_vaddr = 0x100000,
			 .p_paddr = 0x100000, .p_filesz = sizeof(kcode),
			 .p_memsz = sizeof(kcode), .p_flags = PF_R | PF_X };

	g_assert_cmpuint(cap, >=, off + sizeof(kcode));
	memset(b, 0, cap);
	memcpy(b, &e, sizeof(e));
	memcpy(b + sizeof(e), &p, sizeof(p));
	memcpy(b + off, kcode, sizeof(kcode));
	return off + sizeof(kcode);
}

struct seen {
	unsigned starts;
	struct trc_start st;
};

static void on_start(void *o, const struct trc_start *st)
{
	struct seen *s = o;

	s->starts++;
	s->st = *st;
}

static void test_long64_walks(void)
{
	char why[256] = "", *path = tm_config_find(TM_CONFIG_DEFAULT);
	uint8_t img[0x200];
	size_t len = build_elf64(img, sizeof(img));
	struct tm_config cfg;
	struct cpu c;
	struct cpu_boot b;
	struct seen seen = { 0 };
	struct trc_consumer k = { .start = on_start, .opaque = &seen };
	char *con = NULL;
	size_t con_len = 0;
	FILE *cf = open_memstream(&con, &con_len);
	struct cpu_opts o = { .mem_bytes = 16u << 20, .max_insns = 100000, .console = cf,
			      .report = stderr };

	g_assert_nonnull(path);
	tm_config_defaults(&cfg);
	g_assert_cmpint(tm_config_load(&cfg, path, why, sizeof(why)), ==, 0);
	if (cpu_machine_init(&c, &cfg, &o, why, sizeof(why)))
		g_error("cpu_machine_init: %s", why);
	g_assert_cmpint(cpu_feed_add(&c, &k), ==, 0);
	g_assert_cmpint(cpu_load_kernel_buf(&c.ram, "long64.elf", img, len, "", NULL, 0, &b, why,
					    sizeof(why)), ==, 0);
	g_assert_cmpint(b.kind, ==, CPU_BOOT_LONG64);
	g_assert_cmpint(cpu_boot_enter(&c, &b, why, sizeof(why)), ==, 0);
	g_assert_cmpint(cpu_run(&c), ==, CPU_STOP_EXIT);
	g_assert_cmpint(c.bus.exit_status, ==, 1);

	/* The start state is fed once, with paging on (CR0.PG, EFER.LMA). */
	g_assert_cmpuint(seen.starts, ==, 1);
	g_assert_cmphex(seen.st.regs.cr0 & 0x80000001u, ==, 0x80000001u);
	g_assert_cmphex(seen.st.regs.efer & 0x400u, ==, 0x400u);
	g_assert_cmphex(seen.st.regs.cr3, ==, CPU_L64_PML4);
	g_assert_cmphex(seen.st.rip, ==, 0x100000);
	g_assert_cmpuint(seen.st.code_bits, ==, 64);

	const struct tm_stats *st = tm_model_stats(c.tm);

	g_assert_cmpuint(st->reads, ==, 3);
	g_assert_cmpuint(st->walks, ==, 3);
	cpu_machine_free(&c);
	fclose(cf);
	free(con);
	free(path);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/feed/long64-walks", test_long64_walks);
	return g_test_run();
}
