/*
 * The access feed to the timing model (--model timing): every data access
 * comes through UC_HOOK_MEM_READ|WRITE with its linear address and size;
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
#include <string.h>

#include "cpu/cpu.h"
#include "paging/bits.h"
#include "timing/model.h"

/* ---- TEMPORARY (c1): until the timing model is merged into this tree, its
 * functions are weak references; without them --model timing is refused
 * and the CPU model comes from tm_config_pg_cpu's fallback below. The lead
 * removes this block after the merge. */
#pragma weak tm_model_new
#pragma weak tm_model_free
#pragma weak tm_access
#pragma weak tm_insns
#pragma weak tm_event
#pragma weak tm_config_pg_cpu
#pragma weak tm_stats_write
#pragma weak tm_stats_json

void cpu__pg_cpu_fallback(const struct tm_config *cfg, struct pg_cpu *p);
void cpu__pg_cpu_fallback(const struct tm_config *cfg, struct pg_cpu *p)
{
	uint32_t f = cfg->cpu.features;

	memset(p, 0, sizeof(*p));
	p->maxphyaddr = cfg->cpu.maxphyaddr;
	p->pse = f & TM_FEAT_PSE;
	p->pse36 = f & TM_FEAT_PSE36;
	p->pae = f & TM_FEAT_PAE;
	p->pge = f & TM_FEAT_PGE;
	p->nx = f & TM_FEAT_NX;
	p->gbpages = f & TM_FEAT_GBPAGES;
	p->la57 = f & TM_FEAT_LA57;
	p->pcid = f & TM_FEAT_PCID;
	p->smep = f & TM_FEAT_SMEP;
	p->smap = f & TM_FEAT_SMAP;
	p->pku = f & TM_FEAT_PKU;
	p->pks = f & TM_FEAT_PKS;
}
/* ---- end TEMPORARY */

int cpu__tm_init(struct cpu *c, char *why, size_t len)
{
	struct tm_env env = { .cpu = &c->pgcpu, .host = c->host, .mem = c->gmem,
			      .set_ad = false };

	if (!tm_model_new) {
		snprintf(why, len, "--model timing: the timing model is not built into this "
			 "tdpsim yet (use --model functional)");
		return -ENOTSUP;
	}
	if (c->host)
		env.mem = c->host->mem;
	return tm_model_new(&c->cfg, &env, &c->regs, &c->tm, why, (unsigned)len);
}

void cpu__tm_free(struct cpu *c)
{
	if (c->tm && tm_model_free)
		tm_model_free(c->tm);
	c->tm = NULL;
}

void cpu__mem(struct cpu *c, int type, uint64_t addr, int size)
{
	tm_access(c->tm, addr, (uint8_t)size, type == UC_MEM_WRITE ? TM_WRITE : TM_READ,
		  c->cur_cpl);
}
