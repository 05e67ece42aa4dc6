/*
 * ELF executables (ELF32 for i386, ELF64 for x86-64) and the kernel loader
 * front door: Multiboot if the image has a Multiboot header, else a plain
 * 64-bit ELF entered in long mode on identity page tables the loader builds.
 *
 * Every offset and size read from the file is checked against the file
 * length and RAM before use, with overflow-free comparisons (a - b only
 * after b <= a), and nothing is written to RAM until every segment has
 * passed: a fuzzed image gets an error, never a crash or a partial load.
 * ELF layouts: System V ABI (gABI) chapter 4 and 5; glibc's <elf.h>.
 */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "paging/bits.h"

G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN); /* headers are read in place */

#define GIB4 (UINT64_C(1) << 32)

/* The fields of an ELF header and program header, either class. */
struct elf_hdr {
	unsigned cls;
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

int cpu__elf_class(const uint8_t *data, size_t len)
{
	if (len < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return -1;
	return data[EI_CLASS];
}

static int elf_header(const char *path, const uint8_t *data, size_t len, struct elf_hdr *h,
		      char *why, size_t why_len)
{
	int c = cpu__elf_class(data, len);
	unsigned cls = c < 0 ? 0 : (unsigned)c;

	if (cls == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr e;

		memcpy(&e, data, sizeof(e));
		*h = (struct elf_hdr){cls,	 e.e_type,  e.e_machine, e.e_phentsize,
				      e.e_phnum, e.e_entry, e.e_phoff};
	} else if (cls == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr e;

		memcpy(&e, data, sizeof(e));
		*h = (struct elf_hdr){cls,	 e.e_type,  e.e_machine, e.e_phentsize,
				      e.e_phnum, e.e_entry, e.e_phoff};
	} else if (cls == ELFCLASS32 || cls == ELFCLASS64) {
		snprintf(why, why_len, "kernel '%s': truncated ELF header (%zu bytes)", path, len);
		return -ENOEXEC;
	} else {
		snprintf(why, why_len, "kernel '%s': unknown ELF class %u", path, cls);
		return -ENOEXEC;
	}
	if (data[EI_DATA] != ELFDATA2LSB) {
		snprintf(why, why_len, "kernel '%s': ELF data encoding %u is not little-endian",
			 path, data[EI_DATA]);
		return -ENOEXEC;
	}
	if (cls == ELFCLASS32 && h->machine != EM_386) {
		snprintf(why, why_len, "kernel '%s': ELF32 for machine %u, not i386 (%u)", path,
			 h->machine, EM_386);
		return -ENOEXEC;
	}
	if (cls == ELFCLASS64 && h->machine != EM_X86_64) {
		snprintf(why, why_len, "kernel '%s': ELF64 for machine %u, not x86-64 (%u)", path,
			 h->machine, EM_X86_64);
		return -ENOEXEC;
	}
	if (h->type != ET_EXEC) {
		snprintf(why, why_len, "kernel '%s': ELF type %u is not an executable (ET_EXEC)",
			 path, h->type);
		return -ENOEXEC;
	}
	if (h->phentsize != (cls == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr))) {
		snprintf(why, why_len, "kernel '%s': program header entry size %u, expected %zu",
			 path, h->phentsize,
			 cls == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr));
		return -ENOEXEC;
	}
	if (h->phoff > len || (uint64_t)h->phnum * h->phentsize > len - h->phoff) {
		snprintf(why, why_len,
			 "kernel '%s': truncated program header table (%u entries at offset "
			 "0x%llx, file is %zu bytes)",
			 path, h->phnum, (unsigned long long)h->phoff, len);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_phdr_get(const struct elf_hdr *h, const uint8_t *data, unsigned i,
			 struct elf_phdr *p)
{
	const uint8_t *at = data + h->phoff + (uint64_t)i * h->phentsize;

	if (h->cls == ELFCLASS32) {
		Elf32_Phdr q;

		memcpy(&q, at, sizeof(q));
		*p = (struct elf_phdr){q.p_type,  q.p_flags,  q.p_offset, q.p_vaddr,
				       q.p_paddr, q.p_filesz, q.p_memsz};
	} else {
		Elf64_Phdr q;

		memcpy(&q, at, sizeof(q));
		*p = (struct elf_phdr){q.p_type,  q.p_flags,  q.p_offset, q.p_vaddr,
				       q.p_paddr, q.p_filesz, q.p_memsz};
	}
}

/* Check one PT_LOAD segment against the file, RAM and the keep-out area. */
static int elf_check_seg(const struct cpu_ram *ram, const char *path, size_t len, unsigned i,
			 const struct elf_phdr *p, const struct cpu__keepout *keep, char *why,
			 size_t why_len)
{
	if (p->filesz > p->memsz) {
		snprintf(why, why_len,
			 "kernel '%s': segment %u has file size 0x%llx > memory size 0x%llx", path,
			 i, (unsigned long long)p->filesz, (unsigned long long)p->memsz);
		return -ENOEXEC;
	}
	if (p->offset > len || p->filesz > len - p->offset) {
		snprintf(why, why_len,
			 "kernel '%s': truncated segment %u (0x%llx bytes at offset 0x%llx, file "
			 "is %zu bytes)",
			 path, i, (unsigned long long)p->filesz, (unsigned long long)p->offset,
			 len);
		return -ENOEXEC;
	}
	if (!cpu_ram_contains(ram, p->paddr, p->memsz)) {
		snprintf(why, why_len,
			 "kernel '%s': segment %u at 0x%llx (0x%llx bytes) is outside RAM "
			 "(0x%llx bytes)",
			 path, i, (unsigned long long)p->paddr, (unsigned long long)p->memsz,
			 (unsigned long long)ram->size);
		return -ENOEXEC;
	}
	if (keep && p->paddr < keep->hi && keep->lo < p->paddr + p->memsz) {
		snprintf(why, why_len,
			 "kernel '%s': segment %u at [0x%llx, 0x%llx) overlaps the %s at "
			 "[0x%llx, 0x%llx)",
			 path, i, (unsigned long long)p->paddr,
			 (unsigned long long)(p->paddr + p->memsz), keep->what,
			 (unsigned long long)keep->lo, (unsigned long long)keep->hi);
		return -ENOEXEC;
	}
	return 0;
}

int cpu__elf_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		  const struct cpu__keepout *keep, struct cpu__image *img, char *why,
		  size_t why_len)
{
	struct elf_hdr h;
	struct elf_phdr p;
	uint64_t entry;
	bool in_image = false;
	unsigned nload = 0;
	int rc;

	rc = elf_header(path, data, len, &h, why, why_len);
	if (rc)
		return rc;
	*img = (struct cpu__image){.lo = UINT64_MAX, .hi = 0};
	entry = h.entry;
	/* Pass 1: check everything, find the range and the entry. */
	for (unsigned i = 0; i < h.phnum; i++) {
		elf_phdr_get(&h, data, i, &p);
		if (p.type != PT_LOAD || p.memsz == 0)
			continue;
		rc = elf_check_seg(ram, path, len, i, &p, keep, why, why_len);
		if (rc)
			return rc;
		nload++;
		img->lo = MIN(img->lo, p.paddr);
		img->hi = MAX(img->hi, p.paddr + p.memsz);
		/* QEMU (load_elf): e_entry is virtual; in an executable segment
		 * linked at vaddr != paddr it moves with the segment. */
		if ((p.flags & PF_X) && p.vaddr != p.paddr && h.entry >= p.vaddr &&
		    h.entry - p.vaddr < p.filesz)
			entry = h.entry - p.vaddr + p.paddr;
	}
	if (nload == 0) {
		snprintf(why, why_len, "kernel '%s': no loadable (PT_LOAD) segment", path);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < h.phnum && !in_image; i++) {
		elf_phdr_get(&h, data, i, &p);
		in_image = p.type == PT_LOAD && entry >= p.paddr && entry - p.paddr < p.memsz;
	}
	if (!in_image) {
		snprintf(why, why_len, "kernel '%s': entry point 0x%llx is outside every segment",
			 path, (unsigned long long)entry);
		return -ENOEXEC;
	}
	/* Pass 2: load. */
	for (unsigned i = 0; i < h.phnum; i++) {
		elf_phdr_get(&h, data, i, &p);
		if (p.type != PT_LOAD || p.memsz == 0)
			continue;
		memcpy(ram->base + p.paddr, data + p.offset, p.filesz);
		memset(ram->base + p.paddr + p.filesz, 0, p.memsz - p.filesz);
	}
	img->entry = entry;
	return 0;
}

/* Identity-map the first 4 GiB with 2 MiB pages (SDM Vol. 3A 4.5.4):
 * PML4[0] -> PDPT, PDPT[0..3] -> four PDs, PD entries PS=1. Supervisor,
 * writable, executable: the kernel replaces them as it likes. */
void cpu__l64_tables(struct cpu_ram *ram)
{
	memset(ram->base + CPU_L64_PML4, 0, CPU_L64_CMDLINE - CPU_L64_PML4);
	cpu_ram_write_le(ram, CPU_L64_PML4, 8, CPU_L64_PDPT | PTE_P | PTE_RW);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pd = CPU_L64_PD + 0x1000u * i;

		cpu_ram_write_le(ram, CPU_L64_PDPT + 8 * i, 8, pd | PTE_P | PTE_RW);
		for (unsigned j = 0; j < 512; j++) {
			uint64_t pa = ((uint64_t)i << 30) | ((uint64_t)j << 21);

			cpu_ram_write_le(ram, pd + 8 * j, 8, pa | PTE_P | PTE_RW | PTE_PS);
		}
	}
}

