/*
 * Guest code as the CPU fetches it now: the physical address of a linear
 * code address (a fetch walk at the current CPL), and the bytes there.
 * The block cache (events.c) and the RDTSC/MSR site hooks (msr.c) use it
 * to see whether code was rewritten since they looked at it.
 */
#include <errno.h>
#include <string.h>

#include "cpu/cpu.h"

/* Does @e hold the translation of @page under the paging state now? Only
 * successful walks are kept, within one epoch (every paging event and TD
 * conversion flush starts a new one) and for the registers they were made
 * under: the walk's answer cannot differ, and it already set the A bits
 * and took any VM exit it had to. */
static bool code_tlb_hit(const struct cpu *c, const struct cpu_code_tlb *e, uint64_t page)
{
	return e->valid && e->va == page && e->epoch == c->code_epoch &&
	       e->cpl == c->cur_cpl && c->mmu_valid && e->cr3 == c->regs.cr3 &&
	       e->cr0 == c->regs.cr0 && e->cr4 == c->regs.cr4 && e->efer == c->regs.efer;
}

/* The physical address of code at @va (fetch, current CPL). */
int cpu__code_pa(struct cpu *c, uint64_t va, uint64_t *pa)
{
	uint64_t page = va & ~UINT64_C(0xfff);
	struct cpu_code_tlb *e = &c->code_tlb[(page >> 12) & (CPU_CODE_TLB - 1)];
	struct pg_walk2d r;

	if (!code_tlb_hit(c, e, page)) {
		if (cpu_translate(c, page, PG_ACC_FETCH, c->cur_cpl, false, &r) ||
		    r.fault.vector)
			return -EFAULT;
		*e = (struct cpu_code_tlb){ .va = page, .pa = r.hpa & ~UINT64_C(0xfff),
					    .cr0 = c->regs.cr0, .cr3 = c->regs.cr3,
					    .cr4 = c->regs.cr4, .efer = c->regs.efer,
					    .epoch = c->code_epoch, .cpl = c->cur_cpl,
					    .valid = c->mmu_valid };
	}
	*pa = e->pa | (va & 0xfff);
	return 0;
}

/* Read @size bytes of code at @pc (at most two pages); @pa gets the
 * physical address of each page's part. */
int cpu__read_code_pa(struct cpu *c, uint64_t pc, uint32_t size, uint8_t *buf, uint64_t pa[2])
{
	uint32_t part = 0;

	pa[0] = pa[1] = 0;
	for (uint32_t done = 0; done < size; part++) {
		uint64_t va = pc + done, a;
		uint32_t n = (uint32_t)(0x1000 - (va & 0xfff));

		if (n > size - done)
			n = size - done;
		if (cpu__code_pa(c, va, &a) || cpu_ram_read(&c->ram, a, buf + done, n))
			return -EFAULT;
		if (part < 2)
			pa[part] = a;
		done += n;
	}
	return 0;
}

int cpu__read_code(struct cpu *c, uint64_t pc, uint32_t size, uint8_t *buf)
{
	uint64_t pa[2];

	return cpu__read_code_pa(c, pc, size, buf, pa);
}

bool cpu__code_is(struct cpu *c, uint64_t va, const uint8_t *bytes, unsigned len)
{
	uint8_t buf[16];

	return len <= sizeof(buf) && cpu__read_code(c, va, len, buf) == 0 &&
	       memcmp(buf, bytes, len) == 0;
}
