/*
 * Paging-structure caches, the AMD page-walk cache and the nested TLB
 * (see pwc.h for what each caches and how it is tagged).
 */
#include "pwc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const level_names[PG_LEVELS_MAX + 1] = {
	[2] = "pwc.pd", [3] = "pwc.pdpt", [4] = "pwc.pml4", [5] = "pwc.pml5",
};

int pwc_init(struct pwc *p, const struct tm_config *c, uint64_t seed, char *why,
	     unsigned why_len)
{
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->kind = c->pwc_kind;
	if (c->pwc_kind == TM_PWC_SPLIT) {
		for (unsigned l = 2; l <= PG_LEVELS_MAX && !rc; l++)
			rc = tlb_array_init(&p->level[l], &c->pwc_level[l], seed + l,
					    level_names[l], why, why_len);
	} else if (c->pwc_kind == TM_PWC_UNIFIED) {
		rc = tlb_array_init(&p->unified, &c->pwc_unified, seed + 1, "pwc", why, why_len);
	} else if (c->pwc_kind != TM_PWC_NONE) {
		snprintf(why, why_len, "pwc: unknown kind %u", c->pwc_kind);
		return -EINVAL;
	}
	if (!rc)
		rc = tlb_array_init(&p->ntlb, &c->ntlb, seed + 11, "nested.tlb", why, why_len);
	if (!rc)
		rc = tlb_array_init(&p->npwc, &c->npwc, seed + 13, "nested.pwc", why, why_len);
	if (rc)
		pwc_free(p);
	return rc;
}

void pwc_free(struct pwc *p)
{
	for (unsigned l = 0; l <= PG_LEVELS_MAX; l++)
		tlb_array_free(&p->level[l]);
	tlb_array_free(&p->unified);
	tlb_array_free(&p->ntlb);
	tlb_array_free(&p->npwc);
}

/* The linear-address bits a level-@l entry translates, as a key: every
 * bit from that level's index up to the top of the format's reach. */
static uint64_t split_key(const struct pg_format *f, unsigned l, uint64_t va)
{
	uint64_t reach = f->va_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << f->va_bits) - 1;

	return (va & reach) >> f->lvl[l].shift;
}

unsigned pwc_split_probe(struct pwc *p, const struct pg_format *f, uint64_t va, uint32_t ctx,
			 struct tm_stats *st, uint32_t *lat, const struct tlb_entry **entry)
{
	unsigned top = pwc_split_top(f);
	uint32_t max_lat = 0;
	unsigned hit = 0;

	if (entry)
		*entry = NULL;

	if (p->kind != TM_PWC_SPLIT)
		return 0;
	for (unsigned l = 2; l <= top && l <= PG_LEVELS_MAX; l++) {
		struct tlb_array *a = &p->level[l];
		uint64_t k;

		if (!a->sets)
			continue;
		if (a->latency > max_lat)
			max_lat = a->latency;
		k = split_key(f, l, va);
		const struct tlb_entry *e = tlb_array_find(a, k, k, ctx);

		if (e) {
			if (entry)
				*entry = e;
			st->pwc_hits[l]++;
			hit = l;
			break;
		}
		st->pwc_misses[l]++;
	}
	*lat += max_lat;
	return hit;
}

const struct tlb_entry *pwc_split_fill(struct pwc *p, const struct pg_format *f, unsigned level,
				       uint64_t va, uint32_t ctx, uint64_t next,
				       const struct tlb_entry *hit, bool missed)
{
	struct tlb_array *a;
	struct tlb_entry *e;
	uint64_t k;

	if (p->kind != TM_PWC_SPLIT || level < 2 || level > PG_LEVELS_MAX)
		return NULL;
	a = &p->level[level];
	k = split_key(f, level, va);
	if (hit)
		e = tlb_array_refresh(a, hit);
	else if (missed)
		e = tlb_array_insert_missed(a, k, k, ctx, false);
	else
		e = tlb_array_insert(a, k, k, ctx, false);
	if (e)
		e->data = next;
	return e;
}

bool pwc_unified_probe(struct pwc *p, uint64_t pa, uint32_t ctx, struct tm_stats *st)
{
	if (p->kind != TM_PWC_UNIFIED || !p->unified.sets)
		return false;
	/* Entries are 8 bytes: the entry index is the key. */
	if (tlb_array_find(&p->unified, pa >> 3, pa >> 3, ctx)) {
		st->pwc_hits[0]++;
		return true;
	}
	st->pwc_misses[0]++;
	return false;
}

