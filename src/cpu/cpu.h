/*
 * The machine: one Unicorn 2.1 UC_MODE_64 handle running the guest, with
 * tdpsim's engine as its MMU (UC_TLB_VIRTUAL + TLB-fill hook), event
 * delivery done by tdpsim (deliver.c), the minimal PC (dev.h), and the
 * access and paging-event feed to the timing model (timing/model.h).
 *
 * Ownership: machine.c owns the run loop and every Unicorn hook (they are
 * all dispatched from there); ctx.c owns the context blob (the only way to
 * change hidden segment state and CPL in a UC_MODE_64 handle, UNICORN.md);
 * deliver.c owns exception and interrupt delivery.
 */
#ifndef TDPSIM_CPU_CPU_H
#define TDPSIM_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <unicorn/unicorn.h>

#include "arch/x86.h"
#include "pc/dev.h"
#include "cpu/ram.h"
#include "paging/nested.h"
#include "timing/config.h"
#include "timing/model.h"
#include "trace/sink.h"

struct tm_model;
struct tm_event;
struct cpu_ctx;
struct cpu_chain;
struct cpu_bcache;
struct hv_host;

/* The MSRs tdpsim keeps itself (Unicorn's are not the CPU model's). */
struct cpu_msrs {
	uint64_t efer, pat, star, lstar, cstar, fmask, kernel_gs_base, pkrs, tsc_adjust;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
};

enum cpu_mmu_kind { CPU_MMU_TDPSIM = 0, CPU_MMU_REFERENCE };
enum cpu_model_kind { CPU_MODEL_TIMING = 0, CPU_MODEL_FUNCTIONAL };

/* Why cpu_run() returned. */
enum cpu_stop {
	CPU_STOP_NONE = 0,
	CPU_STOP_EXIT,        /* isa-debug-exit or ACPI S5: bus.exit_status */
	CPU_STOP_MAX_INSNS,   /* --max-insns reached */
	CPU_STOP_HALTED,      /* hlt that nothing can wake (IF=0, or no timer) */
	CPU_STOP_TRIPLE,      /* triple fault (report written) */
	CPU_STOP_ERROR,       /* internal error or unsupported guest action */
	CPU_STOP_RESET,       /* the guest reset the machine (8042, 0xCF9; report written) */
};

/* What the machine is asked to be (cmd_run.c fills it). */
struct cpu_opts {
	uint64_t mem_bytes;
	uint8_t mmu_kind;     /* enum cpu_mmu_kind */
	uint8_t model_kind;   /* enum cpu_model_kind */
	uint8_t host_kind;    /* enum hv_host_kind (hv/host.h): --host, --gpaw */
	/* The VPID (Intel) / ASID (AMD) the hypervisor model gives the guest:
	 * with 0 (VPID off), every VM exit and entry flushes the guest's
	 * linear and combined TLB entries (SDM Vol. 3C 29.1). */
	uint16_t vpid;
	/* TDP root roles follow the guest's CR0.WP and EFER.NXE (KVM before
	 * 5.18) instead of fixing them (seed 003; hv/host.h). */
	bool tdp_unnormalised;
	uint64_t max_insns;   /* 0: no limit */
	bool no_tlb_grow;     /* tests: never flush to grow QEMU's TLB (fill.c) */
	/* Flush Unicorn's TLB after every N fills (0: never): Unicorn's TLB
	 * made to behave otherwise, to check that nothing tdpsim writes
	 * (statistics, traces) depends on it (env TDPSIM_UNICORN_TLB_FLUSH). */
	uint32_t tlb_flush_every;
	FILE *console;        /* guest UART */
	FILE *fault_log;      /* NULL: none */
	FILE *report;         /* triple-fault / error reports */
	FILE *unassigned_log; /* --log unassigned: one line per access to nothing */
	/* A reboot (--reboot) keeps what a PC keeps across a reset: the CMOS
	 * (NVRAM and the clock, at the date it had reached). NULL: a cold
	 * start at platform.rtc_date. */
	const struct dev_cmos *cmos;
	bool reboot;          /* a guest reset or triple fault boots again: no report for it */
};

