/*
 * A flat-RAM fixture shared by the walker's unit tests (test_formats.c,
 * test_npt.c): 4 MiB of RAM, the accessor over it, the most permissive CPU
 * model with MAXPHYADDR 46, and the paging registers of each mode (SDM
 * Vol. 3A Table 4-1). Header-only: each test program includes it once.
 */
#ifndef TDPSIM_TESTS_FIXTURE_RAM_H
#define TDPSIM_TESTS_FIXTURE_RAM_H

#include <glib.h>

#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/mmu.h"
#include "paging/walk.h"

#define RAM_SIZE (4u << 20)

struct fx {
	struct cpu_ram ram;
	struct pg_accessor acc;
	struct pg_cpu cpu;
	struct pg_regs regs; /* test_npt: the host's hCR0/hCR4/hEFER, nCR3 in cr3 */
	struct pg_mmu mmu;
	struct pg_walk w;
};

static inline void fx_init(struct fx *f)
{
	g_assert_cmpint(cpu_ram_init(&f->ram, RAM_SIZE), ==, 0);
	pg_ram_accessor(&f->acc, &f->ram);
	pg_cpu_all(&f->cpu);
	f->cpu.maxphyaddr = 46;
	f->regs = (struct pg_regs){ 0 };
}

static inline void fx_free(struct fx *f)
{
	cpu_ram_free(&f->ram);
}

static inline void put(struct fx *f, uint64_t pa, unsigned size, uint64_t v)
{
	g_assert_cmpint(cpu_ram_write_le(&f->ram, pa, size, v), ==, 0);
}

static inline uint64_t get(struct fx *f, uint64_t pa, unsigned size)
{
	uint64_t v;
	g_assert_cmpint(cpu_ram_read_le(&f->ram, pa, size, &v), ==, 0);
	return v;
}

/* CR0/CR4/EFER for @mode (PG_MODE_NONE: protected mode, paging off), with
 * CR0.WP and EFER.NXE where the mode has NX, and CR3 = @cr3. */
static inline void set_mode(struct fx *f, enum pg_mode mode, uint64_t cr3)
{
	f->regs.cr0 = CR0_PE | CR0_PG | CR0_WP;
	f->regs.cr3 = cr3;
	switch (mode) {
	case PG_MODE_2LEVEL:
		break;
	case PG_MODE_PAE:
		f->regs.cr4 |= CR4_PAE;
		f->regs.efer |= EFER_NXE;
		break;
	case PG_MODE_5LEVEL:
		f->regs.cr4 |= CR4_LA57;
		/* fallthrough */
	case PG_MODE_4LEVEL:
		f->regs.cr4 |= CR4_PAE;
		f->regs.efer |= EFER_LME | EFER_LMA | EFER_NXE;
		break;
	default:
		f->regs.cr0 = CR0_PE;
	}
}

#endif
