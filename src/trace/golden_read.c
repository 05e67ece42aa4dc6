/*
 * Reading golden files (golden.h, docs/golden.md) for `tdpsim diff`: the
 * file is kept whole in memory with its lines cut in place; event lines
 * are split into their fixed head (kind, index, instructions, RIP) and the
 * rest, which is compared as text.
 */
#include "golden.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = { "walk", "fault", "event", "vmexit", "marker" };

void trc_golden_free(struct trc_gfile *g)
{
	g_free(g->buf);
	if (g->meta)
		g_ptr_array_free(g->meta, TRUE);
	if (g->ev)
		g_array_free(g->ev, TRUE);
	if (g->st)
		g_array_free(g->st, TRUE);
	memset(g, 0, sizeof(*g));
}

static bool parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	return !errno && *end == '\0';
}

bool trc_gfield(const char *body, const char *key, char *out, unsigned len)
{
	size_t kl = strlen(key);

	for (const char *p = body; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1, *e = strchr(v, ' ');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				n = len - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

/* "KIND INDEX i=N rip=0xR|- REST": the head's four tokens are parsed from
 * copies, and body points at the blank before REST (or at ""). */
static bool parse_event(const char *line, struct trc_gline *e)
{
	char tok[4][40];
	const char *p = line;
	uint64_t v = 0;

	for (unsigned i = 0; i < 4; i++) {
		const char *sp = strchr(p, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);

		if (n >= sizeof(tok[i]) || (!sp && i < 3))
			return false;
		memcpy(tok[i], p, n);
		tok[i][n] = '\0';
		p = sp ? sp + 1 : p + n;
		if (i == 3)
			e->body = sp ? sp : "";
	}
	e->kind = NULL;
	for (unsigned i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(tok[0], kinds[i]) == 0)
			e->kind = kinds[i];
	if (!e->kind || !parse_u64(tok[1], 10, &e->index) || strncmp(tok[2], "i=", 2) ||
	    !parse_u64(tok[2] + 2, 10, &e->insns) || strncmp(tok[3], "rip=", 4))
		return false;
	e->has_rip = strcmp(tok[3] + 4, "-") != 0;
	if (e->has_rip && (strncmp(tok[3] + 4, "0x", 2) || !parse_u64(tok[3] + 6, 16, &v)))
		return false;
	e->rip = v;
	return true;
}

int trc_golden_parse(const char *data, size_t len, struct trc_gfile *out, char *why,
		     unsigned why_len)
{
	char *p, *next;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(data, '\0', len)) {
		snprintf(why, why_len, "not a golden file (it holds NUL bytes)");
		return -EINVAL;
	}
	out->buf = g_malloc(len + 1);
	memcpy(out->buf, data, len);
	out->buf[len] = '\0';
	out->meta = g_ptr_array_new();
	out->ev = g_array_new(FALSE, FALSE, sizeof(struct trc_gline));
	out->st = g_array_new(FALSE, FALSE, sizeof(struct trc_gstat));
	for (p = out->buf; *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		else
			next = p + strlen(p);
		lineno++;
		if (lineno == 1) {
			if (strcmp(p, TRC_GOLDEN_MAGIC) != 0) {
				snprintf(why, why_len, "not a golden file (line 1 is not \"%s\")",
					 TRC_GOLDEN_MAGIC);
				goto out_bad;
			}
			continue;
		}
		if (out->ended) {
			snprintf(why, why_len, "line %u: text after the \"end\" line", lineno);
			goto out_bad;
		}
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "@ ", 2) == 0) {
			g_ptr_array_add(out->meta, p + 2);
		} else if (strncmp(p, "stat ", 5) == 0) {
			struct trc_gstat s = { .key = p + 5 };
			char *sp = strchr(p + 5, ' ');

			if (!sp || !parse_u64(sp + 1, 10, &s.val)) {
				snprintf(why, why_len, "line %u: expected \"stat KEY VALUE\"", lineno);
				goto out_bad;
			}
			*sp = '\0';
			g_array_append_val(out->st, s);
		} else if (strncmp(p, "end ", 4) == 0) {
			out->ended = true;
		} else {
			struct trc_gline e = { .text = p, .lineno = lineno };

			if (!parse_event(p, &e)) {
				snprintf(why, why_len, "line %u: not an event line (KIND INDEX i=N "
					 "rip=ADDR ...)", lineno);
				goto out_bad;
			}
			g_array_append_val(out->ev, e);
		}
	}
	if (lineno == 0) {
		snprintf(why, why_len, "not a golden file (empty)");
		goto out_bad;
	}
	if (!out->ended) {
		snprintf(why, why_len, "truncated: no \"end\" line after line %u", lineno);
		goto out_bad;
	}
	return 0;
out_bad:
	trc_golden_free(out);
	return -EINVAL;
}

int trc_golden_load(const char *path, struct trc_gfile *out, char *why, unsigned why_len)
{
	gchar *data = NULL;
	gsize len = 0;
	GError *err = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!g_file_get_contents(path, &data, &len, &err)) {
		snprintf(why, why_len, "%s", err->message);
		rc = err->code == G_FILE_ERROR_NOENT ? -ENOENT : -EIO;
		g_error_free(err);
		return rc;
	}
	rc = trc_golden_parse(data, len, out, why, why_len);
	g_free(data);
	return rc;
}
