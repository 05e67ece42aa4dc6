/*
 * Unit tests of the kernel loaders (src/boot/loader_*.c).
 *
 * Every image is written here byte by byte from the format definitions
 * (glibc's <elf.h> structs for ELF, the Multiboot 0.6.96 header and
 * information layouts by offset), so the expected placement comes from the
 * specifications, not from the loader. The LONG64 identity tables are
 * checked by walking them with the paging engine. Malformed images must each
 * give their own one-line reason; a fuzz loop over mutated images (fixed
 * seed) must only ever give success or an error.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "boot/loader.h"
#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/walk.h"

#define RAM_SIZE (16u << 20)
#define MB_MAGIC 0x1BADB002u
#define KPATH	 "kernel.elf"

/* A file image under construction. */
struct img {
	uint8_t b[0x3000];
	size_t len;
};

static void put32(struct img *im, size_t off, uint32_t v)
{
	memcpy(im->b + off, &v, 4);
}

static uint32_t rd32(const struct cpu_ram *ram, uint64_t pa)
{
	uint64_t v = 0;

	g_assert_cmpint(cpu_ram_read_le(ram, pa, 4, &v), ==, 0);
	return (uint32_t)v;
}

static uint64_t rd64(const struct cpu_ram *ram, uint64_t pa)
{
	uint64_t v = 0;

	g_assert_cmpint(cpu_ram_read_le(ram, pa, 8, &v), ==, 0);
	return v;
}

/* Multiboot header (spec 3.1): magic, flags, checksum; with flag 16 the
 * a.out address fields follow. */
static void put_mb(struct img *im, size_t off, uint32_t flags)
{
	put32(im, off, MB_MAGIC);
	put32(im, off + 4, flags);
	put32(im, off + 8, 0u - MB_MAGIC - flags);
}

static void fill_pattern(struct img *im, size_t off, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (off + i >= 12 + 0x100 || off + i < 0x100) /* keep any header at 0x100 */
			im->b[off + i] = (uint8_t)(seed + i * 7);
}

/*
 * ELF32 Multiboot kernel: text at paddr 0x100000 (file 0x100, 0x40 bytes,
 * the Multiboot header first), data at 0x101000 (file 0x140, 0x10 bytes)
 * with 0x1FF0 bytes of bss. Entry 0x10000C, right after the header.
 */
static void build_elf32_mb(struct img *im)
{
	Elf32_Ehdr e = {0};
	Elf32_Phdr p[2] = {0};

	memset(im, 0, sizeof(*im));
	fill_pattern(im, 0x100, 0x50, 0x11);
	put_mb(im, 0x100, 0x3);
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS32;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = ET_EXEC;
	e.e_machine = EM_386;
	e.e_version = EV_CURRENT;
	e.e_entry = 0x10000c;
	e.e_phoff = sizeof(e);
	e.e_ehsize = sizeof(e);
	e.e_phentsize = sizeof(Elf32_Phdr);
	e.e_phnum = 2;
	p[0] = (Elf32_Phdr){.p_type = PT_LOAD,
			    .p_offset = 0x100,
			    .p_vaddr = 0x100000,
			    .p_paddr = 0x100000,
			    .p_filesz = 0x40,
			    .p_memsz = 0x40,
			    .p_flags = PF_R | PF_X};
	p[1] = (Elf32_Phdr){.p_type = PT_LOAD,
			    .p_offset = 0x140,
			    .p_vaddr = 0x101000,
			    .p_paddr = 0x101000,
			    .p_filesz = 0x10,
			    .p_memsz = 0x2000,
			    .p_flags = PF_R | PF_W};
	memcpy(im->b, &e, sizeof(e));
	memcpy(im->b + sizeof(e), p, sizeof(p));
	im->len = 0x150;
}

/* ELF64 with one segment of @filesz/@memsz at file 0x100 -> @paddr, linked
 * at @vaddr; entry @entry; Multiboot header at file 0x100 if @mb. */
