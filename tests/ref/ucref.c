/*
 * ucref: Unicorn as a reference CPU for paging tests (see ucref.h).
 *
 * How a run works. At open, guest code written by ucref_emit_*() below boots
 * the CPU from Unicorn's initial UC_MODE_64 state into the handle's paging
 * mode (4-/5-level directly; 32-bit and PAE paging by leaving long mode through
 * a 32-bit code segment, as UNICORN.md describes), and the resulting CPU state
 * is saved. Each run restores that state, fills a mailbox page with the run's
 * registers and address, and starts the kernel prologue at CPL 0, which loads
 * CR4, PKRU, CR0, EFER and CR3 (flushing QEMU's TLB), loads the LDT, sets
 * RFLAGS, and jumps to the access routine: one instruction at CPL 0, or an
 * IRET to CPL 3 followed by one instruction there. The run stops at the
 * address just after that instruction (uc_emu_start's "until"), or in the
 * UC_HOOK_INTR callback when QEMU raises an exception: Unicorn never delivers
 * exceptions through the IDT, so the callback records the vector, CR2 and the
 * error code (from the CPU-state blob) and stops the emulation.
 *
 * Guest-physical layout (all harness pages identity-mapped, U/S=0 except the
 * user code page, A and D preset so that QEMU never writes them):
 *
 *   0x1000 GDT          0x6000 PML5     0xB000 32-bit PD   0xE000 PAE PD
 *   0x2000 kernel code  0x7000 PML4     0xC000 32-bit PT   0xF000 PAE PT
 *   0x3000 user code    0x8000 PDPT     0xD000 PAE PDPT
 *   0x4000 kernel stack 0x9000 PD
 *   0x5000 mailbox      0xA000 PT
 */
#include "ucref.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#define PAGE 0x1000u

#define GDT_PA	      0x1000u
#define KCODE_PA      0x2000u
#define UCODE_PA      0x3000u
#define KSTACK_TOP    0x4ff0u
#define MBOX_PA	      0x5000u
#define PML5_PA	      0x6000u
#define PML4_PA	      0x7000u
#define PDPT_PA	      0x8000u
#define PD_PA	      0x9000u
#define PT_PA	      0xA000u
#define PD32_PA	      0xB000u
#define PT32_PA	      0xC000u
#define PAEPDPT_PA    0xD000u
#define PAEPD_PA      0xE000u
#define PAEPT_PA      0xF000u
#define HARNESS_PAGES 16u /* pages 1..15 are mapped; page 0 is not */

/* Entry bits the harness uses (SDM Vol. 3A 4.3-4.5): P, R/W, U/S, A, D. */
#define E_P 0x1u
#define E_W 0x2u
#define E_U 0x4u
#define E_A 0x20u
#define E_D 0x40u

/* Control-register and EFER bits (SDM Vol. 3A 2.5, 2.2.1). */
#define CR0_PE	     0x1u
#define CR0_ET	     0x10u
#define CR0_NE	     0x20u
#define CR0_PG	     0x80000000u
#define CR4_PSE	     0x10u
#define CR4_PAE	     0x20u
#define CR4_LA57     0x1000u
#define CR4_PKE	     0x400000u
#define EFER_LME     0x100u
#define EFER_LMA     0x400u
#define MSR_EFER     0xC0000080u
#define RFLAGS_FIXED 0x2u
#define RFLAGS_AC    0x40000u

/* GDT: selectors. The LDT descriptor is 16 bytes in IA-32e mode. */
#define SEL_KCODE64  0x08
#define SEL_KDATA    0x10
#define SEL_KCODE32  0x18
#define SEL_UCODE64  0x23
#define SEL_UDATA    0x2b
#define SEL_UCODE32  0x33
#define SEL_LDT	     0x38
#define SEL_LDT_DATA 0x0f /* LDT index 1, TI=1, RPL 3 */
#define GDT_LIMIT    (9 * 8 - 1)

/* Mailbox fields (offsets from MBOX_PA); the guest reads them through RBP. */
enum {
	MB_CR4_PKE = 0, /* CR4 | PKE, to allow WRPKRU before the final CR4 */
	MB_CR4 = 8,
	MB_CR0 = 16,
	MB_CR3 = 24,
	MB_EFER = 32, /* low dword at 32, high at 36 */
	MB_PKRU = 40,
	MB_RFLAGS = 48,
	MB_VA = 56,
	MB_VALUE = 64,	/* write value, or the LDT data selector */
	MB_TARGET = 72, /* kernel access routine */
	MB_UENTRY = 80, /* user access routine (IRET target) */
	MB_USP = 88,
	MB_GDTR = 96, /* 2-byte limit + 8-byte base */
	MB_BOOT_CR4 = 112,
	MB_BOOT_CR3 = 120,
	MB_BOOT_EFER = 128,
	MB_BOOT_CR0 = 136,
	MB_NEXT64 = 144,
	MB_CR4_32 = 152,
	MB_CR3_32 = 160,
	MB_NEXT32 = 168,
	MB_ID1_EDX = 192, /* CPUID results written by the boot code */
	MB_ID1_ECX = 196,
	MB_ID7_EBX = 200,
	MB_ID7_ECX = 204,
	MB_IDX1_EDX = 208,
	MB_IDX8_EAX = 212,
	MB_SCRATCH = 0x800, /* a harness-owned data area, used by the self-check */
};