void pwc_unified_fill(struct pwc *p, uint64_t pa, uint32_t ctx, enum pwc_dim dim)
{
	struct tlb_entry *e;

	if (p->kind != TM_PWC_UNIFIED)
		return;
	/* The probe of @pa just missed: no way holds it (pwc.h). */
	e = tlb_array_insert_missed(&p->unified, pa >> 3, pa >> 3, ctx, false);
	if (e)
		e->rights = (uint8_t)dim;
}

static unsigned size_class(uint64_t page_size)
{
	return page_size >= (UINT64_C(1) << 30) ? TM_1G
	       : page_size >= (UINT64_C(1) << 21) ? TM_2M : TM_4K;
}

bool pwc_ntlb_probe(struct pwc *p, uint64_t gpa, uint32_t ctx, struct tm_stats *st)
{
	if (!p->ntlb.sets)
		return false;
	for (unsigned s = 0; s < TM_NSIZES; s++)
		if ((p->ntlb_sizes >> s) & 1 &&
		    tlb_array_find(&p->ntlb, gpa >> tlb_size_shift(s), tlb_tag(gpa, s), ctx)) {
			st->ntlb_hits++;
			return true;
		}
	st->ntlb_misses++;
	return false;
}

void pwc_ntlb_fill(struct pwc *p, uint64_t gpa, uint64_t host_page_size, uint32_t ctx,
		   uint64_t hpa, bool missed)
{
	unsigned s = size_class(host_page_size);
	uint64_t key = gpa >> tlb_size_shift(s), tag = tlb_tag(gpa, s);
	struct tlb_entry *e;

	/* A 4 MiB host page (2-level nested tables) is held as the 2 MiB half
	 * that was used. */
	e = missed ? tlb_array_insert_missed(&p->ntlb, key, tag, ctx, false)
		   : tlb_array_insert(&p->ntlb, key, tag, ctx, false);
	if (e) {
		e->size = (uint8_t)s;
		e->data = hpa;
		p->ntlb_sizes |= (uint8_t)(1u << s);
	}
}

static uint64_t npwc_key(const struct pg_format *hf, unsigned l, uint64_t gpa)
{
	return gpa >> hf->lvl[l].shift;
}

unsigned pwc_npwc_probe(struct pwc *p, const struct pg_format *hf, uint64_t gpa, uint32_t ctx,
			struct tm_stats *st, const struct tlb_entry **hit)
{
	*hit = NULL;
	if (!p->npwc.sets)
		return 0;
	for (unsigned l = 2; l <= hf->levels; l++) {
		uint64_t k = npwc_key(hf, l, gpa);

		*hit = tlb_array_find(&p->npwc, k, (k << 3) | l, ctx);
		if (*hit) {
			st->npwc_hits++;
			return l;
		}
	}
	st->npwc_misses++;
	return 0;
}

void pwc_npwc_fill(struct pwc *p, const struct pg_format *hf, unsigned level, uint64_t gpa,
		   uint32_t ctx, const struct tlb_entry *hit, bool missed)
{
	uint64_t k;

	if (!p->npwc.sets || level < 2 || level > hf->levels)
		return;
	k = npwc_key(hf, level, gpa);
	/* The levels share the array: a fill of a higher level of the same
	 * host walk may have taken the way that hit. */
	if (hit && hit->tag == ((k << 3) | level) && hit->ctx == ctx && hit->cmask == TLB_CTX_ALL)
		tlb_array_refresh(&p->npwc, hit);
	else if (missed)
		tlb_array_insert_missed(&p->npwc, k, (k << 3) | level, ctx, false);
	else
		tlb_array_insert(&p->npwc, k, (k << 3) | level, ctx, false);
}

unsigned pwc_inval(struct pwc *p, const struct tlb_match *mt, bool guest, bool host)
{
	struct tlb_match m = *mt;
	unsigned n = 0;

	m.by_addr = false; /* PSC entries are removed regardless of address */
	m.keep_global = false;
	if (guest) {
		for (unsigned l = 2; l <= PG_LEVELS_MAX; l++)
			n += tlb_array_inval(&p->level[l], &m);
		m.by_dim = true;
		m.dim = PWC_DIM_GUEST;
		n += tlb_array_inval(&p->unified, &m);
		m.by_dim = false;
	}
	if (host) {
		n += tlb_array_inval(&p->ntlb, &m);
		n += tlb_array_inval(&p->npwc, &m);
		m.by_dim = true;
		m.dim = PWC_DIM_HOST;
		n += tlb_array_inval(&p->unified, &m);
		if (!tlb_array_count(&p->ntlb))
			p->ntlb_sizes = 0;
	}
	return n;
}
