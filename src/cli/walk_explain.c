/*
 * `tdpsim walk`: the result in words. The fault line names the vector, the
 * #PF error-code bits and why: not present, the reserved bits set, or the
 * access-rights rule that refused. That rule is not decided here: the
 * engine's own pg_check_access() (perm.c) is asked which rights, granted,
 * would have allowed the access, and that is what is named (SDM Vol. 3A
 * 4.6; the PK bit of the error code, 4.7, reports a key denial).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "paging/bits.h"
#include "paging/decode.h"

const char *walk_size_name(uint64_t size, char *buf, size_t n)
{
	if (size >= (UINT64_C(1) << 30) && !(size & ((UINT64_C(1) << 30) - 1)))
		snprintf(buf, n, "%" PRIu64 " GiB", size >> 30);
	else if (size >= (UINT64_C(1) << 20) && !(size & ((UINT64_C(1) << 20) - 1)))
		snprintf(buf, n, "%" PRIu64 " MiB", size >> 20);
	else
		snprintf(buf, n, "%" PRIu64 " KiB", size >> 10);
	return buf;
}

/*
 * The rule behind a denial, for the right @bit whose change lifts it. U/S
 * can help either way: a user-mode access needs U/S=1 (SDM Vol. 3A 4.6.1),
 * a supervisor-mode one is refused a user page by SMEP (fetch) or SMAP
 * (data). Whether the access was user-mode is the error code's U/S bit.
 */
static const char *rule_words(const struct walk_ctx *c, unsigned bit)
{
	bool user = c->w.fault.error_code & PFEC_US, upage = c->w.perms & PG_PERM_U;

	if (bit == PG_PERM_U && !upage)
		return "user-mode access to a supervisor-mode page (U/S=0 at some level)";
	if (bit == PG_PERM_U && c->rq.access == PG_ACC_FETCH)
		return "SMEP: supervisor-mode fetch from a user-mode page";
	if (bit == PG_PERM_U)
		return c->rq.implicit ? "SMAP: implicit supervisor-mode access to a user-mode page"
				      : "SMAP: supervisor-mode access to a user-mode page with "
					"EFLAGS.AC=0";
	if (bit == PG_PERM_W)
		return user ? "user-mode write to a read-only page (R/W=0 at some level)"
			    : "supervisor-mode write to a read-only page with CR0.WP=1";
	return "fetch from a no-execute page (XD=1 at some level)";
}

/*
 * Why the access was refused. The engine decides (pg_check_access); this
 * asks it again with keys off and the walk's rights changed, and names the
 * smallest set of changes that lets the access through: granting R/W or
 * execution, or flipping U/S. Several causes are all named (a user write to
 * a read-only supervisor page needs both U/S and R/W), in the order U, W, X.
 * A key denial is the error code's PK bit.
 */
static void deny_reason(const struct walk_ctx *c, char *buf, size_t n)
{
	static const unsigned order[3] = { PG_PERM_U, PG_PERM_W, PG_PERM_X };
	struct pg_mmu m = c->mmu;
	unsigned p = c->w.perms, cand = PG_PERM_U | (~p & (PG_PERM_W | PG_PERM_X)), fix = 0;
	bool upage = p & PG_PERM_U;
	GString *s = g_string_new(NULL);

	m.pke = m.pks = false; /* rights alone */
	if (pg_check_access(&m, &c->rq, p, c->w.pkey)) {
		/* Subsets of the candidates, fewest bits first. */
		for (unsigned k = 1; k <= 3 && !fix; k++)
			for (unsigned set = 1; set < 8 && !fix; set++)
				if ((set & ~cand) == 0 && (unsigned)__builtin_popcount(set) == k &&
				    !pg_check_access(&m, &c->rq, p ^ set, c->w.pkey))
					fix = set;
		for (unsigned i = 0; i < 3; i++)
			if (fix & order[i])
				g_string_append_printf(s, "%s%s", s->len ? "; " : "",
						       rule_words(c, order[i]));
	}
	if (c->w.fault.error_code & PFEC_PK)
		g_string_append_printf(s, "%sprotection key %u denies the %s (%s)",
				       s->len ? "; " : "", c->w.pkey, pg_access_name(c->rq.access),
				       upage ? "PKRU" : "IA32_PKRS");
	snprintf(buf, n, "%s", s->len ? s->str : "access rights deny it");
	g_string_free(s, TRUE);
}

static const struct pg_walk_level *fault_row(const struct walk_ctx *c)
{
	for (unsigned i = 0; i < c->w.nlevels; i++)
		if (c->w.lvl[i].level == c->w.fault.level)
			return &c->w.lvl[i];
	return NULL;
}

/* One line on the fault, after "=> ". */
void walk_fault_text(const struct walk_ctx *c, char *buf, size_t n)
{
	const struct pg_fault *f = &c->w.fault;
	const struct pg_format *fmt = c->mmu.fmt;
	const char *names[6];
	char bits[48] = "", why[320];
	unsigned nb = pg_decode_pfec(f->error_code, names);

	if (f->vector == X86_VEC_GP && f->stage == PG_STAGE_LINEAR) {
		snprintf(buf, n, "#GP(0): non-canonical address (bits 63:%u must all equal bit %u)",
			 fmt->va_bits - 1u, fmt->va_bits - 1u);
		return;
	}
	if (f->vector == X86_VEC_GP && f->stage == PG_STAGE_PDPTE_LOAD) {
		uint64_t e = 0;

		cpu_ram_read_le(&c->ram, f->gpa, 8, &e);
		snprintf(buf, n, "#GP(0) at PDPTE load: PDPTE %u at 0x%" PRIx64 " = 0x%016" PRIx64
			 " is present with reserved bits 0x%" PRIx64,
			 (unsigned)((f->gpa - c->mmu.root) / 8), f->gpa, e, e & c->mmu.rsvd[3][0]);
		return;
	}
	for (unsigned i = 0; i < nb; i++) {
		g_strlcat(bits, i ? " " : ": ", sizeof(bits));
		g_strlcat(bits, names[i], sizeof(bits));
	}
	if (!(f->error_code & PFEC_P)) {
		snprintf(why, sizeof(why), "not present");
	} else if (f->error_code & PFEC_RSVD) {
		const struct pg_walk_level *wl = fault_row(c);
		struct pg_decoded d = { 0 };

		if (wl)
			pg_decode_entry(&c->mmu, wl->level, wl->entry, &d);
		snprintf(why, sizeof(why), "reserved bits 0x%" PRIx64 " set", d.rsvd);
	} else {
		deny_reason(c, why, sizeof(why));
	}
	snprintf(buf, n, "#%s(0x%x%s) at level %u (%s): %s; CR2 0x%" PRIx64,
		 f->vector == X86_VEC_PF ? "PF" : "GP", f->error_code, bits, f->level,
		 fmt->lvl[f->level].name ? fmt->lvl[f->level].name : "?", why, f->addr);
}

void walk_perms_letters(unsigned p, char buf[4])
{
	char *q = buf;

	if (p & PG_PERM_W)
		*q++ = 'W';
	if (p & PG_PERM_U)
		*q++ = 'U';
	if (p & PG_PERM_X)
		*q++ = 'X';
	*q = '\0';
}

/* "W U X", "U X", ..., "none" for text output. */
static_assert(PG_PERM_W == 1 && PG_PERM_U == 2 && PG_PERM_X == 4, "walk_perms_words() table order");
const char *walk_perms_words(unsigned p)
{
	static const char *const words[8] = {
		"none", "W", "U", "W U", "X", "W X", "U X", "W U X",
	};
	return words[p & 7];
}