/* Code addresses. Each access routine is one instruction; runs stop at
 * routine + 2 (all of them are 2 bytes long). */
#define K_BOOT64    (KCODE_PA + 0x000)
#define K_BOOT32    (KCODE_PA + 0x100)
#define K_ENTRY	    (KCODE_PA + 0x200)
#define K_READ	    (KCODE_PA + 0x300)
#define K_WRITE	    (KCODE_PA + 0x310)
#define K_FETCH	    (KCODE_PA + 0x320)
#define K_IMPL	    (KCODE_PA + 0x330)
#define K_USER	    (KCODE_PA + 0x340)
#define U_READ	    (UCODE_PA + 0x000)
#define U_WRITE	    (UCODE_PA + 0x010)
#define U_FETCH	    (UCODE_PA + 0x020)
#define U_IMPL	    (UCODE_PA + 0x030)
#define ROUTINE_LEN 2

/*
 * Offsets inside QEMU's CPUX86State as copied by uc_context_save() in the
 * 2.1.1 x86_64 build (UNICORN.md, probe-2.1.1.md Q3): segs[] at 184 with a
 * stride of 24 ({u32 selector; u64 base; u32 limit; u32 flags}), dr[0] at
 * 5368, error_code at dr[0]-16. Checked at open.
 */
#define ENV_SEG(i)   (184 + 24 * (i))
#define ENV_SEG_BASE 8
#define ENV_DR0	     5368
#define ENV_ERRCODE  (ENV_DR0 - 16)
#define ENV_OLDEXC   (ENV_DR0 + 96)
#define SEG_ES	     0
#define SEG_CS	     1
#define SEG_SS	     2
#define SEG_DS	     3

struct ucref {
	enum ucref_mode mode;
	uc_engine *uc;
	uint8_t *ram;
	uc_hook intr_hook;
	uc_context *base;    /* CPU state after boot: every run starts here */
	uc_context *scratch; /* for reading the blob */
	size_t blob_off;     /* offset of CPUX86State inside a uc_context */
	size_t ctx_size;
	uint64_t root;
	struct ucref_regs base_regs;
	struct ucref_info info;
	/* Filled by the interrupt hook during a run. */
	bool exc;
	uint32_t exc_vector, exc_error_code;
	uint64_t exc_cr2;
};

static const char *const mode_names[UCREF_MODE_COUNT] = {
    [UCREF_2LEVEL] = "2level", [UCREF_2LEVEL_PSE] = "2level-pse", [UCREF_PAE] = "pae",
    [UCREF_4LEVEL] = "4level", [UCREF_5LEVEL] = "5level",
};

const char *ucref_mode_name(enum ucref_mode mode)
{
	return mode < UCREF_MODE_COUNT ? mode_names[mode] : "?";
}

static bool is_long(enum ucref_mode m)
{
	return m == UCREF_4LEVEL || m == UCREF_5LEVEL;
}

static int fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- guest RAM helpers ---- */

static void put64(uint8_t *ram, uint64_t pa, uint64_t v)
{
	memcpy(ram + pa, &v, 8); /* x86 and the host are little-endian */
}