#define CPU_CODE_TLB 256u /* entries, a power of two */

/* Run counters (the timing model has its own). */
struct cpu_counts {
	uint64_t exceptions[256];  /* guest-visible exceptions delivered, by vector */
	uint64_t interrupts;       /* external interrupts delivered */
	uint64_t smc_restarts;     /* blocks QEMU restarted at a store into their own code */
	uint64_t tb_flushes;       /* flushes of all of Unicorn's translations (run.c) */
	uint64_t soft_ints;        /* INT n / INT3 / INTO */
	uint64_t fills;            /* TLB-fill callbacks */
	uint64_t grow_flushes;     /* flushes made to let QEMU's TLB grow (fill.c) */
	uint64_t vmexits;          /* host-dimension faults handled by the hypervisor model */
	uint64_t blocks;           /* block-hook calls */
	uint64_t decodes;          /* blocks decoded with Capstone (cache misses) */
	uint64_t events;           /* paging events fed */
	uint64_t emulated;         /* instructions emulated by tdpsim (insn.c, msr.c) */
	uint64_t halts;
};

struct cpu {
	uc_engine *uc;
	struct cpu_ram ram;          /* guest-physical memory */
	struct tm_config cfg;        /* the CPU model */
	struct pg_cpu pgcpu;         /* cfg as the paging engine sees it */
	uint8_t mmu_kind;            /* enum cpu_mmu_kind */
	uint8_t model_kind;          /* enum cpu_model_kind */
	/* Paging state as of the last block boundary, and the engine context
	 * built from it (rebuilt on every paging event). */
	struct pg_regs regs;
	struct pg_mmu mmu;
	bool mmu_valid;
	/* Host dimension (NULL: none) and the nested walker over it. */
	const struct pg_host *host;
	struct pg_nested nested;
	struct pg_walk2d last_walk;  /* the last walk that faulted: for reports */
	struct cpu_msrs msr;
	struct cpu_ctx *ctx;         /* context blob access (ctx.c) */
	struct cpu_chain *chain;     /* the last delivery's chain of events (deliver.c) */
	struct dev_bus bus;
	struct tm_model *tm;         /* NULL with --model functional */
	uint64_t insns;              /* virtual time: instructions retired */
	uint64_t max_insns;          /* 0: no limit */
	FILE *report;                /* where triple-fault and error reports go */
	bool reboot;                 /* cpu_opts.reboot */

