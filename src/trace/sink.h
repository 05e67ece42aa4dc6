/*
 * The feed: one seam between the producers of a guest's translation stream
 * and its consumers.
 *
 * Producers (one per kind of stream): the live CPU (src/cpu/), `synth`
 * (src/cli/cmd_synth.c) and the trace replayer (src/trace/replay*.c).
 * Consumers: the timing model (its access path is called inline, the rest
 * through its consumer entry), the recorder (src/trace/record.c), the golden
 * writer, and later the hypervisor model and live views. A live run and a
 * replay drive the consumers through exactly the same calls, in the same
 * order: that is what makes a replay's statistics equal the live run's.
 *
 * Order and meaning of the calls (a stream):
 *
 *   trc_start()             once, before anything else: the start state
 *   trc_block()             a block of guest code starts to run at @pc
 *                           (its fetches: trc_block_fetches())
 *   trc_access()            one data access by linear address
 *   trc_write()             bytes of guest-physical memory just written
 *                           (by the guest or by tdpsim in its place)
 *   trc_insns()             instructions retired since the last call
 *   trc_event()             anything else (paging registers, invalidations,
 *                           VM exits/entries, deliveries, TDX MapGPA,
 *                           functional translations, markers)
 *   trc_end()               once, last
 *
 * A guest-caused value is never derived by a consumer from the timing
 * configuration: every field below is what the guest (or the functional
 * CPU) did, so any configuration can consume any stream.
 *
 * Library rules: no call returns an error. A consumer that fails (a
 * recorder's write error) keeps the error itself and reports it from its
 * own finish function; the producer's run goes on.
 */
#ifndef TDPSIM_TRACE_SINK_H
#define TDPSIM_TRACE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "paging/mmu.h"
#include "timing/model.h"

/* Access kinds: the same values as enum pg_access and enum tm_kind. */
enum trc_access_kind { TRC_READ = 0, TRC_WRITE = 1, TRC_FETCH = 2 };

/* The start state: the registers paging depends on, as the first
 * instruction sees them (a LONG64 ELF boot enters with paging on). */
struct trc_start {
	struct pg_regs regs;   /* CR0, CR3, CR4, EFER, RFLAGS (AC), PKRU, IA32_PKRS */
	uint64_t rip;
	uint8_t cpl;
	uint8_t code_bits;     /* 16, 32 or 64: the code segment's size (CS.L/CS.D) */
	uint64_t ram_bytes;    /* guest-physical RAM [0, ram_bytes) */
};

/* A block of guest code about to run (the live CPU: QEMU's translation
 * block; synth and imports: one instruction). */
struct trc_block {
	uint64_t pc;           /* linear address of its first instruction (RIP) */
	uint32_t size;         /* bytes of code */
	uint32_t ninsns;       /* instructions in it; an exception may cut it
				* short: trc_insns() carries the exact count */
	uint8_t cpl;
	uint8_t code_bits;     /* 16, 32 or 64 */
};

enum trc_event_kind {
	/* Paging registers, as written (the new value). */
	TRC_EV_CR0 = 1,
	TRC_EV_CR3,        /* cr3.operand: the MOV's operand, bit 63 (no-flush) included */
	TRC_EV_CR4,
	TRC_EV_EFER,
	TRC_EV_PKRU,       /* WRPKRU / XRSTOR */
	TRC_EV_RFLAGS,     /* only AC matters (SMAP, SDM Vol. 3A 4.6); fed while CR4.SMAP=1 */
	TRC_EV_MSR,        /* a WRMSR paging depends on: IA32_PKRS (6E1H) */
	/* Invalidations (SDM Vol. 2A INVLPG/INVPCID, Vol. 3C INVEPT/INVVPID). */
	TRC_EV_INVLPG,
	TRC_EV_INVPCID,
	TRC_EV_INVEPT,
	TRC_EV_INVVPID,
	/* Virtualisation. */
	TRC_EV_VMEXIT,
	TRC_EV_VMENTRY,
	TRC_EV_MAPGPA,     /* TDX TDG.VP.VMCALL<MapGPA>: a range converted */
	/* The functional CPU. */
	TRC_EV_DELIVER,    /* an exception or interrupt delivered to the guest */
	TRC_EV_MMU,        /* the functional MMU's paging context was (re)built */
	TRC_EV_XLATE,      /* the functional MMU translated an address */
	TRC_EV_MARKER,     /* a phase marker (I/O port or console prefix) */
	TRC_EV_MMIO,       /* a data access the board answers: MMIO, unassigned, a ROM write */
	TRC_EV_COUNT
};

/* Why a VM exit happened. */
enum trc_exit_cause {
	/* The hypervisor model's answer to a host-dimension fault (EPT
	 * violation, #NPF) met by a functional translation, or to an access
	 * it emulates (TRC_EV_MMIO): it depends on the host dimension, so a
	 * replay under another host makes its own (from TRC_EV_XLATE and
	 * TRC_EV_MMIO) and ignores recorded ones. */
	TRC_EXIT_HOST_FAULT = 0,
	/* The guest asked (TDCALL, VMCALL ...): replayed as recorded. */
	TRC_EXIT_GUEST = 1,
};

