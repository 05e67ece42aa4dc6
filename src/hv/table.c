/*
 * Table objects, their lifecycle and the tdp_iter-style iterator (see
 * table.h). Everything about an entry's meaning comes from the format
 * descriptor.
 */
#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "paging/bits.h"
#include "paging/synth.h"

/* ---- entries ---- */

static unsigned addr_top(const struct pg_format *f)
{
	return f->entry_bytes == 4 ? 31 : f->addr_bits - 1u;
}

int hv_entry_read(const struct hv_tables *ts, uint64_t entry_hpa, uint64_t *e)
{
	return cpu_ram_read_le(ts->ram, entry_hpa, ts->fmt->entry_bytes, e);
}

int hv_entry_write(struct hv_tables *ts, uint64_t entry_hpa, uint64_t e)
{
	return cpu_ram_write_le(ts->ram, entry_hpa, ts->fmt->entry_bytes, e);
}

uint64_t hv_entry_addr(const struct hv_tables *ts, uint64_t table_hpa, unsigned level,
		       uint64_t addr)
{
	const struct pg_level *L = &ts->fmt->lvl[level];

	return table_hpa +
	       ((addr >> L->shift) & ((UINT64_C(1) << L->index_bits) - 1)) * ts->fmt->entry_bytes;
}

bool hv_entry_present(const struct hv_tables *ts, uint64_t e)
{
	return (e & ts->fmt->present) != 0;
}

bool hv_entry_leaf(const struct hv_tables *ts, unsigned level, uint64_t e)
{
	uint8_t ps = ts->fmt->lvl[level].ps;

	return level == 1 || ((ps == PG_PS_PSE || ps == PG_PS_ALWAYS || ps == PG_PS_1G) &&
			      (e & PTE_PS));
}

uint64_t hv_entry_child(const struct hv_tables *ts, uint64_t e)
{
	return e & GENMASK64(addr_top(ts->fmt), 12);
}

uint64_t hv_level_span(const struct hv_tables *ts, unsigned level)
{
	return UINT64_C(1) << ts->fmt->lvl[level].shift;
}

/* ---- the set ---- */

static guint key_hash(gconstpointer p)
{
	const struct hv_key *k = p;

	return g_int64_hash(&k->gpa) * 31u + k->role.word;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const struct hv_key *x = a, *y = b;

	return x->gpa == y->gpa && hv_role_eq(x->role, y->role);
}

int hv_tables_init(struct hv_tables *ts, struct cpu_ram *ram, const struct pg_format *fmt,
		   uint64_t base, uint64_t bytes)
{
	memset(ts, 0, sizeof(*ts));
	if ((base | bytes) & (HV_TABLE_SIZE - 1) || bytes == 0 || !cpu_ram_contains(ram, base, bytes))
		return -EINVAL;
	ts->ram = ram;
	ts->fmt = fmt;
	ts->base = base;
	ts->bytes = bytes;
	ts->next = base;
	ts->free_pages = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	ts->by_page = g_new0(struct hv_table *, bytes / HV_TABLE_SIZE);
	ts->by_key = g_hash_table_new(key_hash, key_equal);
	return 0;
}

static void table_free_obj(struct hv_table *t)
{
	if (t->parent_ptes)
		g_array_free(t->parent_ptes, TRUE);
	g_free(t);
}

void hv_tables_destroy(struct hv_tables *ts)
{
	if (!ts->by_page)
		return;
	for (uint64_t i = 0; i < ts->bytes / HV_TABLE_SIZE; i++)
		if (ts->by_page[i])
			table_free_obj(ts->by_page[i]);
	g_free(ts->by_page);
	g_array_free(ts->free_pages, TRUE);
	g_hash_table_destroy(ts->by_key);
	memset(ts, 0, sizeof(*ts));
}

struct hv_table *hv_table_at(const struct hv_tables *ts, uint64_t hpa)
{
	if (hpa < ts->base || hpa - ts->base >= ts->bytes)
		return NULL;
	return ts->by_page[(hpa - ts->base) / HV_TABLE_SIZE];
}

struct hv_table *hv_table_find(const struct hv_tables *ts, const struct hv_key *key)
{
	return g_hash_table_lookup(ts->by_key, key);
}

int hv_table_alloc(struct hv_tables *ts, const struct hv_key *key, bool hashed,
		   struct hv_table **out)
{
	struct hv_table *t;
	uint64_t hpa;

