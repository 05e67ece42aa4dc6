/*
 * Stopping the run from inside a hook (cpu.h: cpu_run_stop). A leaf: every
 * layer of src/cpu may ask for a stop, and none of them depends on the
 * run loop (run.c) or on the hooks (machine.c) for it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cpu/cpu.h"

void cpu_run_stop(struct cpu *c, enum cpu_stop why, const char *fmt, ...)
{
	va_list ap;

	if (!c->stop) {
		c->stop = (uint8_t)why;
		va_start(ap, fmt);
		vsnprintf(c->stop_msg, sizeof(c->stop_msg), fmt, ap);
		va_end(ap);
	}
	if (c->uc) /* a replay's CPU has no emulator */
		uc_emu_stop(c->uc);
}
