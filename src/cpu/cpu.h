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

#include "cpu/dev.h"
#include "cpu/ram.h"
#include "paging/nested.h"
#include "timing/config.h"

struct tm_model;
struct cpu_ctx;

/* The MSRs tdpsim keeps itself (Unicorn's are not the CPU model's). */
struct cpu_msrs {
	uint64_t efer, pat, star, lstar, cstar, fmask, kernel_gs_base, pkrs, tsc_adjust;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
};

enum cpu_mmu_kind { CPU_MMU_TDPSIM = 0, CPU_MMU_REFERENCE };
enum cpu_model_kind { CPU_MODEL_TIMING = 0, CPU_MODEL_FUNCTIONAL };

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
	struct dev_bus bus;
	struct tm_model *tm;         /* NULL with --model functional */
	uint64_t insns;              /* virtual time: instructions retired */
	uint64_t max_insns;          /* 0: no limit */
	FILE *report;                /* where triple-fault and error reports go */
};

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