/* Segment descriptors (SDM Vol. 3A 3.4.5): base 0, limit 0xFFFFF with
 * G=1, P=1, DPL 0, S=1. Code: type 0xA (execute/read), L=1 and D=0 (64-bit,
 * 5.2.1); data: type 0x2 (read/write), D/B=1. */

static int long64_load(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
		       const char *cmdline, struct cpu_boot *boot, char *why, size_t why_len)
{
	const struct cpu__keepout keep = {CPU_L64_AREA_LO, CPU_L64_AREA_HI,
					  "long-mode boot tables, command line and stack"};
	size_t clen = strlen(cmdline);
	struct cpu__image img;
	int rc;

	if (ram->size < CPU_L64_AREA_HI) {
		snprintf(why, why_len,
			 "kernel '%s': RAM of 0x%llx bytes is too small (the boot "
			 "structures need 0x%x)",
			 path, (unsigned long long)ram->size, CPU_L64_AREA_HI);
		return -ENOMEM;
	}
	if (clen > CPU_L64_CMDLINE_MAX) {
		snprintf(why, why_len, "kernel '%s': command line of %zu bytes is longer than %u",
			 path, clen, CPU_L64_CMDLINE_MAX);
		return -E2BIG;
	}
	rc = cpu__elf_load(ram, path, data, len, &keep, &img, why, why_len);
	if (rc)
		return rc;
	if (img.hi > GIB4) {
		snprintf(why, why_len,
			 "kernel '%s': image ends at 0x%llx, above the 4 GiB the "
			 "boot page tables map",
			 path, (unsigned long long)img.hi);
		return -ENOEXEC;
	}
	cpu__l64_tables(ram);
	memset(ram->base + CPU_L64_CMDLINE, 0, CPU_L64_CMDLINE_MAX + 1);
	memcpy(ram->base + CPU_L64_CMDLINE, cmdline, clen);
	cpu_ram_write_le(ram, CPU_L64_GDT, 8, 0);
	cpu_ram_write_le(ram, CPU_L64_GDT + CPU_L64_CS, 8, CPU__DESC_CODE64);
	cpu_ram_write_le(ram, CPU_L64_GDT + CPU_L64_DS, 8, CPU__DESC_DATA);
	*boot = (struct cpu_boot){.kind = CPU_BOOT_LONG64,
				  .entry = img.entry,
				  .cr3 = CPU_L64_PML4,
				  .rsp = CPU_L64_STACK,
				  .rdi = CPU_L64_CMDLINE,
				  .gdt_base = CPU_L64_GDT,
				  .gdt_limit = 3 * 8 - 1,
				  .image_lo = img.lo,
				  .image_hi = img.hi};
	return 0;
}