static void build_elf64(struct img *im, uint64_t paddr, uint64_t vaddr, uint64_t entry, bool mb)
{
	Elf64_Ehdr e = {0};
	Elf64_Phdr p = {0};

	memset(im, 0, sizeof(*im));
	fill_pattern(im, 0x100, 0x80, 0x5a);
	if (mb)
		put_mb(im, 0x100, 0x2);
	memcpy(e.e_ident, ELFMAG, SELFMAG);
	e.e_ident[EI_CLASS] = ELFCLASS64;
	e.e_ident[EI_DATA] = ELFDATA2LSB;
	e.e_ident[EI_VERSION] = EV_CURRENT;
	e.e_type = ET_EXEC;
	e.e_machine = EM_X86_64;
	e.e_version = EV_CURRENT;
	e.e_entry = entry;
	e.e_phoff = sizeof(e);
	e.e_ehsize = sizeof(e);
	e.e_phentsize = sizeof(Elf64_Phdr);
	e.e_phnum = 1;
	p = (Elf64_Phdr){.p_type = PT_LOAD,
			 .p_offset = 0x100,
			 .p_vaddr = vaddr,
			 .p_paddr = paddr,
			 .p_filesz = 0x80,
			 .p_memsz = 0x1000,
			 .p_flags = PF_R | PF_X | PF_W};
	memcpy(im->b, &e, sizeof(e));
	memcpy(im->b + sizeof(e), &p, sizeof(p));
	im->len = 0x180;
}

/* a.out kludge: a flat binary whose Multiboot header at file 0x20 says:
 * header_addr 0x100020, so load_addr 0x100000 is file offset 0; load_end
 * 0x100080 (0x80 bytes of the 0x100-byte file), bss to 0x101000, entry
 * 0x100040. */
static void build_aout(struct img *im)
{
	memset(im, 0, sizeof(*im));
	for (size_t i = 0; i < 0x100; i++)
		im->b[i] = (uint8_t)(0x90 + i);
	put_mb(im, 0x20, 0x10003);
	put32(im, 0x2c, 0x100020);
	put32(im, 0x30, 0x100000);
	put32(im, 0x34, 0x100080);
	put32(im, 0x38, 0x101000);
	put32(im, 0x3c, 0x100040);
	im->len = 0x100;
}

static int load(struct cpu_ram *ram, const struct img *im, const char *cmdline,
		const struct cpu_module *mods, unsigned nmods, struct cpu_boot *boot, char *why)
{
	why[0] = 0;
	return cpu_load_kernel_buf(ram, KPATH, im->b, im->len, cmdline, mods, nmods, boot, why,
				   256);
}

static void ram_fill(struct cpu_ram *ram, uint8_t v)
{
	g_assert_cmpint(cpu_ram_init(ram, RAM_SIZE), ==, 0);
	memset(ram->base, v, ram->size);
}

static void check_str(const struct cpu_ram *ram, uint64_t pa, const char *s)
{
	g_assert_cmpuint(pa, <, ram->size);
	g_assert_cmpstr((const char *)ram->base + pa, ==, s);
}

