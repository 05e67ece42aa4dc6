/*
 * smcalias: code rewritten through a second linear address of the same
 * physical page. Linux does this whenever it patches its text: text_poke
 * maps the page at a second address and copies the new bytes there, with
 * memcpy, whose own code may be on the page it writes.
 *
 * 2-level paging with 4 KiB pages: the first 4 MiB are identity-mapped,
 * and the page `code` appears a second time at ALIAS. Functions are
 * written into the page at run time and called through either address.
 *
 * Checks (64 rounds each, every round a new immediate):
 *  - alias-write-then-call: "mov eax, imm32; ret" runs through the
 *    identity address, its immediate is rewritten through ALIAS (then
 *    CPUID, the serializing instruction SDM Vol. 3A 8.1.3 asks for when
 *    code is modified through another linear address), and the call
 *    returns the new immediate;
 *  - alias-call-write-direct: the same with the roles swapped: the code
 *    runs at ALIAS and is rewritten through the identity address;
 *  - both-addresses: one function called at both addresses, rewritten
 *    through one: both calls return the new immediate;
 *  - alias-write-in-block: "mov [ecx], edx; mov eax, imm32; ret", where
 *    ECX is the ALIAS address of the immediate of the instruction that
 *    follows the store in the same block: the store rewrites code the
 *    CPU has already fetched, with no serializing instruction between
 *    (memcpy patching its own page does so). The SDM guarantees
 *    nothing here for a store through another linear address; a CPU that
 *    detects self-modifying code by physical address (QEMU's TCG does)
 *    runs the new immediate, and so must tdpsim, under every model alike.
 */
#include "pc.h"

#define ROUNDS	 64
#define ALIAS	 0x40000000u
#define CR0_PG	 (1u << 31)
#define PTE_P_RW 0x3u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
static uint32_t pt_alias[1024] __attribute__((aligned(4096)));
static uint8_t code[4096] __attribute__((aligned(4096)));

/* Offsets of the functions in the page. */
#define F_DIRECT 0x000
#define F_ALIAS	 0x100
#define F_BOTH	 0x200
#define F_BLOCK	 0x300

static inline uint8_t *at_direct(unsigned off)
{
	return code + off;
}

static inline uint8_t *at_alias(unsigned off)
{
	return (uint8_t *)(uintptr_t)(ALIAS + off);
}

static void serialize(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

/* "mov eax, @imm; ret" at @dst. */
static void put_fn(volatile uint8_t *dst, uint32_t imm)
{
	dst[0] = 0xb8;
	dst[1] = (uint8_t)imm;
	dst[2] = (uint8_t)(imm >> 8);
	dst[3] = (uint8_t)(imm >> 16);
	dst[4] = (uint8_t)(imm >> 24);
	dst[5] = 0xc3;
	serialize();
}

static void put_imm(volatile uint8_t *fn, uint32_t imm)
{
	*(volatile uint32_t *)(fn + 1) = imm;
	serialize();
}

static uint32_t call_fn(const uint8_t *fn)
{
	uint32_t v;

	__asm__ volatile("call *%1" : "=a"(v) : "r"(fn) : "ecx", "edx", "memory");
	return v;
}

static void map(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pt_low[i] = (i << 12) | PTE_P_RW;
	pt_alias[0] = (uint32_t)(uintptr_t)code | PTE_P_RW;
	pd[0] = (uint32_t)(uintptr_t)pt_low | PTE_P_RW;
	pd[ALIAS >> 22] = (uint32_t)(uintptr_t)pt_alias | PTE_P_RW;
	wr_cr3((uint32_t)(uintptr_t)pd);
	wr_cr0(rd_cr0() | CR0_PG);
}

static uint32_t imm_of(unsigned round, unsigned salt)
{
	return 0x01000000u * salt + 0x1000u * round + 7;
}

/* Call @run_at, rewrite through @write_at, call again: each call returns
 * the immediate last written. */
static void check_write_then_call(const char *name, uint8_t *run_at, uint8_t *write_at,
				  unsigned salt)
{
	unsigned bad = 0, first = 0;

	put_fn(write_at, imm_of(0, salt));
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t before = call_fn(run_at), want = imm_of(i + 1, salt);

		put_imm(write_at, want);
		if ((before != imm_of(i, salt) || call_fn(run_at) != want) && !bad++)
			first = i;
	}
	pc_check(!bad, name, "%u of %u rounds ran old code (first: %u)", bad, ROUNDS, first);
}

static void check_both_addresses(void)
{
	unsigned bad = 0, first = 0;

	put_fn(at_direct(F_BOTH), imm_of(0, 3));
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t want = imm_of(i + 1, 3);

		call_fn(at_direct(F_BOTH));
		call_fn(at_alias(F_BOTH));
		put_imm(i & 1 ? at_alias(F_BOTH) : at_direct(F_BOTH), want);
		if ((call_fn(at_direct(F_BOTH)) != want || call_fn(at_alias(F_BOTH)) != want) &&
		    !bad++)
			first = i;
	}
	pc_check(!bad, "both-addresses", "%u of %u rounds ran old code (first: %u)", bad, ROUNDS,
		 first);
}

/* mov [ecx], edx; mov eax, imm32; ret: the store writes the immediate. */
static void check_write_in_block(void)
{
	volatile uint8_t *f = at_direct(F_BLOCK);
	unsigned bad = 0, first = 0;

	f[0] = 0x89;
	f[1] = 0x11;
	f[2] = 0xb8;
	*(volatile uint32_t *)(f + 3) = imm_of(0, 4);
	f[7] = 0xc3;
	serialize();
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t want = imm_of(i + 1, 4), v;

		__asm__ volatile("call *%1"
				 : "=a"(v)
				 : "r"(f), "c"(at_alias(F_BLOCK + 3)), "d"(want)
				 : "memory");
		if (v != want && !bad++)
			first = i;
	}
	pc_check(!bad, "alias-write-in-block", "%u of %u calls ran old code (first: %u)", bad,
		 ROUNDS, first);
}

void test_main(void)
{
	map();
	check_write_then_call("alias-write-then-call", at_direct(F_DIRECT), at_alias(F_DIRECT), 1);
	check_write_then_call("alias-call-write-direct", at_alias(F_ALIAS), at_direct(F_ALIAS), 2);
	check_both_addresses();
	check_write_in_block();
}
