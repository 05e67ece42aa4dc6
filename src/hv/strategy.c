/*
 * The strategy table (strategy.h documents each rule and its source).
 * Adding a strategy is adding a row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strategy.h"

const struct hv_strategy hv_strategies[] = {
	{ "kvm-5.15", HV_FAST_LEVELS, 3, false,
	  "Linux 5.15 mmu.c: fast_pgd_switch() needs shadow_root_level and root_level >= 4",
	  false },
	{ "kvm-6.1", HV_FAST_BACKED, 3, false,
	  "Linux 6.1 mmu.c: fast_pgd_switch() frees roots without a shadow page (seed 004)",
	  true },
	{ "pae-root-pages", HV_FAST_BACKED, 3, true,
	  "Lai Jiangshan's RFC (seed 000): pae_root and promoted levels are shadow pages", true },
	{ "none", HV_FAST_BACKED, 0, false, "no previous roots: every new CR3 rebuilds", true },
};

const unsigned hv_nstrategies = sizeof(hv_strategies) / sizeof(hv_strategies[0]);

const char hv_strategy_list[] = "kvm-5.15, kvm-6.1, pae-root-pages, none or prev=N";

int hv_strategy_parse(const char *name, struct hv_strategy *out)
{
	for (unsigned i = 0; i < hv_nstrategies; i++)
		if (strcmp(name, hv_strategies[i].name) == 0) {
			*out = hv_strategies[i];
			return 0;
		}
	if (strncmp(name, "prev=", 5) == 0 && name[5] >= '0' && name[5] <= '9') {
		char *end;
		unsigned long n = strtoul(name + 5, &end, 10);

		if (*end || n > HV_PREV_ROOTS_MAX)
			return -EINVAL;
		*out = (struct hv_strategy){ .fast_rule = HV_FAST_BACKED, .nprev = (uint8_t)n,
					     .source = "kvm-6.1 rules with KVM_MMU_NUM_PREV_ROOTS = N "
						       "(Yong He's patch: up to 11)",
					     .tdp_normalise = true };
		snprintf(out->name, sizeof(out->name), "prev=%lu", n);
		return 0;
	}
	return -EINVAL;
}
