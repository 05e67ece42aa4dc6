/*
 * Event delivery, the context blob, SYSCALL/SYSENTER and the boot state
 * (src/cpu/ctx.c, deliver.c, sysent.c, linear.c, report.c; src/boot/boot.c).
 *
 * A bare machine: the test opens its own UC_MODE_64 handle with guest RAM
 * mapped at 0 and Unicorn's own MMU (UC_TLB_CPU), so QEMU's walker is the
 * reference for the translations the guest code makes, while tdpsim's
 * delivery walks the same tables through the engine. Unicorn reports every
 * exception and INT n to UC_HOOK_INTR; the hook hands them to cpu_deliver()
 * as the machine core does. Guest code is hand-assembled, each instruction
 * with its encoding in a comment, and every expected frame is worked out
 * from the SDM's frame layouts in the comments next to the checks.
 *
 * Memory map (identity-mapped; long-mode tables at 0x1000-0x4fff):
 *   0x5000 GDT        0x6000 TSS64 (RSP0 0x210000, IST1 0x2200f8)
 *   0x6800 TSS32      0x7000 IDT64 (16-byte gates)   0xb000 IDT32
 *   0x8000 kernel entry, handlers at 0x8100 (#PF) 0x8200 (#GP) 0x8300 (#DF)
 *          0x8400 (0x21) 0x8500 (0x80) 0x8600 (#NP), each a HLT
 *   0x90000 boot stack; 0x200000-0x3fffff a 2 MiB supervisor page (A=D=0)
 *   0x400000 user code, 0x401000 user stack, 0x402000 user data,
 *   0x403000 not present, 0x404000 user
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "boot/boot.h"
#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/linear.h"
#include "cpu/report.h"
#include "cpu/sysent.h"
#include "paging/access_ram.h"

#define MEM (8u << 20)

/* GDT selectors (entries below). */
#define K_CS64	  0x08
#define K_DS	  0x10
#define U_CS32	  0x18
#define U_DS	  0x20
#define U_CS64	  0x28
#define TSS64_SEL 0x30
#define K_CS32	  0x40
#define K_DS32	  0x48
#define TSS32_SEL 0x60

#define GDT    0x5000
#define TSS64  0x6000
#define TSS32  0x6800
#define IDT64  0x7000
#define IDT32  0xb000
#define KENTRY 0x8000
#define H_PF   0x8100
#define H_GP   0x8200
#define H_DF   0x8300
#define H_21   0x8400
#define H_80   0x8500
#define H_NP   0x8600
#define UCODE  0x400000

struct tb {
	struct cpu c;
	uc_hook hi, hs, he;
	int nintr;
	uint32_t intnos[8];
	int rc; /* last cpu_deliver / cpu_sys* result */
};

/* ---- guest memory helpers ---- */

static void put8(struct tb *t, uint64_t pa, uint64_t v)
{
	g_assert_cmpint(cpu_ram_write_le(&t->c.ram, pa, 8, v), ==, 0);
}

static void put4(struct tb *t, uint64_t pa, uint64_t v)
{
	g_assert_cmpint(cpu_ram_write_le(&t->c.ram, pa, 4, v), ==, 0);
}

static uint64_t get8(struct tb *t, uint64_t pa)
{
	uint64_t v = 0;
	g_assert_cmpint(cpu_ram_read_le(&t->c.ram, pa, 8, &v), ==, 0);
	return v;
}

static uint64_t get4(struct tb *t, uint64_t pa)
{
	uint64_t v = 0;
	g_assert_cmpint(cpu_ram_read_le(&t->c.ram, pa, 4, &v), ==, 0);
	return v;
}

static uint64_t get2(struct tb *t, uint64_t pa)
{
	uint64_t v = 0;
	g_assert_cmpint(cpu_ram_read_le(&t->c.ram, pa, 2, &v), ==, 0);
	return v;
}

static void code(struct tb *t, uint64_t pa, const uint8_t *b, size_t n)
{
	g_assert_cmpint(cpu_ram_write(&t->c.ram, pa, b, n), ==, 0);
}

static uint64_t reg(struct tb *t, int r)
{
	return cpu_reg(&t->c, r);
}

static void setreg(struct tb *t, int r, uint64_t v)
{
	g_assert_cmpint(uc_reg_write(t->c.uc, r, &v), ==, UC_ERR_OK);
}

/* 64-bit IDT gate (SDM Vol. 3A Figure 6-8): type 0xE interrupt, 0xF trap. */
static void gate64(struct tb *t, unsigned vec, uint64_t off, unsigned dpl, unsigned ist,
		   unsigned type)
{
	uint64_t lo = (off & 0xffff) | ((uint64_t)K_CS64 << 16) |
		      ((uint64_t)(ist | type << 8 | dpl << 13 | 0x8000) << 32) |
		      ((off & 0xffff0000ull) << 32);
	put8(t, IDT64 + 16 * vec, lo);
	put8(t, IDT64 + 16 * vec + 8, off >> 32);
}

/* 32-bit IDT gate (SDM Vol. 3A Figure 6-2). */
static void gate32(struct tb *t, unsigned vec, uint32_t off, unsigned dpl, unsigned type)
{
	uint64_t v = (off & 0xffff) | ((uint64_t)K_CS32 << 16) |
		     ((uint64_t)((off & 0xffff0000u) | 0x8000 | dpl << 13 | type << 8) << 32);
	put8(t, IDT32 + 8 * vec, v);
}

/* ---- the INTR hook: what the machine core does ---- */

static void t_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct tb *t = opaque;
	struct cpu *c = &t->c;
	struct cpu_event ev = {.vector = (uint8_t)intno, .kind = CPU_EV_EXCEPTION};
	uint64_t rip = reg(t, UC_X86_REG_RIP);
	uint8_t b[2] = {0, 0};

	if (t->nintr < 8)
		t->intnos[t->nintr] = intno;
	t->nintr++;
	/* INT n arrives with RIP past the CD ib (UNICORN.md). RIP is an
	 * offset in CS; every test's CS base is 0 except real mode's. */
	struct cpu_seg_cache cs;
	cpu_get_seg(c, CPU_SEG_CS, &cs);
	uc_mem_read(uc, cs.base + rip - 2, b, 2);
	if (b[0] == 0xcd && b[1] == intno) {
		ev.kind = CPU_EV_SOFTINT;
		ev.next_rip = rip;
	} else {
		ev.has_error = cpu_vector_has_error(intno);
		if (ev.has_error && cpu_ctx_begin(c) == 0)
			ev.error = cpu_ctx_error_code(c);
		if (intno == X86_VEC_PF)
			ev.cr2 = reg(t, UC_X86_REG_CR2);
	}
	t->rc = cpu_deliver(c, &ev);
	if (t->rc != 0) {
		if (g_test_verbose())
			cpu_report(c, stderr,
				   t->rc < 0 ? cpu_deliver_chain(c)->why : "triple fault");
		uc_emu_stop(uc);
	}
}