static void test_elf32_multiboot(void)
{
	g_autofree char *dir = g_dir_make_tmp("tdpsim-loader-XXXXXX", NULL);
	g_autofree char *m1 = g_build_filename(dir, "initrd", NULL);
	g_autofree char *m2 = g_build_filename(dir, "blob", NULL);
	const char *m2s = "blob arg=1"; /* modules are named by their base names */
	uint8_t mod1[5000], zero[0x1ff0] = {0};
	struct cpu_module mods[2] = {{m1, NULL}, {m2, "arg=1"}};
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];
	uint32_t mmap, mods_addr;

	for (size_t i = 0; i < sizeof(mod1); i++)
		mod1[i] = (uint8_t)(i * 13);
	g_assert_true(g_file_set_contents(m1, (const char *)mod1, sizeof(mod1), NULL));
	g_assert_true(g_file_set_contents(m2, "0123456789", 10, NULL));
	build_elf32_mb(&im);
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, "mode=pae", mods, 2, &boot, why), ==, 0);
	g_assert_cmpuint(boot.kind, ==, CPU_BOOT_MULTIBOOT);
	g_assert_cmphex(boot.entry, ==, 0x10000c);
	g_assert_cmphex(boot.eax, ==, 0x2BADB002);
	/* The information area starts at the first page after the image. */
	g_assert_cmphex(boot.ebx, ==, 0x103000);
	g_assert_cmphex(boot.image_lo, ==, 0x100000);
	g_assert_cmphex(boot.image_hi, ==, 0x103000);
	/* Segments at p_paddr; bss zeroed to p_memsz and not beyond. */
	g_assert_cmpmem(ram.base + 0x100000, 0x40, im.b + 0x100, 0x40);
	g_assert_cmpuint(ram.base[0x100040], ==, 0xcc);
	g_assert_cmpmem(ram.base + 0x101000, 0x10, im.b + 0x140, 0x10);
	g_assert_cmpmem(ram.base + 0x101010, sizeof(zero), zero, sizeof(zero));
	/* Information structure (spec 3.3): flags mem (0), cmdline (2),
	 * mods (3), mmap (6), boot_loader_name (9) = 0x24D. */
	g_assert_cmphex(rd32(&ram, boot.ebx + 0x00), ==, 0x24d);
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x04), ==, 639);				/* 0x9FC00 / 1024 */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x08), ==, (RAM_SIZE - 0x100000) / 1024); /* 15360 */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x08), ==, 15360);
	check_str(&ram, rd32(&ram, boot.ebx + 0x10), KPATH " mode=pae");
	check_str(&ram, rd32(&ram, boot.ebx + 0x40), "tdpsim");
	/* Memory map: 4 entries of 24 bytes (size field 20 = the entry
	 * without itself), like QEMU's e820. */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x2c), ==, 96);
	mmap = rd32(&ram, boot.ebx + 0x30);
	{
		static const uint64_t want[4][3] = {
		    {0, 0x9fc00, 1},
		    {0x9fc00, 0x400, 2},
		    {0xf0000, 0x10000, 2},
		    {0x100000, RAM_SIZE - 0x100000, 1},
		};
		for (unsigned i = 0; i < 4; i++) {
			uint64_t e = mmap + 24u * i;

			g_assert_cmpuint(rd32(&ram, e), ==, 20);
			g_assert_cmphex(rd64(&ram, e + 4), ==, want[i][0]);
			g_assert_cmphex(rd64(&ram, e + 12), ==, want[i][1]);
			g_assert_cmpuint(rd32(&ram, e + 20), ==, want[i][2]);
		}
	}
	/* Modules: page-aligned after the information area (0x103000-
	 * 0x103fff), in order, mod_end exclusive, each with its own string. */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x14), ==, 2);
	mods_addr = rd32(&ram, boot.ebx + 0x18);
	g_assert_cmphex(rd32(&ram, mods_addr), ==, 0x104000);
	g_assert_cmphex(rd32(&ram, mods_addr + 4), ==, 0x104000 + 5000);
	g_assert_cmpmem(ram.base + 0x104000, sizeof(mod1), mod1, sizeof(mod1));
	g_assert_cmpuint(ram.base[0x104000 + 5000], ==, 0xcc); /* the gap is untouched */
	check_str(&ram, rd32(&ram, mods_addr + 8), "initrd");
	g_assert_cmphex(rd32(&ram, mods_addr + 16), ==, 0x106000); /* 0x105388 rounded up */
	g_assert_cmphex(rd32(&ram, mods_addr + 20), ==, 0x10600a);
	g_assert_cmpmem(ram.base + 0x106000, 10, "0123456789", 10);
	check_str(&ram, rd32(&ram, mods_addr + 24), m2s);
	/* Everything the loader wrote is after the image. */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x10), >=, boot.image_hi);
	g_assert_cmpuint(mmap, >=, boot.image_hi);
	g_unlink(m1);
	g_unlink(m2);
	g_rmdir(dir);
	cpu_ram_free(&ram);
}

/* A kernel linked at 0x8000 (segments 0x8000-0x8040 and 0x9000-0xb000):
 * the Multiboot information goes after it, never over it. */
static void test_low_link(void)
{
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];

	build_elf32_mb(&im);
	put32(&im, 0x34 + 12, 0x8000); /* 1st p_paddr */
	put32(&im, 0x54 + 12, 0x9000); /* 2nd p_paddr */
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, "low", NULL, 0, &boot, why), ==, 0);
	g_assert_cmphex(boot.image_lo, ==, 0x8000);
	g_assert_cmphex(boot.image_hi, ==, 0xb000);
	g_assert_cmphex(boot.entry, ==, 0x800c);
	g_assert_cmphex(boot.ebx, ==, 0xb000);
	g_assert_cmpmem(ram.base + 0x8000, 0x40, im.b + 0x100, 0x40);
	g_assert_cmpmem(ram.base + 0x9000, 0x10, im.b + 0x140, 0x10);
	check_str(&ram, rd32(&ram, boot.ebx + 0x10), KPATH " low");
	cpu_ram_free(&ram);
}

