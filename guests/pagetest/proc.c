/*
 * CPL3 processes: each has its own root table (the kernel's identity map,
 * the user code, a stack) and is switched to through CR3, with PCIDs and
 * no-flush loads when asked (SDM Vol. 3A 4.10.1, 4.10.4.1). User data and
 * code pages are mapped on first touch by the #PF handler, which checks
 * CR2 and the error code. Scheduling is cooperative (SYS_YIELD), so the
 * order of everything a process does is fixed.
 */
#include "pagetest.h"
#include "user.h"

static struct proc procs[MAX_PROCS];
static unsigned nprocs, cur;
static bool use_pcid;
static void *sched_jb[5];

struct flog flog[FLOG_MAX];
unsigned flog_n;
uintptr_t storm_faults, storm_bad, syscall_fast_count;
uintptr_t user_fault_cr2, user_fault_err;
bool user_fault_seen;

static int proc_create(struct proc *p, unsigned pid, void (*entry)(void), uintptr_t arg)
{
	uintptr_t ut = (uintptr_t)__utext_start;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->arg = arg;
	p->root = pt_new_root();
	if (!p->root || pt_map_identity(p->root, IDENT_SIZE, ks.large, 0))
		return -1;
	for (uintptr_t a = ut; a < (uintptr_t)__utext_end; a += PAGE_SIZE)
		if (pt_map(p->root, USER_CODE + (a - ut), a, 1, PTE_P | PTE_U))
			return -1;
	for (unsigned i = 1; i <= 2; i++) {
		uintptr_t f = frame_alloc();

		if (!f || pt_map(p->root, USER_STACK - i * PAGE_SIZE, f, 1,
				 PTE_P | PTE_W | PTE_U | data_flags()))
			return -1;
	}
	p->f.ip = USER_CODE + ((uintptr_t)entry - ut);
	p->f.cs = SEL_UCODE;
	p->f.flags = FL_IF | 2; /* bit 1 is always 1 */
	p->f.sp = USER_STACK - sizeof(uintptr_t);
	p->f.ss = SEL_UDATA;
	p->live = true;
	return 0;
}

static void switch_to(struct proc *p)
{
	uint64_t cr3 = p->root;

	if (use_pcid) {
		cr3 |= p->pid;
		if (p->ran)
			cr3 |= CR3_NOFLUSH;
	}
	p->ran = true;
	write_cr3((uintptr_t)cr3);
}

/* Resume the next live process after cur through @f, or go back to
 * run_procs when none is left. */
static void schedule_next(struct frame *f)
{
	for (unsigned k = 1; k <= nprocs; k++) {
		unsigned n = (cur + k) % nprocs;

		if (procs[n].live) {
			cur = n;
			switch_to(&procs[n]);
			*f = procs[n].f;
			return;
		}
	}
	__builtin_longjmp(sched_jb, 1);
}

int run_procs(unsigned n, void (*entry)(void), uintptr_t arg, bool pcid, uintptr_t *status)
{
	uintptr_t mark = frame_mark();
	struct frame *kf;
	int rc = 0;

	nprocs = n;
	flog_n = 0;
	storm_faults = storm_bad = syscall_fast_count = 0;
	user_fault_seen = false;
	user_fault_cr2 = user_fault_err = 0;
	use_pcid = pcid;
	for (unsigned i = 0; i < n; i++)
		if (proc_create(&procs[i], i + 1, entry, arg)) {
			rc = -1;
			goto out;
		}
	if (!__builtin_setjmp(sched_jb)) {
		cur = 0;
		kf = (struct frame *)(kstack_top - sizeof(struct frame));
		switch_to(&procs[0]);
		*kf = procs[0].f;
		frame_enter(kf);
	}
	write_cr3(ks.kroot); /* PCID 0, flushed */
	for (unsigned i = 0; i < n; i++)
		status[i] = procs[i].status;
out:
	frame_release(mark);
	return rc;
}

void proc_trap(struct frame *f)
{
	struct proc *p = &procs[cur];

	user_fault_seen = true;
	user_fault_cr2 = f->vector == 14 ? read_cr2() : 0;
	user_fault_err = f->err;
	p->live = false;
	p->status = 0x1000 | f->vector;
	schedule_next(f);
}

static void storm_unmap(struct proc *p)
{
	for (unsigned s = 0; s < USER_STORM_PAGES; s++) {
		uintptr_t va = USER_STORM + s * PAGE_SIZE;
		uint64_t e = pt_unmap(p->root, va);

		if (e & PTE_P) {
			frame_free((uintptr_t)pte_addr(e));
			invlpg(va);
		}
	}
}

void proc_syscall(struct frame *f)
{
	struct proc *p = &procs[cur];

	if (f->vector == VEC_SYSCALL || f->vector == VEC_SYSENTER)
		syscall_fast_count++;
	switch (f->ax) {
	case SYS_EXIT:
		p->live = false;
		p->status = f->dx;
		schedule_next(f);
		return;
	case SYS_YIELD:
		p->f = *f;
		schedule_next(f);
		return;
	case SYS_GETPID:
		f->ax = p->pid;
		return;
	case SYS_GETARG:
		f->ax = p->arg;
		return;
	case SYS_STORM_UNMAP:
		storm_unmap(p);
		f->ax = 0;
		return;
	case SYS_TICKS:
		f->ax = ticks;
		return;
	default:
		f->ax = (uintptr_t)-1;
		return;
	}
}

static bool in(uintptr_t a, uintptr_t base, unsigned pages)
{
	return a >= base && a - base < pages * PAGE_SIZE;
}

/* A #PF from CPL3: map the page if it is a demand page not yet present.
 * Returns false for anything else (the process is then ended). */
bool proc_fault(struct frame *f, uintptr_t cr2)
{
	struct proc *p = &procs[cur];
	uintptr_t page = cr2 & ~(uintptr_t)(PAGE_SIZE - 1), fr;
	uint64_t flags;

	if (f->err & PF_P)
		return false;
	if (in(cr2, USER_DEMAND, USER_DEMAND_PAGES) || in(cr2, USER_EXEC, 1)) {
		if (flog_n < FLOG_MAX)
			flog[flog_n] = (struct flog){cr2, f->err};
		flog_n++;
		flags =
		    in(cr2, USER_EXEC, 1) ? PTE_P | PTE_U : PTE_P | PTE_W | PTE_U | data_flags();
	} else if (in(cr2, USER_STORM, USER_STORM_PAGES)) {
		uintptr_t want = USER_STORM + (storm_faults % USER_STORM_PAGES) * PAGE_SIZE + 0x10;

		if (cr2 != want || f->err != (PF_U | PF_W))
			storm_bad++;
		storm_faults++;
		flags = PTE_P | PTE_W | PTE_U | data_flags();
	} else {
		return false;
	}
	fr = frame_alloc();
	if (!fr)
		return false;
	if (in(cr2, USER_EXEC, 1))
		put_stub(fr + USER_EXEC_ENTRY);
	if (pt_map(p->root, page, fr, 1, flags)) {
		frame_free(fr);
		return false;
	}
	return true;
}