	assert(key->zero == 0);
	if (hashed && hv_table_find(ts, key))
		return -EEXIST;
	if (ts->free_pages->len) {
		hpa = g_array_index(ts->free_pages, uint64_t, ts->free_pages->len - 1);
		g_array_set_size(ts->free_pages, ts->free_pages->len - 1);
	} else if (ts->next - ts->base < ts->bytes &&
		   ts->next + HV_TABLE_SIZE - 1 <= GENMASK64(addr_top(ts->fmt), 0)) {
		hpa = ts->next;
		ts->next += HV_TABLE_SIZE;
	} else {
		return -ENOSPC;
	}
	memset(ts->ram->base + hpa, 0, HV_TABLE_SIZE);
	t = g_new0(struct hv_table, 1);
	t->hpa = hpa;
	t->key = *key;
	t->seq = ++ts->seq;
	t->hashed = hashed;
	ts->by_page[(hpa - ts->base) / HV_TABLE_SIZE] = t;
	if (hashed)
		g_hash_table_insert(ts->by_key, &t->key, t);
	ts->st.allocated++;
	if (++ts->st.live > ts->st.peak)
		ts->st.peak = ts->st.live;
	*out = t;
	return 0;
}

int hv_tables_synth_alloc(struct hv_tables *ts, union hv_role role, unsigned level, uint64_t va,
			  uint64_t entry_pa, struct hv_table **out)
{
	const struct pg_level *L = &ts->fmt->lvl[level];
	struct hv_key key = { .gpa = va & ~((UINT64_C(1) << (L->shift + L->index_bits)) - 1),
			      .role = role };
	const bool root = entry_pa == PG_SYNTH_ROOT;
	int rc;

	key.role.level = level;
	if ((rc = hv_table_alloc(ts, &key, root, out)))
		return rc;
	if (root)
		hv_table_pin(*out);
	else
		hv_table_adopt(*out, entry_pa);
	return 0;
}

static void table_free(struct hv_tables *ts, struct hv_table *t)
{
	assert(t->zapped && t->pins == 0);
	ts->by_page[(t->hpa - ts->base) / HV_TABLE_SIZE] = NULL;
	g_array_append_val(ts->free_pages, t->hpa);
	ts->st.freed++;
	ts->st.live--;
	table_free_obj(t);
}

static void unhash(struct hv_tables *ts, struct hv_table *t)
{
	if (t->hashed) {
		g_hash_table_remove(ts->by_key, &t->key);
		t->hashed = false;
	}
}

static void drop_parent(struct hv_table *child, uint64_t entry_hpa)
{
	GArray *p = child->parent_ptes;

	for (guint i = 0; p && i < p->len; i++)
		if (g_array_index(p, uint64_t, i) == entry_hpa) {
			g_array_remove_index_fast(p, i);
			break;
		}
	assert(child->parents > 0);
	child->parents--;
}

int hv_table_link(struct hv_tables *ts, uint64_t entry_hpa, struct hv_table *child,
		  uint64_t flags)
{
	const struct hv_table *parent = hv_table_at(ts, entry_hpa);
	uint64_t e;
	int rc;

	if ((rc = hv_entry_read(ts, entry_hpa, &e)))
		return rc;
	if (hv_entry_present(ts, e))
		return -EEXIST;
	/* Levels without rights bits (PAE PDPTEs) take P only. */
	if (parent && !ts->fmt->lvl[parent->key.role.level].has_perm)
		flags = ts->fmt->present;
	if ((rc = hv_entry_write(ts, entry_hpa, child->hpa | flags)))
		return rc;
	hv_table_adopt(child, entry_hpa);
	return 0;
}

void hv_table_adopt(struct hv_table *child, uint64_t entry_hpa)
{
	if (!child->parent_ptes)
		child->parent_ptes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_array_append_val(child->parent_ptes, entry_hpa);
	child->parents++;
}

static bool unreachable(const struct hv_table *t)
{
	return !t->hashed && t->parents == 0 && t->pins == 0;
}