static void test_elf64_multiboot(void)
{
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];

	/* Higher-half link (vaddr 0xffffffff80200000) loaded at paddr
	 * 0x200000: e_entry is virtual and moves with the segment (QEMU's
	 * rule), so the entry is 0x200010. Accepted although QEMU refuses
	 * ELF64 Multiboot kernels. */
	build_elf64(&im, 0x200000, UINT64_C(0xffffffff80200000), UINT64_C(0xffffffff80200010),
		    true);
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, NULL, NULL, 0, &boot, why), ==, 0);
	g_assert_cmpuint(boot.kind, ==, CPU_BOOT_MULTIBOOT);
	g_assert_cmphex(boot.entry, ==, 0x200010);
	g_assert_cmpmem(ram.base + 0x200000, 0x80, im.b + 0x100, 0x80);
	g_assert_cmpuint(ram.base[0x200080], ==, 0);
	g_assert_cmpuint(ram.base[0x200fff], ==, 0);
	g_assert_cmphex(boot.ebx, ==, 0x201000); /* the information, after the bss */
	check_str(&ram, rd32(&ram, boot.ebx + 0x10), KPATH " "); /* QEMU: "<path> <append>" */
	g_assert_cmpuint(rd32(&ram, boot.ebx + 0x14), ==, 0);
	cpu_ram_free(&ram);
}

static void test_aout(void)
{
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];
	uint8_t zero[0xf80] = {0};

	build_aout(&im);
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, "x", NULL, 0, &boot, why), ==, 0);
	g_assert_cmpuint(boot.kind, ==, CPU_BOOT_MULTIBOOT);
	g_assert_cmphex(boot.entry, ==, 0x100040);
	g_assert_cmphex(boot.image_lo, ==, 0x100000);
	g_assert_cmphex(boot.image_hi, ==, 0x101000);
	g_assert_cmpstr(boot.note, ==, "");
	g_assert_cmpmem(ram.base + 0x100000, 0x80, im.b, 0x80);
	g_assert_cmpmem(ram.base + 0x100080, sizeof(zero), zero, sizeof(zero));
	g_assert_cmphex(boot.ebx, ==, 0x101000); /* the information, right after the bss */
	cpu_ram_free(&ram);

	/* load_end_addr 0: the rest of the file; bss_end 0: no bss. */
	put32(&im, 0x34, 0);
	put32(&im, 0x38, 0);
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, "x", NULL, 0, &boot, why), ==, 0);
	g_assert_cmphex(boot.image_hi, ==, 0x100100);
	g_assert_cmpmem(ram.base + 0x100000, 0x100, im.b, 0x100);
	g_assert_cmpuint(ram.base[0x100100], ==, 0xcc);
	cpu_ram_free(&ram);

	/* Header flag 2 (video mode): loaded, with a note saying it was
	 * ignored; info flag 11 (VBE) stays clear. */
	put_mb(&im, 0x20, 0x10007);
	ram_fill(&ram, 0xcc);
	g_assert_cmpint(load(&ram, &im, "x", NULL, 0, &boot, why), ==, 0);
	g_assert_nonnull(strstr(boot.note, "video mode request (header flag 2) ignored"));
	g_assert_cmphex(rd32(&ram, boot.ebx + 0x00) & (1u << 11), ==, 0);
	cpu_ram_free(&ram);
}

/* Walk @va through the LONG64 tables with the engine (4-level, CR3 =
 * PML4). */
static void walk64(struct cpu_ram *ram, uint64_t cr3, uint64_t va, struct pg_walk *w)
{
	struct pg_regs r = {
	    .cr0 = CR0_PE | CR0_PG, .cr3 = cr3, .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA};
	struct pg_req rq = {.va = va, .access = PG_ACC_FETCH};
	struct pg_accessor acc;
	struct pg_cpu cpu;
	struct pg_mmu m;
	const char *why = NULL;

	pg_cpu_all(&cpu);
	cpu.maxphyaddr = 46;
	g_assert_cmpint(pg_mmu_init(&m, &r, &cpu, &why), ==, 0);
	pg_ram_accessor(&acc, ram);
	g_assert_cmpint(pg_walk(&m, &acc, &rq, w), ==, 0);
}

