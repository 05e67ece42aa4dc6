/*
 * debug: the debug registers, instruction breakpoints and single-step,
 * against SDM Vol. 3A chapter 18 and Vol. 2B MOV—Move to/from Debug
 * Registers:
 *  - DR0-DR3 keep what is written; DR6 reads 1 in its fixed bits (18.2.3)
 *    and DR7 reads bit 10 as 1 (18.2.4);
 *  - with CR4.DE=0, DR4/DR5 are DR6/DR7; with CR4.DE=1 they are #UD;
 *  - DR7.GD=1: the next MOV DR is a #DB fault with DR6.BD=1, and the
 *    handler is entered with DR7.GD=0 (18.2.4);
 *  - an enabled instruction breakpoint is a #DB fault at the instruction
 *    with DR6.B0; RFLAGS.RF in the frame resumes past it once (18.3.1.1);
 *  - RFLAGS.TF: a #DB trap after each instruction that began with TF=1,
 *    with DR6.BS (18.3.1.4): 5 traps over the 6 instructions below;
 *  - INT1 (F1): a #DB trap after it, DR6 unchanged.
 * With the option "databp", a write breakpoint on a variable must give a
 * #DB trap after the store with DR6.B0 (18.3.1.2). tdpsim does not model
 * data breakpoints: it stops with a report (exit status 2) when the
 * guest enables one, and tests/test_guest_pc.c checks exactly that.
 */
#include "pc.h"

#define NOFAULT PC_NOFAULT
#define CR4_DE (1u << 3)
#define RFLAGS_TF (1u << 8)
#define RFLAGS_RF (1u << 16)
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR7_GD (1u << 13)

#define RD_DR(n)                                                                                   \
	({                                                                                         \
		uint32_t v_;                                                                       \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v_));                                \
		v_;                                                                                \
	})
#define WR_DR(n, v) __asm__ volatile("mov %0, %%dr" #n : : "r"((uint32_t)(v)) : "memory")

static volatile uint32_t db_dr6, db_eip, ndb;

/* Faults: pc_catch, and for #DB what DR6 says. */
static void catcher(struct pc_frame *f)
{
	if (f->vec == 1) {
		db_dr6 = RD_DR(6);
		db_eip = f->eip;
	}
	pc_catch(f);
}

/* PC_TRY for a MOV DR that writes or reads EAX. */
#define TRY(insn)                                                                                  \
	({                                                                                         \
		pc_caught = PC_NOFAULT;                                                            \
		__asm__ volatile("movl $1f, %[r]\n\t" insn "\n1:" : [r] "=m"(pc_resume) : : "memory", \
				 "eax");                                                           \
		pc_caught;                                                                         \
	})


static void check_registers(void)
{
	uint32_t a[4];

	WR_DR(0, 0x12345678);
	WR_DR(1, 0x9abcdef0);
	WR_DR(2, 0x0badf00d);
	WR_DR(3, 0xfffff000);
	a[0] = RD_DR(0), a[1] = RD_DR(1), a[2] = RD_DR(2), a[3] = RD_DR(3);
	pc_check(a[0] == 0x12345678 && a[1] == 0x9abcdef0 && a[2] == 0x0badf00d &&
			 a[3] == 0xfffff000,
		 "dr0-dr3-round-trip", "%x %x %x %x", a[0], a[1], a[2], a[3]);
	WR_DR(6, 0);
	pc_check(RD_DR(6) == 0xffff0ff0, "dr6-fixed-bits", "DR6 %x", RD_DR(6));
	WR_DR(7, 0);
	pc_check(RD_DR(7) == 0x400, "dr7-fixed-bits", "DR7 %x", RD_DR(7));

	/* CR4.DE=0: DR4 and DR5 are DR6 and DR7. */
	wr_cr4(rd_cr4() & ~CR4_DE);
	WR_DR(6, 0x1);
	WR_DR(5, 0);
	pc_check(RD_DR(4) == RD_DR(6) && (RD_DR(4) & 0xf) == 1 && RD_DR(5) == 0x400,
		 "dr4-dr5-alias-without-de", "DR4 %x DR6 %x DR5 %x", RD_DR(4), RD_DR(6), RD_DR(5));
	WR_DR(6, 0);

	/* CR4.DE=1: #UD, reading or writing. */
	wr_cr4(rd_cr4() | CR4_DE);
	unsigned r4 = TRY("mov %%dr4, %%eax"), w5 = TRY("mov %%eax, %%dr5");
	wr_cr4(rd_cr4() & ~CR4_DE);
	pc_check(r4 == 6 && w5 == 6, "dr4-dr5-ud-with-de", "vectors %x %x", r4, w5);
}