static void t_syscall(uc_engine *uc, void *opaque)
{
	struct tb *t = opaque;
	t->rc = cpu_syscall(&t->c, true);
}

static void t_sysenter(uc_engine *uc, void *opaque)
{
	struct tb *t = opaque;
	t->rc = cpu_sysenter(&t->c, true);
}

/* GDT shared by every test (SDM Vol. 3A 3.4.5; values as Linux writes
 * them): flat segments, DPL 0 or 3, and the two TSS descriptors. */
static void write_gdt(struct tb *t)
{
	put8(t, GDT + K_CS64, 0x00af9a000000ffffull); /* code, L=1, DPL0 */
	put8(t, GDT + K_DS, 0x00cf92000000ffffull);   /* data rw, DPL0 */
	put8(t, GDT + U_CS32, 0x00cffa000000ffffull); /* code, D=1, DPL3 */
	put8(t, GDT + U_DS, 0x00cff2000000ffffull);   /* data rw, DPL3 */
	put8(t, GDT + U_CS64, 0x00affa000000ffffull); /* code, L=1, DPL3 */
	/* 64-bit TSS at 0x6000, limit 0x67, type 9 (available), P. */
	put8(t, GDT + TSS64_SEL, 0x0000890000000067ull | ((uint64_t)TSS64 << 16));
	put8(t, GDT + TSS64_SEL + 8, 0);
	put8(t, GDT + K_CS32, 0x00cf9a000000ffffull);
	put8(t, GDT + K_DS32, 0x00cf92000000ffffull);
	put8(t, GDT + 0x50, 0x00cffa000000ffffull); /* SYSEXIT CS = 0x40+16 */
	put8(t, GDT + 0x58, 0x00cff2000000ffffull); /* SYSEXIT SS = 0x40+24 */
	put8(t, GDT + TSS32_SEL, 0x0000890000000067ull | ((uint64_t)TSS32 << 16));
	uc_x86_mmr gdtr = {.base = GDT, .limit = 0x67};
	g_assert_cmpint(uc_reg_write(t->c.uc, UC_X86_REG_GDTR, &gdtr), ==, UC_ERR_OK);
}

/* A bare machine; @sys_hooks: hook SYSCALL and SYSENTER as the machine
 * core does. */
static void tb_init_opt(struct tb *t, bool sys_hooks)
{
	char why[200] = "";

	memset(t, 0, sizeof(*t));
	g_assert_cmpint(uc_open(UC_ARCH_X86, UC_MODE_64, &t->c.uc), ==, UC_ERR_OK);
	g_assert_cmpint(cpu_ram_init(&t->c.ram, MEM), ==, 0);
	g_assert_cmpint(uc_mem_map_ptr(t->c.uc, 0, MEM, UC_PROT_ALL, t->c.ram.base), ==, UC_ERR_OK);
	pg_cpu_all(&t->c.pgcpu);
	pg_ram_accessor(&t->c.nested.mem, &t->c.ram);
	int rc = cpu_ctx_init(&t->c, why, sizeof(why));
	if (rc)
		g_test_message("self-check: %s", why);
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpstr(why, ==, "");
	uc_hook_add(t->c.uc, &t->hi, UC_HOOK_INTR, (void *)t_intr, t, 1, 0);
	if (sys_hooks) {
		uc_hook_add(t->c.uc, &t->hs, UC_HOOK_INSN, (void *)t_syscall, t, 1, 0,
			    UC_X86_INS_SYSCALL);
		uc_hook_add(t->c.uc, &t->he, UC_HOOK_INSN, (void *)t_sysenter, t, 1, 0,
			    UC_X86_INS_SYSENTER);
	}
	for (unsigned a = 0x8000; a < 0x8700; a += 0x100) /* every handler: HLT */
		put8(t, a, 0xf4);
	write_gdt(t);
}

static void tb_init(struct tb *t)
{
	tb_init_opt(t, true);
}

static void tb_free(struct tb *t)
{
	g_free(t->c.chain); /* made at the first delivery (deliver.c) */
	t->c.chain = NULL;
	cpu_ctx_free(&t->c);
	uc_close(t->c.uc);
	cpu_ram_free(&t->c.ram);
}

static uc_err run(struct tb *t, uint64_t from, uint64_t until)
{
	return uc_emu_start(t->c.uc, from, until, 0, 1000);
}

/*
 * Long mode at CPL 0 with the identity tables above (entered through
 * cpu_boot_enter, CPU_BOOT_LONG64), IDT64, TR = the 64-bit TSS, and kernel
 * code at KENTRY that IRETQs to user code at UCODE (CS 0x2b, SS 0x23,
 * RSP 0x402000, RFLAGS 0x202).
 */