static void test_long64(void)
{
	static const uint64_t vas[] = {0,	   0x7000,     0x100010,  0x12345678,
				       0x40000000, 0xbfe00123, 0xffffffff};
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct pg_walk w;
	struct img im;
	char why[256];

	build_elf64(&im, 0x100000, 0x100000, 0x100020, false);
	ram_fill(&ram, 0xcc);
	/* Modules are Multiboot's: a plain ELF64 refuses them (it used to
	 * ignore them, even one that does not exist), and loads nothing. */
	{
		const struct cpu_module m = { .path = "/nonexistent", .cmdline = "" };

		g_assert_cmpint(load(&ram, &im, "", &m, 1, &boot, why), ==, -EINVAL);
		g_assert_nonnull(strstr(why, "--module '/nonexistent'"));
		g_assert_cmphex(ram.base[0x100000], ==, 0xcc);
	}
	g_assert_cmpint(load(&ram, &im, "console=ttyS0 quiet", NULL, 0, &boot, why), ==, 0);
	g_assert_cmpuint(boot.kind, ==, CPU_BOOT_LONG64);
	g_assert_cmphex(boot.entry, ==, 0x100020);
	g_assert_cmphex(boot.cr3, ==, 0x1000);
	g_assert_cmphex(boot.rsp, ==, 0x80000);
	g_assert_cmphex(boot.rdi, ==, 0x7000);
	check_str(&ram, boot.rdi, "console=ttyS0 quiet"); /* no path: not Multiboot */
	/* GDT: null, 0x08 code with L=1 (bit 53), D=0 (bit 54), P=1 (bit
	 * 47), DPL 0, S=1 and type execute/read (bits 47:40 = 0x9A); 0x10
	 * data, type read/write (0x92). */
	g_assert_cmphex(boot.gdt_base, ==, 0x8000);
	g_assert_cmpuint(boot.gdt_limit, ==, 23);
	g_assert_cmphex(rd64(&ram, 0x8000), ==, 0);
	{
		uint64_t cs = rd64(&ram, 0x8008), ds = rd64(&ram, 0x8010);

		g_assert_cmphex((cs >> 53) & 3, ==, 1);
		g_assert_cmphex((cs >> 40) & 0xff, ==, 0x9a);
		g_assert_cmphex((ds >> 40) & 0xff, ==, 0x92);
		g_assert_cmphex(cs & 0xffff, ==, 0xffff);
	}
	g_assert_cmpmem(ram.base + 0x100000, 0x80, im.b + 0x100, 0x80);
	/* By hand: 0x12345678 is PML4[0], PDPT[0], PD[0x91]: the PDE at
	 * 0x3000 + 8 * 0x91 maps 0x12200000 with P|RW|PS = 0x83; 0xbfe00123
	 * is PDPT[2], PD[511]: 0x5000 + 0xff8 holds 0xbfe00083. */
	g_assert_cmphex(rd64(&ram, 0x1000), ==, 0x2003);
	g_assert_cmphex(rd64(&ram, 0x2018), ==, 0x6003);
	g_assert_cmphex(rd64(&ram, 0x3000 + 8 * 0x91), ==, 0x12200083);
	g_assert_cmphex(rd64(&ram, 0x5ff8), ==, 0xbfe00083);
	g_assert_cmphex(rd64(&ram, 0x1008), ==, 0); /* nothing above 512 GiB ... */
	g_assert_cmphex(rd64(&ram, 0x2020), ==, 0); /* ... nor above 4 GiB */
	for (unsigned i = 0; i < G_N_ELEMENTS(vas); i++) {
		walk64(&ram, boot.cr3, vas[i], &w);
		g_assert_cmpuint(w.fault.vector, ==, 0);
		g_assert_cmphex(w.pa, ==, vas[i]);
		g_assert_cmphex(w.page_size, ==, 2u << 20);
		g_assert_true(w.perms & PG_PERM_W);
		g_assert_false(w.perms & PG_PERM_U);
	}
	walk64(&ram, boot.cr3, UINT64_C(0x100000000), &w);
	g_assert_cmpuint(w.fault.vector, ==, X86_VEC_PF);
	g_assert_cmphex(w.fault.error_code & PFEC_P, ==, 0);
	cpu_ram_free(&ram);
}

/* ---- malformed images ---- */

typedef void (*mutate_fn)(struct img *im);