	/* --- machine core (machine.c, fill.c, fault.c, events.c, run.c) --- */
	uint8_t host_kind;           /* enum hv_host_kind */
	uint16_t vpid;               /* cpu_opts.vpid */
	bool tdp_unnormalised;       /* cpu_opts.tdp_unnormalised */
	struct hv_host *hv;          /* the host dimension the hypervisor built (NULL: none) */
	struct cpu_ram hram;         /* host-physical memory: ram's buffer is its prefix */
	struct pg_accessor gmem;     /* guest-physical accessor (phys.c) */
	struct pg_accessor gpeek;    /* the same without device effects (timing walks) */
	/* Unicorn's views of the non-RAM space: one MMIO window per gap
	 * between RAM ranges, each dispatched to the board (machine.c). */
	struct cpu_mmio_win { struct cpu *c; uint64_t base; } win[CPU_RAM_MAX_HOLES + 2];
	unsigned nwin;
	size_t invalid_addr_off;     /* calibrated offset of uc->invalid_addr */
	uint32_t grow_fills;         /* fills since the last growth flush (fill.c) */
	uint32_t grow_steps;         /* growth flushes made */
	uint32_t flush_every, flush_fills; /* cpu_opts.tlb_flush_every (fill.c) */
	uc_hook h_fill, h_block, h_intr, h_in, h_out, h_cpuid, h_invalid, h_syscall,
		h_sysenter, h_mem;
	bool block_hooked, mem_hooked;
	/* The last refused fill (fault.c turns it into an exception). */
	bool fill_fault_valid;
	uint8_t fill_type;           /* UC_MEM_READ/WRITE/FETCH */
	struct pg_fault fill_fault;
	/* A MOV to CR0/CR3/CR4 loaded bad PAE PDPTEs: #GP(0) at it (mov_gp.c). */
	bool pdpte_gp;
	uint64_t pdpte_gp_rip;
	/* The cached block whose last instruction is a MOV to CR @mov_cr, at
	 * @mov_cr_rip, when it is prev_block (events.c): cpu__mov_cr_pending(). */
	int32_t mov_cr_block;
	uint8_t mov_cr;
	uint64_t mov_cr_rip;
	/* Block cache and the block that ran last (events.c). */
	struct cpu_bcache *bc;
	int32_t prev_block;          /* index into the cache, or -1 */
	bool stop_irq;               /* block hook stopped to deliver an interrupt */
	bool stop_hook;              /* a hook stopped the run (exit, error, re-hook) */
	bool flush_tb;               /* translate again before restarting (new hooks) */
	uint8_t stop;                /* enum cpu_stop */
	char stop_msg[160];
	FILE *fault_log;
	struct cpu_counts n;
	uint64_t tsc_base;           /* RDTSC = tsc_base + insns (msr.c) */
	uint64_t last_cr2;           /* CR2 as tdpsim last delivered it */
	uint8_t cur_cpl;             /* CPL of the running block (CS.RPL; events.c) */
	bool cpl_stale;              /* re-read CS at the next block (events.c) */
	uint64_t ac_fed;             /* RFLAGS.AC as last fed to the model */
	bool irq_check;              /* ask the PIC at the next block (events.c) */
	bool uncounted;              /* some code ran without the block hook */
	int32_t cur_block;           /* the block running (cache index), or -1 */
	uint64_t retired;            /* instructions retired (no idle time) */
	uint64_t insns_ahead;        /* virtual time counted for instructions that did not
				      * run (a block cut short), not counted again (events.c) */
	/* The guest-physical bytes of the running block's code, [lo, hi) per
	 * page (hi == lo: none), while the timing model is fed: a store into
	 * them is one QEMU makes again after restarting the block (feed.c). */
	uint64_t code_lo[2], code_hi[2];
	uint32_t block_ports;        /* IN/OUT the running block has made (machine.c) */
	uint64_t tm_insns_pending;   /* retired, not yet given to tm_insns() */
	bool ud_pending;             /* UC_HOOK_INSN_INVALID fired; INTR 6 follows */
	void *site_cb;               /* machine.c's code hook for those sites (site_table.c adds it) */
	void *bp_cb;                 /* machine.c's code hook for breakpoints (debug.c adds it) */
	void *sites;                 /* GHashTable: hooked instruction addresses (site_table.c) */
	uint32_t code_epoch;         /* bumped by every paging event: decoded blocks check their
				      * code's physical address again (events.c) */
	/* Code pages translated in this epoch (code.c): cpu__code_pa walks a
	 * page once per epoch and paging state, not once per block. */
	struct cpu_code_tlb {
		uint64_t va, pa, cr0, cr3, cr4, efer;
		uint32_t epoch;
		uint8_t cpl;
		bool valid;
	} code_tlb[CPU_CODE_TLB];
	uint8_t after;               /* site.c: fix EDX:EAX at after_at (the next site or block) ... */
	uint64_t after_at;           /* ... the address after the RDTSC/RDMSR */
	uint64_t msr_val;            /* ... with this value */
	/* An exception a site hook raised at RIP (the instruction did not
	 * run): run.c delivers it once the block has been left. */
	struct cpu_pending_exc {
		bool valid, has_error;
		uint8_t vector;
		uint32_t error;
	} pend;
	struct cpu_msr_model *msrm;  /* the CPU model's MSRs (msr_model.c) */
	struct cpu_debug *dbg;       /* debug registers and breakpoints (debug.c) */
	uint32_t pkru;               /* PKRU as the last WRPKRU set it (msr.c) */
	/* --model timing: guest-physical page -> the linear page Unicorn's
	 * TLB maps to it (bit 0: valid). Unicorn 2.1.1 gives memory hooks the
	 * physical address; feed.c turns it back into the linear one. */
	uint64_t *rev;
	/* rev_gen[physical page]: tlb_gen when rev[] was set. tlb_gen counts
	 * the whole flushes of Unicorn's TLB tdpsim made (cpu__flush_tlb): an
	 * entry set before the last one maps no live TLB entry any more. */
	uint32_t *rev_gen;
	uint32_t tlb_gen;
	/* The translations fed (xlate.c): linear page -> result, and the
	 * role epoch they belong to. */
	struct _GHashTable *xlate_seen;
	uint64_t xlate_epoch;
	uint64_t alias_flushes;      /* full TLB flushes to keep rev[] one-to-one */
	/* The feed (trace/sink.h): the timing model (c->tm) and every other
	 * consumer (recorder, golden writer, tests) hear the run through it. */
	struct trc_sink sink;
	bool started;                /* the start state was fed (run.c) */
	/* The timing model's walks set A/D bits: only when replaying a stream
	 * that has no functional CPU to set them (synth). */
	bool tm_sets_ad;
	/* Table-read watchers around the functional walks' accessors, while a
	 * consumer wants table_read() (fill.c: guest, host memory). */
	struct cpu_watch {
		struct pg_accessor inner;
		struct cpu *c;
	} watch[3];
};