static void long_mode(struct tb *t, const uint8_t *ucode, size_t ulen)
{
	char why[160];
	/* Tables (SDM Vol. 3A 4.5): P|RW|US = 7; PS = 0x80. */
	put8(t, 0x1000, 0x2000 | 7);	  /* PML4[0] */
	put8(t, 0x2000, 0x3000 | 7);	  /* PDPT[0] */
	put8(t, 0x3000, 0x000000 | 0x83); /* PD[0]: 2 MiB at 0, supervisor */
	put8(t, 0x3008, 0x200000 | 0x83); /* PD[1]: 2 MiB at 2 MiB, supervisor, A=D=0 */
	put8(t, 0x3010, 0x4000 | 7);	  /* PD[2] -> PT */
	put8(t, 0x4000, 0x400000 | 7);	  /* user code */
	put8(t, 0x4008, 0x401000 | 7);	  /* user stack */
	put8(t, 0x4010, 0x402000 | 7);	  /* user data */
	put8(t, 0x4018, 0);		  /* 0x403000: not present */
	put8(t, 0x4020, 0x404000 | 7);
	/* TSS64 (SDM Vol. 3A Figure 7-11): RSP0 at +4, IST1 at +36. */
	put8(t, TSS64 + 4, 0x210000);
	put8(t, TSS64 + 36, 0x2200f8);
	gate64(t, X86_VEC_PF, H_PF, 0, 0, 0xe);
	gate64(t, X86_VEC_GP, H_GP, 0, 0, 0xe);
	gate64(t, X86_VEC_DF, H_DF, 0, 1, 0xe);
	gate64(t, 0x21, H_21, 3, 1, 0xe);
	gate64(t, 0x80, H_80, 3, 0, 0xf);
	gate64(t, X86_VEC_NP, H_NP, 0, 0, 0xe);
	/* Boot first: it leaves GDTR and IDTR empty for the kernel to load. */
	struct cpu_boot b = {
	    .kind = CPU_BOOT_LONG64, .entry = KENTRY, .cr3 = 0x1000, .rsp = 0x90000};
	g_assert_cmpint(cpu_boot_enter(&t->c, &b, why, sizeof(why)), ==, 0);
	write_gdt(t);
	uc_x86_mmr idtr = {.base = IDT64, .limit = 256 * 16 - 1};
	g_assert_cmpint(uc_reg_write(t->c.uc, UC_X86_REG_IDTR, &idtr), ==, UC_ERR_OK);
	uc_x86_mmr tr = {.selector = TSS64_SEL, .base = TSS64, .limit = 0x67, .flags = 0x8b00};
	g_assert_cmpint(uc_reg_write(t->c.uc, UC_X86_REG_TR, &tr), ==, UC_ERR_OK);
	static const uint8_t k[] = {
	    0x6a, 0x23,			  /* push 0x23 (SS) */
	    0x68, 0x00, 0x20, 0x40, 0x00, /* push 0x402000 (RSP) */
	    0x68, 0x02, 0x02, 0x00, 0x00, /* push 0x202 (RFLAGS) */
	    0x6a, 0x2b,			  /* push 0x2b (CS) */
	    0x68, 0x00, 0x00, 0x40, 0x00, /* push 0x400000 (RIP) */
	    0x48, 0xcf,			  /* iretq */
	};
	code(t, KENTRY, k, sizeof(k));
	code(t, UCODE, ucode, ulen);
}

/* ---- tests ---- */

static void test_selfcheck(void)
{
	struct tb t;
	tb_init(&t); /* asserts cpu_ctx_init() == 0 with no reason */
	/* A segment selector written through the API is read in the blob. */
	setreg(&t, UC_X86_REG_DS, 0x10);
	struct cpu_seg_cache ds;
	g_assert_cmpint(cpu_get_seg(&t.c, CPU_SEG_DS, &ds), ==, 0);
	g_assert_cmpuint(ds.sel, ==, 0x10);
	/* CR2 through the blob leaves CR3 alone (the 2.1.1 bug writes CR3). */
	setreg(&t, UC_X86_REG_CR3, 0x1000);
	g_assert_cmpint(cpu_set_cr2(&t.c, 0x12345678abcull), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_CR2), ==, 0x12345678abcull);
	g_assert_cmphex(reg(&t, UC_X86_REG_CR3), ==, 0x1000);
	tb_free(&t);
}

/* Multiboot entry: 32-bit protected mode, paging off, EAX = 0x2BADB002. */
static void test_boot_multiboot(void)
{
	struct tb t;
	char why[160];
	tb_init(&t);
	static const uint8_t k[] = {
	    0x40,			  /* inc eax (a REX prefix in 64-bit code) */
	    0x50,			  /* push eax */
	    0xe8, 0x00, 0x00, 0x00, 0x00, /* call $+5 */
	    0x59,			  /* pop ecx */
	    0xf4,			  /* hlt */
	};
	code(&t, 0x100000, k, sizeof(k));
	struct cpu_boot b = {
	    .kind = CPU_BOOT_MULTIBOOT, .entry = 0x100000, .eax = 0x2badb002, .ebx = 0x9500};
	g_assert_cmpint(cpu_boot_enter(&t.c, &b, why, sizeof(why)), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_EAX), ==, 0x2badb002);
	g_assert_cmphex(reg(&t, UC_X86_REG_EBX), ==, 0x9500);
	g_assert_cmphex(reg(&t, UC_X86_REG_CR0), ==, 0x11); /* PE|ET, PG=0 */
	g_assert_cmphex(cpu_rdmsr(&t.c, MSR_IA32_EFER), ==, 0);
	g_assert_cmpstr(cpu_mode_name(&t.c), ==, "protected");
	setreg(&t, UC_X86_REG_RSP, 0x80000);
	g_assert_cmpint(run(&t, 0x100000, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.nintr, ==, 0);
	/* 32-bit code: INC EAX ran (0x2BADB003), PUSH EAX stored 4 bytes at
	 * 0x7fffc, CALL pushed the 4-byte return address 0x100007 at 0x7fff8,
	 * POP ECX took it back: ESP = 0x7fffc. In 64-bit code PUSH would have
	 * stored 8 bytes and 0x40 would have been a REX prefix. */
	g_assert_cmphex(reg(&t, UC_X86_REG_EAX), ==, 0x2badb003);
	g_assert_cmphex(get4(&t, 0x7fffc), ==, 0x2badb003);
	g_assert_cmphex(reg(&t, UC_X86_REG_ECX), ==, 0x100007);
	g_assert_cmphex(reg(&t, UC_X86_REG_ESP), ==, 0x7fffc);
	g_assert_cmphex(get4(&t, 0x80000), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, 0x100009);
	tb_free(&t);
}