static void m_empty(struct img *im)
{
	im->len = 0;
}
static void m_text(struct img *im)
{
	memset(im->b, 'a', 0x200);
	im->len = 0x200;
}
static void m_short_ehdr(struct img *im)
{
	im->len = 40;
}
static void m_class(struct img *im)
{
	im->b[EI_CLASS] = 3;
}
static void m_bigendian(struct img *im)
{
	im->b[EI_DATA] = ELFDATA2MSB;
}
static void m_machine64(struct img *im)
{
	im->b[18] = EM_386;
}
static void m_machine32(struct img *im)
{
	im->b[18] = EM_X86_64;
}
static void m_dyn(struct img *im)
{
	im->b[16] = ET_DYN;
}
static void m_phentsize(struct img *im)
{
	im->b[0x36] = 0x30;
}
static void m_phnum(struct img *im)
{
	im->b[0x38] = 0xff;
}
static void m_seg_trunc(struct img *im)
{
	put32(im, 0x40 + 8, 0x2f00);
} /* p_offset */
static void m_filesz(struct img *im)
{
	put32(im, 0x40 + 40, 0x40);
} /* p_memsz < filesz */
static void m_outside(struct img *im)
{
	put32(im, 0x40 + 24, 0xfff800);
} /* p_paddr */
static void m_overlap64(struct img *im)
{
	put32(im, 0x40 + 24, 0x40000);
} /* stack area */
static void m_checksum(struct img *im)
{
	put32(im, 0x108, 0x12345678);
}
static void m_aout_end(struct img *im)
{
	put32(im, 0x34, 0x0fff00);
}
static void m_aout_trunc(struct img *im)
{
	put32(im, 0x34, 0x100400);
}
static void m_aout_entry(struct img *im)
{
	put32(im, 0x3c, 0x200000);
}
static void m_entry(struct img *im)
{
	put32(im, 24, 0x300000);
}
static void m_no_mb32(struct img *im)
{
	memset(im->b + 0x100, 0, 12);
}
static void m_flags(struct img *im)
{
	put_mb(im, 0x100, 0x3 | (1u << 3));
}
static void m_noload(struct img *im)
{
	put32(im, 0x34, PT_NOTE);
	put32(im, 0x54, PT_NOTE);
}
static void m_mb_not_elf(struct img *im)
{
	memset(im->b, 0, 4);
}

struct bad_case {
	const char *name;
	void (*build)(struct img *im);
	mutate_fn mutate;
	int err;
	const char *what; /* substring of the reason */
};

static void build_e64(struct img *im)
{
	build_elf64(im, 0x100000, 0x100000, 0x100020, false);
}
static void build_e64mb(struct img *im)
{
	build_elf64(im, 0x100000, 0x100000, 0x100020, true);
}

static const struct bad_case bad[] = {
    {"empty", build_e64, m_empty, -ENOEXEC, "is empty"},
    {"text", build_e64, m_text, -ENOEXEC, "neither an ELF executable nor a Multiboot"},
    {"short-ehdr", build_e64, m_short_ehdr, -ENOEXEC, "truncated ELF header"},
    {"class", build_e64, m_class, -ENOEXEC, "unknown ELF class 3"},
    {"big-endian", build_e64, m_bigendian, -ENOEXEC, "not little-endian"},
    {"machine64", build_e64, m_machine64, -ENOEXEC, "not x86-64"},
    {"machine32", build_elf32_mb, m_machine32, -ENOEXEC, "not i386"},
    {"et-dyn", build_e64, m_dyn, -ENOEXEC, "not an executable"},
    {"phentsize", build_e64, m_phentsize, -ENOEXEC, "program header entry size"},
    {"phnum", build_e64, m_phnum, -ENOEXEC, "truncated program header table"},
    {"seg-trunc", build_e64, m_seg_trunc, -ENOEXEC, "truncated segment 0"},
    {"filesz", build_e64, m_filesz, -ENOEXEC, "file size 0x80 > memory size 0x40"},
    {"outside-ram", build_e64, m_outside, -ENOEXEC, "outside RAM"},
    {"overlap-long64", build_e64, m_overlap64, -ENOEXEC, "overlaps the long-mode boot"},
    {"checksum", build_elf32_mb, m_checksum, -ENOEXEC, "bad checksum"},
    {"aout-end", build_aout, m_aout_end, -ENOEXEC, "load_end_addr 0xfff00 is below"},
    {"aout-trunc", build_aout, m_aout_trunc, -ENOEXEC, "past the end of the file"},
    {"aout-entry", build_aout, m_aout_entry, -ENOEXEC, "entry_addr 0x200000 is outside"},
    {"entry", build_e64mb, m_entry, -ENOEXEC, "entry point 0x300000 is outside"},
    {"elf32-no-mb", build_elf32_mb, m_no_mb32, -ENOEXEC, "32-bit ELF without a Multiboot"},
    {"mb-flags", build_elf32_mb, m_flags, -ENOEXEC, "requires features"},
    {"no-load", build_elf32_mb, m_noload, -ENOEXEC, "no loadable"},
    {"mb-not-elf", build_elf32_mb, m_mb_not_elf, -ENOEXEC, "not an ELF"},
};

