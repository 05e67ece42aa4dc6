/*
 * One hvw workload (hv_work.h) under several strategies in one pass.
 */
#ifndef TDPSIM_CLI_COMPARE_RUN_H
#define TDPSIM_CLI_COMPARE_RUN_H

#include "compare.h"
#include "hv_work.h"

struct cmp_params {
	const struct tm_config *cfg;
	bool unsync, audit;
	uint8_t l0_levels;      /* nested: L0's levels (3, 4 or 5) */
};

/* Run @w under @n strategies (n <= CMP_MAX_STRATEGIES) into @out. 0, or
 * -errno with a one-line reason in @why. */
int cmp_run(struct hvw *w, const struct cmp_params *p, const struct hv_strategy *s, unsigned n,
	    struct cmp_result *out, char *why, unsigned len);

#endif
