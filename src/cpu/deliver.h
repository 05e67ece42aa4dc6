/*
 * Event delivery, done by tdpsim: Unicorn never delivers an exception or an
 * interrupt through the IDT (UNICORN.md), so every fault the engine or QEMU
 * reports, every external interrupt and every INT n/INT3/INTO comes here.
 *
 * cpu_deliver() implements the three gate tables:
 *  - real mode: the IVT (SDM Vol. 3A 20.1.4): push FLAGS, CS, IP; clear IF,
 *    TF, AC;
 *  - 32-bit protected mode: IDT interrupt and trap gates (SDM Vol. 3A 6.12),
 *    with a stack switch to SS0:ESP0 of the 32-bit TSS on a privilege change
 *    (6.12.1), the error code pushed, IF cleared by interrupt gates; task
 *    gates and virtual-8086 mode are refused with a clear error;
 *  - long mode: 16-byte gates (6.14), RSP0 or IST stacks, 16-byte stack
 *    alignment, SS = NULL selector with RPL = new CPL.
 * All guest memory is reached through cpu_lin_read/cpu_lin_write (linear.c),
 * so the IDT, GDT, TSS and stack accesses walk the engine with A/D updates.
 * A fault met while delivering escalates per SDM Vol. 3A 6.15, Table 6-5
 * (benign, contributory and page-fault classes): to #DF, and a fault while
 * delivering #DF is a triple fault.
 *
 * Call only while no translation block runs (after uc_emu_start returned,
 * inside UC_HOOK_INTR, or inside an instruction hook): the CS/SS hidden state
 * is written through the context blob (ctx.h).
 */
#ifndef TDPSIM_CPU_DELIVER_H
#define TDPSIM_CPU_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

enum cpu_event_kind {
	CPU_EV_EXCEPTION = 0, /* fault/trap/abort; pushed RIP = current RIP */
	CPU_EV_EXTINT,	      /* external interrupt (PIC); pushed RIP = current RIP */
	CPU_EV_SOFTINT,	      /* INT n (CD ib): gate DPL >= CPL checked; RIP = next_rip */
	CPU_EV_INT3,	      /* INT3 (CC): as INT n, vector 3 */
	CPU_EV_INTO,	      /* INTO (CE) with OF=1: as INT n, vector 4 */
};

/*
 * RIP: an exception or external interrupt is delivered with the current
 * RIP as the return address (the faulting or interrupted instruction). A
 * software interrupt returns to @next_rip; a fault met while delivering it
 * (gate DPL < CPL, ...) is reported at the INT instruction, taken to be
 * next_rip - 2 for INT n (CD ib) and next_rip - 1 for INT3 (CC) and INTO
 * (CE): a prefixed INT is not expected.
 */
struct cpu_event {
	uint8_t vector;
	uint8_t kind;	/* enum cpu_event_kind */
	bool has_error; /* push @error (exceptions 8, 10-14, 17, 21) */
	uint32_t error;
	uint64_t cr2;	   /* #PF: written to CR2 before the frame is pushed */
	uint64_t next_rip; /* software interrupts: the return address */
};

/* cpu_deliver() result when the CPU shut down (triple fault). */
#define CPU_TRIPLE_FAULT 1

/* The events that led to the current delivery, for the report. */
#define CPU_CHAIN_MAX 8
struct cpu_chain_link {
	uint8_t vector;
	uint8_t kind; /* enum cpu_event_kind */
	bool has_error;
	uint32_t error;
	uint64_t cr2; /* #PF only */
	uint64_t rip; /* RIP when it was raised */
	/* Why this link's delivery failed (a fault while delivering it), or
	 * "" if it was delivered. */
	char failed[96];
	bool escalated; /* not delivered: it and its predecessor made a #DF */
};
struct cpu_chain {
	unsigned n;	/* links kept, oldest first */
	bool triple;	/* the chain ended in a triple fault */
	bool have_walk; /* c->last_walk holds the walk that faulted last */
	char why[160];	/* negative return: the one-line reason */
	struct cpu_chain_link l[CPU_CHAIN_MAX];
};

/* Whether an exception pushes an error code (SDM Vol. 3A Table 6-1). */
bool cpu_vector_has_error(unsigned vector);

/*
 * Deliver @ev. Returns 0 (the CPU is at the handler), CPU_TRIPLE_FAULT
 * (shutdown; cpu_deliver_chain() and c->last_walk describe it, cpu_report()
 * prints it), or a negative errno with a one-line reason in
 * cpu_deliver_chain(c)->why (-ENOTSUP: task gate, virtual-8086 mode; -EIO:
 * Unicorn refused a register access).
 */
int cpu_deliver(struct cpu *c, const struct cpu_event *ev);

/* The chain of the last delivery (reset at each top-level cpu_deliver). */
const struct cpu_chain *cpu_deliver_chain(const struct cpu *c);

#endif
