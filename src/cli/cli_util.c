/*
 * Parsing and error helpers shared by the subcommands (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timing/model.h"


int cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fflush(stdout);
	if (cmd)
		fprintf(stderr, "tdpsim %s: error: %s\n", cmd, msg);
	else
		fprintf(stderr, "tdpsim: error: %s\n", msg);
	g_free(msg);
	return CLI_EXIT_USAGE;
}

int cli_parse_options(const char *cmd, GOptionContext *ctx, int *argc, char ***argv)
{
	GError *err = NULL;
	int rc;

	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		rc = cli_fail(cmd, "%s", err->message);
		g_error_free(err);
		return rc;
	}
	if (*argc > 1)
		return cli_fail(cmd, "unexpected argument '%s'", (*argv)[1]);
	return 0;
}

int cli_parse_stats(const char *cmd, const char *value, int *fmt)
{
	if (!value || strcmp(value, "short") == 0)
		*fmt = TM_FMT_SHORT;
	else if (strcmp(value, "full") == 0)
		*fmt = TM_FMT_TEXT;
	else
		return cli_fail(cmd, "--stats %s: expected short or full", value);
	return 0;
}

int cli_tlb_flush_env(const char *cmd, uint32_t *out)
{
	const char *s = g_getenv("TDPSIM_UNICORN_TLB_FLUSH");
	uint64_t v;

	*out = 0;
	if (!s)
		return 0;
	if (cli_parse_u64(s, &v) || v == 0 || v > UINT32_MAX)
		return cli_fail(cmd, "TDPSIM_UNICORN_TLB_FLUSH=%s: expected a number of fills, 1 "
				"to 4294967295", s);
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	bool any = false;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && g_ascii_isxdigit(*s))
			d = (unsigned)g_ascii_xdigit_value(*s);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	switch (g_ascii_tolower(*s)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && s[1] != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int cli_parse_page_size(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
	uint64_t v;

	/* cli_parse_u64() reads the names as numbers too: "2m" is 2 << 20. */
	if (cli_parse_u64(s, &v) || (v != UINT64_C(1) << 12 && v != UINT64_C(1) << 21 &&
				     v != UINT64_C(1) << 22 && v != UINT64_C(1) << 30))
		return cli_fail(cmd, "--%s %s: expected 4k, 2m, 4m or 1g", opt, s);
	*out = v;
	return 0;
}

void cli_bit_names(const struct cli_bit *t, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (; t->name; t++) {
		bool field = (t->mask & (t->mask - 1)) != 0;
		int k = snprintf(buf + n, len - n, "%s%s%s", n ? ", " : "", t->name,
				 field ? "=N" : "");

		if (k < 0 || (size_t)k >= len - n)
			return;
		n += (size_t)k;
	}
}

