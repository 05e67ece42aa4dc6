/*
 * Synthetic guests with address spaces (hv_work.h).
 *
 * Guest-physical layout, shadow paging: 1 MiB left free, the kernel's
 * tables (a 4 KiB direct map of all guest memory at kbase, as Linux's),
 * then per process its table region (user tables, and the KPTI user root)
 * and its data frames with 64 spare frames that PTE writes remap to. The
 * kernel half of every process root points at the kernel's tables, as
 * Linux copies the kernel PGD entries into each new mm.
 *
 * Nested: L1-physical memory holds one NPT per L2 guest (L1's format,
 * mapping the L2 guest's 0..vm_size to its region) and the L2 regions,
 * each with the same L2 layout (its tables, then its data).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hv_work.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/synth.h"
#include "paging/walk.h"

#define HVW_SPARE 64
#define MIB (UINT64_C(1) << 20)

static uint64_t entries_per_table(const struct pg_format *f)
{
	return f->levels ? 4096 / f->entry_bytes : 512;
}

/* Tables for @pages 4 KiB pages, a bound: leaf tables, one path above, slack. */
static uint64_t tables_for(const struct pg_format *f, uint64_t pages)
{
	return pages / entries_per_table(f) + 2 * PG_LEVELS_MAX + 4;
}

