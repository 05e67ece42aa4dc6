/*
 * Golden output: a canonical, line-oriented text form of a run that CI
 * diffs (`--golden FILE`, `tdpsim diff`). docs/golden.md is the grammar;
 * in short, after a "tdpsim-golden 1" line and "@ key value" lines that
 * describe the run, one line per
 *
 *   walk    a TLB miss that reached the walker (every reference, in the
 *           hardware's order, with the entry read and where it was served),
 *   fault   an exception or interrupt delivered to the guest,
 *   event   a paging event (CR0/CR3/CR4/EFER writes, INVLPG, INVPCID, ...),
 *   vmexit  a VM exit,
 *   marker  a guest marker (the marker port, console lines),
 *
 * each numbered (the event index, counted before --golden-every sampling)
 * and placed by the instructions retired before it and the guest RIP, then
 * "stat KEY VALUE" lines: the integer statistics (docs/stats.md). Only
 * integers are written, in fixed forms (hex with 0x, decimal counts), so the
 * text is the same on every machine and compiler.
 *
 * The writer is a consumer of the feed (trc_golden_add: the live CPU, a
 * replay, synth and the ChampSim import drive it through the same calls),
 * and the timing model's walks reach it through tm_set_walk_hook(). Lines
 * are placed by the sink's instruction count and the running block: the
 * fetch walks the sink makes for a block before its consumers hear of it
 * are held until the block arrives, so they name their own block.
 */
#ifndef TDPSIM_TRACE_GOLDEN_H
#define TDPSIM_TRACE_GOLDEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "cpu/ram.h"
#include "paging/walk.h"
#include "timing/model.h"
#include "trace/sink.h"

#define TRC_GOLDEN_MAGIC "tdpsim-golden 1"

struct trc_golden {
	FILE *f;
	uint64_t every;        /* write walk k when k % every == 0 (1: all) */
	uint64_t index;        /* next event index */
	uint64_t nwalks;       /* walks seen, sampled or not */
	const struct trc_sink *sink; /* instructions retired: sink->insns */
	uint64_t insns;        /* instructions retired (without a sink) */
	uint64_t rip;          /* the running block's first instruction */
	uint32_t block_bytes;  /* its size (0: unknown) */
	bool has_rip;          /* the producer gives RIPs (synth does not) */
	/* Where the instruction bytes come from (optional): the guest's
	 * guest-physical memory as it is now, and the paging registers the
	 * producer reports. RIP is translated with the engine, read-only. */
	const struct cpu_ram *ram;
	struct pg_regs regs;
	struct pg_cpu cpu;
	unsigned code_bits;    /* 16, 32 or 64; 0: derive from regs */
	/* Per 4 KiB page of @ram: non-zero when its content is not known (a
	 * replay's pages the guest wrote that were never tables); no code is
	 * read from them. NULL: all known. */
	const uint8_t *unknown;
	GPtrArray *held;       /* fetch walks waiting for their block */
};

/*
 * Start golden output on @f (the caller's): the magic line. @every 0 or 1
 * writes every walk. @cpu gives the engine the capabilities it needs to
 * walk RIP (MAXPHYADDR ...); NULL disables instruction bytes.
 */
void trc_golden_init(struct trc_golden *g, FILE *f, uint64_t every, const struct pg_cpu *cpu);

/* A "@ key value" line (before the first event). */
void trc_golden_meta(struct trc_golden *g, const char *key, const char *value);

/*
 * The consumer (into *@out, for trc_sink_add or cpu_feed_add) that writes
 * @g's lines for the feed of @s: the start state, blocks (RIP and code
 * size), events (golden.md), the end; and the walks of the sink's timing
 * model (s->tm, hooked here: add the model first). The memory the
 * instruction bytes are read from is s->ram, or @ram when the sink has
 * none (NULL: no bytes).
 */
void trc_golden_consumer(struct trc_golden *g, const struct trc_sink *s,
			 const struct cpu_ram *ram, struct trc_consumer *out);

/* tm_walk_fn: one walk line (@opaque is the struct trc_golden). */
void trc_golden_walk(void *opaque, const struct tm_walk_info *w);

/* One event line (golden.md): paging events, deliveries (fault lines),
 * VM exits, MapGPA, markers; the functional CPU's own MMU and XLATE steps
 * write none (their effects are walks, faults and exits). */