/* machine.c: build the machine (self-check, RAM, MMU, hooks, devices);
 * 0 or a negative errno with a one-line reason in @why. */
int cpu_machine_init(struct cpu *c, const struct tm_config *cfg, const struct cpu_opts *o,
		     char *why, size_t why_len);
void cpu_machine_free(struct cpu *c);
/* machine.c: add or remove the block/memory hooks the current state needs
 * (a new hook only reaches code translated after it: TBs are flushed). */
void cpu_machine_sync_hooks(struct cpu *c);

/* run.c: run from the current state until the guest exits, halts for good,
 * hits max_insns, triple-faults or fails. Returns enum cpu_stop. */
int cpu_run(struct cpu *c);

/* fill.c: re-read CR0/CR3/CR4/EFER and rebuild the engine context if they
 * changed (PAE: PDPTE load). 1 if it changed, 0 if not, negative errno. */
int cpu_sync_paging(struct cpu *c);
/* Build the engine context for @regs (PAE: PDPTE load), as a change seen
 * by cpu_sync_paging does; fed as TRC_EV_MMU. 1, or a negative errno. */
int cpu_set_paging(struct cpu *c, const struct pg_regs *regs);
/* Translate @va for an access through the engine, as the hardware would
 * (A/D set; host faults go to the hypervisor model); fed as TRC_EV_XLATE.
 * 0 (check @r->fault.vector) or a negative errno. */
int cpu_translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		  struct pg_walk2d *r);
/* A data access of @size bytes at guest-physical @gpa that the board
 * answers and a hypervisor emulates (MMIO, unassigned, a ROM write): fed as
 * TRC_EV_MMIO, and under a host dimension a VM exit. The live CPU calls
 * it at each such access (machine.c), a replay at each recorded one. */
void cpu_mmio_access(struct cpu *c, uint64_t gpa, uint8_t size, bool write);
/* The same translation for a replay (no Unicorn: RFLAGS.AC given, the
 * context from the last cpu_set_paging); not fed again. */
int cpu_replay_translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
			 bool ac, struct pg_walk2d *r);