static int map_range(struct pg_synth *s, uint64_t va, uint64_t pa, uint64_t pages,
		     uint64_t leaf, uint64_t table, char *why, unsigned len)
{
	for (uint64_t i = 0; i < pages; i++) {
		int rc = pg_synth_map(s, va + i * 4096, pa + i * 4096, 4096, leaf, table);

		if (rc) {
			snprintf(why, len, "cannot map 0x%" PRIx64 " -> 0x%" PRIx64 ": %s",
				 va + i * 4096, pa + i * 4096, g_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Copy top-level entries [from, to) of table @src into @dst. */
static void copy_top(struct cpu_ram *ram, const struct pg_format *f, uint64_t dst, uint64_t src,
		     unsigned from, unsigned to)
{
	unsigned eb = f->entry_bytes;

	memcpy(ram->base + dst + from * eb, ram->base + src + from * eb, (size_t)(to - from) * eb);
}

/* The top-level index split between user and kernel halves. */
static unsigned top_split(const struct pg_format *f)
{
	if (f->levels == 2)
		return 768; /* 3 GiB of 1024 x 4 MiB */
	if (f->levels == 3)
		return 3;   /* PDPTE 3 maps 3..4 GiB */
	return 256;         /* the upper half of the PML4 / PML5 */
}

static int build_shadow(struct hvw *w, const struct pg_cpu *cpu, char *why, unsigned len)
{
	const struct pg_format *f = w->fmt;
	uint64_t per_proc = w->o.pages + HVW_SPARE;
	uint64_t ptab = tables_for(f, w->o.pages) + 1;
	uint64_t data_pages = w->o.processes * (ptab + per_proc);
	uint64_t total = 256 + data_pages, ktab;
	struct pg_synth k, s;
	int rc;

	(void)cpu;
	ktab = tables_for(f, total + total / 256 + 64);
	total += ktab;
	total = (total + 511) & ~UINT64_C(511);
	if (f->levels && f->levels <= 3 && total * 4096 > 768 * MIB) {
		snprintf(why, len, "a 32-bit guest's direct map holds at most 768 MiB; %" PRIu64
			 " MiB needed (fewer --pages or --processes)", total * 4096 / MIB);
		return -EINVAL;
	}
	if ((rc = cpu_ram_init(&w->ram, total * 4096))) {
		snprintf(why, len, "out of memory for %" PRIu64 " MiB of guest memory",
			 total * 4096 / MIB);
		return rc;
	}
	uint64_t next = MIB;

	if (f->levels == 0) {
		/* Paging off: every process is the same physical view. */
		w->ubase = next;
		for (unsigned p = 0; p < w->o.processes; p++) {
			w->proc[p].data = next;
			w->proc[p].spare = next + w->o.pages * 4096;
		}
		w->kbase = 0;
		return 0;
	}
	w->ubase = 4 * MIB;
	w->kbase = f->levels <= 3 ? UINT64_C(0xc0000000)
		 : f->levels == 4 ? UINT64_C(0xffff888000000000) : UINT64_C(0xff11000000000000);
	if ((rc = pg_synth_init(&k, &w->ram, f, next)))
		goto fail;
	next += ktab * 4096;
	if ((rc = map_range(&k, w->kbase, 0, total, PTE_P | PTE_RW, PTE_P | PTE_RW, why, len)))
		return rc;
	w->guest_tables += k.tables;
	for (unsigned p = 0; p < w->o.processes; p++) {
		struct hvw_proc *pr = &w->proc[p];
		unsigned split = top_split(f), n = (unsigned)entries_per_table(f);

		if (f->levels == 3)
			n = 4;
		if ((rc = pg_synth_init(&s, &w->ram, f, next)))
			goto fail;
		pr->data = next + ptab * 4096;
		pr->spare = pr->data + w->o.pages * 4096;
		if ((rc = map_range(&s, w->ubase, pr->data, w->o.pages, PTE_P | PTE_RW | PTE_US,
				    PTE_P | PTE_RW | PTE_US, why, len)))
			return rc;
		copy_top(&w->ram, f, s.root, k.root, split, n);
		pr->cr3_kernel = pr->cr3_user = s.root;
		w->guest_tables += s.tables;
		if (w->o.kpti) {
			/* The user root: the user half only (and no kernel). */
			pr->cr3_user = s.next;
			copy_top(&w->ram, f, pr->cr3_user, s.root, 0, split);
			w->guest_tables++;
		}
		next += (ptab + per_proc) * 4096;
	}
	return 0;
fail:
	snprintf(why, len, "cannot lay out the guest tables: %s", g_strerror(-rc));
	return rc;
}

static int build_nested(struct hvw *w, char *why, unsigned len)
{
	const struct pg_format *nf = guest_mode_format(w->o.l1), *f = w->fmt;
	uint64_t ltab = f->levels ? tables_for(f, w->o.pages) : 0;
	uint64_t vm_pages = (256 + ltab + w->o.pages + HVW_SPARE + 511) & ~UINT64_C(511);
	uint64_t ntab = tables_for(nf, vm_pages);
	uint64_t total = 256 + w->o.processes * (ntab + vm_pages);
	struct pg_synth n, s;
	int rc;

	w->vm_size = vm_pages * 4096;
	total = (total + 511) & ~UINT64_C(511);
	if (nf->levels <= 3 && total * 4096 > (UINT64_C(4) << 30)) {
		snprintf(why, len, "a 32-bit L1 addresses at most 4 GiB; %" PRIu64 " MiB needed",
			 total * 4096 / MIB);
		return -EINVAL;
	}
	if ((rc = cpu_ram_init(&w->ram, total * 4096))) {
		snprintf(why, len, "out of memory for %" PRIu64 " MiB of L1 memory",
			 total * 4096 / MIB);
		return rc;
	}
	uint64_t next = MIB;

	w->ubase = f->levels ? 4 * MIB : MIB + ltab * 4096;
	for (unsigned p = 0; p < w->o.processes; p++) {
		struct hvw_proc *pr = &w->proc[p];
		uint64_t vm_base = next + ntab * 4096;
		struct cpu_ram view = { .base = w->ram.base + vm_base, .size = w->vm_size };

		/* L1's NPT for this L2: all of its guest-physical space. */
		if ((rc = pg_synth_init(&n, &w->ram, nf, next)))
			goto fail;
		if ((rc = map_range(&n, 0, vm_base, vm_pages, PTE_P | PTE_RW | PTE_US,
				    PTE_P | PTE_RW | PTE_US, why, len)))
			return rc;
		pr->ncr3 = n.root;
		w->npt_tables += n.tables;
		pr->data = MIB + ltab * 4096;
		pr->spare = pr->data + w->o.pages * 4096;
		if (f->levels) {
			if ((rc = pg_synth_init(&s, &view, f, MIB)))
				goto fail;
			if ((rc = map_range(&s, w->ubase, pr->data, w->o.pages,
					    PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US, why,
					    len)))
				return rc;
			pr->cr3_kernel = pr->cr3_user = s.root;
			w->guest_tables += s.tables;
		}
		next = vm_base + w->vm_size;
	}
	return 0;
fail:
	snprintf(why, len, "cannot lay out the nested tables: %s", g_strerror(-rc));
	return rc;
}

int hvw_build(struct hvw *w, const struct hvw_opts *o, const struct pg_cpu *cpu, char *why,
	      unsigned why_len)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->o = *o;
	w->fmt = guest_mode_format(o->gm);
	if (!o->processes || o->processes > HVW_MAX_PROCS) {
		snprintf(why, why_len, "--processes: 1..%u", HVW_MAX_PROCS);
		return -EINVAL;
	}
	if (o->l1 && (o->kpti || o->pte_writes)) {
		snprintf(why, why_len, "--kpti and --pte-writes are shadow-paging workloads "
			 "(with --hv nested the processes are L2 guests)");
		return -EINVAL;
	}
	rc = o->l1 ? build_nested(w, why, why_len) : build_shadow(w, cpu, why, why_len);
	if (rc) {
		hvw_free(w);
		return rc;
	}
	w->regs = (struct pg_regs){ .cr0 = o->gm->cr0 | CR0_WP, .cr4 = o->gm->cr4,
				    .efer = o->gm->efer | (cpu->nx ? EFER_NXE : 0),
				    .cr3 = w->proc[0].cr3_user };
	if (o->l1)
		w->l1regs = (struct pg_regs){ .cr0 = o->l1->cr0 | CR0_WP, .cr4 = o->l1->cr4,
					      .efer = o->l1->efer, .cr3 = w->proc[0].ncr3 };
	return 0;
}

void hvw_free(struct hvw *w)
{
	cpu_ram_free(&w->ram);
}

/* ---- the stream ------------------------------------------------------------ */

static void emit_cr3(struct trc_sink *k, uint64_t cr3)
{
	trc_event(k, &(struct trc_event){ .kind = TRC_EV_CR3, .cr3.operand = cr3 });
}

/* The kernel's work in a switch: it reads the next mm's root and the
 * first page of its memory through the direct map. */
static void kernel_work(struct hvw *w, struct trc_sink *k, unsigned p)
{
	if (!w->fmt->levels)
		return;
	trc_access(k, w->kbase + w->proc[p].cr3_kernel, 8, TRC_READ, 0, false);
	trc_access(k, w->kbase + w->proc[p].data, 8, TRC_READ, 0, false);
}

static void do_switch(struct hvw *w, struct trc_sink *k, unsigned a, unsigned b)
{
	w->switches++;
	if (w->o.l1) {
		trc_event(k, &(struct trc_event){ .kind = TRC_EV_VMENTRY,
						  .vmentry.ncr3 = w->proc[b].ncr3 });
		if (w->fmt->levels)
			emit_cr3(k, w->proc[b].cr3_kernel);
		return;
	}
	if (w->o.kpti)
		emit_cr3(k, w->proc[a].cr3_kernel); /* entry: the kernel CR3 */
	kernel_work(w, k, b);
	emit_cr3(k, w->proc[b].cr3_kernel);          /* switch_mm */
	kernel_work(w, k, b);
	if (w->o.kpti)
		emit_cr3(k, w->proc[b].cr3_user);   /* return to user */
}

/* The running process's kernel remaps one of its pages: a PTE write
 * through the direct map (the access, then the bytes, as a live CPU feeds
 * a store), then INVLPG. */
static void do_pte_write(struct hvw *w, struct trc_sink *k, unsigned p)
{
	struct hvw_proc *pr = &w->proc[p];
	uint64_t page = pr->remaps % w->o.pages, va = w->ubase + page * 4096;
	struct pg_mmu m;
	struct pg_regs r = w->regs;
	struct pg_accessor acc;
	struct pg_req rq = { .va = va, .access = PG_ACC_READ };
	struct pg_walk wk;
	struct pg_cpu cpu;
	const char *why;
	uint64_t e;
	unsigned eb = w->fmt->entry_bytes;

	if (!w->fmt->levels)
		return;
	pg_cpu_all(&cpu);
	r.cr3 = pr->cr3_kernel;
	if (pg_mmu_init(&m, &r, &cpu, &why))
		return;
	pg_ram_accessor(&acc, &w->ram);
	if (w->fmt->levels == 3 && pg_pae_load_pdptes(&m, &acc, &(struct pg_fault){ 0 }, NULL))
		return;
	if (pg_walk(&m, &acc, &rq, &wk) || wk.fault.vector)
		return;
	uint64_t pte = wk.lvl[wk.nlevels - 1].entry_addr;

	cpu_ram_read_le(&w->ram, pte, eb, &e);
	e = (e & (PTE_P | PTE_RW | PTE_US)) | (pr->spare + (pr->remaps % HVW_SPARE) * 4096);
	pr->remaps++;
	if (w->o.kpti)
		emit_cr3(k, pr->cr3_kernel);
	trc_access(k, w->kbase + pte, (uint8_t)eb, TRC_WRITE, 0, false);
	cpu_ram_write_le(&w->ram, pte, eb, e);
	trc_write(k, pte, w->ram.base + pte, eb);
	trc_event(k, &(struct trc_event){ .kind = TRC_EV_INVLPG, .invlpg.la = va });
	if (w->o.kpti)
		emit_cr3(k, pr->cr3_user);
}

int hvw_run(struct hvw *w, struct trc_sink *k)
{
	struct synth_stream s;
	unsigned cur = 0;
	int rc = synth_stream_init(&s, w->o.pat, w->o.pages, w->o.accesses, 4096, 4096, 1.0,
				   w->o.seed);

	if (rc)
		return rc;
	trc_start(k, &(struct trc_start){ .regs = w->regs, .cpl = 3, .code_bits = 64,
					  .ram_bytes = w->ram.size });
	for (uint64_t i = 0; i < w->o.accesses; i++) {
		if (w->o.switch_every && i && i % w->o.switch_every == 0 && w->o.processes > 1) {
			unsigned next = (cur + 1) % w->o.processes;

			do_switch(w, k, cur, next);
			cur = next;
		}
		if (w->o.pte_writes && i && i % w->o.pte_writes == 0)
			do_pte_write(w, k, cur);
		/* One access in eight is a store: dirty bits matter to a
		 * shadow MMU. */
		uint8_t kind = (i & 7) == 7 ? TRC_WRITE : TRC_READ;

		trc_access(k, w->ubase + synth_stream_next(&s), 8, kind, 3, false);
		if (w->o.insns)
			trc_insns(k, w->o.insns);
	}
	trc_end(k);
	synth_stream_free(&s);
	return 0;
}
