/*
 * Every exception, interrupt and system call lands in trap(): the timer
 * (IRQ0) counts ticks; #PF at CPL0 inside a probe is caught; traps from
 * CPL3 and int 0x80 go to the process layer (proc.c); #DF and anything
 * unexpected prints FAIL and exits, so a storm that ends in #DF cannot
 * pass.
 */
#include "pagetest.h"

bool probe_catch(uintptr_t cr2, uintptr_t err);

#define VEC_DF	  8
#define VEC_PF	  14
#define VEC_IRQ0  0x20
#define VEC_IRQ7  0x27 /* spurious master IRQ */
#define VEC_IRQ15 0x2F /* spurious slave IRQ */
#define VEC_INT80 0x80

static __attribute__((noreturn)) void die(const char *what, struct frame *f, uintptr_t cr2)
{
	t_fail(what, "vector %u error 0x%x at %s rip 0x%lx cr2 0x%lx", (unsigned)f->vector,
	       (unsigned)f->err, (f->cs & 3) ? "CPL3" : "CPL0", (unsigned long)f->ip,
	       (unsigned long)cr2);
	con_printf("SUMMARY pagetest mode=%s: aborted\n", ks.mode);
	guest_exit(1);
}

void trap(struct frame *f)
{
	uintptr_t cr2;

	switch (f->vector) {
	case VEC_IRQ0:
		ticks++;
		outb(0x20, 0x20); /* OCW2: non-specific EOI */
		return;
	case VEC_IRQ7:
	case VEC_IRQ15:
		return; /* spurious: no EOI (8259A data sheet) */
	case VEC_INT80:
	case VEC_SYSCALL:
	case VEC_SYSENTER:
		proc_syscall(f);
		return;
	case VEC_DF:
		die("double-fault", f, read_cr2());
	case VEC_PF:
		cr2 = read_cr2();
		if (!(f->cs & 3)) {
			probe_catch(cr2, f->err); /* does not return if a probe runs */
			die("kernel-page-fault", f, cr2);
		}
		if (proc_fault(f, cr2))
			return;
		proc_trap(f);
		return;
	default:
		if (f->cs & 3) {
			proc_trap(f);
			return;
		}
		die("unexpected-exception", f, read_cr2());
	}
}