/* feed.c: add a consumer of the run's feed (after cpu_machine_init), and
 * feed the start state (after the boot, before cpu_run). */
int cpu_feed_add(struct cpu *c, const struct trc_consumer *k);
void cpu_feed_start(struct cpu *c);

/* cpuid.c: the CPU model's CPUID leaf @leaf.@sub into out[0..3] = EAX..EDX
 * (CR4 and IA32_MISC_ENABLE change some bits). */
void cpu_cpuid(const struct tm_config *cfg, uint32_t leaf, uint32_t sub, uint64_t cr4,
	       uint64_t misc_enable, uint32_t out[4]);

/* fault.c: find uc->invalid_addr on a scratch handle. 0 or -ENOENT with why. */
int cpu_calibrate_invalid_addr(size_t *off, char *why, size_t why_len);

/* Stop the run from inside a hook with a reason (run.c reports it). Not
 * "cpu_stop": libunicorn exports a symbol of that name, and ours would
 * interpose it. */
void cpu_run_stop(struct cpu *c, enum cpu_stop why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- internal to the machine core (double underscore, STYLE.md 9) --- */
bool cpu__fill(struct cpu *c, uint64_t va, int type, uc_tlb_entry *e);    /* fill.c */
int cpu__host_init(struct cpu *c, uint64_t ram_bytes, char *why, size_t len);
void cpu__host_free(struct cpu *c);
struct hv_tdx *cpu__tdx(struct cpu *c);                                     /* NULL: not a TD */
int cpu__after_exception(struct cpu *c);                                   /* fault.c */
int cpu__pdpte_gp(struct cpu *c);                                          /* mov_gp.c */
void cpu__intr(struct cpu *c, uint32_t intno);
void cpu__log_exception(struct cpu *c, uint8_t vec, uint32_t err, uint64_t cr2, uint64_t rip);
int cpu__raise(struct cpu *c, uint8_t vec, bool has_error, uint32_t error, uint64_t rip);
int cpu__bcache_init(struct cpu *c);                                       /* events.c */
void cpu__bcache_free(struct cpu *c);
void cpu__block(struct cpu *c, uint64_t pc, uint32_t size);
bool cpu__need_block_hook(const struct cpu *c);
int cpu__fix_cr3(struct cpu *c);
void cpu__block_abort(struct cpu *c, uint64_t rip);
void cpu__block_cut(struct cpu *c, uint64_t rip);
uint64_t cpu__after_port(struct cpu *c, unsigned n);
void cpu__stale(struct cpu *c);
/* code.c: guest code as fetched now. The physical address of @va; @len
 * bytes at @va (at most two pages for _pa, which gives each page's
 * physical address); whether the bytes at @va are @bytes. */
int cpu__code_pa(struct cpu *c, uint64_t va, uint64_t *pa);
int cpu__read_code_pa(struct cpu *c, uint64_t va, uint32_t len, uint8_t *buf, uint64_t pa[2]);
int cpu__read_code(struct cpu *c, uint64_t va, uint32_t len, uint8_t *buf);
bool cpu__code_is(struct cpu *c, uint64_t va, const uint8_t *bytes, unsigned len);
struct cs_insn;
int cpu__disasm_one(struct cpu *c, uint64_t rip, struct cs_insn **out); /* cs_free(*out, 1) */
bool cpu__code64(struct cpu *c);
int cpu__tm_init(struct cpu *c, char *why, size_t len);                    /* feed.c */
void cpu__watch_tables(struct cpu *c);                                     /* fill.c */
void cpu__paging_regs(struct cpu *c, struct pg_regs *r);
uint8_t cpu__code_bits(struct cpu *c);                                     /* events.c */
void cpu__tm_free(struct cpu *c);
/* feed.c: Unicorn's memory hook (UC_HOOK_MEM_READ|WRITE), once per data
 * access. The physical page names one live linear page (rev[]; fill.c
 * keeps it one-to-one); the CPL is the current block's, except on
 * descriptor-table pages. */
void cpu__hook_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		   void *opaque);
/* c->rev[physical page]: the linear page of the last fill, and flags. */
#define CPU_REV_VALID    UINT64_C(1)
#define CPU_REV_IMPLICIT UINT64_C(2) /* filled as an implicit supervisor access */