static void test_malformed(void)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];

	ram_fill(&ram, 0xcc);
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		const struct bad_case *c = &bad[i];

		c->build(&im);
		c->mutate(&im);
		g_test_message("%s", c->name);
		g_assert_cmpint(load(&ram, &im, "x", NULL, 0, &boot, why), ==, c->err);
		if (!strstr(why, c->what))
			g_error("%s: reason '%s' does not say '%s'", c->name, why, c->what);
		g_assert_nonnull(strstr(why, KPATH));
		g_assert_null(strchr(why, '\n'));
		/* A distinct reason for each. */
		g_assert_false(g_hash_table_contains(seen, why));
		g_hash_table_add(seen, g_strdup(why));
		/* Nothing was written: every check comes before the copy. */
		g_assert_cmpuint(ram.base[0x100000], ==, 0xcc);
		g_assert_cmpuint(ram.base[0x9000], ==, 0xcc);
		g_assert_cmpuint(ram.base[0x1000], ==, 0xcc);
	}
	g_hash_table_destroy(seen);
	cpu_ram_free(&ram);
}

static void test_files(void)
{
	g_autofree char *dir = g_dir_make_tmp("tdpsim-loader-XXXXXX", NULL);
	g_autofree char *k = g_build_filename(dir, "k.elf", NULL);
	g_autofree char *missing = g_build_filename(dir, "nope", NULL);
	struct cpu_module mod = {missing, NULL};
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];

	ram_fill(&ram, 0xcc);
	g_assert_cmpint(cpu_load_kernel(&ram, missing, "", NULL, 0, &boot, why, sizeof(why)), ==,
			-ENOENT);
	g_assert_nonnull(strstr(why, "cannot read kernel"));
	g_assert_nonnull(strstr(why, missing));
	/* Not regular files: a directory, and a device that never ends
	 * (reading it whole would never return). */
	g_assert_cmpint(cpu_load_kernel(&ram, dir, "", NULL, 0, &boot, why, sizeof(why)), ==,
			-EINVAL);
	g_assert_nonnull(strstr(why, "not a regular file"));
	g_assert_cmpint(cpu_load_kernel(&ram, "/dev/zero", "", NULL, 0, &boot, why, sizeof(why)),
			==, -EINVAL);
	g_assert_nonnull(strstr(why, "'/dev/zero': not a regular file"));
	build_elf32_mb(&im);
	g_assert_true(g_file_set_contents(k, (const char *)im.b, (gssize)im.len, NULL));
	g_assert_cmpint(cpu_load_kernel(&ram, k, "", &mod, 1, &boot, why, sizeof(why)), ==,
			-ENOENT);
	g_assert_nonnull(strstr(why, "cannot read module"));
	g_assert_nonnull(strstr(why, missing));
	g_assert_cmpuint(ram.base[0x100000], ==, 0xcc); /* modules are read first */
	g_assert_cmpint(cpu_load_kernel(&ram, k, "", NULL, 0, &boot, why, sizeof(why)), ==, 0);
	{
		check_str(&ram, rd32(&ram, boot.ebx + 0x10), "k.elf "); /* the base name */
	}
	/* Command lines: 4095 bytes at most for LONG64; for Multiboot as
	 * long as RAM after the image holds it. */
	{
		g_autofree char *longline = g_strnfill(700000, 'a');
		struct img e64;

		build_e64(&e64);
		g_assert_cmpint(load(&ram, &e64, longline + 700000 - 4095, NULL, 0, &boot, why), ==,
				0);
		g_assert_cmpint(load(&ram, &e64, longline + 700000 - 4096, NULL, 0, &boot, why), ==,
				-E2BIG);
		g_assert_nonnull(strstr(why, "command line of 4096 bytes is longer than 4095"));
		g_assert_cmpint(
		    cpu_load_kernel(&ram, k, longline, NULL, 0, &boot, why, sizeof(why)), ==, 0);
		g_assert_cmpuint(strlen((const char *)ram.base + rd32(&ram, boot.ebx + 0x10)), ==,
				 6 + 700000);
	}
	cpu_ram_free(&ram);
	/* Multiboot needs RAM above 1 MiB. */
	g_assert_cmpint(cpu_ram_init(&ram, 1u << 20), ==, 0);
	g_assert_cmpint(cpu_load_kernel(&ram, k, "", NULL, 0, &boot, why, sizeof(why)), ==,
			-ENOMEM);
	g_assert_nonnull(strstr(why, "more than 1 MiB"));
	cpu_ram_free(&ram);
	g_unlink(k);
	g_rmdir(dir);
}

