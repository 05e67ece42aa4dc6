/*
 * `tdpsim walk` set-up: the paging registers, the CPU model and the request
 * from the options. The mode-defining bits must agree with --guest (SDM
 * Vol. 3A Table 4-1); every other CR0/CR4/EFER bit is the user's. The
 * synthetic-layout options are parsed before the paging state exists, so
 * their syntax errors come first, and checked against it later
 * (walk_build.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "paging/bits.h"
#include "timing/config.h"

#define CMD WALK_CMD

static const struct cli_bit cr0_bits[] = {
	{ "pe", CR0_PE }, { "wp", CR0_WP }, { "pg", CR0_PG }, { NULL, 0 },
};
static const struct cli_bit cr4_bits[] = {
	{ "pse", CR4_PSE },   { "pae", CR4_PAE },   { "pge", CR4_PGE },
	{ "la57", CR4_LA57 }, { "pcide", CR4_PCIDE }, { "smep", CR4_SMEP },
	{ "smap", CR4_SMAP }, { "pke", CR4_PKE },   { "pks", CR4_PKS },
	{ NULL, 0 },
};
static const struct cli_bit efer_bits[] = {
	{ "nxe", EFER_NXE }, { "lme", EFER_LME }, { "lma", EFER_LMA }, { NULL, 0 },
};
static const struct cli_bit entry_bits[] = {
	{ "p", PTE_P },   { "rw", PTE_RW }, { "us", PTE_US }, { "pwt", PTE_PWT },
	{ "pcd", PTE_PCD }, { "a", PTE_A },   { "d", PTE_D },   { "g", PTE_G },
	{ "xd", PTE_XD }, { "pk", PTE_PK }, { NULL, 0 },
};

static const char *reg_bit_name(const struct cli_bit *t, uint64_t bit)
{
	for (; t->name; t++)
		if (t->mask == bit)
			return t->name;
	return "?";
}

/* Apply --cr0/--cr4/--efer lists to *reg, refusing mode-defining bits that
 * contradict --guest: set bits it forbids, or cleared bits it needs. */
static int apply_reg_list(gchar **lists, const char *opt, const struct cli_bit *table,
			  const struct guest_mode *gm, uint64_t need, uint64_t forbid,
			  uint64_t *reg)
{
	char why[320];

	for (gchar **l = lists; l && *l; l++) {
		uint64_t set, clear, bad;

		if (cli_parse_bits(*l, table, &set, &clear, why, sizeof(why)))
			return cli_fail(CMD, "--%s %s: %s", opt, *l, why);
		bad = (set & forbid) | (clear & need);
		if (bad) {
			uint64_t bit = bad & -bad;
			const char *hint = bit == CR4_PSE && table == cr4_bits
						   ? " (use --guest 2level-pse for 4 MiB pages)"
						   : "";

			return cli_fail(CMD, "--%s %s%s conflicts with --guest %s%s", opt,
					(clear & bit) ? "-" : "", reg_bit_name(table, bit),
					gm->name, hint);
		}
		*reg = (*reg | set) & ~clear;
	}
	return 0;
}

static int parse_num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	int rc = cli_parse_u64(s, out);

	if (rc == 0 && *out > max)
		rc = -ERANGE;
	if (rc == -ERANGE)
		return cli_fail(CMD, "--%s %s is out of range (at most 0x%" PRIx64 ")", opt, s,
				max);
	if (rc)
		return cli_fail(CMD, "--%s %s is not a number (decimal, or hex with 0x)", opt, s);
	return 0;
}

static int parse_entry_flags(const char *opt, const char *list, const struct pg_format *fmt,
			     uint64_t *out)
{
	char why[320];

	if (cli_parse_bits(list, entry_bits, out, NULL, why, sizeof(why)))
		return cli_fail(CMD, "--%s %s: %s", opt, list, why);
	if (fmt->entry_bytes == 4 && (*out >> 32))
		return cli_fail(CMD,
				"--%s %s: %s has 4-byte entries, without XD or protection keys",
				opt, list, fmt->name);
	return 0;
}