/* A paging event to every consumer (the feed), counted. */
/* The MOV to CR0/3/4 (@cr) at @rip whose block ran and whose paging event
 * is still pending (the next block boundary feeds it). */
static inline bool cpu__mov_cr_pending(const struct cpu *c, uint64_t *rip, int *cr)
{
	if (!c->bc || c->prev_block < 0 || c->prev_block != c->mov_cr_block)
		return false;
	*rip = c->mov_cr_rip;
	*cr = c->mov_cr;
	return true;
}

static inline void cpu__event(struct cpu *c, const struct trc_event *ev)
{
	c->n.events++;
	c->code_epoch++; /* a linear address may map other code now */
	trc_event(&c->sink, ev);
}

/*
 * tdpsim changed paging state that QEMU does not see change (PKRS, PKRU),
 * or emulated an invalidation (INVPCID): Unicorn's TLB caches answers of
 * our fills made under the old state, so it is flushed; with @regs the
 * engine's context is rebuilt at the next fill; and the consumers hear of
 * it. The one way to do all three, so that none is forgotten.
 */
/* Flush Unicorn's whole TLB (every way tdpsim does it: the reverse map
 * counts them). */
static inline void cpu__flush_tlb(struct cpu *c)
{
	c->tlb_gen++;
	uc_ctl_flush_tlb(c->uc);
}

static inline void cpu__paging_changed(struct cpu *c, const struct trc_event *ev, bool regs)
{
	if (regs)
		c->mmu_valid = false;
	cpu__flush_tlb(c);
	cpu__event(c, ev);
}

void cpu__rev_fill(struct cpu *c, uint64_t va_page, uint64_t pa_page, bool implicit);
/* xlate.c: feed the translation @r of a fill (TRC_EV_XLATE) unless it is
 * a refill the guest cannot tell from the last one fed (@exited: it made a
 * VM exit); a new role epoch (the guest's CR0.WP or EFER.NXE changed:
 * Unicorn's TLB is flushed); free. */
void cpu__xlate_fed(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		    const struct pg_walk2d *r, bool exited);
void cpu__xlate_epoch(struct cpu *c);
/* fill.c: whether paging registers @o -> @n can change a translation or
 * the TDP root role (the engine's context is rebuilt only then). */
bool cpu__paging_changed_regs(const struct pg_regs *o, const struct pg_regs *n);
void cpu__xlate_free(struct cpu *c);
/* phys.c: guest-physical copies and the engine's accessor, through the
 * board outside RAM (@effects false: RAM and ROM only, 0 elsewhere, no
 * device touched: the timing model's walks). */
int cpu__phys_rw(struct cpu *c, uint64_t pa, void *buf, size_t len, bool write);
struct pg_accessor;
void cpu__phys_accessor(struct cpu *c, struct pg_accessor *acc, bool effects);
int cpu__emulate_ud(struct cpu *c);                                        /* insn.c */
/* An instruction tdpsim looks at before QEMU runs it (msr.c): a one-address
 * code hook on it, and for some on the instruction after it. */
