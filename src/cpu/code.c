/*
 * Guest code as the CPU fetches it now: the physical address of a linear
 * code address (a fetch walk at the current CPL), and the bytes there.
 * The block cache (events.c) and the RDTSC/MSR site hooks (msr.c) use it
 * to see whether code was rewritten since they looked at it.
 */
#include <errno.h>
#include <string.h>

#include "cpu/cpu.h"

/* The physical address of code at @va (fetch, current CPL). */
int cpu__code_pa(struct cpu *c, uint64_t va, uint64_t *pa)
{
	struct pg_walk2d r;

	if (cpu_translate(c, va & ~UINT64_C(0xfff), PG_ACC_FETCH, c->cur_cpl, false, &r) ||
	    r.fault.vector)
		return -EFAULT;
	*pa = (r.hpa & ~UINT64_C(0xfff)) | (va & 0xfff);
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
