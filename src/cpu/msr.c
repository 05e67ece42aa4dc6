/*
 * MSRs, PKRU and the time-stamp counter, where QEMU 5's TCG differs from
 * the CPU model or keeps state the engine needs.
 *
 * RDMSR/WRMSR of EFER, PAT, STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE and
 * SYSENTER_CS/ESP/EIP run natively: QEMU keeps them (checked on this
 * machine by writing and reading each back). An MSR QEMU does not know,
 * such as IA32_PKRS (6E1H), does not raise #GP in QEMU 5: WRMSR is
 * silently dropped and RDMSR returns 0 (checked the same way). And RDTSC
 * reads the host clock (two runs of the same code gave 0x72f7f50ce42 and
 * 0x72f7f59968c): not deterministic.
 *
 * None of these instructions can be hooked as instructions in Unicorn
 * 2.1.1, so events.c reports each RDMSR, WRMSR, RDTSC and RDTSCP it
 * decodes, and this file puts a one-address UC_HOOK_CODE hook on it (and
 * on the instruction after it), once per address. The block is then
 * restarted so that QEMU translates it again with the hooks in:
 *
 *  - WRMSR IA32_PKRS (with PKS in the model; SDM Vol. 4 Table 2-2, Vol.
 *    3A 4.6.2): the value is kept in c->msr.pkrs, the engine context is
 *    rebuilt, Unicorn's TLB flushed (rights changed) and TM_EV_MSR fed.
 *    Bits 63:32 are reserved: they are dropped (a #GP cannot be raised
 *    from inside a block; not modelled);
 *  - WRPKRU (SDM Vol. 3A 4.6.2): QEMU runs it; its value (EAX) is also
 *    given to the engine (TM_EV_PKRU), whose user-page rights depend on
 *    it. (XRSTOR of PKRU is not seen.)
 *  - RDMSR IA32_PKRS, RDMSR IA32_TSC (10H), RDTSC, RDTSCP: after QEMU ran
 *    the instruction, EDX:EAX is overwritten with our value. The TSC is
 *    virtual: tsc_hz / DEV_INSNS_PER_SEC ticks per instruction of virtual
 *    time (c->insns), so it is deterministic (and, like virtual time,
 *    advances per block).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "timing/model.h"


/* What a hooked address is (bits: one address can be several). */
enum site { SITE_WRMSR = 1, SITE_RDMSR = 2, SITE_RDTSC = 4, SITE_AFTER = 8, SITE_WRPKRU = 16,
	    SITE_RDMSR_DEV = 32 /* c->after only: a device's value, c->msr_val */ };

static void wr(struct cpu *c, int reg, uint64_t v)
{
	uc_reg_write(c->uc, reg, &v);
}

/* The TSC the local APIC's deadline timer compares with (dev_tsc_at):
 * tsc_hz ticks per second of virtual time, exactly. */
static uint64_t tsc_now(struct cpu *c)
{
	return c->tsc_base + dev_tsc_at(c->insns, c->cfg.cpu.tsc_hz);
}

/* A hooked address: what is there (enum site bits) and, for an
 * instruction site, the instruction's length and first bytes, which the
 * hook checks before acting (the code at the address may have been
 * rewritten since). */
struct msr_site {
	uint64_t addr;
	uint8_t kind, len;
	uint8_t bytes[8];
};

#define SITE_INSN (SITE_WRMSR | SITE_RDMSR | SITE_RDTSC | SITE_WRPKRU)

int cpu__msr_sites(struct cpu *c, const uint64_t *addr, const uint8_t *kind, const uint8_t *len,
		   const uint8_t *const *bytes, unsigned n, void *cb)
{
	int added = 0;

	if (!c->msr_sites)
		c->msr_sites = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (unsigned i = 0; i < n; i++) {
		uint64_t at[2] = { addr[i], addr[i] + len[i] };
		uint8_t k[2] = { kind[i], SITE_AFTER };

		for (unsigned j = 0; j < 2; j++) {
			struct msr_site *st;
			uc_hook h;

			if (j == 1 && (kind[i] == SITE_WRMSR || kind[i] == SITE_WRPKRU))
				break;
			st = g_hash_table_lookup(c->msr_sites, &at[j]);
			if (!st) {
				st = g_new0(struct msr_site, 1);
				st->addr = at[j];
				g_hash_table_insert(c->msr_sites, &st->addr, st);
				if (uc_hook_add(c->uc, &h, UC_HOOK_CODE, cb, c, at[j], at[j]) ==
				    UC_ERR_OK)
					added++;
			}
			if (k[j] & SITE_INSN) {
				/* What the latest decode found there. */
				st->kind = (uint8_t)((st->kind & ~SITE_INSN) | k[j]);
				st->len = len[i] < sizeof(st->bytes) ? len[i] : sizeof(st->bytes);
				memcpy(st->bytes, bytes[i], st->len);
			} else {
				st->kind |= k[j];
			}
		}
	}
	return added;
}

