/*
 * The benchmark's baseline: pagetest's 64-bit image run on a bare Unicorn
 * 2.1 handle, with QEMU's own MMU (UC_TLB_CPU) and no hooks but the port
 * I/O the kernel needs for its console and isa-debug-exit (IN/OUT are
 * instruction hooks, not memory hooks: the memory loop never runs one).
 * With --mem-hook, an empty UC_HOOK_MEM_READ|UC_HOOK_MEM_WRITE hook is
 * added: the floor of any per-access instrumentation. With --count, a
 * UC_HOOK_CODE hook counts the instructions executed (slow; for the
 * instruction count only, never timed).
 *
 * It enters the image's main64 directly in Unicorn's initial 64-bit state
 * (paging off, identity), with a Multiboot information block carrying the
 * command line; the kernel then loads its GDT/IDT, builds its page tables
 * and turns paging on itself, as it does under tdpsim and QEMU.
 *
 * usage: uc_baseline IMAGE ENTRY CMDLINE [--mem-hook | --count]
 *   IMAGE  the flat 64-bit image (build/guests/obj/pagetest64.bin), loaded
 *          at 0x400000; ENTRY the address of main64 (nm pagetest64.elf).
 * Prints the guest's UART output on stdout and "uc_baseline: SECONDS s"
 * (wall time of uc_emu_start) on stderr; exit status as isa-debug-exit's,
 * (value << 1) | 1, or 2 on error.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <unicorn/unicorn.h>

#define RAM_SIZE   (128u << 20)
#define IMAGE_BASE 0x400000u
#define MBI_ADDR   0x9000u
#define CMDLINE_AT 0x9100u
#define STACK_TOP  0x80000u

static int exit_status = 2;
static uint64_t icount;

#define UNUSED __attribute__((unused))

static uint32_t on_in(uc_engine *uc UNUSED, uint32_t port, int size UNUSED, void *user UNUSED)
{
	if (port == 0x3FD)
		return 0x60; /* LSR: THRE | TEMT */
	return 0;
}

static void on_out(uc_engine *uc, uint32_t port, int size UNUSED, uint32_t value, void *user UNUSED)
{
	if (port == 0x3F8) {
		putchar((int)(value & 0xFF));
	} else if (port == 0xF4) {
		exit_status = (int)((value << 1) | 1);
		uc_emu_stop(uc);
	}
}

static void on_mem(uc_engine *uc UNUSED, uc_mem_type type UNUSED, uint64_t addr UNUSED,
		   int size UNUSED, int64_t value UNUSED, void *user UNUSED)
{
}

static void on_code(uc_engine *uc UNUSED, uint64_t addr UNUSED, uint32_t size UNUSED,
		    void *user UNUSED)
{
	icount++;
}

int main(int argc, char **argv)
{
	uc_engine *uc;
	uc_hook h_in, h_out, h_mem;
	const char *opt = argc == 5 ? argv[4] : "";
	uint8_t *ram;
	FILE *f;
	size_t n;
	uint64_t entry, rsp = STACK_TOP - 8, rdi = MBI_ADDR;
	uint32_t mbi[5] = {0x5 /* MEM | CMDLINE */, 639, (RAM_SIZE >> 10) - 1024, 0, CMDLINE_AT};
	struct timespec t0, t1;
	uc_err e;

	if (argc < 4 || argc > 5 ||
	    (argc == 5 && strcmp(opt, "--mem-hook") && strcmp(opt, "--count"))) {
		fprintf(stderr, "usage: uc_baseline IMAGE ENTRY CMDLINE [--mem-hook | --count]\n");
		return 2;
	}
	entry = strtoull(argv[2], NULL, 0);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		perror("uc_baseline: mmap");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	n = fread(ram + IMAGE_BASE, 1, RAM_SIZE - IMAGE_BASE, f);
	fclose(f);
	if (!n) {
		fprintf(stderr, "uc_baseline: %s: empty\n", argv[1]);
		return 2;
	}
	memcpy(ram + MBI_ADDR, mbi, sizeof(mbi));
	snprintf((char *)ram + CMDLINE_AT, 256, "%s", argv[3]);

	e = uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
	if (e)
		goto fail;
	e = uc_mem_map_ptr(uc, 0, RAM_SIZE, UC_PROT_ALL, ram);
	if (!e)
		e = uc_hook_add(uc, &h_in, UC_HOOK_INSN, on_in, NULL, 1, 0, UC_X86_INS_IN);
	if (!e)
		e = uc_hook_add(uc, &h_out, UC_HOOK_INSN, on_out, NULL, 1, 0, UC_X86_INS_OUT);
	if (!e && !strcmp(opt, "--mem-hook"))
		e = uc_hook_add(uc, &h_mem, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_mem, NULL, 1,
				0);
	if (!e && !strcmp(opt, "--count"))
		e = uc_hook_add(uc, &h_mem, UC_HOOK_CODE, on_code, NULL, 1, 0);
	if (!e)
		e = uc_reg_write(uc, UC_X86_REG_RSP, &rsp);
	if (!e)
		e = uc_reg_write(uc, UC_X86_REG_RDI, &rdi);
	if (e)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = uc_emu_start(uc, entry, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fflush(stdout);
	fprintf(stderr, "uc_baseline: %.6f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	if (!strcmp(opt, "--count"))
		fprintf(stderr, "uc_baseline: %llu instructions\n", (unsigned long long)icount);
	if (e && exit_status == 2)
		goto fail;
	uc_close(uc);
	return exit_status;
fail:
	fprintf(stderr, "uc_baseline: %s\n", uc_strerror(e));
	return 2;
}