enum cpu_site_kind {
	CPU_SITE_WRMSR = 1, CPU_SITE_RDMSR = 2, CPU_SITE_RDTSC = 4 /* RDTSC, RDTSCP */,
	CPU_SITE_AFTER = 8 /* the instruction after one of these */, CPU_SITE_WRPKRU = 16,
	CPU_SITE_MOVCR = 32 /* MOV to CRn (crmov.c) */, CPU_SITE_MOVDR = 64 /* MOV to/from DRn */,
};
struct cpu_site {
	uint64_t addr;
	uint32_t kind; /* enum cpu_site_kind bits */
	int reg;       /* MOV CR/DR: the general register (UC_X86_REG_*) */
	uint8_t num;   /* MOV CR/DR: the control or debug register */
	uint8_t len;   /* instruction length */
	bool to;       /* MOV DR: to the debug register */
	/* The instruction's first bytes (up to 8): the hook acts only while
	 * they are still there (code may be rewritten, or another address
	 * space may run other code at the address). In a decode's request,
	 * a pointer into the decoded bytes. */
	const uint8_t *bytes;
};
/* site_table.c: hook these sites; returns how many hooks were added (the
 * block must then be translated again). A hooked address holds what the
 * latest decode found there. */
int cpu__sites(struct cpu *c, const struct cpu_site *s, unsigned n, void *cb);
void cpu__sites_free(struct cpu *c);
/* The site at @addr, NULL if none; whether its instruction is still at
 * its address (an after-only site has none to check). */
const struct cpu_site *cpu__site_find(struct cpu *c, uint64_t addr);
bool cpu__site_current(struct cpu *c, const struct cpu_site *s);
void cpu__site(struct cpu *c, uint64_t addr);                              /* site.c */
/* A block starts at @pc (with c->after set): an RDTSC/RDMSR ended the last
 * one, and an interrupt may be delivered before the instruction after it
 * runs, so its value is given now; anywhere else (an exception left the
 * instruction), it is dropped (site.c). */
void cpu__site_block(struct cpu *c, uint64_t pc);
/* site_exit.c: raise @vector (#GP(0), #UD, #DB) at RIP instead of letting
 * the instruction run (run.c delivers it), or continue at @next after
 * emulating it (with @trap, a #DB trap there: single-step). */
void cpu__site_raise(struct cpu *c, uint8_t vector);
void cpu__site_skip(struct cpu *c, uint64_t next, bool trap);
/* msr.c: the handlers of RDMSR/WRMSR sites; the TSC now. What c->after
 * finishes at the next site: EDX:EAX := the TSC, or := c->msr_val. */
enum { CPU_AFTER_NONE = 0, CPU_AFTER_TSC, CPU_AFTER_VAL };
void cpu__wrmsr(struct cpu *c);
void cpu__rdmsr(struct cpu *c);
uint64_t cpu__tsc_now(struct cpu *c);
struct cpu_cr_state;
void cpu__movcr(struct cpu *c, const struct cpu_site *s);                  /* crmov.c */
struct cpu_cr_state cpu__cr_state(struct cpu *c);
/* debug.c: the debug registers (tdpsim keeps them: QEMU never sees a
 * breakpoint, which crashes Unicorn 2.1.1), MOV DR, instruction
 * breakpoints and the DR6 of single-step. */
int cpu__debug_init(struct cpu *c);
void cpu__debug_free(struct cpu *c);
void cpu__movdr(struct cpu *c, const struct cpu_site *s);
void cpu__debug_bp(struct cpu *c, uint64_t addr);  /* the instruction-breakpoint hook */
void cpu__debug_trap(struct cpu *c);               /* QEMU raised #DB (TF) */
uint64_t cpu_debug_reg(const struct cpu *c, unsigned n);
/* machine.c */

/*
 * Linear-address access with supervisor rights (implicit: IDT, GDT, TSS,
 * the interrupt frame) through the engine, A/D bits set as the hardware
 * would. Returns 0 (check @f->vector: a guest fault is data) or a negative
 * errno if the access could not be made at all.
 */
int cpu_lin_read(struct cpu *c, uint64_t la, void *buf, unsigned len, bool implicit,
		 struct pg_fault *f);
int cpu_lin_write(struct cpu *c, uint64_t la, const void *buf, unsigned len, bool implicit,
		  struct pg_fault *f);

#endif
