/*
 * `tdpsim walk --json`: the same report as one JSON object (keys in
 * docs/cli-walk.md); addresses and entries are "0x..." strings so that no
 * 64-bit value loses precision in a JSON reader.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "paging/bits.h"
#include "paging/decode.h"

static void json_hex(JsonBuilder *b, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, buf);
}

static void json_int(JsonBuilder *b, const char *key, int64_t v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

static void json_null(JsonBuilder *b, const char *key)
{
	json_builder_set_member_name(b, key);
	json_builder_add_null_value(b);
}

void walk_print_json(const struct walk_ctx *c)
{
	const struct pg_format *fmt = c->mmu.fmt;
	const struct pg_walk *w = &c->w;
	const struct pg_fault *f = &c->w.fault;
	JsonBuilder *b = json_builder_new();
	JsonGenerator *g;
	JsonNode *root;
	gchar *out;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mode");
	json_builder_add_string_value(b, c->gm->name);
	json_hex(b, "va", c->rq.va);
	json_builder_set_member_name(b, "access");
	json_builder_add_string_value(b, pg_access_name(c->rq.access));
	json_int(b, "cpl", c->rq.cpl);
	json_builder_set_member_name(b, "implicit");
	json_builder_add_boolean_value(b, c->rq.implicit);
	json_hex(b, "cr0", c->regs.cr0);
	json_hex(b, "cr3", c->regs.cr3);
	json_hex(b, "cr4", c->regs.cr4);
	json_hex(b, "efer", c->regs.efer);
	json_int(b, "maxphyaddr", c->cpu.maxphyaddr);

	json_builder_set_member_name(b, "levels");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *wl = &w->lvl[i];
		struct pg_decoded d;

		pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		json_builder_begin_object(b);
		json_int(b, "level", wl->level);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, fmt->lvl[wl->level].name);
		json_hex(b, "table", wl->table);
		json_int(b, "index", wl->index);
		json_hex(b, "entry_addr", wl->entry_addr);
		json_hex(b, "entry", wl->entry);
		json_builder_set_member_name(b, "bits");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < d.nbits; k++)
			json_builder_add_string_value(b, d.bits[k]);
		json_builder_end_array(b);
		json_hex(b, "addr", d.addr);
		json_builder_set_member_name(b, "from_reg");
		json_builder_add_boolean_value(b, wl->from_reg);
		json_builder_set_member_name(b, "ad_set");
		json_builder_begin_array(b);
		if (c->ad_set[wl->level] & PTE_A)
			json_builder_add_string_value(b, "A");
		if (c->ad_set[wl->level] & PTE_D)
			json_builder_add_string_value(b, "D");
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	bool ok = !f->vector && !(fmt->top_in_regs && !c->pdpte_loaded);
	if (ok) {
		char perms[4];

		walk_perms_letters(w->perms, perms);
		json_hex(b, "pa", w->pa);
		json_int(b, "page_size", (int64_t)w->page_size);
		json_builder_set_member_name(b, "perms");
		json_builder_add_string_value(b, perms);
		json_int(b, "pkey", w->pkey);
		json_builder_set_member_name(b, "global");
		json_builder_add_boolean_value(b, w->global);
	} else {
		json_null(b, "pa");
		json_null(b, "page_size");
		json_null(b, "perms");
		json_null(b, "pkey");
		json_null(b, "global");
	}
	json_int(b, "refs", c->host ? walk_host_refs(c) : w->refs);
	json_int(b, "ad_writes", w->ad_writes);
	if (fmt->top_in_regs && !c->mmu.pdpte_in_walk)
		json_int(b, "pdpte_load_refs", c->pdpte_refs);

	if (ok) {
		json_null(b, "fault");
	} else {
		const char *names[6];
		unsigned nb = pg_decode_pfec(f->error_code, names);

		json_builder_set_member_name(b, "fault");
		json_builder_begin_object(b);
		json_int(b, "vector", f->vector);
		json_int(b, "error_code", f->error_code);
		json_builder_set_member_name(b, "error_bits");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < nb; k++)
			json_builder_add_string_value(b, names[k]);
		json_builder_end_array(b);
		json_hex(b, "addr", f->addr);
		json_int(b, "level", f->level);
		json_builder_set_member_name(b, "stage");
		json_builder_add_string_value(b, pg_stage_name(f->stage));
		if (f->stage == PG_STAGE_PDPTE_LOAD)
			json_hex(b, "gpa", f->gpa);
		if (f->vector == PG_VEC_VMEXIT) {
			json_int(b, "exit_reason", f->exit_reason);
			json_hex(b, "exit_info", f->host_info);
			json_hex(b, "gpa", f->gpa);
		}
		json_builder_end_object(b);
	}
	if (c->host)
		walk_host_json(c, b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	g = json_generator_new();
	json_generator_set_pretty(g, TRUE);
	json_generator_set_indent(g, 2);
	json_generator_set_root(g, root);
	out = json_generator_to_data(g, NULL);
	printf("%s\n", out);
	g_free(out);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
}
