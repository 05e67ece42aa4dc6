/*
 * `tdpsim walk` text report: the header (mode, registers, PAE PDPTE load),
 * one row per walked level with its decoded entry and the A/D bits the
 * walk set, the result or the fault, and the reference counts; under
 * --host the 2D grid follows (walk_host.c). docs/cli-walk.md shows it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "paging/bits.h"
#include "paging/decode.h"

static void ad_string(uint64_t set, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", (set & PTE_A) ? "+A" : "", (set & PTE_D) ? "+D" : "");
}

void walk_print_text(const struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	const struct pg_walk *w = &c->w;
	const struct pg_regs *r = &c->regs;
	int vaw = fmt->va_bits == 32 ? 8 : 16, aw = fmt->entry_bytes == 8 ? 12 : 8;
	int ew = fmt->entry_bytes ? fmt->entry_bytes * 2 : 8;
	char sz[32];

	printf("walk %s  va 0x%0*" PRIx64 "  %s%s  CPL %u", c->gm->name, vaw, c->rq.va,
	       c->rq.implicit ? "implicit supervisor " : "", pg_access_name(c->rq.access),
	       c->rq.cpl);
	if (c->o->synthetic && fmt->levels)
		printf("  (synthetic tables, %s page at 0x%" PRIx64 ")\n",
		       walk_size_name(c->page_size, sz, sizeof(sz)), c->pa_base);
	else if (c->o->image)
		printf("  (image %s, %" PRIu64 " bytes)\n", c->o->image, c->ram.size);
	else
		printf("\n");
	printf("CR0 0x%" PRIx64 "  CR3 0x%" PRIx64 "  CR4 0x%" PRIx64 "  EFER 0x%" PRIx64
	       "  MAXPHYADDR %u\n",
	       r->cr0, r->cr3, r->cr4, r->efer, c->cpu.maxphyaddr);
	if (fmt->top_in_regs && c->mmu.pdpte_in_walk)
		printf("PAE under nested paging: the PDPTE is read through the nested tables on "
		       "every walk (APM Vol. 2 15.25.10)\n");
	else if (fmt->top_in_regs)
		printf("PAE: %s the 4 PDPTE registers from 0x%" PRIx64
		       " at CR3 load (%u refs, not counted in the walk's refs)\n",
		       c->pdpte_loaded ? "loaded" : "failed to load", c->mmu.root, c->pdpte_refs);
	if (fmt->levels == 0)
		printf("no paging: the linear address is the physical address\n");

	if (w->nlevels) {
		printf("\n%-5s  %-5s  %-*s  %5s  %-*s  %-*s  %s\n", "level", "name", aw + 2,
		       "table", "index", aw + 2, "entry addr", ew + 2, "entry", "bits");
	}
	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *wl = &w->lvl[i];
		struct pg_decoded d;
		GString *bits = g_string_new(NULL);
		char ad[8];

		pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		for (unsigned b = 0; b < d.nbits; b++)
			g_string_append_printf(bits, "%s%s", b ? " " : "", d.bits[b]);
		if (!d.present)
			g_string_append(bits, d.nbits ? " (not present)" : "(not present)");
		else if (d.leaf)
			g_string_append_printf(bits, " -> page 0x%" PRIx64, d.addr);
		else
			g_string_append_printf(bits, " -> table 0x%" PRIx64, d.addr);
		if (wl->from_reg)
			g_string_append(bits, " (register)");
		ad_string(c->ad_set[wl->level], ad, sizeof(ad));
		if (*ad)
			g_string_append_printf(bits, " [%s]", ad);
		if (w->fault.vector && w->fault.level == wl->level)
			g_string_append(bits, " <- fault");
		printf("%5u  %-5s  0x%0*" PRIx64 "  %5u  0x%0*" PRIx64 "  0x%0*" PRIx64 "  %s\n",
		       wl->level, fmt->lvl[wl->level].name, aw, wl->table, wl->index, aw,
		       wl->entry_addr, ew, wl->entry, bits->str);
		g_string_free(bits, TRUE);
	}

	printf("\n");
	if (w->fault.vector || (fmt->top_in_regs && !c->pdpte_loaded)) {
		char text[512];

		if (w->fault.vector == PG_VEC_VMEXIT)
			walk_host_fault_text(c, text, sizeof(text));
		else
			walk_fault_text(c, text, sizeof(text));
		printf("=> %s\n", text);
	} else {
		printf("=> PA 0x%0*" PRIx64 " (%s page, perms %s, pkey %u, global %s)\n", aw,
		       w->pa, walk_size_name(w->page_size, sz, sizeof(sz)), walk_perms_words(w->perms),
		       w->pkey, w->global ? "yes" : "no");
	}
	printf("refs %u, A/D writes %u\n", w->refs, w->ad_writes);
	if (c->host)
		walk_host_text(c);
}
