/*
 * Synthetic guests with address spaces, for `tdpsim synth --processes` and
 * `tdpsim compare`: N processes (each its own page tables over a private
 * user region, sharing the kernel's direct map of guest memory), a
 * context switch every K accesses, and with --kpti a user and a kernel
 * CR3 per process as Linux's page-table isolation gives. With --hv nested
 * the processes are L2 guests of an L1 hypervisor, each with its own NPT
 * in the format L1's registers select; a switch is L1's VMRUN.
 *
 * The stream goes through the feed's sink (trace/sink.h), generated once
 * for any number of consumers.
 */
#ifndef TDPSIM_CLI_HV_WORK_H
#define TDPSIM_CLI_HV_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "guest_modes.h"
#include "paging/mmu.h"
#include "synth_cli.h"
#include "timing/model.h"
#include "trace/sink.h"

#define HVW_MAX_PROCS 256

struct hvw_opts {
	const struct guest_mode *gm;    /* the guest's (L2's) mode */
	const struct guest_mode *l1;    /* nested: L1's mode (its NPT format); else NULL */
	enum synth_pattern pat;
	uint64_t pages, accesses, seed, insns;
	unsigned processes, switch_every, pte_writes;
	bool kpti;
};

struct hvw_proc {
	uint64_t cr3_kernel, cr3_user; /* cr3_user == cr3_kernel without KPTI */
	uint64_t ncr3;                 /* nested: L1's NPT root for this L2 */
	uint64_t data;                 /* first data frame (GPA; nested: L2 GPA) */
	uint64_t spare;                /* frames the PTE writes remap to */
	uint64_t remaps;
};

struct hvw {
	struct hvw_opts o;
	struct cpu_ram ram;            /* guest-physical (nested: L1-physical) */
	struct pg_regs regs;           /* the guest's (L2's) registers, CR3 of process 0 */
	struct pg_regs l1regs;         /* nested: L1's, nCR3 of L2 number 0 */
	const struct pg_format *fmt;
	uint64_t ubase, kbase;         /* user region and direct map (linear) */
	uint64_t vm_size;              /* nested: L2 guest-physical size */
	struct hvw_proc proc[HVW_MAX_PROCS];
	uint64_t guest_tables, npt_tables;
	uint64_t switches;             /* context switches generated */
};

/* Build the guest. 0, or -errno with a one-line reason in @why. */
int hvw_build(struct hvw *w, const struct hvw_opts *o, const struct pg_cpu *cpu, char *why,
	      unsigned why_len);
void hvw_free(struct hvw *w);

/* Generate the stream into the feed @k, from trc_start() (the registers
 * of process 0) to trc_end(). 0 or -errno (the stream's set-up). */
int hvw_run(struct hvw *w, struct trc_sink *k);

#endif