static void check_gd(void)
{
	unsigned v;

	WR_DR(6, 0);
	WR_DR(7, DR7_GD);
	v = TRY("mov %%dr0, %%eax");
	if (v == NOFAULT) {
		/* QEMU's helper_get_dr/helper_set_dr never look at GD. */
		WR_DR(7, 0);
		pc_deviation("dr7-gd-db-with-bd", "QEMU's TCG ignores DR7.GD (no general-detect "
						  "#DB)");
		pc_deviation("dr7-gd-cleared", "QEMU's TCG ignores DR7.GD");
	} else {
		pc_check(v == 1 && (db_dr6 & DR6_BD), "dr7-gd-db-with-bd", "vector %x DR6 %x", v,
			 db_dr6);
		pc_check(RD_DR(7) == 0x400, "dr7-gd-cleared", "DR7 %x", RD_DR(7));
	}
	WR_DR(6, 0);
}

/* The breakpoint target: a real function at a known address. */
__attribute__((noinline)) static unsigned bp_target(unsigned x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static void bp_handler(struct pc_frame *f)
{
	ndb++;
	db_dr6 = RD_DR(6);
	db_eip = f->eip;
	f->eflags |= RFLAGS_RF; /* resume: the instruction runs once */
}

static void check_instruction_bp(void)
{
	uint32_t target = (uint32_t)(uintptr_t)bp_target;
	unsigned r;

	pc_set_handler(1, bp_handler);
	ndb = 0;
	WR_DR(1, 0x11111111); /* DR1-3 match nothing */
	WR_DR(2, 0x22222222);
	WR_DR(3, 0x33333333);
	WR_DR(6, 0);
	WR_DR(0, target);
	WR_DR(7, 0x1); /* L0, R/W0 = 00 (execution), LEN0 = 00 */
	r = bp_target(41);
	pc_check(ndb == 1 && r == 42, "bp-exec-db-once", "%u #DB, result %u", ndb, r);
	pc_check(db_eip == target, "bp-exec-fault-at-target", "EIP %x, target %x", db_eip, target);
	pc_check((db_dr6 & 0xf) == 1, "bp-exec-dr6-b0", "DR6 %x", db_dr6);
	r = bp_target(1);
	pc_check(ndb == 2 && r == 2, "bp-exec-again-after-rf", "%u #DB", ndb);
	WR_DR(7, 0);
	bp_target(0);
	pc_check(ndb == 2, "bp-exec-disabled", "%u #DB", ndb);
	WR_DR(6, 0);
	WR_DR(0, 0);
	pc_set_handler(1, catcher);
}

static volatile uint32_t ss_bs;

static void ss_handler(struct pc_frame *f)
{
	ndb++;
	if (RD_DR(6) & DR6_BS)
		ss_bs++;
	WR_DR(6, 0);
}

static void check_single_step(void)
{
	pc_set_handler(1, ss_handler);
	ndb = ss_bs = 0;
	WR_DR(6, 0);
	/* TF goes on with the first POPF (no trap after it: TF was 0 when it
	 * began), then traps after NOP, NOP, PUSHF, AND and the POPF that
	 * clears it. */
	__asm__ volatile("pushf\n\t"
			 "orl $0x100, (%%esp)\n\t"
			 "popf\n\t"
			 "nop\n\t"
			 "nop\n\t"
			 "pushf\n\t"
			 "andl $~0x100, (%%esp)\n\t"
			 "popf\n\t" ::
				 : "memory", "cc");
	pc_check(ndb == 5, "single-step-traps", "%u #DB", ndb);
	pc_check(ss_bs == ndb, "single-step-dr6-bs", "%u of %u with BS", ss_bs, ndb);
	/* MOV DR under TF traps like any instruction. */
	ndb = ss_bs = 0;
	__asm__ volatile("pushf\n\t"
			 "orl $0x100, (%%esp)\n\t"
			 "popf\n\t"
			 "mov %%dr0, %%eax\n\t"
			 "mov %%eax, %%dr1\n\t"
			 "pushf\n\t"
			 "andl $~0x100, (%%esp)\n\t"
			 "popf\n\t" ::
				 : "memory", "cc", "eax");
	pc_check(ndb == 5 && ss_bs == 5, "single-step-mov-dr", "%u #DB, %u with BS", ndb, ss_bs);
	pc_set_handler(1, catcher);
}

static void int1_handler(struct pc_frame *f)
{
	ndb++;
	db_dr6 = RD_DR(6);
	db_eip = f->eip;
}

/* INT1 (ICEBP, F1): a #DB trap, RIP after it, DR6 as it was (Vol. 2A INT
 * n/INTO/INT3/INT1; 18.2.3: no DR6 bit reports it). */
static void check_int1(bool tcg)
{
	uint32_t after;

	if (tcg) {
		pc_deviation("int1-db-trap", "not tried: QEMU 7.2's TCG does not deliver ICEBP "
					     "as a #DB trap (the kernel's flow breaks)");
		pc_deviation("int1-dr6-unchanged", "not tried (ICEBP)");
		return;
	}
	pc_set_handler(1, int1_handler);
	ndb = 0;
	WR_DR(6, 0);
	__asm__ volatile(".byte 0xf1\n"
			 "1:\tmovl $1b, %0"
			 : "=r"(after)
			 :
			 : "memory");
	pc_check(ndb == 1 && db_eip == after, "int1-db-trap", "%u #DB, EIP %x, want %x", ndb,
		 db_eip, after);
	pc_check(db_dr6 == 0xffff0ff0, "int1-dr6-unchanged", "DR6 %x", db_dr6);
	pc_set_handler(1, catcher);
}

static volatile uint32_t watched;

static void data_handler(struct pc_frame *f)
{
	ndb++;
	db_dr6 = RD_DR(6);
	db_eip = f->eip;
}

static void check_data_bp(void)
{
	uint32_t after;

	pc_set_handler(1, data_handler);
	ndb = 0;
	WR_DR(6, 0);
	WR_DR(0, (uint32_t)(uintptr_t)&watched);
	WR_DR(7, 0x1 | (1u << 16) | (3u << 18)); /* L0, write, 4 bytes */
	__asm__ volatile("movl $7, %0\n"
			 "1:\tmovl $1b, %1"
			 : "=m"(watched), "=r"(after)
			 :
			 : "memory");
	WR_DR(7, 0);
	pc_check(ndb == 1 && (db_dr6 & 0xf) == 1, "bp-data-write-db-b0", "%u #DB, DR6 %x", ndb,
		 db_dr6);
	pc_check(db_eip == after, "bp-data-write-trap-after-store", "EIP %x, want %x", db_eip,
		 after);
	pc_set_handler(1, catcher);
}

void test_main(void)
{
	pc_set_handler(1, catcher);
	pc_set_handler(6, catcher);
	pc_set_handler(13, catcher);
	check_registers();
	check_gd();
	check_instruction_bp();
	check_single_step();
	check_int1(pc_qemu_tcg());
	if (opt_flag("databp"))
		check_data_bp();
}