static void put32(uint8_t *ram, uint64_t pa, uint32_t v)
{
	memcpy(ram + pa, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A segment descriptor (SDM Vol. 3A 3.4.5): @access is byte 5 (P, DPL, S,
 * type), @flags the G, D/B, L, AVL nibble. */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

uint64_t ucref_data_descriptor(uint32_t base, bool accessed)
{
	/* P=1, DPL=3, S=1, type 2 (read/write data) or 3 (accessed); G=1, B=1. */
	return seg_desc(base, 0xfffff, accessed ? 0xf3 : 0xf2, 0xc);
}

void ucref_put_fetch_target(uint8_t *p, uint32_t marker)
{
	p[0] = 0xb8; /* mov eax, imm32 */
	memcpy(p + 1, &marker, 4);
}

/* ---- a tiny x86 emitter: just the instructions the harness needs ---- */

struct emit {
	uint8_t *p;
	uint64_t at; /* guest address of the next byte */
};

#define EMIT(e, ...)                                                                               \
	emit_bytes((e), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void emit_bytes(struct emit *e, const uint8_t *b, size_t n)
{
	memcpy(e->p, b, n);
	e->p += n;
	e->at += n;
}

static void emit32(struct emit *e, uint32_t v)
{
	memcpy(e->p, &v, 4);
	e->p += 4;
	e->at += 4;
}

enum { RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* ModRM for [rbp + disp] with register field @reg. */
static void modrm_rbp(struct emit *e, unsigned reg, int32_t disp)
{
	if (disp >= -128 && disp <= 127) {
		EMIT(e, (uint8_t)(0x40 | reg << 3 | RBP), (uint8_t)disp);
	} else {
		EMIT(e, (uint8_t)(0x80 | reg << 3 | RBP));
		emit32(e, (uint32_t)disp);
	}
}

static void load32(struct emit *e, unsigned reg, int32_t disp) /* mov r32, [rbp+d] */
{
	EMIT(e, 0x8b);
	modrm_rbp(e, reg, disp);
}

static void load64(struct emit *e, unsigned reg, int32_t disp) /* mov r64, [rbp+d] */
{
	EMIT(e, 0x48, 0x8b);
	modrm_rbp(e, reg, disp);
}

static void store32(struct emit *e, unsigned reg, int32_t disp) /* mov [rbp+d], r32 */
{
	EMIT(e, 0x89);
	modrm_rbp(e, reg, disp);
}

static void push_mem(struct emit *e, int32_t disp) /* push [rbp+d] (operand size of the mode) */
{
	EMIT(e, 0xff);
	modrm_rbp(e, 6, disp);
}

static void jmp_mem(struct emit *e, int32_t disp) /* jmp [rbp+d] */
{
	EMIT(e, 0xff);
	modrm_rbp(e, 4, disp);
}

static void mov_cr_eax(struct emit *e, unsigned cr) /* mov crN, rax/eax */
{
	EMIT(e, 0x0f, 0x22, (uint8_t)(0xc0 | cr << 3));
}

static void mov_eax_cr(struct emit *e, unsigned cr) /* mov rax/eax, crN */
{
	EMIT(e, 0x0f, 0x20, (uint8_t)(0xc0 | cr << 3));
}

static void mov_eax_imm(struct emit *e, uint32_t v) /* mov eax, imm32 */
{
	EMIT(e, 0xb8);
	emit32(e, v);
}

static void mov_ecx_imm(struct emit *e, uint32_t v) /* mov ecx, imm32 */
{
	EMIT(e, 0xb9);
	emit32(e, v);
}

static void cpuid_store(struct emit *e, uint32_t leaf, unsigned reg1, int32_t d1, unsigned reg2,
			int32_t d2)
{
	mov_eax_imm(e, leaf);
	EMIT(e, 0x31, 0xc9); /* xor ecx, ecx */
	EMIT(e, 0x0f, 0xa2); /* cpuid */
	store32(e, reg1, d1);
	if (d2 >= 0)
		store32(e, reg2, d2);
}

static void load_data_segments(struct emit *e)
{
	mov_eax_imm(e, SEL_KDATA);
	EMIT(e, 0x8e, 0xd0); /* mov ss, ax */
	mov_eax_imm(e, SEL_UDATA);
	EMIT(e, 0x8e, 0xd8); /* mov ds, ax */
	EMIT(e, 0x8e, 0xc0); /* mov es, ax */
}

/*
 * Boot, entered in Unicorn's initial UC_MODE_64 state (paging off), RBP =
 * mailbox. Returns the address where the boot ends (the "until").
 */
static uint64_t emit_boot(uint8_t *ram, enum ucref_mode mode)
{
	struct emit e = {ram + K_BOOT64, K_BOOT64};

	EMIT(&e, 0x0f, 0x01);
	modrm_rbp(&e, 2, MB_GDTR); /* lgdt [rbp+MB_GDTR] */
	cpuid_store(&e, 1, RDX, MB_ID1_EDX, RCX, MB_ID1_ECX);
	cpuid_store(&e, 7, RBX, MB_ID7_EBX, RCX, MB_ID7_ECX);
	cpuid_store(&e, 0x80000001u, RDX, MB_IDX1_EDX, 0, -1);
	cpuid_store(&e, 0x80000008u, RAX, MB_IDX8_EAX, 0, -1);
	/* 4-level (or 5-level) paging with the harness's identity tables. */
	load64(&e, RAX, MB_BOOT_CR4);
	mov_cr_eax(&e, 4);
	load64(&e, RAX, MB_BOOT_CR3);
	mov_cr_eax(&e, 3);
	mov_ecx_imm(&e, MSR_EFER);
	load32(&e, RAX, MB_BOOT_EFER);
	EMIT(&e, 0x31, 0xd2); /* xor edx, edx */
	EMIT(&e, 0x0f, 0x30); /* wrmsr */
	load64(&e, RAX, MB_BOOT_CR0);
	mov_cr_eax(&e, 0);
	/* Reload CS from our GDT: push cs; push rip; retfq. */
	EMIT(&e, 0x6a, SEL_KCODE64);
	push_mem(&e, MB_NEXT64);
	EMIT(&e, 0x48, 0xcb);
	put64(ram, MBOX_PA + MB_NEXT64, e.at);
	load_data_segments(&e);
	if (is_long(mode))
		return e.at;

	/* To a 32-bit code segment (compatibility mode), then out of long mode. */
	EMIT(&e, 0x6a, SEL_KCODE32);
	push_mem(&e, MB_NEXT32);
	EMIT(&e, 0x48, 0xcb); /* retfq */
	e = (struct emit){ram + K_BOOT32, K_BOOT32};
	put64(ram, MBOX_PA + MB_NEXT32, e.at);
	mov_eax_cr(&e, 0);
	EMIT(&e, 0x25);
	emit32(&e, ~CR0_PG); /* and eax, ~PG */
	mov_cr_eax(&e, 0);   /* paging off: leaves IA-32e mode (LMA = 0) */
	mov_ecx_imm(&e, MSR_EFER);
	EMIT(&e, 0x0f, 0x32); /* rdmsr */
	EMIT(&e, 0x25);
	emit32(&e, ~EFER_LME); /* and eax, ~LME */
	EMIT(&e, 0x0f, 0x30);  /* wrmsr */
	load32(&e, RAX, MB_CR4_32);
	mov_cr_eax(&e, 4);
	load32(&e, RAX, MB_CR3_32);
	mov_cr_eax(&e, 3);
	mov_eax_cr(&e, 0);
	EMIT(&e, 0x0d);
	emit32(&e, CR0_PG); /* or eax, PG */
	mov_cr_eax(&e, 0);
	load_data_segments(&e);
	return e.at;
}

/* The per-run prologue at K_ENTRY, RBP = mailbox, RSP = kernel stack. */
static void emit_entry(uint8_t *ram, enum ucref_mode mode)
{
	struct emit e = {ram + K_ENTRY, K_ENTRY};
	bool lm = is_long(mode);

	/* WRPKRU needs CR4.PKE = 1 (SDM Vol. 2 WRPKRU); PKRU keeps its value
	 * when PKE is cleared again. CR4.PKE can be set in any paging mode; it
	 * only has an effect in 4-/5-level paging (SDM 4.6.2). */
	(lm ? load64 : load32)(&e, RAX, MB_CR4_PKE);
	mov_cr_eax(&e, 4);
	load32(&e, RAX, MB_PKRU);
	EMIT(&e, 0x31, 0xc9);	    /* xor ecx, ecx */
	EMIT(&e, 0x31, 0xd2);	    /* xor edx, edx */
	EMIT(&e, 0x0f, 0x01, 0xef); /* wrpkru */
	(lm ? load64 : load32)(&e, RAX, MB_CR4);
	mov_cr_eax(&e, 4);
	(lm ? load64 : load32)(&e, RAX, MB_CR0);
	mov_cr_eax(&e, 0);
	mov_ecx_imm(&e, MSR_EFER);
	load32(&e, RAX, MB_EFER);
	load32(&e, RDX, MB_EFER + 4);
	EMIT(&e, 0x0f, 0x30); /* wrmsr */
	(lm ? load64 : load32)(&e, RAX, MB_CR3);
	mov_cr_eax(&e, 3); /* flushes QEMU's TLB */
	mov_eax_imm(&e, SEL_LDT);
	EMIT(&e, 0x0f, 0x00, 0xd0); /* lldt ax */
	(lm ? load64 : load32)(&e, RSI, MB_VA);
	load32(&e, RDI, MB_VALUE);
	push_mem(&e, MB_RFLAGS);
	EMIT(&e, 0x9d); /* popf */
	jmp_mem(&e, MB_TARGET);
}

/* One-instruction access routines; identical bytes in 32- and 64-bit code. */
static void emit_routines(uint8_t *ram, enum ucref_mode mode)
{
	static const uint8_t rd[] = {0x8b, 0x06}; /* mov eax, [rsi] */
	static const uint8_t wr[] = {0x89, 0x3e}; /* mov [rsi], edi */
	static const uint8_t fe[] = {0xff, 0xe6}; /* jmp rsi */
	static const uint8_t im[] = {0x8e, 0xdf}; /* mov ds, di */
	struct emit e;

	memcpy(ram + K_READ, rd, 2);
	memcpy(ram + K_WRITE, wr, 2);
	memcpy(ram + K_FETCH, fe, 2);
	memcpy(ram + K_IMPL, im, 2);
	memcpy(ram + U_READ, rd, 2);
	memcpy(ram + U_WRITE, wr, 2);
	memcpy(ram + U_FETCH, fe, 2);
	memcpy(ram + U_IMPL, im, 2);

	/* To CPL 3: push ss, rsp, rflags, cs, rip; iret. */
	e = (struct emit){ram + K_USER, K_USER};
	EMIT(&e, 0x6a, SEL_UDATA);
	push_mem(&e, MB_USP);
	push_mem(&e, MB_RFLAGS);
	EMIT(&e, 0x6a, is_long(mode) ? SEL_UCODE64 : SEL_UCODE32);
	push_mem(&e, MB_UENTRY);
	if (is_long(mode))
		EMIT(&e, 0x48, 0xcf); /* iretq */
	else
		EMIT(&e, 0xcf); /* iretd */
}

static void build_gdt(uint8_t *ram)
{
	put64(ram, GDT_PA + 0x00, 0);
	put64(ram, GDT_PA + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xa)); /* code64, DPL0, L=1 */
	put64(ram, GDT_PA + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc)); /* data, DPL0 */
	put64(ram, GDT_PA + 0x18, seg_desc(0, 0xfffff, 0x9b, 0xc)); /* code32, DPL0 */
	put64(ram, GDT_PA + 0x20, seg_desc(0, 0xfffff, 0xfb, 0xa)); /* code64, DPL3 */
	put64(ram, GDT_PA + 0x28, seg_desc(0, 0xfffff, 0xf3, 0xc)); /* data, DPL3 */
	put64(ram, GDT_PA + 0x30, seg_desc(0, 0xfffff, 0xfb, 0xc)); /* code32, DPL3 */
	/* 0x38: LDT descriptor, written per run (set_ldt). */
	put32(ram, MBOX_PA + MB_GDTR, GDT_LIMIT); /* 2-byte limit, then the base */
	put64(ram, MBOX_PA + MB_GDTR + 2, GDT_PA);
}

/* The LDT descriptor (SDM Vol. 3A 3.5, 7.2.3): type 2, P=1, limit 15 so that
 * descriptor 1 (SEL_LDT_DATA) is at base + 8. */
static void set_ldt(struct ucref *r, uint64_t base)
{
	put64(r->ram, GDT_PA + SEL_LDT, seg_desc((uint32_t)base, 0xf, 0x82, 0));
	put64(r->ram, GDT_PA + SEL_LDT + 8, base >> 32); /* IA-32e: base 63:32 */
}

static void build_tables(uint8_t *ram)
{
	const uint64_t nonleaf = E_P | E_W | E_U | E_A;

	put64(ram, PML5_PA, PML4_PA | nonleaf);
	put64(ram, PML4_PA, PDPT_PA | nonleaf);
	put64(ram, PDPT_PA, PD_PA | nonleaf);
	put64(ram, PD_PA, PT_PA | nonleaf);
	put32(ram, PD32_PA, PT32_PA | nonleaf);
	put64(ram, PAEPDPT_PA, PAEPD_PA | E_P); /* PDPTEs have no R/W, U/S, A */
	put64(ram, PAEPD_PA, PAEPT_PA | nonleaf);
	for (unsigned i = 1; i < HARNESS_PAGES; i++) {
		uint64_t pte = (uint64_t)i * PAGE | E_P | E_W | E_A | E_D;

		if (i * PAGE == UCODE_PA)
			pte |= E_U;
		put64(ram, PT_PA + 8 * i, pte);
		put64(ram, PAEPT_PA + 8 * i, pte);
		put32(ram, PT32_PA + 4 * i, (uint32_t)pte);
	}
}

static void on_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct ucref *r = opaque;

	r->exc = true;
	r->exc_vector = intno;
	r->exc_cr2 = 0;
	uc_reg_read(uc, UC_X86_REG_CR2, &r->exc_cr2);
	uc_context_save(uc, r->scratch);
	r->exc_error_code = get32((const uint8_t *)r->scratch + r->blob_off + ENV_ERRCODE);
	uc_emu_stop(uc);
}

static const uint8_t *blob(const struct ucref *r, const uc_context *ctx)
{
	return (const uint8_t *)ctx + r->blob_off;
}

/* Find CPUX86State inside a uc_context through a distinctive DR0, then check
 * the other offsets we use against known values. */
static int calibrate_blob(struct ucref *r, char *why, size_t len)
{
	const uint64_t mark = 0x5a17c0de0bad1dea;
	uint64_t zero = 0, sel;
	const uint8_t *p = (const uint8_t *)r->scratch;
	size_t found = 0, hits = 0;

	if (uc_reg_write(r->uc, UC_X86_REG_DR0, &mark) != UC_ERR_OK ||
	    uc_context_save(r->uc, r->scratch) != UC_ERR_OK)
		return fail(why, len, -EIO, "cannot write DR0 / save the context");
	for (size_t off = 0; off + 8 <= r->ctx_size; off++) {
		if (get64(p + off) == mark) {
			found = off;
			hits++;
		}
	}
	uc_reg_write(r->uc, UC_X86_REG_DR0, &zero);
	if (hits != 1 || found < ENV_DR0)
		return fail(why, len, -EPROTO,
			    "context self-check: DR0 found %zu times (at %zu); the CPUX86State "
			    "layout is not the one this harness knows (Unicorn 2.1.1)",
			    hits, found);
	r->blob_off = found - ENV_DR0;
	if ((int32_t)get32(p + r->blob_off + ENV_OLDEXC) != -1)
		return fail(why, len, -EPROTO, "context self-check: old_exception is not -1");
	/* Segment caches: CS must hold the code selector the boot loaded. */
	sel = get32(p + r->blob_off + ENV_SEG(SEG_CS));
	if (sel != (is_long(r->mode) ? SEL_KCODE64 : SEL_KCODE32) ||
	    get32(p + r->blob_off + ENV_SEG(SEG_SS)) != SEL_KDATA ||
	    get32(p + r->blob_off + ENV_SEG(SEG_DS)) != SEL_UDATA)
		return fail(why, len, -EPROTO,
			    "context self-check: segment selectors not at the expected offsets "
			    "(CS=%#llx)",
			    (unsigned long long)sel);
	return 0;
}

static void read_info(struct ucref *r)
{
	const uint8_t *mb = r->ram + MBOX_PA;
	uint32_t id1d = get32(mb + MB_ID1_EDX), id7b = get32(mb + MB_ID7_EBX);
	uint32_t id7c = get32(mb + MB_ID7_ECX), idx1d = get32(mb + MB_IDX1_EDX);

	r->info = (struct ucref_info){
	    .phys_bits = (uint8_t)get32(mb + MB_IDX8_EAX),
	    .pse = id1d >> 3 & 1,
	    .pae = id1d >> 6 & 1,
	    .pge = id1d >> 13 & 1,
	    .pse36 = id1d >> 17 & 1,
	    .smep = id7b >> 7 & 1,
	    .smap = id7b >> 20 & 1,
	    .pku = id7c >> 3 & 1,
	    .la57 = id7c >> 16 & 1,
	    .pks = id7c >> 31 & 1,
	    .nx = idx1d >> 20 & 1,
	    .gbpages = idx1d >> 26 & 1,
	    .lm = idx1d >> 29 & 1,
	};
}

void ucref_base_regs(const struct ucref *r, struct ucref_regs *regs)
{
	*regs = r->base_regs;
}

uint8_t *ucref_ram(struct ucref *r)
{
	return r->ram;
}

uint64_t ucref_root(const struct ucref *r)
{
	return r->root;
}

int ucref_map_extra(struct ucref *r, uint64_t pa, void *host, size_t size)
{
	if (pa < UCREF_RAM_SIZE || (pa | size) % PAGE || !size)
		return -EINVAL;
	return uc_mem_map_ptr(r->uc, pa, size, UC_PROT_ALL, host) == UC_ERR_OK ? 0 : -EINVAL;
}

const struct ucref_info *ucref_info(const struct ucref *r)
{
	return &r->info;
}

/* Run the self-check: one read with every optional control bit set, then
 * read the registers back. */
static int selfcheck_run(struct ucref *r, char *why, size_t len)
{
	struct ucref_access a = {.kind = UCREF_READ, .cpl = 0, .va = MBOX_PA + MB_SCRATCH};
	struct ucref_outcome o;
	uint64_t cr0 = 0, cr4 = 0;
	uc_x86_msr efer = {.rid = MSR_EFER};
	int err;

	a.regs = r->base_regs;
	a.regs.cr0 |= 1u << 16;				 /* WP */
	a.regs.cr4 |= (1u << 20) | (1u << 21) | CR4_PKE; /* SMEP, SMAP, PKE */
	a.regs.pkru = 0xfffffffcu; /* every key but 0 denied: the harness must not care */
	a.regs.efer |= 1u << 11;   /* NXE */
	put32(r->ram, MBOX_PA + MB_SCRATCH, 0x600dcafe);
	err = ucref_run(r, &a, &o, why, len);
	if (err)
		return err;
	if (o.vector || o.eax != 0x600dcafe)
		return fail(why, len, -EPROTO, "self-check read: vector %u eax %#x", o.vector,
			    o.eax);
	uc_reg_read(r->uc, UC_X86_REG_CR0, &cr0);
	uc_reg_read(r->uc, UC_X86_REG_CR4, &cr4);
	uc_reg_read(r->uc, UC_X86_REG_MSR, &efer);
	if (cr0 != a.regs.cr0 || cr4 != a.regs.cr4 ||
	    (efer.value & ~(uint64_t)EFER_LMA) != (a.regs.efer & ~(uint64_t)EFER_LMA))
		return fail(why, len, -EPROTO,
			    "self-check: registers did not stick: CR0 %#llx/%#llx CR4 %#llx/%#llx "
			    "EFER %#llx/%#llx",
			    (unsigned long long)cr0, (unsigned long long)a.regs.cr0,
			    (unsigned long long)cr4, (unsigned long long)a.regs.cr4,
			    (unsigned long long)efer.value, (unsigned long long)a.regs.efer);
	return 0;
}

int ucref_open(struct ucref **out, enum ucref_mode mode, char *why, size_t len)
{
	struct ucref *r;
	uint64_t until, rsp = KSTACK_TOP, rbp = MBOX_PA, rip;
	uc_err ue;
	int err;

	if (mode >= UCREF_MODE_COUNT)
		return fail(why, len, -EINVAL, "bad mode %d", mode);
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail(why, len, -ENOMEM, "out of memory");
	r->mode = mode;
	r->ram = aligned_alloc(PAGE, UCREF_RAM_SIZE);
	if (!r->ram) {
		err = fail(why, len, -ENOMEM, "out of memory");
		goto out_free;
	}
	memset(r->ram, 0, UCREF_RAM_SIZE);
	memset(r->ram + KCODE_PA, 0xf4, 2 * PAGE); /* hlt everywhere else in code */

	ue = uc_open(UC_ARCH_X86, UC_MODE_64, &r->uc);
	if (ue != UC_ERR_OK) {
		err = fail(why, len, -EIO, "uc_open: %s", uc_strerror(ue));
		goto out_free;
	}
	/* A model with SMEP, SMAP, PKU, 1 GiB pages and LA57; checked below
	 * through CPUID executed by the guest. */
	ue = uc_ctl_set_cpu_model(r->uc, UC_CPU_X86_ICELAKE_SERVER);
	if (ue == UC_ERR_OK)
		ue = uc_mem_map_ptr(r->uc, 0, UCREF_RAM_SIZE, UC_PROT_ALL, r->ram);
	if (ue == UC_ERR_OK)
		ue = uc_hook_add(r->uc, &r->intr_hook, UC_HOOK_INTR, (void *)on_intr, r, 1, 0);
	if (ue == UC_ERR_OK)
		ue = uc_context_alloc(r->uc, &r->base);
	if (ue == UC_ERR_OK)
		ue = uc_context_alloc(r->uc, &r->scratch);
	if (ue != UC_ERR_OK) {
		err = fail(why, len, -EIO, "unicorn set-up: %s", uc_strerror(ue));
		goto out_close;
	}
	r->ctx_size = uc_context_size(r->uc);

	build_gdt(r->ram);
	build_tables(r->ram);
	set_ldt(r, 0);
	until = emit_boot(r->ram, mode);
	emit_entry(r->ram, mode);
	emit_routines(r->ram, mode);

	put64(r->ram, MBOX_PA + MB_BOOT_CR4, CR4_PAE | (mode == UCREF_5LEVEL ? CR4_LA57 : 0));
	put64(r->ram, MBOX_PA + MB_BOOT_CR3, mode == UCREF_5LEVEL ? PML5_PA : PML4_PA);
	put64(r->ram, MBOX_PA + MB_BOOT_EFER, EFER_LME);
	put64(r->ram, MBOX_PA + MB_BOOT_CR0, CR0_PG | CR0_NE | CR0_ET | CR0_PE);
	r->base_regs = (struct ucref_regs){.cr0 = CR0_PG | CR0_NE | CR0_ET | CR0_PE};
	switch (mode) {
	case UCREF_2LEVEL:
		r->root = PD32_PA;
		break;
	case UCREF_2LEVEL_PSE:
		r->root = PD32_PA;
		r->base_regs.cr4 = CR4_PSE;
		break;
	case UCREF_PAE:
		r->root = PAEPDPT_PA;
		r->base_regs.cr4 = CR4_PAE;
		break;
	case UCREF_4LEVEL:
		r->root = PML4_PA;
		r->base_regs.cr4 = CR4_PAE;
		r->base_regs.efer = EFER_LME | EFER_LMA;
		break;
	default:
		r->root = PML5_PA;
		r->base_regs.cr4 = CR4_PAE | CR4_LA57;
		r->base_regs.efer = EFER_LME | EFER_LMA;
		break;
	}
	put64(r->ram, MBOX_PA + MB_CR4_32, r->base_regs.cr4);
	put64(r->ram, MBOX_PA + MB_CR3_32, r->root);

	uc_reg_write(r->uc, UC_X86_REG_RSP, &rsp);
	uc_reg_write(r->uc, UC_X86_REG_RBP, &rbp);
	r->exc = false;
	ue = uc_emu_start(r->uc, K_BOOT64, until, 0, 0);
	rip = 0;
	uc_reg_read(r->uc, UC_X86_REG_RIP, &rip);
	if (ue != UC_ERR_OK || r->exc || rip != until) {
		err = fail(why, len, -EIO,
			   "%s boot failed: %s, exception %d (vector %u err %#x), RIP %#llx (want "
			   "%#llx)",
			   mode_names[mode], uc_strerror(ue), r->exc, r->exc_vector,
			   r->exc_error_code, (unsigned long long)rip, (unsigned long long)until);
		goto out_close;
	}
	read_info(r);
	if (!r->info.pse || !r->info.pae || !r->info.pse36 || !r->info.nx || !r->info.lm ||
	    !r->info.smep || !r->info.smap || !r->info.pku || !r->info.gbpages ||
	    (mode == UCREF_5LEVEL && !r->info.la57)) {
		err = fail(why, len, -ENOTSUP,
			   "CPU model lacks a feature the matrix needs (pse %d pae %d pse36 %d nx "
			   "%d lm %d smep %d smap %d pku %d 1g %d la57 %d)",
			   r->info.pse, r->info.pae, r->info.pse36, r->info.nx, r->info.lm,
			   r->info.smep, r->info.smap, r->info.pku, r->info.gbpages, r->info.la57);
		goto out_close;
	}
	uc_context_save(r->uc, r->base);
	err = calibrate_blob(r, why, len);
	if (err)
		goto out_close;
	uc_context_save(r->uc, r->base); /* without the calibration's DR0 */
	err = selfcheck_run(r, why, len);
	if (err)
		goto out_close;
	*out = r;
	return 0;

out_close:
	if (r->scratch)
		uc_context_free(r->scratch);
	if (r->base)
		uc_context_free(r->base);
	uc_close(r->uc);
out_free:
	free(r->ram);
	free(r);
	return err;
}

void ucref_close(struct ucref *r)
{
	if (!r)
		return;
	uc_context_free(r->scratch);
	uc_context_free(r->base);
	uc_close(r->uc);
	free(r->ram);
	free(r);
}

int ucref_run(struct ucref *r, const struct ucref_access *a, struct ucref_outcome *o, char *why,
	      size_t len)
{
	const struct ucref_regs *g = &r->base_regs;
	const uint64_t mode_cr4 = CR4_PSE | CR4_PAE | CR4_LA57;
	uint8_t *mb = r->ram + MBOX_PA;
	uint64_t begin = K_ENTRY, until, target, uentry = 0, rip = 0;
	uc_err ue;

	if ((a->regs.cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG) ||
	    (a->regs.cr4 & mode_cr4) != (g->cr4 & mode_cr4) ||
	    (a->regs.efer & (EFER_LME | EFER_LMA)) != (g->efer & (EFER_LME | EFER_LMA)))
		return fail(why, len, -EINVAL, "registers do not select the %s mode",
			    mode_names[r->mode]);
	if ((a->cpl != 0 && a->cpl != 3) || a->kind > UCREF_IMPLICIT)
		return fail(why, len, -EINVAL, "bad access (cpl %u kind %u)", a->cpl, a->kind);
	if (!is_long(r->mode) && (a->va >> 32))
		return fail(why, len, -EINVAL, "linear address above 4 GiB in a 32-bit mode");

	switch (a->kind) {
	case UCREF_READ:
		target = K_READ;
		uentry = U_READ;
		break;
	case UCREF_WRITE:
		target = K_WRITE;
		uentry = U_WRITE;
		break;
	case UCREF_FETCH:
		target = K_FETCH;
		uentry = U_FETCH;
		break;
	default:
		target = K_IMPL;
		uentry = U_IMPL;
		set_ldt(r, a->va - 8);
		break;
	}
	until = (a->cpl ? uentry : target) + ROUTINE_LEN;
	if (a->kind == UCREF_FETCH)
		until = a->va + UCREF_FETCH_TARGET_LEN;
	if (a->cpl)
		target = K_USER;

	put64(mb, MB_CR4_PKE, a->regs.cr4 | CR4_PKE);
	put64(mb, MB_CR4, a->regs.cr4);
	put64(mb, MB_CR0, a->regs.cr0);
	put64(mb, MB_CR3, r->root);
	put64(mb, MB_EFER, a->regs.efer & ~(uint64_t)EFER_LMA);
	put64(mb, MB_PKRU, a->regs.pkru);
	put64(mb, MB_RFLAGS, RFLAGS_FIXED | (a->regs.rflags & RFLAGS_AC));
	put64(mb, MB_VA, a->va);
	put64(mb, MB_VALUE, a->kind == UCREF_IMPLICIT ? SEL_LDT_DATA : a->value);
	put64(mb, MB_TARGET, target);
	put64(mb, MB_UENTRY, uentry);
	put64(mb, MB_USP, UCODE_PA + PAGE - 16);

	uc_context_restore(r->uc, r->base);
	r->exc = false;
	ue = uc_emu_start(r->uc, begin, until, 0, 0);
	*o = (struct ucref_outcome){0};
	if (r->exc) {
		if (r->exc_vector == 0)
			return fail(why, len, -EIO, "unexpected #DE");
		o->vector = (uint8_t)r->exc_vector;
		o->error_code = r->exc_error_code;
		o->cr2 = r->exc_cr2;
		return 0;
	}
	uc_reg_read(r->uc, UC_X86_REG_RIP, &rip);
	if (ue != UC_ERR_OK || rip != until)
		return fail(why, len, -EIO, "run stopped at RIP %#llx (want %#llx): %s",
			    (unsigned long long)rip, (unsigned long long)until, uc_strerror(ue));
	uc_reg_read(r->uc, UC_X86_REG_CR2, &o->cr2);
	uc_reg_read(r->uc, UC_X86_REG_EAX, &o->eax);
	if (a->kind == UCREF_IMPLICIT) {
		uc_context_save(r->uc, r->scratch);
		o->ds_base = get64(blob(r, r->scratch) + ENV_SEG(SEG_DS) + ENV_SEG_BASE);
	}
	return 0;
}
