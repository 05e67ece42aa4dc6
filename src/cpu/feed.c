/*
 * The access feed to the timing model (--model timing): every data access
 * comes through UC_HOOK_MEM_READ|WRITE with its size (and its physical
 * address: the linear one is recovered below);
 * instruction fetches are fed per block by events.c (one access per page
 * the block covers). The CPL is the one of the current block (it changes
 * only at a block boundary: far transfers, IRET, SYSRET and our deliveries
 * all end the block).
 *
 * The model walks the tables through the same host dimension as the CPU,
 * with its own (non-A/D-setting) accesses: guest-visible A/D bits belong
 * to the functional walk (fill.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "paging/bits.h"
#include "timing/model.h"

int cpu__tm_init(struct cpu *c, char *why, size_t len)
{
	struct tm_env env = { .cpu = &c->pgcpu, .host = c->host, .mem = c->tm_sets_ad ? c->gmem : c->gpeek,
			      .set_ad = c->tm_sets_ad, /* a replay of synth: no CPU sets them */
			      };

	if (c->host) {
		env.mem = c->host->mem;
	} else {
		env.ram = c->ram.base; /* prefetch hints (tm_env) */
		env.ram_size = c->ram.size;
	}
	if (c->mmu_kind != CPU_MMU_TDPSIM) {
		snprintf(why, len, "--model timing needs --mmu tdpsim: Unicorn reports physical "
			 "addresses to memory hooks, and only tdpsim's own TLB fills tell the "
			 "linear ones (use --model functional with --mmu reference)");
		return -ENOTSUP;
	}
	c->rev = calloc(c->ram.size >> 12, sizeof(*c->rev));
	c->rev_gen = calloc(c->ram.size >> 12, sizeof(*c->rev_gen));
	if (!c->rev || !c->rev_gen) {
		snprintf(why, len, "out of memory for the reverse TLB map");
		return -ENOMEM;
	}
	int rc = tm_model_new(&c->cfg, &env, &c->regs, &c->tm, why, (unsigned)len);

	if (rc)
		return rc;
	if (c->host)
		tm_set_vpid(c->tm, c->vpid);
	return trc_sink_add_timing(&c->sink, c->tm);
}

void cpu__tm_free(struct cpu *c)
{
	if (c->tm)
		tm_model_free(c->tm);
	c->tm = NULL;
	free(c->rev);
	free(c->rev_gen);
	c->rev = NULL;
	c->rev_gen = NULL;
}

/* A write while a consumer takes the bytes written (a recorder): out of
 * line, so that the usual hook keeps nothing live across the model's
 * access. */
static __attribute__((noinline)) void mem_write(struct cpu *c, uint64_t va, uint64_t pa,
						 int size, int64_t value, bool implicit)
{
	trc_access(&c->sink, va, (uint8_t)size, TRC_WRITE, c->cur_cpl, implicit);
	/* The hook runs before the store: its value is what lands
	 * (little-endian, at most 8 bytes per hook call). */
	trc_write(&c->sink, pa, &value, (uint32_t)size);
}

void cpu__hook_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		   void *opaque)
{
	struct cpu *c = opaque;
	uint64_t r = addr < c->ram.size ? c->rev[addr >> 12] : 0;
	uint64_t va = (r & ~UINT64_C(0xfff)) | (addr & 0xfff);
	/* Implicit matters at CPL 3 only (at CPL 0 every consumer takes
	 * the access as supervisor either way), and only there is it a
	 * property of the page: which fill (fetch or data, before or after
	 * an LGDT) mapped it last follows Unicorn's TLB, not the guest. */
	bool implicit = (r & CPU_REV_IMPLICIT) && c->cur_cpl == 3;

	if (!(r & CPU_REV_VALID))
		return; /* not RAM, or not through a fill (cannot happen) */
	/* A store into the running block's own code: QEMU stops the block
	 * here and makes the store again in a block of its own (events.c:
	 * smc_restart), which feeds it. */
	if (type == UC_MEM_WRITE &&
	    ((addr < c->code_hi[0] && addr + (uint64_t)size > c->code_lo[0]) ||
	     (addr < c->code_hi[1] && addr + (uint64_t)size > c->code_lo[1])))
		return;
	if (type == UC_MEM_WRITE && c->sink.n_write) {
		mem_write(c, va, addr, size, value, implicit);
		return;
	}
	/* A page the fill judged a descriptor-table page at CPL 3: QEMU's
	 * helpers access it as the CPU's implicit supervisor accesses. Last:
	 * nothing is live across the model's access. */
	trc_access(&c->sink, va, (uint8_t)size, type == UC_MEM_WRITE ? TRC_WRITE : TRC_READ,
		   c->cur_cpl, implicit);
}

void cpu_feed_start(struct cpu *c)
{
	struct trc_start st = { .ram_bytes = c->ram.size };
	uint64_t cs = cpu_reg(c, UC_X86_REG_CS);

	cpu__paging_regs(c, &st.regs);
	st.regs.rflags &= RFLAGS_AC;
	st.rip = cpu_reg(c, UC_X86_REG_RIP);
	st.cpl = (st.regs.cr0 & CR0_PE) ? (uint8_t)(cs & 3) : 0;
	st.code_bits = cpu__code_bits(c);
	c->ac_fed = st.regs.rflags;
	trc_start(&c->sink, &st);
}