/* How a delivered event arose (enum cpu_event_kind's order). */
enum trc_deliver_type {
	TRC_DELIVER_EXCEPTION = 0,
	TRC_DELIVER_EXTINT,        /* external interrupt (8259) */
	TRC_DELIVER_SOFTINT,       /* INT n, INT3, INTO */
};

struct trc_event {
	uint8_t kind; /* enum trc_event_kind */
	union {
		/* CR0, CR4, EFER, PKRU, RFLAGS: the register's new value. */
		struct { uint64_t value; } reg;
		/* CR3: the operand of MOV to CR3 (bit 63: no flush, with PCIDs). */
		struct { uint64_t operand; } cr3;
		struct { uint32_t index; uint64_t value; } msr;
		struct { uint64_t la; } invlpg;
		/* type 0 individual address, 1 single context, 2 all incl.
		 * globals, 3 all but globals (SDM Vol. 2A INVPCID). */
		struct { uint8_t type; uint16_t pcid; uint64_t la; } invpcid;
		/* type 1 single context (eptp), 2 global. */
		struct { uint8_t type; uint64_t eptp; } invept;
		/* type 0 address, 1 single, 2 all, 3 single non-global. */
		struct { uint8_t type; uint16_t vpid; uint64_t la; } invvpid;
		/* reason: the basic exit reason (SDM Vol. 3C App. C: 48 EPT
		 * violation, 77 TDCALL; AMD #NPF is reported as 48 too);
		 * gpa: the faulting guest-physical address (host faults). */
		struct { uint32_t reason; uint8_t cause; uint64_t gpa; } vmexit;
		/* ncr3: the nested-paging root L1 gave its L2 guest at this
		 * VMRUN (synth's nested workloads: L1 is modelled, not run).
		 * A live CPU runs no L1 hypervisor yet, so traces do not
		 * record it (docs/trace-format.md): 0 there. */
		struct { uint64_t ncr3; } vmentry;
		struct { uint64_t gpa; uint64_t bytes; bool shared; bool ok; } mapgpa;
		/* type: enum trc_deliver_type; cr2 valid for #PF (vector 14). */
		struct {
			uint8_t vector, type;
			bool has_error;
			uint32_t error;
			uint64_t rip, cr2;
		} deliver;
		/* The paging registers the functional MMU now runs with; a PAE
		 * guest's PDPTE registers were (re)loaded from memory here. */
		struct { struct pg_regs regs; } mmu;
		/* A functional translation (a TLB fill of the CPU, or tdpsim's
		 * own access for a delivery) through the engine, A/D bits set
		 * as the hardware sets them: replaying it with the same memory
		 * reproduces those writes and, under any host dimension, the
		 * hypervisor model's host faults. ac: RFLAGS.AC at the time;
		 * vector: the guest fault it raised, 0 if none. */
		struct {
			uint64_t la;
			uint8_t access, cpl, vector;
			bool implicit, ac;
		} xlate;
		/* id: the value written to the marker port, or 0 for a
		 * console line (text: the line after the prefix, NUL-
		 * terminated, valid during the call only). */
		struct { uint32_t id; const char *text; } marker;
		/* One data access of @size bytes at guest-physical @gpa that no
		 * RAM backs and that a hypervisor must emulate: device MMIO,
		 * unassigned space, a write to ROM (a ROM read is not one: a
		 * hypervisor maps ROM read-only). Guest-caused, whatever the
		 * host: under a host dimension each is a VM exit (KVM's MMIO
		 * SPTEs make every access to such a GPA exit, not only the
		 * first), made by the CPU's host (cpu_mmio_access). */
		struct { uint64_t gpa; uint8_t size; bool write; } mmio;
	};
};

/* A consumer: every function optional. @opaque is passed back. */
struct trc_consumer {
	void (*start)(void *opaque, const struct trc_start *st);
	void (*block)(void *opaque, const struct trc_block *b);
	void (*access)(void *opaque, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		       bool implicit);
	void (*write)(void *opaque, uint64_t gpa, const void *data, uint32_t len);
	void (*insns)(void *opaque, uint64_t n);
	void (*event)(void *opaque, const struct trc_event *ev);
	/* A walk (functional or the timing model's) read guest-physical
	 * page @gpa_page as a page table; only while want_table_reads. */
	void (*table_read)(void *opaque, uint64_t gpa_page);
	void (*end)(void *opaque);
	void *opaque;
};

#define TRC_SINK_MAX 6