void cpu__msr_sites_free(struct cpu *c)
{
	if (!c->msr_sites)
		return;
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, c->msr_sites);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_free(v);
	g_hash_table_destroy(c->msr_sites);
	c->msr_sites = NULL;
}

/* #GP(0) for the RDMSR/WRMSR about to run: a RIP write leaves the block
 * before the instruction runs; run.c delivers the exception. */
static void msr_gp(struct cpu *c)
{
	uint64_t rip = cpu_reg(c, UC_X86_REG_RIP);

	c->msr_gp = true;
	c->n.emulated++;
	uc_reg_write(c->uc, UC_X86_REG_RIP, &rip);
	uc_emu_stop(c->uc);
}

static void wrmsr(struct cpu *c)
{
	uint32_t msr = (uint32_t)cpu_reg(c, UC_X86_REG_ECX);
	uint64_t v = (cpu_reg(c, UC_X86_REG_RDX) << 32) | (uint32_t)cpu_reg(c, UC_X86_REG_RAX);

	/* A device's MSR (the local APIC's): the device takes it; QEMU's own
	 * WRMSR then runs and changes nothing of ours. A refusal is #GP(0). */
	int rc = dev_bus_wrmsr(&c->bus, msr, v);

	if (rc == -EINVAL) {
		msr_gp(c);
		return;
	}
	if (rc != -ENOENT) {
		c->n.emulated++;
		c->irq_check = true;
		return;
	}
	if (msr != MSR_IA32_PKRS || !(c->cfg.cpu.features & TM_FEAT_PKS) || c->cur_cpl)
		return;
	struct trc_event ev = { .kind = TRC_EV_MSR, .msr = { .index = msr, .value = v & UINT32_MAX } };

	c->msr.pkrs = v & UINT32_MAX;
	c->n.emulated++;
	cpu__paging_changed(c, &ev, true);
}

/* EDX:EAX of the RDTSC/RDMSR that ran just before @addr: our value over
 * QEMU's. */
static void finish(struct cpu *c)
{
	uint64_t v;

	switch (c->after) {
	case SITE_RDTSC:
		v = tsc_now(c);
		break;
	case SITE_RDMSR_DEV:
		v = c->msr_val;
		break;
	case SITE_RDMSR:
		v = c->msr.pkrs;
		break;
	default:
		return;
	}
	wr(c, UC_X86_REG_RAX, (uint32_t)v);
	wr(c, UC_X86_REG_RDX, v >> 32);
	c->n.emulated++;
	c->after = 0;
}

void cpu__msr_block(struct cpu *c, uint64_t pc)
{
	if (pc == c->after_at)
		finish(c);
	c->after = 0;
}

void cpu__msr_site(struct cpu *c, uint64_t addr)
{
	const struct msr_site *st = c->msr_sites ? g_hash_table_lookup(c->msr_sites, &addr) : NULL;
	uint8_t kind;
	uint32_t msr;

	if (!st)
		return;
	/* First finish the instruction before this one ... */
	if ((st->kind & SITE_AFTER) && addr == c->after_at)
		finish(c);
	c->after = 0;
	kind = st->kind;
	if ((kind & SITE_INSN) && !cpu__code_is(c, addr, st->bytes, st->len))
		return; /* rewritten: no longer the instruction hooked */
	/* ... then look at this one, before QEMU runs it. */
	if (kind & SITE_WRPKRU) {
		/* WRPKRU runs natively too (QEMU's own walker uses it);
		 * the engine needs the value: EAX (ECX = EDX = 0, else QEMU
		 * raises #GP and nothing changes). */
		if (cpu_reg(c, UC_X86_REG_ECX) == 0 && cpu_reg(c, UC_X86_REG_EDX) == 0) {
			struct trc_event ev = { .kind = TRC_EV_PKRU };

			c->pkru = (uint32_t)cpu_reg(c, UC_X86_REG_EAX);
			ev.reg.value = c->pkru;
			cpu__paging_changed(c, &ev, true);
		}
	} else if (kind & SITE_WRMSR) {
		wrmsr(c);
	} else if (kind & SITE_RDMSR) {
		msr = (uint32_t)cpu_reg(c, UC_X86_REG_ECX);
		int rc = dev_bus_rdmsr(&c->bus, msr, &c->msr_val);

		if (rc == 0)
			c->after = SITE_RDMSR_DEV;
		else if (rc == -EINVAL)
			msr_gp(c);
		else if (msr == MSR_IA32_TSC)
			c->after = SITE_RDTSC;
		else if (msr == MSR_IA32_PKRS && (c->cfg.cpu.features & TM_FEAT_PKS))
			c->after = SITE_RDMSR;
	} else if (kind & SITE_RDTSC) {
		c->after = SITE_RDTSC;
	}
	c->after_at = addr + st->len;
}
