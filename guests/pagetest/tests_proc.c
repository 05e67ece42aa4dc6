/*
 * Checks that need CPL3 processes: demand paging with the exact CR2 and
 * error code of each first touch (SDM Vol. 3A 4.7), a user access to a
 * supervisor page, several address spaces switched through CR3 (with PCIDs
 * in 4- and 5-level paging), int 0x80, SYSCALL (64-bit) and SYSENTER
 * (32-bit), timer interrupts at
 * CPL0 and CPL3, and the fault storm.
 */
#include "pagetest.h"
#include "user.h"

/* Expected demand log of u_demand: page i first touched at offset
 * 4 + 8i, written on even i (U|W) and read on odd i (U), then the fetch
 * of the stub in the exec region (U, plus I/D when XD or SMEP is on). */
static void t_demand(void)
{
	uintptr_t st;
	uintptr_t want_fetch = PF_U | (ks.nxe || ks.smep ? PF_ID : 0);

	if (run_procs(1, u_demand, 0, false, &st))
		return t_fail("demand-paging", "out of frames");
	if (st)
		return t_fail("demand-paging", "process exit status 0x%x", (unsigned)st);
	if (flog_n != 9)
		return t_fail("demand-paging", "%u faults, want 9", flog_n);
	for (unsigned i = 0; i < 9; i++) {
		uintptr_t cr2 =
		    i < 8 ? USER_DEMAND + i * PAGE_SIZE + 4 + 8 * i : USER_EXEC + USER_EXEC_ENTRY;
		uintptr_t err = i < 8 ? (i % 2 ? PF_U : PF_U | PF_W) : want_fetch;

		if (flog[i].cr2 != cr2 || flog[i].err != err)
			return t_fail("demand-paging",
				      "fault %u: cr2 0x%lx error 0x%x, want cr2 0x%lx error 0x%x",
				      i, (unsigned long)flog[i].cr2, (unsigned)flog[i].err,
				      (unsigned long)cr2, (unsigned)err);
	}
	t_pass("demand-paging");
}

static void t_user_super(void)
{
	uintptr_t st;

	if (run_procs(1, u_kread, 0, false, &st))
		return t_fail("user-supervisor", "out of frames");
	if (st != (0x1000 | 14) || !user_fault_seen)
		return t_fail("user-supervisor", "exit status 0x%x, want #PF", (unsigned)st);
	if (user_fault_cr2 != 0x100040 || user_fault_err != (PF_P | PF_U))
		return t_fail("user-supervisor", "#PF cr2 0x%lx error 0x%x, want 0x100040 0x5",
			      (unsigned long)user_fault_cr2, (unsigned)user_fault_err);
	t_pass("user-supervisor");
}

static void t_processes(const char *name, bool pcid)
{
	uintptr_t st[3];

	if (run_procs(3, u_private, 0, pcid, st))
		return t_fail(name, "out of frames");
	for (unsigned i = 0; i < 3; i++)
		if (st[i])
			return t_fail(name, "process %u saw another's memory (status 0x%x)", i + 1,
				      (unsigned)st[i]);
	t_pass(name);
}

static void t_pcid(void)
{
#ifdef __x86_64__
	if (opt_str("pcid", &(size_t){0}) && !opt_flag("pcid"))
		return; /* pcid=0 */
	if (!feat.pcid)
		return t_skip("processes-pcid", "CPUID.1:ECX.PCID[bit 17] = 0");
	/* CR4.PCIDE may be set only with CR3[11:0] = 0 (SDM Vol. 3A 2.5). */
	write_cr3(ks.kroot);
	write_cr4(read_cr4() | CR4_PCIDE);
	ks.pcide = true;
	t_processes("processes-pcid", true);
	write_cr4(read_cr4() & ~(uintptr_t)CR4_PCIDE);
	ks.pcide = false;
#endif
}

static void t_int80(void)
{
	uintptr_t st;

	if (run_procs(1, u_noop, 0x77, false, &st))
		return t_fail("int80", "out of frames");
	if (st != 0x77)
		return t_fail("int80", "exit status 0x%x, want 0x77", (unsigned)st);
	t_pass("int80");
}

static void t_syscall(void)
{
#ifdef __x86_64__
	uintptr_t st;

	if (!feat.syscall)
		return t_skip("syscall", "CPUID.80000001H:EDX.SYSCALL[bit 11] = 0");
	arch_set_syscall(true);
	if (run_procs(1, u_syscall, 0x5a5a, false, &st))
		return t_fail("syscall", "out of frames");
	arch_set_syscall(false);
	if (st || syscall_fast_count != 2)
		return t_fail("syscall", "status 0x%x, %u SYSCALLs seen, want 0 and 2",
			      (unsigned)st, (unsigned)syscall_fast_count);
	t_pass("syscall");
#endif
}

static void t_sysenter(void)
{
#ifndef __x86_64__
	uintptr_t st;

	if (!feat.sep)
		return t_skip("sysenter", "CPUID.1:EDX.SEP[bit 11] = 0");
	arch_set_sysenter();
	if (run_procs(1, u_sysenter, 0x5a5a, false, &st))
		return t_fail("sysenter", "out of frames");
	if (st || syscall_fast_count != 2)
		return t_fail("sysenter", "status 0x%x, %u SYSENTERs seen, want 0 and 2",
			      (unsigned)st, (unsigned)syscall_fast_count);
	t_pass("sysenter");
#endif
}

/* 8254 input clock 1193182 Hz: divisor 1193 is ~1 kHz, 60 is ~20 kHz
 * (under tdpsim, whose time is 10^9 instructions a second: an interrupt
 * every ~10^6 and ~5 * 10^4 instructions). */
static void t_timer(void)
{
	uintptr_t st, n = opt_num("ticks", 50);

	ticks = 0;
	timer_start(1193);
	while (ticks < 3)
		__asm__ volatile("sti; hlt; cli");
	t_pass("timer");
	/* A faster timer while a process spins at CPL3: interrupts arrive
	 * with a privilege change (TSS stack switch) and in the kernel. */
	timer_start(60);
	if (run_procs(1, u_ticks, ticks + n, false, &st))
		return t_fail("timer-cpl3", "out of frames");
	timer_stop();
	if (st)
		return t_fail("timer-cpl3", "status 0x%x", (unsigned)st);
	t_pass("timer-cpl3");
}

static void t_storm(void)
{
	uintptr_t st, n = opt_num("storm", 0);

	if (!n)
		return;
	if (run_procs(1, u_storm, n, false, &st))
		return t_fail("fault-storm", "out of frames");
	if (st || storm_faults != n || storm_bad)
		return t_fail("fault-storm", "status 0x%x, %lu faults (want %lu), %lu unexpected",
			      (unsigned)st, (unsigned long)storm_faults, (unsigned long)n,
			      (unsigned long)storm_bad);
	t_pass("fault-storm");
}

void tests_proc(void)
{
	t_demand();
	t_user_super();
	t_processes("processes", false);
	t_pcid();
	t_int80();
	t_syscall();
	t_sysenter();
	t_timer();
	t_storm();
}