/* Long mode: a #PF from CPL 3 switches to RSP0 with the exact frame. */
static void test_long_pf_cpl3(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {
	    /* mov qword [0x403008], 0x77: 0x403000 is not present */
	    0x48, 0xc7, 0x04, 0x25, 0x08, 0x30, 0x40, 0x00, 0x77, 0x00, 0x00, 0x00,
	};
	long_mode(&t, u, sizeof(u));
	g_assert_cmpstr(cpu_mode_name(&t.c), ==, "long (64-bit)");
	g_assert_cmphex(get8(&t, 0x3008) & 0x60, ==, 0); /* PD[1]: A=D=0 before */
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmpint(t.nintr, ==, 1);
	g_assert_cmpuint(t.intnos[0], ==, X86_VEC_PF);
	/* Handler ran (HLT at H_PF) at CPL 0 with CS 0x08, SS = NULL (RPL 0). */
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_PF + 1);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, 0x08);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, 0x00);
	/* RSP0 = 0x210000 (16-aligned). 64-bit frame (SDM Vol. 3A Figure 6-9),
	 * 8 bytes per slot from the top: SS 0x20fff8, RSP 0x20fff0, RFLAGS
	 * 0x20ffe8, CS 0x20ffe0, RIP 0x20ffd8, error code 0x20ffd0. */
	g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x20ffd0);
	g_assert_cmphex(get8(&t, 0x20fff8), ==, 0x23);
	g_assert_cmphex(get8(&t, 0x20fff0), ==, 0x402000);
	g_assert_cmphex(get8(&t, 0x20ffe8), ==, 0x202);
	g_assert_cmphex(get8(&t, 0x20ffe0), ==, 0x2b);
	g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE);
	/* Error code: P=0 (not present), W/R=1, U/S=1 (CPL 3) = 0x6 (4.7). */
	g_assert_cmphex(get8(&t, 0x20ffd0), ==, 0x6);
	g_assert_cmphex(reg(&t, UC_X86_REG_CR2), ==, 0x403008);
	g_assert_cmphex(reg(&t, UC_X86_REG_CR3), ==, 0x1000);
	/* Interrupt gate: IF cleared. */
	g_assert_cmphex(reg(&t, UC_X86_REG_RFLAGS) & RFLAGS_IF, ==, 0);
	/* The frame write went through the engine: the 2 MiB page PD[1] got
	 * A (bit 5) and D (bit 6), as the hardware's write would set them. */
	g_assert_cmphex(get8(&t, 0x3008) & 0x60, ==, 0x60);
	tb_free(&t);
}

/* INT 0x21 through a DPL3 gate with IST1: stack from IST1, aligned. */
static void test_long_ist(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {0xcd, 0x21}; /* int 0x21 */
	long_mode(&t, u, sizeof(u));
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_21 + 1);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	/* IST1 = 0x2200f8, aligned down to 0x2200f0 (6.14.2). Frame: SS
	 * 0x2200e8, RSP 0x2200e0, RFLAGS 0x2200d8, CS 0x2200d0, RIP 0x2200c8
	 * = the instruction after INT (0x400002); no error code. */
	g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x2200c8);
	g_assert_cmphex(get8(&t, 0x2200e8), ==, 0x23);
	g_assert_cmphex(get8(&t, 0x2200e0), ==, 0x402000);
	g_assert_cmphex(get8(&t, 0x2200d8), ==, 0x202);
	g_assert_cmphex(get8(&t, 0x2200d0), ==, 0x2b);
	g_assert_cmphex(get8(&t, 0x2200c8), ==, UCODE + 2);
	tb_free(&t);
}

/* INT 0x80 from CPL 3: a DPL3 trap gate works; a DPL0 gate is #GP(0x402). */
static void test_int80(void)
{
	for (int dpl = 3; dpl >= 0; dpl -= 3) {
		struct tb t;
		tb_init(&t);
		static const uint8_t u[] = {0xcd, 0x80}; /* int 0x80 */
		long_mode(&t, u, sizeof(u));
		gate64(&t, 0x80, H_80, (unsigned)dpl, 0, 0xf);
		g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
		g_assert_cmpint(t.rc, ==, 0);
		g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
		if (dpl == 3) {
			/* Trap gate: IF stays 1. Frame from RSP0 0x210000: RIP
			 * at 0x20ffd8 = 0x400002, no error code. */
			g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_80 + 1);
			g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x20ffd8);
			g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE + 2);
			g_assert_cmphex(reg(&t, UC_X86_REG_RFLAGS) & RFLAGS_IF, ==,
					RFLAGS_IF);
		} else {
			/* Gate DPL 0 < CPL 3: #GP with error code vector*8+2
			 * (IDT=1, EXT=0 for INT n) = 0x402, reported at the INT
			 * instruction itself (SDM Vol. 2A INT n). */
			g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_GP + 1);
			g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x20ffd0);
			g_assert_cmphex(get8(&t, 0x20ffd0), ==, 0x80 * 8 + 2);
			g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE);
			g_assert_cmphex(get8(&t, 0x20ffe0), ==, 0x2b);
		}
		tb_free(&t);
	}
}

/*
 * #DF: RSP0 points just above the non-present page 0x403000, so pushing
 * the #PF frame faults again (#PF then #PF = #DF, Table 6-5). The #DF gate
 * uses IST1, which works.
 */
static void test_double_fault(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {0x48, 0xc7, 0x04, 0x25, 0x08, 0x30,
				    0x40, 0x00, 0x77, 0x00, 0x00, 0x00};
	long_mode(&t, u, sizeof(u));
	put8(&t, TSS64 + 4, 0x404000); /* RSP0 */
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_DF + 1);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	/* CR2 of the second #PF: the first push (SS) at RSP0 - 8 = 0x403ff8,
	 * a supervisor write to a not-present page: error 0x2. */
	g_assert_cmphex(reg(&t, UC_X86_REG_CR2), ==, 0x403ff8);
	/* #DF frame on IST1 (0x2200f0 aligned): error code 0 at 0x2200c0,
	 * RIP 0x2200c8 = the faulting user MOV, CS 0x2b, RFLAGS, RSP, SS. */
	g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x2200c0);
	g_assert_cmphex(get8(&t, 0x2200c0), ==, 0);
	g_assert_cmphex(get8(&t, 0x2200c8), ==, UCODE);
	g_assert_cmphex(get8(&t, 0x2200d0), ==, 0x2b);
	g_assert_cmphex(get8(&t, 0x2200e0), ==, 0x402000);
	g_assert_cmphex(get8(&t, 0x2200e8), ==, 0x23);
	const struct cpu_chain *ch = cpu_deliver_chain(&t.c);
	g_assert_cmpuint(ch->n, ==, 3); /* #PF, #PF (escalated), #DF */
	g_assert_cmpuint(ch->l[0].vector, ==, X86_VEC_PF);
	g_assert_cmpuint(ch->l[1].vector, ==, X86_VEC_PF);
	g_assert_cmphex(ch->l[1].error, ==, 0x2);
	g_assert_true(ch->l[1].escalated);
	g_assert_cmpuint(ch->l[2].vector, ==, X86_VEC_DF);
	g_assert_false(ch->triple);
	tb_free(&t);
}

