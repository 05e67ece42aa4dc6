/*
 * The hypervisor models as one consumer of the feed (trace/sink.h): a live
 * run, a replay and `synth` drive them through the same calls as the
 * timing model and the recorder. One consumer carries several models (one
 * per strategy of `tdpsim compare`), so that a stream produced once - one
 * guest run, one trace decode - drives all of them in the same order.
 *
 * The models are built at trc_start() from the start registers (the
 * guest's; nested: L2's, with L1's given here), over the guest-physical
 * memory each hv_params names (the producer's: the live CPU's RAM, the
 * replayer's memory, synth's). A failure to build one is kept and
 * reported by hv_feed_error(); the stream goes on for the others.
 */
#ifndef TDPSIM_HV_FEED_H
#define TDPSIM_HV_FEED_H

#include "hv/shadow.h"
#include "timing/stats.h"
#include "trace/sink.h"

#define HV_FEED_MAX 16

struct hv_feed;

/* A consumer for @n (1..HV_FEED_MAX) models of params @p (copied); @l1:
 * L1's registers at the first VMRUN for HV_NESTED, else NULL. 0, -EINVAL. */
int hv_feed_new(const struct hv_params *p, unsigned n, const struct pg_regs *l1,
		struct hv_feed **out);
void hv_feed_free(struct hv_feed *f);

/* The consumer to add to a sink (trc_sink_add, cpu_feed_add). */
void hv_feed_consumer(struct hv_feed *f, struct trc_consumer *c);

/* Model @i after the stream, or NULL if it was never built (a test's
 * handle on a shadow model's internals; NULL for HV_TDP). */
struct hv_model *hv_feed_model(const struct hv_feed *f, unsigned i);

/* Model @i's TDP MMU (hv/tdp_model.h), or NULL. */
struct hv_tdp *hv_feed_tdp(const struct hv_feed *f, unsigned i);

/* What model @i counted, in one shape for both kinds. */
struct hv_feed_result {
	struct hv_stats hv;
	struct tm_stats tm;
	uint64_t table_bytes_final, table_bytes_peak; /* shadow or TDP tables */
	char root[160];        /* the root at the end, as text */
	bool special, promoted;
	char audit_first[256];
};

/* 0, or -ENOENT when model @i was never built. */
int hv_feed_result(const struct hv_feed *f, unsigned i, struct hv_feed_result *r);

/* 0, or the first error (no start, a model that could not be built) with
 * a one-line reason in @why. */
int hv_feed_error(const struct hv_feed *f, char *why, unsigned len);

#endif