int cpu_load_kernel_buf(struct cpu_ram *ram, const char *path, const uint8_t *data, size_t len,
			const char *cmdline, const struct cpu_module *mods, unsigned nmods,
			struct cpu_boot *boot, char *why, size_t why_len)
{
	int rc, cls;

	if (!cmdline)
		cmdline = "";
	if (len == 0) {
		snprintf(why, why_len, "kernel '%s' is empty", path);
		return -ENOEXEC;
	}
	rc = cpu__mb_load(ram, path, data, len, cmdline, mods, nmods, boot, why, why_len);
	if (rc <= 0)
		return rc;
	rc = cpu__linux_load(ram, path, data, len, cmdline, mods, nmods, boot, why, why_len);
	if (rc <= 0)
		return rc;
	cls = cpu__elf_class(data, len);
	/* Modules are Multiboot's: a plain ELF64 entry has nowhere to say
	 * where they are (RDI holds only the command line). */
	if (cls == ELFCLASS64 && nmods) {
		snprintf(why, why_len,
			 "kernel '%s' is a 64-bit ELF without a Multiboot header: it cannot "
			 "take --module '%s' (modules need a Multiboot kernel)",
			 path, mods[0].path);
		return -EINVAL;
	}
	if (cls == ELFCLASS64)
		return long64_load(ram, path, data, len, cmdline, boot, why, why_len);
	if (cls == ELFCLASS32) {
		snprintf(why, why_len,
			 "kernel '%s': a 32-bit ELF without a Multiboot header "
			 "(only 64-bit ELFs are entered directly)",
			 path);
		return -ENOEXEC;
	}
	if (cls >= 0) {
		snprintf(why, why_len, "kernel '%s': unknown ELF class %d", path, cls);
		return -ENOEXEC;
	}
	snprintf(why, why_len,
		 "kernel '%s' is neither an ELF executable nor a Multiboot image "
		 "(no header in its first %u bytes), nor a Linux bzImage",
		 path, CPU_MB_SEARCH);
	return -ENOEXEC;
}

int cpu_load_kernel(struct cpu_ram *ram, const char *path, const char *cmdline,
		    const struct cpu_module *mods, unsigned nmods, struct cpu_boot *boot, char *why,
		    size_t why_len)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	/* A kernel larger than RAM cannot be loaded anyway. */
	rc = cpu_read_file(path, "cannot read kernel", ram->size, &data, &len, why, why_len);
	if (rc)
		return rc;
	rc = cpu_load_kernel_buf(ram, path, (const uint8_t *)data, len, cmdline, mods, nmods, boot,
				 why, why_len);
	g_free(data);
	return rc;
}
