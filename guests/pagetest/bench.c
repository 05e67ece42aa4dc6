/*
 * bench=N: the CPU benchmark's memory loop. N passes of loads and stores
 * over a 4 MiB buffer of 4 KiB pages (1024 pages, so it overflows any
 * L1 TLB), every stride=S bytes (default 64), interrupts off. The checksum
 * is printed so that every emulator must run the same work.
 */
#include "pagetest.h"

#define BENCH_PAGES 1024u

void run_bench(uint64_t passes)
{
	uintptr_t stride = opt_num("stride", 64);
	uint32_t sum = 0;

	if (!stride || stride % 4)
		return t_fail("bench", "stride must be a nonzero multiple of 4");
	for (unsigned i = 0; i < BENCH_PAGES; i++) {
		uintptr_t f = frame_alloc();

		if (!f ||
		    pt_map(ks.kroot, KBENCH + i * PAGE_SIZE, f, 1, PTE_P | PTE_W | data_flags()))
			return t_fail("bench", "out of frames");
	}
	write_cr3(read_cr3());
	for (uint64_t p = 0; p < passes; p++)
		for (uintptr_t off = 0; off < BENCH_PAGES * PAGE_SIZE; off += stride) {
			volatile uint32_t *w = (volatile uint32_t *)(KBENCH + off);
			sum = sum * 31 + *w + (uint32_t)(p + off);
			*w = sum;
		}
	con_printf("bench: %lu passes, stride %lu, checksum 0x%08x\n", (unsigned long)passes,
		   (unsigned long)stride, sum);
	t_pass("bench");
}
