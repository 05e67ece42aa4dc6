/*
 * A replay lane (lane.h).
 */
#include "lane.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "hv/host.h"
#include "hv/tdx.h"

void trc_config_guest_part(struct tm_config *cfg, const struct tm_config *guest)
{
	uint32_t walkers = cfg->cpu.walkers;

	cfg->cpu = guest->cpu;
	cfg->cpu.walkers = walkers; /* timing: concurrent page walkers */
}

/* The lane's table-read check: a walk that reads a page whose content the
 * trace does not hold cannot be replayed exactly. */
static void on_table_read(void *o, uint64_t gpa_page)
{
	struct trc_lane *l = o;
	uint64_t pg = gpa_page / TRC_PAGE;

	if (gpa_page < l->c.ram.size && l->stale[pg] && !l->bad_page) {
		l->bad_page = gpa_page + 1;
		l->bad_record = l->record;
	}
}

int trc_lane_init(struct trc_lane *l, const struct tm_config *cfg, uint8_t host_kind,
		  bool tdp_unnormalised, uint16_t vpid, uint64_t ram_bytes, bool model_sets_ad,
		  char *why, size_t why_len)
{
	struct cpu *c = &l->c;
	struct trc_consumer k = { .table_read = on_table_read, .opaque = l };
	int rc;

	memset(l, 0, sizeof(*l));
	c->cfg = *cfg;
	c->host_kind = host_kind;
	c->vpid = vpid;
	c->tdp_unnormalised = tdp_unnormalised;
	c->mmu_kind = CPU_MMU_TDPSIM;
	c->model_kind = CPU_MODEL_TIMING;
	c->tm_sets_ad = model_sets_ad;
	c->prev_block = c->cur_block = -1;
	if (host_kind < HV_HOST_KINDS && hv_host_modes[host_kind].gpaw)
		c->cfg.cpu.maxphyaddr = (uint8_t)hv_host_modes[host_kind].gpaw;
	tm_config_pg_cpu(&c->cfg, &c->pgcpu);
	if (ram_bytes < TRC_PAGE || (ram_bytes & (TRC_PAGE - 1)) || ram_bytes > (UINT64_C(1) << 36)) {
		snprintf(why, why_len, "the trace's RAM size %" PRIu64 " is not 4 KiB to 64 GiB in "
			 "whole pages", ram_bytes);
		return -EINVAL;
	}
	l->stale = calloc(ram_bytes / TRC_PAGE, 1);
	if (!l->stale)
		return -ENOMEM;
	rc = cpu__host_init(c, ram_bytes, why, why_len);
	if (rc)
		return rc;
	/* No board: guest-physical accesses outside RAM read 0 (a page table
	 * in a ROM or device is not replayed). */
	c->bus.ram = &c->ram;
	/* Every walk checked, the timing model's too (its accessors are
	 * copied from these at cpu__tm_init). */
	trc_sink_add(&c->sink, &k);
	cpu__watch_tables(c);
	rc = cpu__tm_init(c, why, why_len);
	c->sink.ram = &c->ram;
	return rc;
}

void trc_lane_free(struct trc_lane *l)
{
	cpu__tm_free(&l->c);
	cpu__host_free(&l->c);
	free(l->stale);
	l->stale = NULL;
}

static void lane_fail(struct trc_lane *l, int err, const char *what)
{
	if (l->err)
		return;
	l->err = err;
	snprintf(l->why, sizeof(l->why), "record %" PRIu64 ": %s", l->record, what);
}

static void page(struct trc_lane *l, uint64_t pg, const uint8_t *data, bool stale)
{
	if (pg >= l->c.ram.size / TRC_PAGE) {
		lane_fail(l, -EINVAL, "a page outside the trace's RAM");
		return;
	}
	l->stale[pg] = stale;
	if (data)
		memcpy(l->c.ram.base + pg * TRC_PAGE, data, TRC_PAGE);
}