/* Triple fault: #DF also goes to the bad RSP0. The report names it all. */
static void test_triple_fault(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {0x48, 0xc7, 0x04, 0x25, 0x08, 0x30,
				    0x40, 0x00, 0x77, 0x00, 0x00, 0x00};
	long_mode(&t, u, sizeof(u));
	put8(&t, TSS64 + 4, 0x404000);
	gate64(&t, X86_VEC_DF, H_DF, 0, 0, 0xe); /* no IST */
	run(&t, KENTRY, 0);
	g_assert_cmpint(t.rc, ==, CPU_TRIPLE_FAULT);
	const struct cpu_chain *ch = cpu_deliver_chain(&t.c);
	g_assert_true(ch->triple);
	g_assert_cmpuint(ch->n, ==, 4); /* #PF -> #PF -> #DF -> #PF */
	g_assert_cmpuint(ch->l[3].vector, ==, X86_VEC_PF);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cpu_report(&t.c, f, "triple fault");
	fclose(f);
	g_test_message("%s", text);
	g_assert_nonnull(strstr(text, "tdpsim: triple fault"));
	g_assert_nonnull(strstr(text, "mode    long (64-bit), paging 4level, CPL 3"));
	/* The instruction at RIP, disassembled by Capstone in 64-bit mode. */
	g_assert_nonnull(strstr(text, "48c704250830400077000000  mov qword ptr [0x403008], 0x77"));
	g_assert_nonnull(strstr(
	    text, "#PF -> #PF during delivery -> #DF -> #PF during delivery -> triple fault"));
	/* The failing walk, level by level: PML4[0], PDPT[0], PD[2], PT[3]
	 * (0x403ff8 >> 12 & 511 = 3) with entry 0, not present. */
	g_assert_nonnull(strstr(text, "L4 table 0x1000 [  0]"));
	g_assert_nonnull(strstr(text, "L2 table 0x3000 [  2] entry @0x3010"));
	g_assert_nonnull(
	    strstr(text, "L1 table 0x4000 [  3] entry @0x4018 = 0x0000000000000000  not-present"));
	g_assert_nonnull(strstr(text, "cr2 0000000000403ff8"));
	free(text);
	tb_free(&t);
}

/*
 * 32-bit protected mode at CPL 0 (entered as a Multiboot kernel, paging
 * off), IDT32 with a #GP interrupt gate, TR = the 32-bit TSS (SS0:ESP0 =
 * 0x48:0x50000), and kernel code at KENTRY that IRETDs to user code at
 * UCODE (CS 0x1b, SS 0x23, ESP 0x3fff0, EFLAGS 0x202).
 */
static void prot_mode(struct tb *t, const uint8_t *ucode, size_t ulen)
{
	char why[160];
	struct cpu_boot b = {.kind = CPU_BOOT_MULTIBOOT, .entry = KENTRY, .eax = 0x2badb002};
	g_assert_cmpint(cpu_boot_enter(&t->c, &b, why, sizeof(why)), ==, 0);
	write_gdt(t);
	/* TSS32 (SDM Vol. 3A Figure 7-2): ESP0 at +4, SS0 at +8. */
	put4(t, TSS32 + 4, 0x50000);
	put4(t, TSS32 + 8, K_DS32);
	gate32(t, X86_VEC_GP, H_GP, 0, 0xe);
	uc_x86_mmr idtr = {.base = IDT32, .limit = 256 * 8 - 1};
	g_assert_cmpint(uc_reg_write(t->c.uc, UC_X86_REG_IDTR, &idtr), ==, UC_ERR_OK);
	uc_x86_mmr tr = {.selector = TSS32_SEL, .base = TSS32, .limit = 0x67, .flags = 0x8b00};
	g_assert_cmpint(uc_reg_write(t->c.uc, UC_X86_REG_TR, &tr), ==, UC_ERR_OK);
	static const uint8_t k[] = {
	    0x6a, 0x23,			  /* push 0x23 (SS) */
	    0x68, 0xf0, 0xff, 0x03, 0x00, /* push 0x3fff0 (ESP) */
	    0x68, 0x02, 0x02, 0x00, 0x00, /* push 0x202 (EFLAGS) */
	    0x6a, 0x1b,			  /* push 0x1b (CS) */
	    0x68, 0x00, 0x00, 0x40, 0x00, /* push 0x400000 (EIP) */
	    0xcf,			  /* iretd */
	};
	code(t, KENTRY, k, sizeof(k));
	code(t, UCODE, ucode, ulen);
	setreg(t, UC_X86_REG_RSP, 0x90000);
}

/* 32-bit protected mode: #GP from CPL 3 through an interrupt gate moves
 * to SS0:ESP0 of the 32-bit TSS. */
static void test_prot32(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {0x0f, 0x20, 0xc0}; /* mov eax, cr0: #GP(0) at CPL 3 */
	prot_mode(&t, u, sizeof(u));
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmpint(t.nintr, ==, 1);
	g_assert_cmpuint(t.intnos[0], ==, X86_VEC_GP);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_GP + 1);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, K_CS32);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, K_DS32);
	/* Privilege change (SDM Vol. 3A Figure 6-4), 4-byte slots from ESP0
	 * 0x50000: SS 0x4fffc, ESP 0x4fff8, EFLAGS 0x4fff4, CS 0x4fff0, EIP
	 * 0x4ffec, error code 0x4ffe8. */
	g_assert_cmphex(reg(&t, UC_X86_REG_ESP), ==, 0x4ffe8);
	g_assert_cmphex(get4(&t, 0x4fffc), ==, 0x23);
	g_assert_cmphex(get4(&t, 0x4fff8), ==, 0x3fff0);
	g_assert_cmphex(get4(&t, 0x4fff4), ==, 0x202);
	g_assert_cmphex(get4(&t, 0x4fff0), ==, 0x1b);
	g_assert_cmphex(get4(&t, 0x4ffec), ==, UCODE);
	g_assert_cmphex(get4(&t, 0x4ffe8), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_EFLAGS) & RFLAGS_IF, ==, 0);
	tb_free(&t);
}