void trc_golden_event(struct trc_golden *g, const struct trc_event *ev);

/* The "stat" lines and the end; 0, or -EIO when a write failed. */
int trc_golden_finish(struct trc_golden *g, const struct tm_stats *s);

/* ---- shared with the reader and `tdpsim diff` --------------------------- */

/* Names of access kinds (enum tm_kind) and reference fates (enum
 * tm_ref_fate) as the lines spell them. */
extern const char *const trc_golden_kinds[3];
extern const char *const trc_golden_fates[7];

#define TRC_CODE_MAX 48 /* bytes of code a golden line holds */

/*
 * The code at @rip: up to @max bytes into @buf (*@n of them), read through
 * the guest's tables in @regs over @ram without changing any A/D bit, and
 * its code size in *@bits (from @code_bits, else EFER.LMA/CR0.PE); it
 * stops at a page marked in @unknown (trc_golden.unknown; NULL: none). 0,
 * or -ENOENT when not even its first byte can be read.
 */
int trc_code_read(const struct cpu_ram *ram, const uint8_t *unknown, const struct pg_regs *regs,
		  const struct pg_cpu *cpu, unsigned code_bits, uint64_t rip, unsigned max,
		  uint8_t *buf, unsigned *n, unsigned *bits);

/* Disassemble the first instruction of @buf (@n bytes, code size @bits) at
 * @rip with Capstone into @out ("mov rax, cr3"); 0, or -EINVAL. With
 * @mem non-NULL, *@mem tells how it accesses memory (TRC_MEM_*: its
 * memory operands, and the stack for push, pop, call, ret). */
#define TRC_MEM_READ  1u
#define TRC_MEM_WRITE 2u
int trc_disasm(const uint8_t *buf, unsigned n, unsigned bits, uint64_t rip, char *out,
	       unsigned len, unsigned *insn_len, unsigned *mem);

/* ---- reading golden files (golden_read.c) ------------------------------- */

/* One event line, split into its fixed head and the rest. */
struct trc_gline {
	const char *kind;      /* "walk", "fault", "event", "vmexit", "marker" */
	uint64_t index, insns;
	uint64_t rip;
	bool has_rip;
	const char *body;      /* after the head (starts with a blank, may be "") */
	const char *text;      /* the whole line */
	unsigned lineno;       /* 1-based, for messages */
};

struct trc_gstat {
	const char *key;
	uint64_t val;
};

struct trc_gfile {
	char *buf;             /* the file, lines NUL-terminated in place */
	GPtrArray *meta;       /* "@ key value" lines, without "@ " */
	GArray *ev;            /* struct trc_gline */
	GArray *st;            /* struct trc_gstat, in file order */
	bool ended;            /* the "end" line was there */
};

/*
 * Load golden file @path. 0, or -errno with one line in @why naming the
 * line that is wrong (-EINVAL: not a golden file or a malformed line).
 */
int trc_golden_load(const char *path, struct trc_gfile *out, char *why, unsigned why_len);
/* The same, from @len bytes at @data (copied). */
int trc_golden_parse(const char *data, size_t len, struct trc_gfile *out, char *why,
		     unsigned why_len);
void trc_golden_free(struct trc_gfile *g);

/* The value of "KEY=" in @body (up to the next blank) into @out; false if
 * absent. */
bool trc_gfield(const char *body, const char *key, char *out, unsigned len);

/* ---- comparing them (golden_diff.c) ------------------------------------- */

struct trc_gdiff {
	uint64_t equal, changed, only_a, only_b; /* events */
	uint64_t stats_moved;
	bool first;            /* a first divergence exists */
	long first_a, first_b; /* its event in each (-1: none on that side) */
	long ctx_a;            /* the last equal event before it in A (-1: none) */
};

/* Compare @a and @b (golden.h's rules: events aligned by position in the
 * run; the index itself is not compared, nor the "@" lines). */
void trc_golden_compare(const struct trc_gfile *a, const struct trc_gfile *b,
			struct trc_gdiff *d);

/* The report `tdpsim diff` prints for a difference, on @out (@name_a and
 * @name_b label the sides). @context: equal events shown before it. */
void trc_golden_report(const struct trc_gfile *a, const struct trc_gfile *b,
		       const struct trc_gdiff *d, const char *name_a, const char *name_b,
		       unsigned context, FILE *out);

#endif
