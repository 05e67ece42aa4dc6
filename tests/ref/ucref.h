/*
 * ucref: Unicorn (QEMU 5 TCG, own MMU: UC_TLB_CPU) as a reference x86 CPU for
 * paging tests.
 *
 * A handle is one emulated CPU in one guest paging mode, over 16 MiB of guest
 * RAM that the caller can read and write directly (ucref_ram()). The harness
 * owns the pages below UCREF_FREE_START and entry 0 of the top-level table
 * (ucref_root()): its code, stacks, GDT and identity mappings live there and
 * stay valid under every combination of CR0.WP, CR4.SMEP/SMAP/PKE, EFER.NXE,
 * EFLAGS.AC and PKRU. The caller builds its own translation for a test
 * address under any other top-level entry, then asks ucref_run() to perform
 * one access at CPL 0 or 3 with given paging registers, and gets back what the
 * emulated CPU did: the exception (vector, error code, CR2) or the completed
 * access.
 *
 * Every run starts from the same saved CPU state and reloads CR3, so QEMU's
 * TLB never carries a translation from one run to the next. Host writes to
 * guest RAM are seen by the next run; they never invalidate translated code,
 * so code bytes must not change once they have been executed (fetch targets
 * included: put them once, at set-up).
 *
 * Unicorn facts this relies on are in /work/shared/UNICORN.md; the offsets
 * into the CPU-state blob are checked at ucref_open() and the handle refuses
 * to open if they do not hold.
 */
#ifndef TDPSIM_TESTS_UCREF_H
#define TDPSIM_TESTS_UCREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ucref_mode {
	UCREF_2LEVEL = 0, /* 32-bit paging, CR4.PSE = 0 */
	UCREF_2LEVEL_PSE, /* 32-bit paging, CR4.PSE = 1 (4 MiB pages, PSE-36) */
	UCREF_PAE,	  /* PAE paging */
	UCREF_4LEVEL,	  /* 4-level paging */
	UCREF_5LEVEL,	  /* 5-level paging */
	UCREF_MODE_COUNT
};

#define UCREF_RAM_SIZE (16u << 20)
/* Guest-physical [UCREF_FREE_START, UCREF_RAM_SIZE) is the caller's. The
 * harness maps its own pages at linear = physical under top-level entry 0. */
#define UCREF_FREE_START 0x10000u

enum ucref_kind {
	UCREF_READ = 0, /* mov eax, [va]: a 4-byte data read */
	UCREF_WRITE,	/* mov [va], value: a 4-byte data write */
	/* jmp va. The bytes at va must be "mov eax, imm32" (ucref_put_fetch_target);
	 * the run stops after that one instruction. */
	UCREF_FETCH,
	/* mov ds, sel with an LDT whose descriptor 1 is at va (8 bytes, see
	 * ucref_data_descriptor): an implicit supervisor-mode read of va and
	 * va+4, then, if the descriptor's accessed bit was 0, an implicit
	 * supervisor-mode write of the 4 bytes at va+4 (SDM Vol. 3A 4.6, 3.4.5). */
	UCREF_IMPLICIT,
};

/* The paging registers of a run. cr0/cr4/efer must carry the bits that
 * select the handle's mode (ucref_base_regs); CR3 is always ucref_root(). */
struct ucref_regs {
	uint64_t cr0, cr4, efer;
	uint64_t rflags; /* only AC (bit 18) is taken */
	uint32_t pkru;	 /* loaded with WRPKRU (CR4.PKE is set for that, then restored) */
};

struct ucref_access {
	struct ucref_regs regs;
	uint64_t va;
	uint8_t kind;	/* enum ucref_kind */
	uint8_t cpl;	/* 0 or 3 */
	uint32_t value; /* UCREF_WRITE */
};

struct ucref_outcome {
	uint8_t vector;	     /* 0: the access completed; else the exception raised */
	uint32_t error_code; /* the exception's error code (0 if it has none) */
	uint64_t cr2;	     /* CR2 after the run; meaningful for #PF */
	uint32_t eax;	     /* READ, FETCH: EAX after the access */
	uint64_t ds_base;    /* IMPLICIT: the DS base loaded from the descriptor */
};

/* What the emulated CPU reports through CPUID (read by guest code at open). */
struct ucref_info {
	uint8_t phys_bits; /* CPUID.80000008H:EAX[7:0] (MAXPHYADDR) */
	bool pse, pae, pge, pse36, nx, gbpages, lm;
	bool smep, smap, pku, la57, pks;
};

struct ucref;

/* 0, or a negative errno with a one-line reason in @why. */
int ucref_open(struct ucref **out, enum ucref_mode mode, char *why, size_t why_len);
void ucref_close(struct ucref *r);

const char *ucref_mode_name(enum ucref_mode mode);
uint8_t *ucref_ram(struct ucref *r);
/* Physical address of the top-level table, the CR3 of every run. Entry 0 is
 * the harness's; for PAE this is the 32-byte PDPT and PDPTE 0 is the harness's. */
uint64_t ucref_root(const struct ucref *r);
const struct ucref_info *ucref_info(const struct ucref *r);
/* The register values that select the handle's mode, every optional bit
 * (WP, SMEP, SMAP, PKE, NXE, AC) clear. */
void ucref_base_regs(const struct ucref *r, struct ucref_regs *regs);

/*
 * Perform @a and report it in @o. Returns 0 whenever the CPU either completed
 * the access or raised an exception (a guest fault is data); a negative errno
 * with a reason in @why if the run could not be carried out (bad registers
 * for the mode, or the emulation stopped somewhere unexpected).
 */
int ucref_run(struct ucref *r, const struct ucref_access *a, struct ucref_outcome *o, char *why,
	      size_t why_len);

/* Map @size bytes of host memory @host (page-aligned, kept by the caller
 * until ucref_close) at guest-physical @pa, above UCREF_RAM_SIZE: for page
 * frames outside RAM, such as PSE-36 frames above 4 GiB. 0 or -EINVAL. */
int ucref_map_extra(struct ucref *r, uint64_t pa, void *host, size_t size);

/* A present, writable, DPL-3 flat data-segment descriptor with base @base,
 * accessed bit @accessed: the 8 bytes UCREF_IMPLICIT loads. */
uint64_t ucref_data_descriptor(uint32_t base, bool accessed);
/* "mov eax, imm32" at @p (5 bytes): a fetch target that leaves @marker in EAX. */
void ucref_put_fetch_target(uint8_t *p, uint32_t marker);
#define UCREF_FETCH_TARGET_LEN 5

#endif
