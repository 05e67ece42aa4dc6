/*
 * The stop report of a run that cannot go on (triple fault, internal
 * error): the mode and paging mode, RIP and CS:IP, the instruction at RIP
 * disassembled with Capstone in the mode's width, every register, the
 * chain of events that led to a triple fault, and the walk that faulted
 * last, level by level.
 */
#ifndef TDPSIM_CPU_REPORT_H
#define TDPSIM_CPU_REPORT_H

#include <stdio.h>

#include "cpu/cpu.h"

/* Print the report for @what (a one-line reason: "triple fault", ...). */
void cpu_report(struct cpu *c, FILE *f, const char *what);

/* "real", "protected", "long (64-bit)", "long (compatibility)", "virtual-8086". */
const char *cpu_mode_name(struct cpu *c);

#endif