int hv_entry_clear(struct hv_tables *ts, uint64_t entry_hpa, unsigned level)
{
	uint64_t e;
	int rc;

	if ((rc = hv_entry_read(ts, entry_hpa, &e)))
		return rc;
	if (!hv_entry_present(ts, e))
		return 0;
	if ((rc = hv_entry_write(ts, entry_hpa, 0)))
		return rc;
	if (hv_entry_leaf(ts, level, e)) {
		ts->st.leaves_cleared++;
	} else {
		struct hv_table *child = hv_table_at(ts, hv_entry_child(ts, e));

		if (child) {
			drop_parent(child, entry_hpa);
			if (unreachable(child) && !child->zapped)
				hv_table_zap(ts, child);
		}
	}
	return 0;
}

void hv_table_zap(struct hv_tables *ts, struct hv_table *t)
{
	const unsigned level = t->key.role.level, n = 1u << ts->fmt->lvl[level].index_bits;

	if (t->zapped)
		return;
	t->zapped = true;
	ts->st.zapped++;
	unhash(ts, t);
	/* Parents first: nothing may lead here once it is freed. */
	while (t->parent_ptes && t->parent_ptes->len) {
		uint64_t p = g_array_index(t->parent_ptes, uint64_t, t->parent_ptes->len - 1);

		hv_entry_write(ts, p, 0);
		drop_parent(t, p);
	}
	for (unsigned i = 0; i < n; i++)
		hv_entry_clear(ts, t->hpa + (uint64_t)i * ts->fmt->entry_bytes, level);
	if (t->pins == 0)
		table_free(ts, t);
}

void hv_table_pin(struct hv_table *t)
{
	t->pins++;
}

void hv_table_unpin(struct hv_tables *ts, struct hv_table *t)
{
	assert(t->pins > 0);
	if (--t->pins == 0 && t->zapped)
		table_free(ts, t);
}

void hv_tables_zap_all(struct hv_tables *ts)
{
	/* Roots first (tables nothing points at), so that subtrees go with
	 * them; then whatever is left (orphaned hashed tables). */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < ts->bytes / HV_TABLE_SIZE; i++) {
			struct hv_table *t = ts->by_page[i];

			if (t && !t->zapped && (pass == 1 || t->parents == 0))
				hv_table_zap(ts, t);
		}
}

/* ---- iterator (KVM tdp_iter.c) ---- */

static uint64_t round_level(const struct hv_tables *ts, uint64_t addr, unsigned level)
{
	return addr & ~(hv_level_span(ts, level) - 1);
}

static void refresh_entry(struct hv_iter *it)
{
	it->entry_hpa = hv_entry_addr(it->ts, it->pt_path[it->level], it->level, it->addr);
	if (hv_entry_read(it->ts, it->entry_hpa, &it->old))
		it->old = 0;
}

void hv_iter_refresh(struct hv_iter *it)
{
	if (hv_entry_read(it->ts, it->entry_hpa, &it->old))
		it->old = 0;
}

void hv_iter_start(struct hv_iter *it, struct hv_tables *ts, const struct hv_table *root,
		   unsigned min_level, uint64_t start)
{
	memset(it, 0, sizeof(*it));
	it->ts = ts;
	it->root_level = root->key.role.level;
	it->min_level = min_level ? min_level : 1;
	it->level = it->root_level;
	it->pt_path[it->level] = root->hpa;
	it->next_addr = start;
	it->addr = round_level(ts, start, it->level);
	refresh_entry(it);
	it->valid = true;
}

bool hv_iter_step_down(struct hv_iter *it)
{
	if (it->level <= it->min_level)
		return false;
	/* Re-read: an entry cleared since the step onto it has no subtree. */
	hv_iter_refresh(it);
	if (!hv_entry_present(it->ts, it->old) || hv_entry_leaf(it->ts, it->level, it->old))
		return false;
	it->level--;
	it->pt_path[it->level] = hv_entry_child(it->ts, it->old);
	it->addr = round_level(it->ts, it->next_addr, it->level);
	refresh_entry(it);
	return true;
}

bool hv_iter_step_side(struct hv_iter *it)
{
	const struct pg_level *L = &it->ts->fmt->lvl[it->level];
	uint64_t idx = (it->addr >> L->shift) & ((UINT64_C(1) << L->index_bits) - 1);

	if (idx == (UINT64_C(1) << L->index_bits) - 1)
		return false;
	it->addr += hv_level_span(it->ts, it->level);
	it->next_addr = it->addr;
	it->entry_hpa += it->ts->fmt->entry_bytes;
	hv_iter_refresh(it);
	return true;
}

bool hv_iter_step_up(struct hv_iter *it)
{
	if (it->level == it->root_level)
		return false;
	it->level++;
	it->addr = round_level(it->ts, it->addr, it->level);
	refresh_entry(it);
	return true;
}

