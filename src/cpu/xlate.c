/*
 * Which functional translations are fed (TRC_EV_XLATE): a recorded trace
 * must be a function of the guest, and Unicorn asks for a translation
 * whenever its TLB misses, which follows QEMU's TLB sizing (a wall-clock
 * window, UNICORN.md) and tdpsim's own flushes (growth, aliases), not the
 * guest. So a translation is fed when the guest could tell it apart from
 * the last one fed for the same linear page:
 *
 *  - it faults (a fault is delivered: a guest event);
 *  - its walk set an A or D bit (it changed guest memory);
 *  - it made a VM exit (the host mapped a page: a replay's host must too);
 *  - it is the first for the page in this role epoch, or it reaches
 *    another physical page or reads its tables at other addresses than
 *    the last one fed (a replay's host dimension maps what it reads).
 *
 * A refill that walks the same path to the same page is dropped, whatever
 * its access kind, CPL, RFLAGS.AC or rights: those decide only whether it
 * faults (fed), and what a replay does with a translation (A/D updates,
 * host mappings of the pages it reads) depends only on the path. A
 * translation whose rights the guest raised without invalidating it (x86
 * lets a guest upgrade a PTE without a flush) is thus not fed at the
 * refill that first sees the new rights, which Unicorn's TLB times. A
 * replay translates what the guest did, whatever Unicorn did. The role epoch
 * (cpu__xlate_epoch) starts again where a TDP host could switch to another
 * root (the guest's CR0.WP or EFER.NXE changed, hv/host.h): a replay under
 * such a host fills the new root from the translations that follow, as a
 * live run's refills do; Unicorn's TLB is flushed there, so the first
 * translation of each request after it is the guest's first access.
 */
#include <glib.h>

#include "cpu/cpu.h"
#include "paging/bits.h"

#define FNV_PRIME UINT64_C(0x100000001b3)

G_STATIC_ASSERT(sizeof(gpointer) == 8); /* a linear page number is a key */

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * FNV_PRIME;
}

/* The path of @r (the page reached, the entries read) in this role epoch;
 * never 0 (0 is "none fed yet"). */
static uint64_t path_of(const struct cpu *c, const struct pg_walk2d *r)
{
	uint64_t h = mix(UINT64_C(0xcbf29ce484222325), c->xlate_epoch);

	h = mix(h, r->hpa >> 12);
	for (unsigned i = 0; i < r->guest.nlevels; i++)
		h = mix(h, r->guest.lvl[i].entry_addr);
	return h | 1;
}


void cpu__xlate_fed(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		    const struct pg_walk2d *r, bool exited)
{
	struct trc_event ev = { .kind = TRC_EV_XLATE };
	bool ac = (c->mmu.regs.rflags & RFLAGS_AC) != 0;

	if (!r->fault.vector) {
		gpointer k = (gpointer)(uintptr_t)(va >> 12);
		uint64_t res = path_of(c, r);

		if (!c->xlate_seen)
			c->xlate_seen = g_hash_table_new(g_direct_hash, g_direct_equal);
		if ((uint64_t)(uintptr_t)g_hash_table_lookup(c->xlate_seen, k) == res &&
		    !r->guest.ad_writes && !exited)
			return;
		g_hash_table_insert(c->xlate_seen, k, (gpointer)(uintptr_t)res);
	}
	ev.xlate.la = va;
	ev.xlate.access = access;
	ev.xlate.cpl = cpl;
	ev.xlate.implicit = implicit;
	ev.xlate.ac = ac;
	ev.xlate.vector = r->fault.vector;
	trc_event(&c->sink, &ev);
}

void cpu__xlate_epoch(struct cpu *c)
{
	c->xlate_epoch++;
	if (c->uc)
		cpu__flush_tlb(c);
}

void cpu__xlate_free(struct cpu *c)
{
	if (c->xlate_seen)
		g_hash_table_destroy(c->xlate_seen);
	c->xlate_seen = NULL;
}