struct trc_sink {
	/* The timing model, when one consumes: trc_access() and the block
	 * fetches call tm_access() inline (the hit path is a few
	 * instructions; an indirect call would double it). Its other calls
	 * go through its consumer entry (trc_sink_add_timing). */
	struct tm_model *tm;
	/* Guest-physical memory as it is now (live: the CPU's RAM; replay:
	 * the replayer's memory), for consumers that read guest code or
	 * tables (the golden writer's disassembly). */
	const struct cpu_ram *ram;
	/* Some consumer wants table_read() calls (the recorder). */
	bool want_table_reads;
	/* Virtual time: instructions retired so far (trc_insns sums). */
	uint64_t insns;
	unsigned n;
	struct trc_consumer c[TRC_SINK_MAX];
	/* The consumers with an access (block, write) function, as indexes
	 * into c[] in the order added: the per-access, per-block and
	 * per-write calls visit only these (usually none: the timing model's
	 * are inline, and only a recorder takes writes), and cost a test of
	 * the count when there are none. */
	uint8_t n_access, n_block, n_write;
	uint8_t access_of[TRC_SINK_MAX], block_of[TRC_SINK_MAX], write_of[TRC_SINK_MAX];
};

void trc_sink_init(struct trc_sink *s);
/* The sink's event @ev in the timing model's terms (struct tm_event), or
 * false if a model of the translation hardware has no use for it
 * (deliveries, functional translations, markers, MapGPA: their costs reach
 * it as the accesses and VM exits they cause). */
bool trc_tm_event_of(const struct trc_event *ev, struct tm_event *t);
/* Add a consumer (copied). 0, or -ENOSPC. */
int trc_sink_add(struct trc_sink *s, const struct trc_consumer *c);
/* Add the timing model @m as a consumer. 0, or -ENOSPC. */
int trc_sink_add_timing(struct trc_sink *s, struct tm_model *m);

void trc_start(struct trc_sink *s, const struct trc_start *st);
void trc_insns(struct trc_sink *s, uint64_t n);
void trc_event(struct trc_sink *s, const struct trc_event *ev);
void trc_table_read(struct trc_sink *s, uint64_t gpa_page);
void trc_end(struct trc_sink *s);

/* The fetch accesses of block @b, as the hardware makes them: one per
 * 4 KiB page the block covers, of at most 255 bytes each (calls @fn). */
static inline void trc_block_fetches(const struct trc_block *b,
				     void (*fn)(void *o, uint64_t la, uint8_t size), void *o)
{
	for (uint64_t va = b->pc, end = b->pc + b->size; va < end;) {
		uint64_t next = (va | 0xfff) + 1;
		uint64_t n = (next < end ? next : end) - va;

		fn(o, va, (uint8_t)(n > 255 ? 255 : n));
		va += n;
	}
}

/*
 * One data access of @size bytes at linear address @la: @kind enum
 * trc_access_kind, @cpl the current privilege level, @implicit an implicit
 * supervisor access (SDM Vol. 3A 4.6: descriptor tables, TSS, the
 * interrupt frame of a delivery) whatever the CPL. Kept apart from CPL 0:
 * SMAP treats implicit supervisor accesses differently from CPL 0 ones.
 */
/* Internal: trc_access() with consumers that take accesses (the model's,
 * then theirs), and the consumers' write functions: out of line, so that
 * when there are none the inline paths end in the model's access and keep
 * nothing live across it. */
void trc__access(struct trc_sink *s, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		 bool implicit);
void trc__write(struct trc_sink *s, uint64_t gpa, const void *data, uint32_t len);

/* The model's rights check takes an implicit access as a supervisor one
 * (CPL 0). */
static inline void trc__tm_access(struct trc_sink *s, uint64_t la, uint8_t size, uint8_t kind,
				  uint8_t cpl, bool implicit)
{
	if (s->tm)
		tm_access(s->tm, la, size, kind, implicit ? 0 : cpl);
}

static inline void trc_access(struct trc_sink *s, uint64_t la, uint8_t size, uint8_t kind,
			      uint8_t cpl, bool implicit)
{
	if (s->n_access)
		trc__access(s, la, size, kind, cpl, implicit);
	else
		trc__tm_access(s, la, size, kind, cpl, implicit);
}

/* @len bytes of guest-physical memory at @gpa were just written (@data):
 * by the guest, or by tdpsim in its place. */
static inline void trc_write(struct trc_sink *s, uint64_t gpa, const void *data, uint32_t len)
{
	if (s->n_write)
		trc__write(s, gpa, data, len);
}

/* Internal: trc_block() for the timing model's fetches when the block
 * spans pages (@fetch), and the consumers' block functions. */
void trc__block(struct trc_sink *s, const struct trc_block *b, bool fetch);

/* Block @b starts to run: the timing model's fetches (trc_block_fetches(),
 * inline for a block within one page, as most are), then the consumers'. */
static inline void trc_block(struct trc_sink *s, const struct trc_block *b)
{
	bool fetch = s->tm != NULL;

	if (fetch && b->size && (b->pc & 0xfff) + b->size <= 0x1000) {
		tm_access(s->tm, b->pc, b->size > 255 ? 255 : (uint8_t)b->size, TM_FETCH, b->cpl);
		fetch = false;
	}
	if (fetch || s->n_block)
		trc__block(s, b, fetch);
}

#endif