void hv_iter_next(struct hv_iter *it)
{
	if (hv_iter_step_down(it))
		return;
	do {
		if (hv_iter_step_side(it))
			return;
	} while (hv_iter_step_up(it));
	it->valid = false;
}

/* ---- users of the iterator ---- */

int64_t hv_zap_range(struct hv_tables *ts, struct hv_table *root, uint64_t start, uint64_t end)
{
	struct hv_iter it;
	uint64_t before = ts->st.leaves_cleared;

	hv_for_each_entry(it, ts, root, 1, start, end) {
		uint64_t span = hv_level_span(ts, it.level);

		if (!hv_entry_present(ts, it.old))
			continue;
		/* Partly covered: descend (the next step goes down). */
		if (it.addr < start || it.addr + span - 1 > end - 1)
			continue;
		if (hv_entry_clear(ts, it.entry_hpa, it.level))
			return -EFAULT;
	}
	return (int64_t)(ts->st.leaves_cleared - before);
}

uint64_t hv_tables_audit(const struct hv_tables *ts, GString *why)
{
	GHashTable *refs = g_hash_table_new(g_direct_hash, g_direct_equal);
	uint64_t bad = 0;

#define AUDIT_FAIL(...)                                                 \
	do {                                                            \
		if (why && bad++ == 0)                                  \
			g_string_append_printf(why, __VA_ARGS__);       \
		else if (!why)                                          \
			bad++;                                          \
	} while (0)

	for (uint64_t i = 0; i < ts->bytes / HV_TABLE_SIZE; i++) {
		const struct hv_table *t = ts->by_page[i];
		unsigned level, n;

		if (!t || t->zapped)
			continue;
		level = t->key.role.level;
		n = 1u << ts->fmt->lvl[level].index_bits;
		for (unsigned k = 0; k < n; k++) {
			uint64_t e = 0;
			const struct hv_table *c;

			hv_entry_read(ts, t->hpa + (uint64_t)k * ts->fmt->entry_bytes, &e);
			if (!hv_entry_present(ts, e) || hv_entry_leaf(ts, level, e))
				continue;
			c = hv_table_at(ts, hv_entry_child(ts, e));
			if (!c || c->zapped || c->hpa != hv_entry_child(ts, e)) {
				AUDIT_FAIL("table 0x%" PRIx64 " entry %u points at 0x%" PRIx64
					   ", no live table", t->hpa, k, hv_entry_child(ts, e));
				continue;
			}
			if (c->key.role.level + 1u != level)
				AUDIT_FAIL("table 0x%" PRIx64 " (level %u) points at a level-%u "
					   "table", t->hpa, level, c->key.role.level);
			g_hash_table_insert(refs, (gpointer)c,
					    GUINT_TO_POINTER(GPOINTER_TO_UINT(
						    g_hash_table_lookup(refs, c)) + 1));
		}
	}
	for (uint64_t i = 0; i < ts->bytes / HV_TABLE_SIZE; i++) {
		const struct hv_table *t = ts->by_page[i];
		unsigned n;

		if (!t || t->zapped)
			continue;
		n = GPOINTER_TO_UINT(g_hash_table_lookup(refs, t));
		if (n != t->parents)
			AUDIT_FAIL("table 0x%" PRIx64 " has %u parent entries, counted %u", t->hpa,
				   n, t->parents);
	}
	for (guint i = 0; i < ts->free_pages->len; i++)
		if (hv_table_at(ts, g_array_index(ts->free_pages, uint64_t, i)))
			AUDIT_FAIL("free page 0x%" PRIx64 " belongs to a table",
				   g_array_index(ts->free_pages, uint64_t, i));
#undef AUDIT_FAIL
	g_hash_table_destroy(refs);
	return bad;
}

void hv_tables_dump(struct hv_tables *ts, const struct hv_table *root, GString *out)
{
	struct hv_iter it;

	hv_for_each_entry(it, ts, root, 1, 0, UINT64_MAX) {
		if (!hv_entry_present(ts, it.old))
			continue;
		g_string_append_printf(out, "l%u 0x%" PRIx64 " -> 0x%" PRIx64 "%s\n", it.level,
				       it.addr, it.old,
				       hv_entry_leaf(ts, it.level, it.old) ? " leaf" : "");
	}
}