/* Real mode: INT 0x10 through the IVT. */
static void test_real_ivt(void)
{
	struct tb t;
	tb_init(&t);
	struct cpu *c = &t.c;
	/* Real-address mode through the blob: CR0.PE = 0, EFER = 0, 16-bit
	 * segments with base = selector << 4. */
	g_assert_cmpint(cpu_ctx_begin(c), ==, 0);
	cpu_ctx_set_cr(c, 0, CR0_ET);
	cpu_ctx_set_efer(c, 0);
	cpu_ctx_set_hflags(c, cpu_ctx_hflags(c) &
				  ~(CPU_HF_PE | CPU_HF_LMA | CPU_HF_CS64 | CPU_HF_CPL));
	cpu_ctx_set_dt(c, true, 0, 0x3ff);
	struct cpu_seg_cache cs = {.sel = 0x0100, .base = 0x1000, .limit = 0xffff, .flags = 0x9b00};
	struct cpu_seg_cache ss = {.sel = 0x0500, .base = 0x5000, .limit = 0xffff, .flags = 0x9300};
	cpu_ctx_load_seg(c, CPU_SEG_SS, &ss);
	cpu_ctx_load_seg(c, CPU_SEG_CS, &cs);
	g_assert_cmpint(cpu_ctx_commit(c), ==, 0);
	uc_ctl_flush_tlb(c->uc);
	g_assert_cmpstr(cpu_mode_name(c), ==, "real");
	setreg(&t, UC_X86_REG_RSP, 0x0100);
	setreg(&t, UC_X86_REG_RFLAGS, 0x202);
	static const uint8_t k[] = {0xcd, 0x10}; /* int 0x10 */
	code(&t, 0x1000, k, sizeof(k));
	put4(&t, 0x10 * 4, 0x03000200); /* IVT[0x10] = 0300:0200 */
	put8(&t, 0x3200, 0xf4);		/* hlt at 0x3000 + 0x200 */
	g_assert_cmpint(run(&t, 0, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmpuint(t.intnos[0], ==, 0x10);
	/* Pushed (SDM Vol. 3A 20.1.4) at SS.base + SP: FLAGS 0x50fe = 0x202,
	 * CS 0x50fc = 0x100, IP 0x50fa = 0x0002; SP = 0xfa. IF cleared. */
	g_assert_cmphex(get2(&t, 0x50fe), ==, 0x202);
	g_assert_cmphex(get2(&t, 0x50fc), ==, 0x100);
	g_assert_cmphex(get2(&t, 0x50fa), ==, 0x2);
	g_assert_cmphex(reg(&t, UC_X86_REG_SP), ==, 0xfa);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, 0x300);
	g_assert_cmphex(reg(&t, UC_X86_REG_IP), ==, 0x201);
	g_assert_cmphex(reg(&t, UC_X86_REG_EFLAGS) & RFLAGS_IF, ==, 0);
	tb_free(&t);
}

/* SYSCALL from CPL 3 into the kernel at CPL 0, SYSRETQ (native) back. */
static void test_syscall_sysret(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {
	    0x0f, 0x05, /* syscall */
	    0x90,	/* nop: the run stops here */
	};
	long_mode(&t, u, sizeof(u));
	static const uint8_t ks[] = {
	    0x0f, 0x20, 0xc2,		  /* mov rdx, cr0: #GP unless CPL 0 */
	    0xbb, 0x34, 0x12, 0x00, 0x00, /* mov ebx, 0x1234 */
	    0x48, 0x0f, 0x07,		  /* sysretq */
	};
	code(&t, 0x8800, ks, sizeof(ks));
	/* STAR[47:32] = 0x08 (SYSCALL CS, SS = +8); STAR[63:48] = 0x18
	 * (SYSRETQ CS = +16 = 0x28|3, SS = +8 = 0x20|3). */
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_STAR, 0x0018000800000000ull), ==, 0);
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_LSTAR, 0x8800), ==, 0);
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_FMASK, 0x200), ==, 0);
	uint64_t efer = cpu_rdmsr(&t.c, MSR_IA32_EFER) | EFER_SCE;
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_EFER, efer), ==, 0);
	/* Stop at the kernel entry first. */
	g_assert_cmpint(run(&t, KENTRY, 0x8800), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, 0x8800);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, 0x08);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, 0x10);
	g_assert_cmphex(reg(&t, UC_X86_REG_RCX), ==, UCODE + 2);	    /* return RIP */
	g_assert_cmphex(reg(&t, UC_X86_REG_R11), ==, 0x202);		    /* RFLAGS */
	g_assert_cmphex(reg(&t, UC_X86_REG_RFLAGS) & RFLAGS_IF, ==, 0); /* FMASK */
	/* On to SYSRETQ and back to user mode. */
	g_assert_cmpint(run(&t, 0x8800, UCODE + 2), ==, UC_ERR_OK);
	g_assert_cmpint(t.nintr, ==, 0); /* mov rdx, cr0 ran: CPL was 0 */
	g_assert_cmphex(reg(&t, UC_X86_REG_RDX), ==, reg(&t, UC_X86_REG_CR0));
	g_assert_cmphex(reg(&t, UC_X86_REG_RBX), ==, 0x1234);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, UCODE + 2);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, 0x2b);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, 0x23);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 3);
	g_assert_cmphex(reg(&t, UC_X86_REG_RFLAGS) & RFLAGS_IF, ==, RFLAGS_IF);
	tb_free(&t);
}

