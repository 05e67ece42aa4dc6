/*
 * mmio=N: N 4-byte reads of the local APIC's version register (the xAPIC
 * page at its reset base 0xFEE00000, SDM Vol. 3A 11.4.1 and 11.4.8)
 * through a supervisor mapping, then the summary. Each read is one access
 * that no RAM backs: under a host dimension each is a VM exit (the
 * hypervisor emulates it), so two runs that differ by K reads differ by K
 * exits, however the emulator caches the page's translation.
 */
#include "pagetest.h"

#define LAPIC_PA 0xfee00000u
#define KMMIO	 0x58000000u
#define LAPIC_VERSION 0x30u

void run_mmio(uint64_t reads)
{
	volatile uint32_t *ver = (volatile uint32_t *)(uintptr_t)(KMMIO + LAPIC_VERSION);
	uint32_t v = 0;

	if (pt_map(ks.kroot, KMMIO, LAPIC_PA, 1, PTE_P | PTE_W | data_flags()))
		return t_fail("mmio", "out of frames");
	for (uint64_t i = 0; i < reads; i++)
		v = *ver;
	con_printf("mmio: %lu reads, local APIC version 0x%08x\n", (unsigned long)reads, v);
	t_pass("mmio");
}
