/*
 * The plain accessor: guest table references go straight to guest RAM, with
 * no host dimension and no cost. Other accessors (2D walk, timing, tracing)
 * wrap this one.
 */
#ifndef TDPSIM_PAGING_ACCESS_RAM_H
#define TDPSIM_PAGING_ACCESS_RAM_H

#include "../cpu/ram.h"
#include "walk.h"

void pg_ram_accessor(struct pg_accessor *acc, struct cpu_ram *ram);

#endif
