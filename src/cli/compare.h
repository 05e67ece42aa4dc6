/*
 * `tdpsim compare` internals: one workload, several hypervisor-MMU
 * strategies, their counters side by side (cmd_compare.c), the metric
 * table every output walks (compare_metrics.c), the seed-000 root table
 * (compare_roots.c) and the HTML report (compare_html.c).
 */
#ifndef TDPSIM_CLI_COMPARE_H
#define TDPSIM_CLI_COMPARE_H

#include <stdio.h>

#include "hv/shadow.h"
#include "timing/stats.h"

#define CMP_MAX_STRATEGIES 16

struct cmp_result {
	struct hv_strategy strat;
	struct hv_stats hv;
	struct tm_stats tm;
	uint64_t shadow_bytes_final, shadow_bytes_peak, guest_table_bytes;
	char root[160];       /* the root's shape at the end */
	bool special, promoted;
	char audit_first[256];
};

/* A metric: its stable JSON key, a label for tables, and its value. */
struct cmp_metric {
	const char *key, *label;
	bool ratio;           /* printed with decimals */
	double (*get)(const struct cmp_result *r, unsigned arg);
	unsigned arg;
};

/* The metrics in output order, NULL-keyed terminator (compare_metrics.c). */
const struct cmp_metric *cmp_metrics(void);

/* One seed-000 case under one strategy (compare_roots.c). */
struct cmp_root_row {
	const char *label;    /* the case, in the seed's words */
	const char *shape[CMP_MAX_STRATEGIES];
	bool special[CMP_MAX_STRATEGIES], promoted[CMP_MAX_STRATEGIES];
	double hit_rate[CMP_MAX_STRATEGIES]; /* NAN: no root switch exits (TDP) */
	uint64_t roots_freed[CMP_MAX_STRATEGIES];
};

#define CMP_ROOT_ROWS 16
/* Run every seed-000 case under @n strategies: a short round-robin over 3
 * address spaces (3 L2 guests when nested). Shapes point to static
 * storage owned by the caller's @rows. 0 or -errno with @why. */
int cmp_root_table(const struct hv_strategy *s, unsigned n, const struct tm_config *cfg,
		   struct cmp_root_row rows[CMP_ROOT_ROWS], char shapes[][CMP_MAX_STRATEGIES][160],
		   char *why, unsigned len);

/* The HTML report (compare_html.c). 0, or -errno. */
int cmp_write_html(FILE *f, const char *title, const struct cmp_result *r, unsigned n,
		   const struct cmp_root_row *rows, unsigned nrows);

#endif