/* SYSENTER from CPL 3 (32-bit protected mode), SYSEXIT (native) back. */
static void test_sysenter_sysexit(void)
{
	struct tb t;
	tb_init(&t);
	static const uint8_t u[] = {
	    0x0f, 0x34, /* sysenter */
	    0x90,	/* nop (not reached: SYSEXIT returns to EDX) */
	    0x90,	/* 0x400003: SYSEXIT target */
	};
	prot_mode(&t, u, sizeof(u));
	static const uint8_t ke[] = {
	    0x0f, 0x20, 0xc0,		  /* mov eax, cr0: #GP unless CPL 0 */
	    0xb9, 0x00, 0x80, 0x03, 0x00, /* mov ecx, 0x38000 (user ESP) */
	    0xba, 0x03, 0x00, 0x40, 0x00, /* mov edx, 0x400003 (user EIP) */
	    0x0f, 0x35,			  /* sysexit */
	};
	code(&t, 0x8900, ke, sizeof(ke));
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_CS, K_CS32), ==, 0);
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_ESP, 0x60000), ==, 0);
	g_assert_cmpint(cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_EIP, 0x8900), ==, 0);
	g_assert_cmpint(run(&t, KENTRY, 0x8900), ==, UC_ERR_OK);
	g_assert_cmpint(t.rc, ==, 0);
	/* SDM Vol. 2B SYSENTER: CS = SYSENTER_CS, SS = +8, CPL 0, ESP/EIP from
	 * the MSRs, IF cleared. */
	g_assert_cmphex(reg(&t, UC_X86_REG_EIP), ==, 0x8900);
	g_assert_cmphex(reg(&t, UC_X86_REG_ESP), ==, 0x60000);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, K_CS32);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, K_DS32);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
	g_assert_cmphex(reg(&t, UC_X86_REG_EFLAGS) & RFLAGS_IF, ==, 0);
	g_assert_cmpint(run(&t, 0x8900, UCODE + 3), ==, UC_ERR_OK);
	g_assert_cmpint(t.nintr, ==, 0);
	/* SYSEXIT: CS = SYSENTER_CS + 16 | 3 = 0x53, SS = + 24 | 3 = 0x5b,
	 * ESP = ECX, EIP = EDX, CPL 3. */
	g_assert_cmphex(reg(&t, UC_X86_REG_EIP), ==, UCODE + 3);
	g_assert_cmphex(reg(&t, UC_X86_REG_ESP), ==, 0x38000);
	g_assert_cmphex(reg(&t, UC_X86_REG_CS), ==, 0x53);
	g_assert_cmphex(reg(&t, UC_X86_REG_SS), ==, 0x5b);
	g_assert_cmpuint(cpu_cpl(&t.c), ==, 3);
	tb_free(&t);
}

/* An external interrupt at CPL 3 through a DPL0 interrupt gate: RSP0
 * frame without an error code, return RIP = the interrupted instruction. */
static void test_extint(void)
{
	static const uint8_t u[] = {0x90, 0xf4}; /* nop; hlt */
	struct tb t;
	tb_init(&t);
	long_mode(&t, u, sizeof(u));
	gate64(&t, 0x20, H_80, 0, 0, 0xe);
	g_assert_cmpint(uc_emu_start(t.c.uc, KENTRY, 0, 0, 7), ==, UC_ERR_OK); /* + the NOP */
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, UCODE + 1);
	struct cpu_event ev = {.vector = 0x20, .kind = CPU_EV_EXTINT};
	g_assert_cmpint(cpu_deliver(&t.c, &ev), ==, 0);
	/* SS 0x20fff8, RSP 0x20fff0, RFLAGS 0x20ffe8, CS 0x20ffe0, RIP 0x20ffd8. */
	g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x20ffd8);
	g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE + 1);
	g_assert_cmphex(get8(&t, 0x20ffe8), ==, 0x202);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_80);
	g_assert_cmphex(reg(&t, UC_X86_REG_RFLAGS) & RFLAGS_IF, ==, 0);
	/* The handler runs at CPL 0 from there. */
	g_assert_cmpint(uc_emu_start(t.c.uc, H_80, 0, 0, 1), ==, UC_ERR_OK);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, H_80 + 1);
	g_assert_cmpint(t.nintr, ==, 0);
	tb_free(&t);
}

/*
 * Gate checks (SDM Vol. 3A 6.13, INT n pseudocode): an external interrupt
 * (EXT = 1) at CPL 3 through a not-present gate is #NP(vector*8+2+1),
 * through a gate beyond the IDT limit or of a wrong type #GP(vector*8+2+1).
 * An interrupt is benign, #NP/#GP contributory: delivered serially, no #DF.
 */
static void test_gate_errors(void)
{
	static const uint8_t u[] = {0x90, 0xf4}; /* nop; hlt */
	static const struct {
		const char *what;
		uint8_t vector;
		uint32_t gate_word; /* P|DPL|type word of the gate; 0: leave it */
		uint32_t idt_limit;
		uint8_t expect_vec;
		uint64_t handler;
	} cs[] = {
	    {"not present", 0x20, 0x0e00, 0xfff, X86_VEC_NP, H_NP},
	    {"beyond the IDT limit", 0x90, 0, 0x90 * 16 - 1, X86_VEC_GP, H_GP},
	    {"call-gate type", 0x20, 0x8c00, 0xfff, X86_VEC_GP, H_GP},
	};
	for (unsigned i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct tb t;
		tb_init(&t);
		long_mode(&t, u, sizeof(u));
		if (cs[i].gate_word) {
			gate64(&t, cs[i].vector, H_80, 0, 0, 0xe);
			put4(&t, IDT64 + 16 * cs[i].vector + 4, cs[i].gate_word);
		}
		uc_x86_mmr idtr = {.base = IDT64, .limit = cs[i].idt_limit};
		uc_reg_write(t.c.uc, UC_X86_REG_IDTR, &idtr);
		/* The kernel's 6 instructions (5 pushes, IRETQ), then stop: at
		 * UCODE, CPL 3. (An `until` of UCODE makes Unicorn read the page
		 * below it, a supervisor page: a spurious #PF.) */
		g_assert_cmpint(uc_emu_start(t.c.uc, KENTRY, 0, 0, 6), ==, UC_ERR_OK);
		g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, UCODE);
		g_assert_cmpuint(cpu_cpl(&t.c), ==, 3);
		struct cpu_event ev = {.vector = cs[i].vector, .kind = CPU_EV_EXTINT};
		g_test_message("%s", cs[i].what);
		g_assert_cmpint(cpu_deliver(&t.c, &ev), ==, 0);
		g_assert_cmpuint(cpu_cpl(&t.c), ==, 0);
		g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, cs[i].handler);
		/* Frame on RSP0: error code at 0x20ffd0, RIP = the interrupted
		 * instruction (UCODE) at 0x20ffd8. */
		g_assert_cmphex(reg(&t, UC_X86_REG_RSP), ==, 0x20ffd0);
		g_assert_cmphex(get8(&t, 0x20ffd0), ==, cs[i].vector * 8u + 2 + 1);
		g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE);
		const struct cpu_chain *ch = cpu_deliver_chain(&t.c);
		g_assert_cmpuint(ch->n, ==, 2);
		g_assert_cmpuint(ch->l[1].vector, ==, cs[i].expect_vec);
		tb_free(&t);
	}
}