int walk_setup_regs(struct walk_ctx *c)
{
	const struct walk_opts *o = c->o;
	const struct guest_mode *gm = c->gm;
	const struct pg_format *fmt;
	const char *why;
	uint64_t v;
	int rc;

	if (o->config || o->sets) {
		/* A CPU-model file: its features and MAXPHYADDR; the --no-* and
		 * --maxphyaddr options below still apply on top. */
		struct tm_config cfg;

		rc = cli_load_config(CMD, o->config, o->sets, &cfg, NULL);
		if (rc)
			return rc;
		tm_config_pg_cpu(&cfg, &c->cpu);
	} else {
		pg_cpu_all(&c->cpu);
		c->cpu.maxphyaddr = 46;
	}
	if (o->maxphyaddr) {
		if (parse_num("maxphyaddr", o->maxphyaddr, 255, &v))
			return CLI_EXIT_USAGE;
		c->cpu.maxphyaddr = (uint8_t)v;
	}
	if (c->hd.gpaw) {
		/* TDX: a TD's MAXPHYADDR is its GPAW (host_dim_parse). */
		if (o->maxphyaddr && c->cpu.maxphyaddr != c->hd.gpaw)
			return cli_fail(CMD, "--maxphyaddr %s contradicts --gpaw %s (a TD's "
					"MAXPHYADDR is its GPAW)", o->maxphyaddr, o->gpaw);
		c->cpu.maxphyaddr = (uint8_t)c->hd.gpaw;
	}
	c->cpu.gbpages &= !o->no_1g;
	c->cpu.la57 &= !o->no_la57;
	c->cpu.pse36 &= !o->no_pse36;

	/* The mode's own bits, CR0.WP, and EFER.NXE where the format has NX. */
	fmt = pg_format_of(pg_mode_of(&(struct pg_regs){ .cr0 = gm->cr0, .cr4 = gm->cr4,
							 .efer = gm->efer }));
	c->regs.cr0 = gm->cr0 | CR0_WP;
	c->regs.cr4 = gm->cr4;
	c->regs.efer = gm->efer | (fmt->nx ? EFER_NXE : 0);
	rc = apply_reg_list(o->cr0, "cr0", cr0_bits, gm, gm->cr0, gm->forbid_cr0, &c->regs.cr0);
	if (!rc)
		rc = apply_reg_list(o->cr4, "cr4", cr4_bits, gm, gm->cr4, gm->forbid_cr4,
				    &c->regs.cr4);
	if (!rc)
		rc = apply_reg_list(o->efer, "efer", efer_bits, gm, gm->efer, gm->forbid_efer,
				    &c->regs.efer);
	if (rc)
		return rc;
	c->regs.rflags = o->ac ? RFLAGS_AC : 0;
	if (o->pkru) {
		if (parse_num("pkru", o->pkru, UINT32_MAX, &v))
			return CLI_EXIT_USAGE;
		c->regs.pkru = (uint32_t)v;
	}
	if (o->pkrs) {
		if (parse_num("pkrs", o->pkrs, UINT32_MAX, &v))
			return CLI_EXIT_USAGE;
		c->regs.pkrs = (uint32_t)v;
	}

	if (o->image) {
		if (!o->cr3 && fmt->levels)
			return cli_fail(CMD, "--image needs --cr3 ADDR (where the top table is)");
		if (o->cr3 && parse_num("cr3", o->cr3, UINT64_MAX, &c->regs.cr3))
			return CLI_EXIT_USAGE;
	} else {
		c->regs.cr3 = fmt->levels ? WALK_SYNTH_TABLE_BASE : 0;
	}

	rc = pg_mmu_init(&c->mmu, &c->regs, &c->cpu, &why);
	if (rc)
		return cli_fail(CMD, "bad paging state for --guest %s: %s", gm->name, why);
	return 0;
}

int walk_setup_request(struct walk_ctx *c)
{
	const struct walk_opts *o = c->o;
	const struct pg_format *fmt = c->mmu.fmt;
	uint64_t v;

	c->rq.va = c->gm->default_va;
	if (o->va) {
		int rc = cli_parse_u64(o->va, &c->rq.va);

		if (rc == -ERANGE)
			return cli_fail(CMD, "--va %s does not fit 64 bits", o->va);
		if (rc)
			return cli_fail(CMD, "--va %s is not an address (decimal, or hex with 0x)",
					o->va);
	}
	/* 32-bit modes have a 32-bit linear space; 4/5-level addresses are
	 * checked by the walk itself (non-canonical is #GP, not an error). */
	if (fmt->va_bits == 32 && c->rq.va > UINT32_MAX)
		return cli_fail(CMD, "--va 0x%" PRIx64 " does not fit the 32-bit linear address "
				"space of --guest %s", c->rq.va, c->gm->name);

	if (!o->access || strcmp(o->access, "read") == 0)
		c->rq.access = PG_ACC_READ;
	else if (strcmp(o->access, "write") == 0)
		c->rq.access = PG_ACC_WRITE;
	else if (strcmp(o->access, "fetch") == 0)
		c->rq.access = PG_ACC_FETCH;
	else
		return cli_fail(CMD, "--access %s: expected read, write or fetch", o->access);
	if (o->cpl) {
		if (cli_parse_u64(o->cpl, &v) || v > 3)
			return cli_fail(CMD, "--cpl %s: expected 0, 1, 2 or 3", o->cpl);
		c->rq.cpl = (uint8_t)v;
	}
	c->rq.implicit = o->implicit;
	if (c->rq.implicit && c->rq.access == PG_ACC_FETCH)
		return cli_fail(CMD,
				"--implicit is a supervisor data access; it cannot be a fetch");
	return 0;
}

/* Synthetic options: parsed before pg_mmu_init so that their syntax errors
 * come first; checked against the paging state after. */
int walk_parse_synth(struct walk_ctx *c, const struct pg_format *fmt)
{
	const struct walk_opts *o = c->o;

	c->page_size = 4096;
	if (o->page_size && cli_parse_page_size(CMD, "page-size", o->page_size, &c->page_size))
		return CLI_EXIT_USAGE;
	c->pa_base = WALK_SYNTH_PA_BASE;
	if (o->pa_base) {
		if (fmt->levels == 0)
			return cli_fail(CMD, "--pa-base has no meaning with --guest nopaging (the "
					"linear address is the physical address)");
		if (parse_num("pa-base", o->pa_base, UINT64_MAX, &c->pa_base))
			return CLI_EXIT_USAGE;
	}
	c->leaf_flags = PTE_P | PTE_RW | PTE_US;
	c->table_flags = PTE_P | PTE_RW | PTE_US;
	if (o->leaf_flags && parse_entry_flags("leaf-flags", o->leaf_flags, fmt, &c->leaf_flags))
		return CLI_EXIT_USAGE;
	if (o->table_flags &&
	    parse_entry_flags("table-flags", o->table_flags, fmt, &c->table_flags))
		return CLI_EXIT_USAGE;
	return 0;
}
