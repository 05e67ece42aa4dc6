/*
 * A replay lane: one configuration B fed from a decoded trace. It is the
 * live CPU without the emulator: guest-physical memory (the snapshot, then
 * the recorded pages and writes), the functional MMU and the host
 * dimension with its hypervisor model (the same code as a live run:
 * cpu_set_paging, cpu_translate's walk and host faults), and B's timing
 * model on the lane's sink. Recorded host-fault VM exits are dropped: the
 * lane's own host dimension makes its own from each functional
 * translation (TRC_EV_XLATE), as a live run under B would.
 */
#ifndef TDPSIM_TRACE_LANE_H
#define TDPSIM_TRACE_LANE_H

#include "cpu/cpu.h"
#include "reader.h"

struct trc_lane {
	struct cpu c;
	uint8_t *stale;        /* per RAM page: written, content not in the trace */
	uint64_t bad_page;     /* a walk read a stale page (first one + 1; 0: none) */
	uint64_t bad_record;
	uint64_t record;       /* the record being applied */
	int err;               /* the first error (negative errno) */
	char why[200];
};

/* Build a lane for @cfg (the trace's guest-visible part, B's timing part),
 * host @host_kind (enum hv_host_kind, hv/host.h) with TDP roles
 * unnormalised or not (cpu_opts.tdp_unnormalised) and @vpid, over
 * @ram_bytes of RAM. 0, or a negative errno with a reason. */
int trc_lane_init(struct trc_lane *l, const struct tm_config *cfg, uint8_t host_kind,
		  bool tdp_unnormalised, uint16_t vpid, uint64_t ram_bytes, bool model_sets_ad,
		  char *why, size_t why_len);
void trc_lane_free(struct trc_lane *l);

/* Internal: trc_lane_apply() for the records other than accesses and
 * blocks, and the error of a walk that read a stale page. */
void trc__lane_apply(struct trc_lane *l, const struct trc_rec *rec);
void trc__lane_bad_page(struct trc_lane *l);

/* Apply one decoded record. Errors stick in l->err / l->why. Accesses and
 * blocks (nearly every record) go to the sink inline. */
static inline void trc_lane_apply(struct trc_lane *l, const struct trc_rec *rec)
{
	if (l->err)
		return;
	l->record = rec->index;
	if (rec->type == TRC_REC_ACCESS)
		trc_access(&l->c.sink, rec->la, rec->size, rec->kind, rec->cpl, rec->implicit);
	else if (rec->type == TRC_REC_BLOCK)
		trc_block(&l->c.sink, &rec->block);
	else
		trc__lane_apply(l, rec);
	/* A walk (functional or the timing model's) read a stale page. */
	if (l->bad_page)
		trc__lane_bad_page(l);
}

/* Apply @rec to each of @n lanes (trc_lane_apply()). */
void trc_lanes_apply(struct trc_lane *l, unsigned n, const struct trc_rec *rec);

/* Keep @guest's guest-visible part (CPUID vendor, identity and features,
 * MAXPHYADDR, linear width, TSC rate) in @cfg, whose timing part stays. */
void trc_config_guest_part(struct tm_config *cfg, const struct tm_config *guest);

#endif