/* Linear accesses: a write that crosses into a not-present page faults
 * with CR2 = the second page and writes nothing; a read across two
 * present pages returns both parts. */
static void test_linear_split(void)
{
	struct tb t;
	struct pg_fault f;
	tb_init(&t);
	static const uint8_t u[] = {0xf4};
	long_mode(&t, u, sizeof(u));
	uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];
	g_assert_cmpint(cpu_lin_write(&t.c, 0x402ffc, w, 8, false, &f), ==, 0);
	g_assert_cmpuint(f.vector, ==, X86_VEC_PF);
	g_assert_cmphex(f.addr, ==, 0x403000);
	g_assert_cmphex(f.error_code, ==, 0x2); /* supervisor write, not present */
	g_assert_cmphex(get4(&t, 0x402ffc), ==, 0);
	put4(&t, 0x401ffc, 0x44332211);
	put4(&t, 0x402000, 0x88776655);
	g_assert_cmpint(cpu_lin_read(&t.c, 0x401ffc, r, 8, false, &f), ==, 0);
	g_assert_cmpuint(f.vector, ==, 0);
	uint64_t v;
	memcpy(&v, r, 8);
	g_assert_cmphex(v, ==, 0x8877665544332211ull);
	/* Non-canonical in IA-32e mode: #GP(0) (no walk). */
	g_assert_cmpint(cpu_lin_read(&t.c, 0x0000800000000000ull, r, 8, false, &f), ==, 0);
	g_assert_cmpuint(f.vector, ==, X86_VEC_GP);
	tb_free(&t);
}

/*
 * Why sysent.c emulates SYSCALL and SYSENTER: without an instruction hook
 * Unicorn 2.1.1 executes neither. Each is skipped as a 2-byte no-op where
 * the real instruction would enter the kernel at CPL 0: the HLT after it
 * then runs at CPL 3 and is #GP(0) at UCODE + 2 (SDM Vol. 2A HLT).
 * SYSCALL is tried in 64-bit mode, SYSENTER in 32-bit protected mode. In
 * 64-bit mode Unicorn rejects SYSENTER as an invalid instruction even with
 * the hook: its internal CPU (qemu64) is an AMD part, for which SYSENTER
 * is #UD in long mode (APM Vol. 3 SYSENTER).
 */
static void test_unhooked(void)
{
	static const uint8_t sc[] = {0x0f, 0x05, 0xf4}; /* syscall; hlt */
	static const uint8_t se[] = {0x0f, 0x34, 0xf4}; /* sysenter; hlt */
	struct tb t;

	tb_init_opt(&t, false);
	long_mode(&t, sc, sizeof(sc));
	cpu_wrmsr(&t.c, MSR_IA32_EFER, cpu_rdmsr(&t.c, MSR_IA32_EFER) | EFER_SCE);
	cpu_wrmsr(&t.c, MSR_IA32_STAR, 0x0018000800000000ull);
	cpu_wrmsr(&t.c, MSR_IA32_LSTAR, 0x8800);
	put8(&t, 0x8800, 0xf4);
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.nintr, ==, 1);
	g_assert_cmpuint(t.intnos[0], ==, X86_VEC_GP);
	g_assert_cmphex(get8(&t, 0x20ffd8), ==, UCODE + 2); /* frame RIP */
	g_assert_cmphex(get8(&t, 0x20ffe0), ==, 0x2b);	    /* frame CS: CPL 3 */
	tb_free(&t);

	tb_init_opt(&t, false);
	prot_mode(&t, se, sizeof(se));
	cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_CS, K_CS32);
	cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_EIP, 0x8800);
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_OK);
	g_assert_cmpint(t.nintr, ==, 1);
	g_assert_cmpuint(t.intnos[0], ==, X86_VEC_GP);
	g_assert_cmphex(get4(&t, 0x4ffec), ==, UCODE + 2); /* frame EIP */
	g_assert_cmphex(get4(&t, 0x4fff0), ==, 0x1b);	   /* frame CS: CPL 3 */
	tb_free(&t);

	tb_init(&t); /* hooked, 64-bit mode */
	long_mode(&t, se, sizeof(se));
	cpu_wrmsr(&t.c, MSR_IA32_SYSENTER_CS, K_CS64);
	g_assert_cmpint(run(&t, KENTRY, 0), ==, UC_ERR_INSN_INVALID);
	g_assert_cmphex(reg(&t, UC_X86_REG_RIP), ==, UCODE);
	g_assert_cmpint(t.nintr, ==, 0);
	tb_free(&t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/deliver/selfcheck", test_selfcheck);
	g_test_add_func("/deliver/boot-multiboot", test_boot_multiboot);
	g_test_add_func("/deliver/long-pf-cpl3", test_long_pf_cpl3);
	g_test_add_func("/deliver/long-ist", test_long_ist);
	g_test_add_func("/deliver/int80", test_int80);
	g_test_add_func("/deliver/double-fault", test_double_fault);
	g_test_add_func("/deliver/triple-fault", test_triple_fault);
	g_test_add_func("/deliver/prot32", test_prot32);
	g_test_add_func("/deliver/real-ivt", test_real_ivt);
	g_test_add_func("/deliver/syscall-sysret", test_syscall_sysret);
	g_test_add_func("/deliver/sysenter-sysexit", test_sysenter_sysexit);
	g_test_add_func("/deliver/extint", test_extint);
	g_test_add_func("/deliver/gate-errors", test_gate_errors);
	g_test_add_func("/deliver/linear-split", test_linear_split);
	g_test_add_func("/deliver/unicorn-unhooked-sys", test_unhooked);
	return g_test_run();
}
