/*
 * The CPU-state blob: Unicorn's uc_context is a byte copy of QEMU's
 * CPUX86State, and it is the only way to change the hidden parts of the
 * segment registers, the CPL (hflags), CR2 and env->old_exception in a
 * UC_MODE_64 handle (UNICORN.md; unicorn/probe-2.1.1.md, Q3).
 *
 * Use: cpu_ctx_begin() saves the state into the blob, the cpu_ctx_* setters
 * patch it, cpu_ctx_commit() restores it into the CPU. RIP, RSP and RFLAGS
 * are written with uc_reg_write *after* the commit (the blob's eflags is
 * stale while the condition codes live in cc_src/cc_op). Patch only while no
 * translation block runs: after uc_emu_start returned, inside UC_HOOK_INTR,
 * or inside the SYSCALL/SYSENTER instruction hooks.
 *
 * Every offset is checked once at start-up by cpu_ctx_init(), which writes
 * distinctive values through uc_reg_write and finds them in the blob; a
 * mismatch refuses the run with a one-line reason.
 */
#ifndef TDPSIM_CPU_CTX_H
#define TDPSIM_CPU_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Segment registers in QEMU's order (R_ES..R_GS), then LDTR and TR. */
enum cpu_seg {
	CPU_SEG_ES = 0,
	CPU_SEG_CS,
	CPU_SEG_SS,
	CPU_SEG_DS,
	CPU_SEG_FS,
	CPU_SEG_GS,
	CPU_SEG_LDT,
	CPU_SEG_TR,
	CPU_SEG_COUNT
};

/*
 * A segment register with its hidden part. @flags is QEMU's form: the
 * descriptor's high dword with the base and limit bits masked out (type in
 * 11:8, S 12, DPL 14:13, P 15, AVL 20, L 21, D/B 22, G 23); @limit is the
 * expanded byte limit.
 */
struct cpu_seg_cache {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;
	uint32_t flags;
};

/* Descriptor flag bits in cpu_seg_cache.flags (SDM Vol. 3A 3.4.5, Fig. 3-8). */
#define CPU_DESC_A	    (1u << 8) /* accessed (code/data types) */
#define CPU_DESC_W	    (1u << 9) /* data: writable; code: R (readable) */
#define CPU_DESC_R	    (1u << 9)
#define CPU_DESC_CODE	    (1u << 11) /* S=1: code segment */
#define CPU_DESC_S	    (1u << 12) /* code or data (not system) */
#define CPU_DESC_DPL_SHIFT  13
#define CPU_DESC_DPL	    (3u << 13)
#define CPU_DESC_P	    (1u << 15) /* present */
#define CPU_DESC_L	    (1u << 21) /* 64-bit code segment */
#define CPU_DESC_B	    (1u << 22) /* D/B: 32-bit default size */
#define CPU_DESC_G	    (1u << 23) /* limit in 4 KiB units */
#define CPU_DESC_TYPE_SHIFT 8
#define CPU_DESC_TYPE	    (15u << 8)

/* QEMU's hflags bits the runner reads or sets (target/i386/cpu.h). */
#define CPU_HF_CPL    (3u << 0)
#define CPU_HF_CS32   (1u << 4)
#define CPU_HF_SS32   (1u << 5)
#define CPU_HF_ADDSEG (1u << 6)
#define CPU_HF_PE     (1u << 7)
#define CPU_HF_TF     (1u << 8)
#define CPU_HF_MP     (1u << 9)
#define CPU_HF_EM     (1u << 10)
#define CPU_HF_TS     (1u << 11)
#define CPU_HF_LMA    (1u << 14)
#define CPU_HF_CS64   (1u << 15)
#define CPU_HF_VM     (1u << 17)
#define CPU_HF_OSFXSR (1u << 22)
#define CPU_HF_SMAP   (1u << 23)


/*
 * Run the self-check on c->uc and attach the blob to @c (c->ctx). Returns
 * 0, or a negative errno with a one-line reason in @why naming the check
 * that failed (e.g. "context blob: TR.base not at offset 360").
 */
int cpu_ctx_init(struct cpu *c, char *why, size_t len);
void cpu_ctx_free(struct cpu *c);

/* Save the CPU into the blob / restore the blob into the CPU. 0 or -EIO. */
int cpu_ctx_begin(struct cpu *c);
int cpu_ctx_commit(struct cpu *c);

/* Fields of the blob (valid between begin and commit). */
void cpu_ctx_get_seg(const struct cpu *c, enum cpu_seg s, struct cpu_seg_cache *out);
/* Load a segment register's cache and update hflags as QEMU's
 * cpu_x86_load_seg_cache() does: CS sets CS32/CS64 (CS64 when L=1 under
 * LMA), SS sets SS32 and the CPL (= SS.DPL), and ADDSEG is recomputed
 * outside 64-bit code. LDT and TR just store. */
void cpu_ctx_load_seg(struct cpu *c, enum cpu_seg s, const struct cpu_seg_cache *sc);
uint32_t cpu_ctx_hflags(const struct cpu *c);
void cpu_ctx_set_hflags(struct cpu *c, uint32_t hf);
uint64_t cpu_ctx_cr(const struct cpu *c, unsigned n);
/* Store CR0/CR3/CR4 only (no mode update); CR2 is the usual use. */
void cpu_ctx_set_cr(struct cpu *c, unsigned n, uint64_t val);
uint64_t cpu_ctx_efer(const struct cpu *c);
void cpu_ctx_set_efer(struct cpu *c, uint64_t efer);
/* GDTR / IDTR (base, limit). */
void cpu_ctx_get_dt(const struct cpu *c, bool idt, uint64_t *base, uint32_t *limit);
void cpu_ctx_set_dt(struct cpu *c, bool idt, uint64_t base, uint32_t limit);
/* env->error_code of the exception QEMU raised last (UC_HOOK_INTR). */
uint32_t cpu_ctx_error_code(const struct cpu *c);
/* env->old_exception = -1: QEMU otherwise turns the next exception it
 * raises into #DF (probe Q2). Done by every delivery. */
void cpu_ctx_reset_old_exception(struct cpu *c);
int32_t cpu_ctx_old_exception(const struct cpu *c);

/* Convenience wrappers that save, patch and restore themselves. */
int cpu_set_cr2(struct cpu *c, uint64_t cr2); /* uc_reg_write(CR2) clobbers CR3 in 2.1.1 */
int cpu_reset_old_exception(struct cpu *c);
unsigned cpu_cpl(struct cpu *c); /* hflags CPL, via the blob */
int cpu_get_seg(struct cpu *c, enum cpu_seg s, struct cpu_seg_cache *out);

/* A uc_reg_read that zeroes the buffer first (segment reads write only 16
 * bits) and returns the value. */
uint64_t cpu_reg(struct cpu *c, int uc_reg);

/* Read / write an MSR of the Unicorn CPU (uc_reg_* UC_X86_REG_MSR): what
 * QEMU itself keeps, beside the MSRs tdpsim models (msr.c). */
uint64_t cpu_rdmsr(struct cpu *c, uint32_t msr);
int cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t val);

#endif