static void event(struct trc_lane *l, const struct trc_event *ev)
{
	struct cpu *c = &l->c;
	struct pg_walk2d w;

	switch (ev->kind) {
	case TRC_EV_MMU:
		if (cpu_set_paging(c, &ev->mmu.regs) < 0)
			lane_fail(l, -EINVAL, c->stop_msg[0] ? c->stop_msg
							      : "the paging state cannot be built");
		return; /* cpu_set_paging fed it, as in a live run */
	case TRC_EV_XLATE:
		if (cpu_replay_translate(c, ev->xlate.la, ev->xlate.access, ev->xlate.cpl,
					 ev->xlate.implicit, ev->xlate.ac, &w) < 0)
			lane_fail(l, -EINVAL, "a functional translation failed (a guest-physical "
				  "address outside RAM under this host dimension)");
		else if (w.fault.vector != ev->xlate.vector && w.fault.vector != PG_VEC_VMEXIT)
			lane_fail(l, -EINVAL, "a functional translation gave another fault than "
				  "the recorded one: this configuration changes what the guest "
				  "computes");
		break; /* fed after the translation, as cpu_translate feeds it */
	case TRC_EV_VMEXIT:
		if (ev->vmexit.cause == TRC_EXIT_HOST_FAULT)
			return; /* made again by this lane's host dimension */
		break;
	case TRC_EV_INVEPT:
		/* Only the hypervisor model makes them (a new TDP root, a
		 * TD conversion's flush; no guest runs VMX): this lane's host
		 * makes its own. */
		return;
	case TRC_EV_MMIO:
		/* This lane's host makes its exit, as a live run would. */
		cpu_mmio_access(c, ev->mmio.gpa, ev->mmio.size, ev->mmio.write);
		return;
	case TRC_EV_MAPGPA:
		if (cpu__tdx(c) && ev->mapgpa.ok)
			hv_tdx_map_gpa(cpu__tdx(c), ev->mapgpa.gpa, ev->mapgpa.bytes);
		break;
	default:
		break;
	}
	trc_event(&c->sink, ev);
}

void trc__lane_apply(struct trc_lane *l, const struct trc_rec *rec)
{
	struct cpu *c = &l->c;

	switch (rec->type) {
	case TRC_REC_SNAPSHOT:
		page(l, rec->page, rec->data, false);
		break;
	case TRC_REC_PAGE:
		page(l, rec->page, rec->data, false);
		break;
	case TRC_REC_STALE:
		page(l, rec->page, NULL, true);
		break;
	case TRC_REC_WRITE:
		if (!cpu_ram_contains(&c->ram, rec->gpa, rec->len)) {
			lane_fail(l, -EINVAL, "a write outside the trace's RAM");
			break;
		}
		memcpy(c->ram.base + rec->gpa, rec->data, rec->len);
		trc_write(&c->sink, rec->gpa, rec->data, rec->len);
		break;
	case TRC_REC_START:
		trc_start(&c->sink, &rec->start);
		break;
	case TRC_REC_INSNS:
		trc_insns(&c->sink, rec->n);
		break;
	case TRC_REC_EVENT:
		event(l, &rec->ev);
		break;
	case TRC_REC_END:
		trc_end(&c->sink);
		break;
	default:
		break;
	}
}

void trc_lanes_apply(struct trc_lane *l, unsigned n, const struct trc_rec *rec)
{
	for (unsigned i = 0; i < n; i++)
		trc_lane_apply(&l[i], rec);
}

void trc__lane_bad_page(struct trc_lane *l)
{
	if (!l->err) {
		char what[160];

		snprintf(what, sizeof(what), "a walk read guest-physical page %#" PRIx64 ", which "
			 "the guest wrote without the trace holding its content (it was no page "
			 "table when recorded)", l->bad_page - 1);
		lane_fail(l, -EINVAL, what);
	}
}
