/*
 * The table of sites: instructions tdpsim looks at before QEMU runs them
 * (cpu.h, struct cpu_site). events.c reports each RDMSR, WRMSR, RDTSC,
 * RDTSCP, WRPKRU, MOV to CRn and MOV to/from DRn it decodes, and this file
 * puts a one-address UC_HOOK_CODE hook on it (and, after an RDMSR or RDTSC,
 * on the instruction that follows, where their result is finished), once
 * per address. The block is then translated again with the hooks in.
 * site.c dispatches the hooks; a hook acts only while the instruction's
 * first bytes are still at its address (code rewritten since, or another
 * address space, leaves it idle).
 */
#include <string.h>

#include <glib.h>

#include "cpu/cpu.h"

/* A table entry: the site, with its own copy of the instruction's first
 * bytes (site.bytes points here). */
struct entry {
	struct cpu_site site;
	uint8_t bytes[8];
};

#define SITE_INSN                                                                                  \
	(CPU_SITE_WRMSR | CPU_SITE_RDMSR | CPU_SITE_RDTSC | CPU_SITE_WRPKRU | CPU_SITE_MOVCR |    \
	 CPU_SITE_MOVDR)

/* Put what a decode found at @req->addr into @e: the instruction's kind
 * bits and operands replace the old ones; an after-only mark is kept. */
static void update(struct entry *e, const struct cpu_site *req)
{
	uint32_t after = e->site.kind & CPU_SITE_AFTER;

	if (!(req->kind & SITE_INSN)) {
		e->site.kind |= req->kind;
		return;
	}
	e->site = *req;
	e->site.kind = req->kind | after;
	if (e->site.len > sizeof(e->bytes))
		e->site.len = sizeof(e->bytes); /* only the first 8 bytes are compared */
	memcpy(e->bytes, req->bytes, e->site.len);
	e->site.len = req->len;
	e->site.bytes = e->bytes;
}

int cpu__sites(struct cpu *c, const struct cpu_site *s, unsigned n, void *cb)
{
	int added = 0;

	if (!c->sites)
		c->sites = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	for (unsigned i = 0; i < n; i++) {
		struct cpu_site at[2] = { s[i], { .addr = s[i].addr + s[i].len,
						  .kind = CPU_SITE_AFTER } };

		for (unsigned j = 0; j < 2; j++) {
			struct entry *e;
			uc_hook h;

			if (j == 1 && !(s[i].kind & (CPU_SITE_RDMSR | CPU_SITE_RDTSC)))
				break;
			e = g_hash_table_lookup(c->sites, &at[j].addr);
			if (!e) {
				e = g_new0(struct entry, 1);
				e->site.addr = at[j].addr;
				g_hash_table_insert(c->sites, &e->site.addr, e);
				if (uc_hook_add(c->uc, &h, UC_HOOK_CODE, cb, c, at[j].addr,
						at[j].addr) == UC_ERR_OK)
					added++;
			}
			update(e, &at[j]);
		}
	}
	return added;
}

void cpu__sites_free(struct cpu *c)
{
	if (!c->sites)
		return;
	g_hash_table_destroy(c->sites);
	c->sites = NULL;
}

const struct cpu_site *cpu__site_find(struct cpu *c, uint64_t addr)
{
	struct entry *e = c->sites ? g_hash_table_lookup(c->sites, &addr) : NULL;

	return e ? &e->site : NULL;
}

bool cpu__site_current(struct cpu *c, const struct cpu_site *s)
{
	unsigned n = s->len < 8 ? s->len : 8;

	return !(s->kind & SITE_INSN) || cpu__code_is(c, s->addr, s->bytes, n);
}
