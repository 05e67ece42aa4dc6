/*
 * The feed's dispatch (sink.h), and the timing model's consumer entry: the
 * sink's events in the model's terms (struct tm_event). The model's access
 * path is not here: trc_access() and trc_block() call tm_access() inline.
 */
#include "sink.h"

#include <errno.h>
#include <string.h>

void trc_sink_init(struct trc_sink *s)
{
	memset(s, 0, sizeof(*s));
}

int trc_sink_add(struct trc_sink *s, const struct trc_consumer *c)
{
	if (s->n == TRC_SINK_MAX)
		return -ENOSPC;
	if (c->access)
		s->access_of[s->n_access++] = (uint8_t)s->n;
	if (c->block)
		s->block_of[s->n_block++] = (uint8_t)s->n;
	if (c->write)
		s->write_of[s->n_write++] = (uint8_t)s->n;
	s->c[s->n++] = *c;
	if (c->table_read)
		s->want_table_reads = true;
	return 0;
}

static void tm_start(void *o, const struct trc_start *st)
{
	struct pg_regs r = st->regs;

	tm_set_regs(o, &r);
}

static void tm_insns_cb(void *o, uint64_t n)
{
	tm_insns(o, n);
}

bool trc_tm_event_of(const struct trc_event *ev, struct tm_event *t)
{
	memset(t, 0, sizeof(*t));
	switch (ev->kind) {
	case TRC_EV_CR0:
		t->kind = TM_EV_CR0;
		t->val = ev->reg.value;
		return true;
	case TRC_EV_CR3:
		t->kind = TM_EV_CR3;
		t->val = ev->cr3.operand;
		return true;
	case TRC_EV_CR4:
		t->kind = TM_EV_CR4;
		t->val = ev->reg.value;
		return true;
	case TRC_EV_EFER:
		t->kind = TM_EV_EFER;
		t->val = ev->reg.value;
		return true;
	case TRC_EV_PKRU:
		t->kind = TM_EV_PKRU;
		t->val = ev->reg.value;
		return true;
	case TRC_EV_RFLAGS:
		t->kind = TM_EV_RFLAGS;
		t->val = ev->reg.value;
		return true;
	case TRC_EV_MSR:
		t->kind = TM_EV_MSR;
		t->msr = ev->msr.index;
		t->val = ev->msr.value;
		return true;
	case TRC_EV_INVLPG:
		t->kind = TM_EV_INVLPG;
		t->addr = ev->invlpg.la;
		return true;
	case TRC_EV_INVPCID:
		t->kind = TM_EV_INVPCID;
		t->type = ev->invpcid.type;
		t->pcid = ev->invpcid.pcid;
		t->addr = ev->invpcid.la;
		return true;
	case TRC_EV_INVEPT:
		t->kind = TM_EV_INVEPT;
		t->type = ev->invept.type;
		t->val = ev->invept.eptp;
		return true;
	case TRC_EV_INVVPID:
		t->kind = TM_EV_INVVPID;
		t->type = ev->invvpid.type;
		t->pcid = ev->invvpid.vpid;
		t->addr = ev->invvpid.la;
		return true;
	case TRC_EV_VMEXIT:
		t->kind = TM_EV_VMEXIT;
		t->val = ev->vmexit.reason;
		return true;
	case TRC_EV_VMENTRY:
		t->kind = TM_EV_VMENTRY;
		return true;
	default:
		return false;
	}
}

static void tm_event_cb(void *o, const struct trc_event *ev)
{
	struct tm_event t;

	if (trc_tm_event_of(ev, &t))
		tm_event(o, &t);
}

int trc_sink_add_timing(struct trc_sink *s, struct tm_model *m)
{
	struct trc_consumer c = { .start = tm_start, .insns = tm_insns_cb, .event = tm_event_cb,
				  .opaque = m };
	int rc = trc_sink_add(s, &c);

	if (!rc)
		s->tm = m;
	return rc;
}

void trc_start(struct trc_sink *s, const struct trc_start *st)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].start)
			s->c[i].start(s->c[i].opaque, st);
}

struct tm_fetch {
	struct tm_model *m;
	uint8_t cpl;
};

static void tm_fetch(void *o, uint64_t la, uint8_t size)
{
	const struct tm_fetch *f = o;

	tm_access(f->m, la, size, TM_FETCH, f->cpl);
}

void trc__block(struct trc_sink *s, const struct trc_block *b, bool fetch)
{
	if (fetch) {
		struct tm_fetch f = { s->tm, b->cpl };

		trc_block_fetches(b, tm_fetch, &f);
	}
	for (unsigned i = 0; i < s->n_block; i++) {
		const struct trc_consumer *k = &s->c[s->block_of[i]];

		k->block(k->opaque, b);
	}
}

void trc__access(struct trc_sink *s, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		 bool implicit)
{
	trc__tm_access(s, la, size, kind, cpl, implicit);
	for (unsigned i = 0; i < s->n_access; i++) {
		const struct trc_consumer *k = &s->c[s->access_of[i]];

		k->access(k->opaque, la, size, kind, cpl, implicit);
	}
}

void trc__write(struct trc_sink *s, uint64_t gpa, const void *data, uint32_t len)
{
	for (unsigned i = 0; i < s->n_write; i++) {
		const struct trc_consumer *k = &s->c[s->write_of[i]];

		k->write(k->opaque, gpa, data, len);
	}
}

void trc_insns(struct trc_sink *s, uint64_t n)
{
	s->insns += n;
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].insns)
			s->c[i].insns(s->c[i].opaque, n);
}

void trc_event(struct trc_sink *s, const struct trc_event *ev)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].event)
			s->c[i].event(s->c[i].opaque, ev);
}

void trc_table_read(struct trc_sink *s, uint64_t gpa_page)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].table_read)
			s->c[i].table_read(s->c[i].opaque, gpa_page);
}

void trc_end(struct trc_sink *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].end)
			s->c[i].end(s->c[i].opaque);
}
