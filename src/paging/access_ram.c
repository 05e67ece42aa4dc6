/*
 * Plain accessor over guest RAM (see access_ram.h). A reference outside RAM
 * is -EFAULT: the caller reports it, it is not a guest-visible fault.
 */
#include "access_ram.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

static int ram_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct cpu_ram *ram = opaque;
	uint64_t v;
	int rc;

	(void)f;
	/* The walks' hot path: an 8-byte entry read in place, with
	 * cpu_ram_read_le()'s bounds check. */
	if (r->size == 8 && r->kind == PG_REF_READ && cpu_ram_contains(ram, r->addr, 8)) {
		memcpy(&v, ram->base + r->addr, 8);
		r->val = GUINT64_FROM_LE(v);
		return 0;
	}
	rc = cpu_ram_read_le(ram, r->addr, r->size, &v);
	if (rc)
		return rc;
	if (r->kind == PG_REF_SET_AD) {
		/* A locked read-modify-write in hardware; single-threaded here. */
		v |= r->set;
		rc = cpu_ram_write_le(ram, r->addr, r->size, v);
		if (rc)
			return rc;
	}
	r->val = v;
	return 0;
}

void pg_ram_accessor(struct pg_accessor *acc, struct cpu_ram *ram)
{
	acc->ref = ram_ref;
	acc->opaque = ram;
}
