/*
 * smc: code that changes under the emulator, and interrupts that arrive
 * after an RDTSC. tdpsim decodes each block once and hooks the addresses
 * of RDTSC, RDMSR and WRMSR to give them its own values; what it decoded
 * must follow the bytes, never the address alone (Linux patches its own
 * text at boot: alternatives, returns, static calls).
 *
 * Checks (SDM Vol. 3A 8.1.3: a store to code followed by a jump to it
 * executes the new bytes):
 *  - rewrite-one-address: a 6-byte function "mov eax, imm32; ret" is
 *    rewritten and called 64 times; each call returns its own immediate;
 *  - rdtsc-rewritten-away: "rdtsc; nop; nop; ret" runs, then the same
 *    bytes become "xor eax, eax; xor edx, edx; ret": the call returns 0,
 *    not a time stamp;
 *  - rdtsc-rewritten-in: at another address, "xor; xor; ret" runs first,
 *    then becomes "rdtsc; nop; nop; ret": the value lies between the
 *    RDTSCs just before and after the call (the emulator's own TSC, not
 *    another clock);
 *  - irq-after-rdtsc: with the PIT interrupting every 50 ticks, a loop of
 *    three blocks (RDTSC then an increment; an increment; an increment and
 *    the loop branch) runs 200,000 times: each counter ends at exactly
 *    200,000, so no interrupt returned into code that had already run.
 *    Under QEMU the PIT runs on the host's clock, and a loaded host can
 *    finish the loop before the first tick: the loop is then run again,
 *    up to MAX_ROUNDS times, until a tick has come (tdpsim's virtual PIT
 *    always ticks in the first round).
 */
#include "pc.h"

#define ROUNDS	   64
#define LOOPS	   200000u
#define PIT_COUNT  50
#define MAX_ROUNDS 1000u

static uint8_t fn_a[16] __attribute__((aligned(16)));
static uint8_t fn_b[16] __attribute__((aligned(16)));
static uint8_t fn_c[16] __attribute__((aligned(16)));

static const uint8_t code_rdtsc[5] = {0x0f, 0x31, 0x90, 0x90, 0xc3}; /* rdtsc; nop; nop; ret */
static const uint8_t code_zero[5] = {0x31, 0xc0, 0x31, 0xd2, 0xc3};  /* xor eax/edx; ret */

static void put(volatile uint8_t *dst, const uint8_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
	/* A serializing instruction after the store, as the SDM asks of
	 * cross-modifying code (and Linux's text_poke does): CPUID. */
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

static uint64_t call64(const uint8_t *fn)
{
	uint32_t lo, hi;

	__asm__ volatile("call *%2" : "=a"(lo), "=d"(hi) : "r"(fn) : "ecx", "memory");
	return (uint64_t)hi << 32 | lo;
}

static void check_rewrite(void)
{
	unsigned bad = 0, first = 0;

	for (unsigned i = 0; i < ROUNDS; i++) {
		uint32_t imm = 0x1000u * i + 7;
		uint8_t code[6] = {0xb8, (uint8_t)imm, (uint8_t)(imm >> 8), (uint8_t)(imm >> 16),
				   (uint8_t)(imm >> 24), 0xc3};

		put(fn_a, code, sizeof(code));
		if ((uint32_t)call64(fn_a) != imm && !bad++)
			first = i;
	}
	pc_check(!bad, "rewrite-one-address", "%u of %u calls ran old code (first: %u)", bad,
		 ROUNDS, first);
}

/* Call @fn, which runs RDTSC: its value lies between the RDTSCs just
 * before and after the call. */
static void check_tsc_call(const uint8_t *fn, const char *name)
{
	uint64_t t0 = rdtsc(), v = call64(fn), t1 = rdtsc();

	pc_check(t0 <= v && v <= t1, name, "tsc %llx not in [%llx, %llx]", (unsigned long long)v,
		 (unsigned long long)t0, (unsigned long long)t1);
}

static void check_rdtsc_sites(void)
{
	uint64_t v;

	put(fn_b, code_rdtsc, sizeof(code_rdtsc));
	check_tsc_call(fn_b, "rdtsc-in-called-code");
	put(fn_b, code_zero, sizeof(code_zero));
	v = call64(fn_b);
	pc_check(v == 0, "rdtsc-rewritten-away", "returned %llx", (unsigned long long)v);

	put(fn_c, code_zero, sizeof(code_zero));
	v = call64(fn_c);
	pc_check(v == 0, "zero-code", "returned %llx", (unsigned long long)v);
	put(fn_c, code_rdtsc, sizeof(code_rdtsc));
	check_tsc_call(fn_c, "rdtsc-rewritten-in");
}

static volatile unsigned nticks;

static void tick(struct pc_frame *f)
{
	nticks++;
	pic_eoi(0);
}

static void check_irq_after_rdtsc(void)
{
	uint32_t a = 0, b = 0, c = 0, rounds = 0;

	pc_set_handler(0x20, tick);
	outb(0x43, 0x34); /* channel 0, LSB then MSB, mode 2 */
	outb(0x40, PIT_COUNT);
	outb(0x40, 0);
	pic_unmask(0);
	do {
		uint32_t n = LOOPS;

		/* Three blocks per iteration; RDTSC's EDX:EAX are thrown away. */
		__asm__ volatile("sti\n"
				 "1: rdtsc\n"
				 "   inc %0\n"
				 "   jmp 2f\n"
				 "2: inc %1\n"
				 "   jmp 3f\n"
				 "3: inc %2\n"
				 "   dec %3\n"
				 "   jnz 1b\n"
				 "   cli\n"
				 : "+r"(a), "+r"(b), "+r"(c), "+r"(n)
				 :
				 : "eax", "edx", "memory", "cc");
		rounds++;
	} while (nticks == 0 && rounds < MAX_ROUNDS);
	outb(0x21, inb(0x21) | 1);
	pc_check(a == LOOPS * rounds && b == LOOPS * rounds && c == LOOPS * rounds,
		 "irq-after-rdtsc", "counters %u %u %u, want %u (%u interrupts)", a, b, c,
		 LOOPS * rounds, nticks);
	pc_check(nticks > 0, "irq-after-rdtsc-interrupted", "no timer interrupt in the loop");
}

void test_main(void)
{
	check_rewrite();
	check_rdtsc_sites();
	check_irq_after_rdtsc();
}