static const struct cli_bit *find_bit(const struct cli_bit *t, const char *name, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && g_ascii_strncasecmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

int cli_parse_bits(const char *list, const struct cli_bit *table, uint64_t *set,
		   uint64_t *clear, char *why, size_t why_len)
{
	gchar **items = g_strsplit(list, ",", -1);
	char known[256];
	int rc = 0;

	*set = 0;
	if (clear)
		*clear = 0;
	cli_bit_names(table, known, sizeof(known));
	for (gchar **it = items; *it; it++) {
		char *name = g_strstrip(*it), *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		bool neg = clear && name[0] == '-';
		const struct cli_bit *b;
		uint64_t val = 1;

		if (*name == '\0') {
			if (it == items && !it[1])
				break; /* an empty list sets nothing */
			snprintf(why, why_len, "empty name in list '%s'", list);
			rc = -EINVAL;
			break;
		}
		if (neg) {
			name++;
			nlen--;
		}
		b = find_bit(table, name, nlen);
		if (!b) {
			snprintf(why, why_len, "unknown name '%.*s' (known: %s)", (int)nlen, name,
				 known);
			rc = -EINVAL;
			break;
		}
		if ((b->mask & (b->mask - 1)) != 0) {
			unsigned lo = (unsigned)__builtin_ctzll(b->mask);

			if (!eq || neg || cli_parse_u64(eq + 1, &val) || val > (b->mask >> lo)) {
				snprintf(why, why_len, "'%s' needs a value %s=N with N in 0..%llu",
					 name, b->name, (unsigned long long)(b->mask >> lo));
				rc = -EINVAL;
				break;
			}
			*set = (*set & ~b->mask) | (val << lo);
			continue;
		}
		if (eq) {
			snprintf(why, why_len, "'%s' takes no value", name);
			rc = -EINVAL;
			break;
		}
		if (neg) {
			*clear |= b->mask;
			*set &= ~b->mask;
		} else {
			*set |= b->mask;
			if (clear)
				*clear &= ~b->mask;
		}
	}
	g_strfreev(items);
	return rc;
}

int cli_load_config(const char *cmd, const char *config, char *const *sets,
		    struct tm_config *out, char **path)
{
	return cli_load_config_as(cmd, "--config", config, sets, out, path);
}

int cli_load_config_as(const char *cmd, const char *opt, const char *config, char *const *sets,
		       struct tm_config *out, char **path)
{
	const char *name = config ? config : TM_CONFIG_DEFAULT;
	char why[4096]; /* an incomplete model lists its missing keys */
	char *file;
	int rc = 0;

	tm_config_defaults(out);
	file = tm_config_find(name);
	if (!file && g_file_test(name, G_FILE_TEST_EXISTS))
		return cli_fail(cmd, "%s %s: not a regular file", opt, name);
	/* A path is only a path (tm_config_find); a name may be a model. */
	if (!file && strchr(name, '/'))
		return cli_fail(cmd, "%s %s: no such file", opt, name);
	if (!file)
		return cli_fail(cmd, "%s %s: no such file, and no configs/%s%s", opt, name, name,
				g_str_has_suffix(name, ".ini") ? "" : ".ini");
	if (tm_config_load(out, file, why, sizeof(why))) {
		rc = cli_fail(cmd, "%s: %s", opt, why);
		goto out_free;
	}
	for (char *const *s = sets; s && *s; s++)
		if (tm_config_set(out, *s, why, sizeof(why))) {
			rc = cli_fail(cmd, "%s", why); /* @why names the --set */
			goto out_free;
		}
	if (tm_config_check(out, why, sizeof(why))) {
		rc = cli_fail(cmd, "%s%s", sets && *sets ? "after --set: " : "", why);
		goto out_free;
	}
	if (path) {
		*path = file;
		file = NULL;
	}
out_free:
	g_free(file);
	return rc;
}

void cli_free_options(const GOptionEntry *e)
{
	for (; e->long_name; e++) {
		if (e->arg == G_OPTION_ARG_STRING || e->arg == G_OPTION_ARG_FILENAME) {
			g_free(*(gchar **)e->arg_data);
			*(gchar **)e->arg_data = NULL;
		} else if (e->arg == G_OPTION_ARG_STRING_ARRAY ||
			   e->arg == G_OPTION_ARG_FILENAME_ARRAY) {
			g_strfreev(*(gchar ***)e->arg_data);
			*(gchar ***)e->arg_data = NULL;
		}
	}
}

/* Whether option @e's value names a file: a FILENAME argument, or one
 * described as FILE ("FILE|NAME", "FILE[,CMDLINE]"). */
static bool names_file(const GOptionEntry *e)
{
	return e->arg == G_OPTION_ARG_FILENAME || e->arg == G_OPTION_ARG_FILENAME_ARRAY ||
	       (e->arg_description && g_str_has_prefix(e->arg_description, "FILE"));
}

/* @v with its file part (up to a ',' in "FILE[,...]") reduced to its base
 * name. */
static gchar *base_of(const char *v)
{
	const char *comma = strchr(v, ',');
	gchar *path = comma ? g_strndup(v, (gsize)(comma - v)) : g_strdup(v);
	gchar *b = *path ? g_path_get_basename(path) : g_strdup("");
	gchar *r = g_strconcat(b, comma ? comma : "", NULL);

	g_free(path);
	g_free(b);
	return r;
}

/* @a, quoted for a shell when it has anything but plain word characters. */
static gchar *shell_word(const char *a)
{
	for (const char *p = a; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("_./=:,+-@%", *p))
			return g_shell_quote(a);
	return *a ? g_strdup(a) : g_shell_quote(a);
}

gchar *cli_portable_command(char **argv, const GOptionEntry *entries)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	gchar *out;

	for (unsigned i = 0; argv[i]; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const GOptionEntry *e = NULL;

		if (g_str_has_prefix(a, "--") && a[2])
			for (e = entries; e->long_name; e++)
				if (strlen(e->long_name) == (size_t)((eq ? eq : a + strlen(a)) - a - 2) &&
				    strncmp(e->long_name, a + 2, strlen(e->long_name)) == 0)
					break;
		if (!e || !e->long_name || !names_file(e)) {
			g_ptr_array_add(w, shell_word(a));
		} else if (eq) {
			gchar *b = base_of(eq + 1);
			gchar *opt = g_strdup_printf("%.*s=%s", (int)(eq - a), a, b);

			g_ptr_array_add(w, shell_word(opt));
			g_free(opt);
			g_free(b);
		} else {
			g_ptr_array_add(w, shell_word(a));
			if (argv[i + 1]) {
				gchar *b = base_of(argv[++i]);

				g_ptr_array_add(w, shell_word(b));
				g_free(b);
			}
		}
	}
	g_ptr_array_add(w, NULL);
	out = g_strjoinv(" ", (gchar **)w->pdata);
	g_ptr_array_free(w, TRUE);
	return out;
}
