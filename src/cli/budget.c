/*
 * Memory budgets (cli.h): every command that allocates in proportion to its
 * input (page tables over --pages, guest RAM, the CPU model's arrays) adds
 * up what it will allocate and checks it here BEFORE allocating, so that an
 * accepted command line cannot take gigabytes by accident. The budget is a
 * fixed figure, not a share of this machine's memory: the same command is
 * refused or accepted on every machine.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>

/* "7.5 GiB": one decimal, plain ASCII (GLib's g_format_size() puts a
 * no-break space before the unit). */
static char *size_str(uint64_t n)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	double v = (double)n;

	while (v >= 1024 && u + 1 < G_N_ELEMENTS(unit)) {
		v /= 1024;
		u++;
	}
	return u ? g_strdup_printf("%.1f %s", v, unit[u])
		 : g_strdup_printf("%" PRIu64 " %s", n, unit[0]);
}

int cli_budget_parse(const char *cmd, const char *s, uint64_t *budget)
{
	*budget = CLI_MEM_BUDGET_DEFAULT;
	if (s && (cli_parse_u64(s, budget) || *budget == 0))
		return cli_fail(cmd, "--max-memory %s: expected a size in bytes with an optional "
				"k, m or g suffix (e.g. 8g)", s);
	return 0;
}

int cli_budget_check(const char *cmd, uint64_t budget, const char *what, ...)
{
	GString *parts = g_string_new(NULL);
	uint64_t need = 0;
	const char *name;
	va_list ap;
	int rc = 0;

	va_start(ap, what);
	for (name = what; name; name = va_arg(ap, const char *)) {
		uint64_t n = va_arg(ap, uint64_t);
		char *sz;

		if (!n)
			continue;
		need = need + n < need ? UINT64_MAX : need + n;
		sz = size_str(n);
		g_string_append_printf(parts, "%s%s %s", parts->len ? ", " : "", name, sz);
		g_free(sz);
	}
	va_end(ap);
	if (need > budget) {
		char *n = size_str(need);
		char *b = size_str(budget);

		rc = cli_fail(cmd, "this needs %s of memory (%s), over the budget of %s; "
			      "--max-memory SIZE raises it", n, parts->str, b);
		g_free(n);
		g_free(b);
	}
	g_string_free(parts, TRUE);
	return rc;
}
