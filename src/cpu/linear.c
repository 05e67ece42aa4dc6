/*
 * Linear-address accesses through the engine (linear.h, cpu.h).
 *
 * The translation is the machine's own, cpu_translate() (fill.c): the
 * current paging context (rebuilt when CR0/CR3/CR4/EFER changed) and the
 * host dimension, whose VM exits the hypervisor model handles there. A bare
 * CPU without the machine core (unit tests that open their own Unicorn
 * handle) has no fill.c linked in: cpu_translate is referenced weakly, and
 * the walk is then made here from Unicorn's CR0/CR3/CR4/EFER, with no host
 * dimension, into a local context (c->mmu is left alone).
 *
 * Guest RAM is indexed by the walk's host-physical address: guest RAM is
 * the prefix of host-physical memory (fill.c), so HPA = GPA for it.
 */
#include "cpu/linear.h"

#include <errno.h>
#include <string.h>

#include "cpu/ctx.h"
#include "paging/walk.h"
#include "timing/model.h"

#pragma weak cpu_translate

/* Without the machine core: a paging context built from Unicorn's
 * registers now, in @tmp. */
static const struct pg_mmu *lin_mmu(struct cpu *c, struct pg_mmu *tmp, int *err)
{
	const char *why = NULL;
	struct pg_fault f = {0};

	*err = 0;
	struct pg_regs r = {
	    .cr0 = cpu_reg(c, UC_X86_REG_CR0),
	    .cr3 = cpu_reg(c, UC_X86_REG_CR3),
	    .cr4 = cpu_reg(c, UC_X86_REG_CR4),
	    .rflags = cpu_reg(c, UC_X86_REG_RFLAGS),
	};
	r.efer = cpu_rdmsr(c, MSR_IA32_EFER);
	if (pg_mmu_init(tmp, &r, &c->pgcpu, &why)) {
		*err = -EINVAL;
		return NULL;
	}
	if (pg_mode_of(&r) == PG_MODE_PAE) {
		*err = pg_nested_load_pdptes(&c->nested, tmp, &f);
		if (*err || f.vector) {
			*err = *err ? *err : -EINVAL;
			return NULL;
		}
	}
	return tmp;
}

/* Translate one page's worth. 0 with *pa, 0 with @f set, or -errno. */
static int lin_xlate(struct cpu *c, uint64_t la, uint8_t acc, uint8_t cpl, bool implicit,
		     bool stack, uint64_t *pa, struct pg_fault *f)
{
	struct pg_walk2d r;
	int rc;

	if (cpu_translate) {
		rc = cpu_translate(c, la, acc, implicit ? 0 : cpl, implicit, &r);
	} else {
		struct pg_mmu tmp;
		const struct pg_mmu *m = lin_mmu(c, &tmp, &rc);
		struct pg_req rq = {.va = la,
				    .access = acc,
				    .cpl = implicit ? 0 : cpl,
				    .implicit = implicit,
				    .stack = stack};
		if (!m)
			return rc;
		rc = pg_walk2d(&c->nested, m, &rq, &r);
	}
	if (rc)
		return rc;
	if (r.fault.vector) {
		*f = r.fault;
		c->last_walk = r;
		return 0;
	}
	*pa = r.hpa;
	return 0;
}

/* Bits of a canonical linear address (SDM Vol. 3A 3.3.7.1). */
static unsigned la_bits(struct cpu *c)
{
	return (cpu_reg(c, UC_X86_REG_CR4) & CR4_LA57) ? 57 : 48;
}

int cpu__lin_access(struct cpu *c, uint64_t la, void *buf, unsigned len, bool write, uint8_t cpl,
		    bool implicit, bool stack, struct pg_fault *f)
{
	uint64_t pa[2] = {0, 0};
	unsigned part[2];
	int rc;

	memset(f, 0, sizeof(*f));
	if (len == 0)
		return 0;
	if (len > 4096)
		return -EINVAL;
	/* Linear addresses are 32 bits wide outside IA-32e mode and wrap
	 * (SDM Vol. 3A 3.3); in IA-32e mode a non-canonical stack access is
	 * #SS(0), any other #GP(0) (6.14.5, 3.3.7.1). */
	bool wrap32 = !(cpu_rdmsr(c, MSR_IA32_EFER) & EFER_LMA);
	if (wrap32) {
		la &= 0xffffffffull;
	} else {
		unsigned s = 64 - la_bits(c);
		uint64_t last = la + len - 1;
		if ((uint64_t)((int64_t)(la << s) >> s) != la ||
		    (uint64_t)((int64_t)(last << s) >> s) != last) {
			f->vector = stack ? X86_VEC_SS : X86_VEC_GP;
			f->stage = PG_STAGE_LINEAR;
			f->addr = la;
			return 0;
		}
	}
	part[0] = (unsigned)(4096 - (la & 4095));
	if (part[0] > len)
		part[0] = len;
	part[1] = len - part[0];
	uint8_t acc = write ? PG_ACC_WRITE : PG_ACC_READ;
	for (int i = 0; i < 2 && part[i]; i++) {
		uint64_t a = i ? ((la & ~4095ull) + 4096) : la;
		if (wrap32)
			a &= 0xffffffffull;
		rc = lin_xlate(c, a, acc, cpl, implicit, stack, &pa[i], f);
		if (rc || f->vector)
			return rc;
	}
	uint8_t *p = buf;
	for (int i = 0; i < 2 && part[i]; i++) {
		rc = cpu__phys_rw(c, pa[i], p, part[i], write);
		if (rc)
			return rc;
		if (write)
			trc_write(&c->sink, pa[i], p, part[i]);
		p += part[i];
	}
	/* These are the CPU's own accesses (IDT, GDT, TSS, the frame, SYSCALL
	 * state) that tdpsim makes in QEMU's place: the timing model sees them
	 * as the hardware's, with supervisor rights when implicit. */
	for (unsigned done = 0; done < len && c->sink.n; done += 128) {
		unsigned n = len - done < 128 ? len - done : 128;
		uint64_t a = wrap32 ? (la + done) & 0xffffffffull : la + done;

		trc_access(&c->sink, a, (uint8_t)n, write ? TRC_WRITE : TRC_READ, cpl, implicit);
	}
	return 0;
}

int cpu_lin_read(struct cpu *c, uint64_t la, void *buf, unsigned len, bool implicit,
		 struct pg_fault *f)
{
	return cpu__lin_access(c, la, buf, len, false, 0, implicit, false, f);
}

int cpu_lin_write(struct cpu *c, uint64_t la, const void *buf, unsigned len, bool implicit,
		  struct pg_fault *f)
{
	return cpu__lin_access(c, la, (void *)buf, len, true, 0, implicit, false, f);
}
