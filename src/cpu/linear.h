/*
 * Linear-address accesses made by tdpsim on the guest's behalf (event
 * delivery, SYSCALL emulation, reports): through the engine, with the
 * access rights the hardware would use and the A/D updates it would make.
 * cpu.h declares the supervisor/implicit entry points
 * (cpu_lin_read/cpu_lin_write); this is the general one.
 */
#ifndef TDPSIM_CPU_LINEAR_H
#define TDPSIM_CPU_LINEAR_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/*
 * Access @len bytes at @la. @cpl is the privilege the access is made at
 * (ignored when @implicit: GDT/IDT/TSS accesses are supervisor-mode, SDM
 * Vol. 3A 4.6); @stack makes a non-canonical address #SS instead of #GP.
 * An access that crosses a page boundary is split: both pages are
 * translated before any byte is written, so a fault on the second page
 * leaves memory unchanged (CR2 = the second page's first byte, as the
 * hardware reports). Returns 0 with f->vector = 0 on success, 0 with a
 * guest fault in @f (c->last_walk then holds the walk), or a negative
 * errno (-EFAULT: the physical address is outside RAM; the engine failed).
 */
int cpu__lin_access(struct cpu *c, uint64_t la, void *buf, unsigned len, bool write, uint8_t cpl,
		    bool implicit, bool stack, struct pg_fault *f);

#endif
