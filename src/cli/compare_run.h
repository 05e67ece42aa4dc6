/*
 * One workload under several strategies in one pass (compare.h): a synth
 * workload (hv_work.h), a trace decoded once, or one live run of a guest.
 * Each is a producer of the feed (trace/sink.h) whose one consumer,
 * hv/feed.h, drives one hypervisor model per strategy.
 */
#ifndef TDPSIM_CLI_COMPARE_RUN_H
#define TDPSIM_CLI_COMPARE_RUN_H

#include "compare.h"
#include "hv_work.h"

struct cmp_params {
	const struct tm_config *cfg;
	bool unsync, audit;
	uint8_t l0_levels;      /* nested: L0's levels (3, 4 or 5) */
	uint8_t tdp_host;       /* --hv tdp: enum hv_host_kind (npt2..ept5); 0: shadow */
	bool no_normalise;      /* --hv tdp --no-role-normalise */
};

enum cmp_source { CMP_SYNTH = 0, CMP_TRACE, CMP_KERNEL };

struct cmp_work {
	uint8_t source;         /* enum cmp_source */
	struct hvw w;           /* CMP_SYNTH: built by hvw_build() */
	const char *path;       /* CMP_TRACE: the trace; CMP_KERNEL: the kernel */
	const char *append;     /* CMP_KERNEL: its command line */
	uint64_t mem_bytes;     /* CMP_KERNEL: guest RAM */
	uint64_t max_insns;     /* CMP_KERNEL: 0, or a limit */
	/* After cmp_run(): instructions of the stream, and for a live run
	 * how it stopped (the guest's exit status, or a message). */
	uint64_t insns;
	int exit_status;
	char stop[200];
};

/* Run @wk under @n strategies (n <= CMP_MAX_STRATEGIES) into @out. @cfg in
 * @p is a trace's guest-visible part once cmp_run returns (CMP_TRACE). 0,
 * or -errno with a one-line reason in @why. */
int cmp_run(struct cmp_work *wk, const struct cmp_params *p, const struct hv_strategy *s,
	    unsigned n, struct cmp_result *out, char *why, unsigned len);

/* The producers of compare_feed.c: a trace, a live run; each adds @k to
 * its sink after setting each of @hp's gram to its guest memory and
 * building @f with them. 0 or -errno with @why. */
struct hv_feed;
int cmp_run_trace(struct cmp_work *wk, struct tm_config *cfg, struct hv_params *hp, unsigned n,
		  struct hv_feed **f, char *why, unsigned len);
int cmp_run_kernel(struct cmp_work *wk, const struct tm_config *cfg, struct hv_params *hp,
		   unsigned n, struct hv_feed **f, char *why, unsigned len);

#endif