/*
 * Fuzz: mutate the four valid images (fixed seed: deterministic) by
 * flipping bytes, writing boundary values into header words, or
 * truncating; the loader must return 0 or a negative errno with a one-line
 * reason, and never read or write out of bounds (run under the Sanitize
 * build to check that).
 */
static void test_fuzz(void)
{
	static void (*const builders[])(struct img *) = {build_elf32_mb, build_e64, build_e64mb,
							 build_aout};
	static const uint32_t edge[] = {0,	1,	  0xffffffff, 0x7fffffff, 0x80000000,
					0x1000, 0x100000, 0xfffff000, 0x9000,	  0x1badb002};
	GRand *r = g_rand_new_with_seed(0x7d95eed);
	unsigned iters = g_test_slow() ? 200000 : 20000, ok = 0, err = 0;
	struct cpu_ram ram;
	struct cpu_boot boot;
	struct img im;
	char why[256];

	g_assert_cmpint(cpu_ram_init(&ram, RAM_SIZE), ==, 0);
	for (unsigned i = 0; i < iters; i++) {
		unsigned n = (unsigned)g_rand_int_range(r, 1, 6);
		int rc;

		builders[i % G_N_ELEMENTS(builders)](&im);
		for (unsigned k = 0; k < n; k++) {
			/* Mostly the headers (first 0x140 bytes), sometimes anywhere. */
			size_t lim = g_rand_boolean(r) || im.len == 0 ? 0x140 : im.len;
			size_t off = (size_t)g_rand_int_range(r, 0, (gint32)lim);

			switch (g_rand_int_range(r, 0, 4)) {
			case 0:
				im.b[off] ^= (uint8_t)(1u << g_rand_int_range(r, 0, 8));
				break;
			case 1:
				im.b[off] = (uint8_t)g_rand_int(r);
				break;
			case 2:
				if (off + 4 <= sizeof(im.b))
					put32(&im, off & ~(size_t)3,
					      edge[g_rand_int_range(r, 0, G_N_ELEMENTS(edge))]);
				break;
			default:
				im.len = off;
				break;
			}
		}
		rc = load(&ram, &im, "fuzz", NULL, 0, &boot, why);
		if (rc == 0) {
			ok++;
			g_assert_cmpuint(boot.entry, >=, boot.image_lo);
			g_assert_cmpuint(boot.entry, <, boot.image_hi);
			g_assert_cmpuint(boot.image_hi, <=, ram.size);
		} else {
			err++;
			g_assert_cmpint(rc, <, 0);
			g_assert_cmpuint(strlen(why), >, 0);
			g_assert_null(strchr(why, '\n'));
		}
	}
	g_test_message("fuzz: %u images, %u loaded, %u refused", iters, ok, err);
	g_assert_cmpuint(ok, >, 0);
	g_assert_cmpuint(err, >, 0);
	g_rand_free(r);
	cpu_ram_free(&ram);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/loader/elf32_multiboot", test_elf32_multiboot);
	g_test_add_func("/loader/elf32_multiboot/low-link", test_low_link);
	g_test_add_func("/loader/elf64_multiboot", test_elf64_multiboot);
	g_test_add_func("/loader/aout_kludge", test_aout);
	g_test_add_func("/loader/long64", test_long64);
	g_test_add_func("/loader/malformed", test_malformed);
	g_test_add_func("/loader/files", test_files);
	g_test_add_func("/loader/fuzz", test_fuzz);
	return g_test_run();
}
