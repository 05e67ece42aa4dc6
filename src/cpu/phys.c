/*
 * Guest-physical accesses the CPU makes itself, outside Unicorn's TLB: the
 * engine's page-table references (the accessor the walker reads through)
 * and the copies of linear.c (IDT, GDT, TSS, interrupt frames). RAM is
 * read directly; any other address goes to the board (pc/dev.h): a
 * device's MMIO, a ROM, or unassigned space (reads 0, writes dropped), as
 * Unicorn's own accesses there do.
 */
#include <errno.h>
#include <string.h>

#include "cpu/cpu.h"
#include "paging/walk.h"

int cpu__phys_rw(struct cpu *c, uint64_t pa, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	if (write ? cpu_ram_write(&c->ram, pa, buf, len) == 0
		  : cpu_ram_read(&c->ram, pa, buf, len) == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (pa + i >= DEV_PHYS_END)
			return -EFAULT;
		if (write)
			dev_phys_write(&c->bus, pa + i, 1, p[i]);
		else
			p[i] = (uint8_t)dev_phys_read(&c->bus, pa + i, 1);
	}
	return 0;
}

/* The timing model's walks have no effect on the machine: outside RAM
 * they read a ROM's bytes or 0, never a device (nor count an unassigned
 * read), so that a timing run computes what a functional run does. */
static int peek_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct cpu *c = opaque;
	struct dev_rom *rom;

	(void)f;
	if (cpu_ram_read_le(&c->ram, r->addr, r->size, &r->val) == 0)
		return 0;
	rom = dev_mem_rom(&c->bus, r->addr);
	r->val = rom ? dev_rom_peek(rom, r->addr, r->size) : 0;
	return 0;
}

static int phys_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct cpu *c = opaque;
	uint64_t v;

	(void)f;
	if (cpu_ram_read_le(&c->ram, r->addr, r->size, &v) != 0) {
		if (r->addr >= DEV_PHYS_END || r->size > DEV_PHYS_END - r->addr)
			return -EFAULT;
		v = dev_mem_read(&c->bus, r->addr, r->size);
	}
	if (r->kind == PG_REF_SET_AD) {
		/* A locked read-modify-write in hardware; single-threaded here. */
		v |= r->set;
		dev_phys_write(&c->bus, r->addr, r->size, v);
	}
	r->val = v;
	return 0;
}

void cpu__phys_accessor(struct cpu *c, struct pg_accessor *acc, bool effects)
{
	acc->ref = effects ? phys_ref : peek_ref;
	acc->opaque = c;
}
