/*
 * The fast system-call instructions (SDM Vol. 2B SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT). Unicorn 2.1.1 replaces SYSCALL and SYSENTER by their
 * UC_HOOK_INSN callbacks and does not execute them; tdpsim emulates them
 * here. SYSRET and SYSEXIT run natively (sysent.c says how that was
 * checked).
 *
 * @in_hook: called from the instruction hook, where RIP is the instruction
 * itself and Unicorn adds 2 (the instruction length) to RIP after the hook
 * returns; otherwise called after uc_emu_stop() from the hook made
 * uc_emu_start return, with RIP already past the instruction.
 *
 * SYSENTER in 64-bit mode never reaches the hook: Unicorn's internal CPU
 * (qemu64) is an AMD part, so QEMU's decoder makes SYSENTER/SYSEXIT #UD in
 * 64-bit code (compatibility mode and legacy mode are fine).
 *
 * A faulting instruction (#UD: SYSCALL with EFER.SCE=0 or SYSENTER outside
 * protected mode; #GP(0): SYSENTER with IA32_SYSENTER_CS = 0) is delivered
 * through cpu_deliver(). Returns 0, CPU_TRIPLE_FAULT or a negative errno.
 */
#ifndef TDPSIM_CPU_SYSENT_H
#define TDPSIM_CPU_SYSENT_H

#include <stdbool.h>

#include "cpu/cpu.h"

int cpu_syscall(struct cpu *c, bool in_hook);
int cpu_sysenter(struct cpu *c, bool in_hook);


#endif
