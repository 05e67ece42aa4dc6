/*
 * `tdpsim diff A B`: compare two golden files (docs/golden.md), or two
 * traces replayed under their own options (each replayed by `tdpsim
 * replay ... --golden`, the same code CI's goldens come from), and, when
 * they differ, print the first divergence with its context: what a
 * developer reads in a failed CI log. Exit 0 when equal, 1 when they
 * differ, 2 on bad input. docs/cli-diff.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli.h"
#include "trace/golden.h"

#define CMD "diff"
#define CLI_EXIT_DIFFER 1

/* Does @path start like a golden file (any version: the loader judges)? */
static bool is_golden(const char *path)
{
	static const char prefix[] = "tdpsim-golden ";
	char head[sizeof(prefix)] = "";
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return true; /* the golden loader names the error */
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	return strcmp(head, prefix) == 0;
}

/* The first line of @s (for a child's error). */
static gchar *first_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return g_strndup(s, nl ? (size_t)(nl - s) : strlen(s));
}

/*
 * @side's golden: @path itself, or the golden of `tdpsim replay @path @opts
 * --golden TMP` written into @dir (*@tmp set, for removal). 0, or the
 * CLI's exit code with one line.
 */
static int golden_of(const char *side, const char *path, const char *opts, const char *dir,
		     char **golden, char **tmp)
{
	gchar **extra = NULL, *exe = NULL, *out = NULL, *err = NULL;
	GPtrArray *argv;
	GError *e = NULL;
	gint status = 0;
	int rc = 0;

	*tmp = NULL;
	if (is_golden(path)) {
		if (opts)
			return cli_fail(CMD, "--%s-opts: %s is a golden file, not a trace", side, path);
		*golden = g_strdup(path);
		return 0;
	}
	if (opts && !g_shell_parse_argv(opts, NULL, &extra, &e)) {
		rc = cli_fail(CMD, "--%s-opts %s: %s", side, opts, e->message);
		g_error_free(e);
		return rc;
	}
	exe = g_file_read_link("/proc/self/exe", NULL);
	*tmp = g_strdup_printf("%s/%s.golden", dir, side);
	argv = g_ptr_array_new();
	g_ptr_array_add(argv, exe ? exe : (gchar *)"tdpsim");
	g_ptr_array_add(argv, "replay");
	g_ptr_array_add(argv, (gpointer)path);
	for (gchar **o = extra; o && *o; o++)
		g_ptr_array_add(argv, *o);
	g_ptr_array_add(argv, "--golden");
	g_ptr_array_add(argv, *tmp);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
			  &err, &status, &e)) {
		rc = cli_fail(CMD, "%s: cannot replay %s: %s", side, path, e->message);
		g_error_free(e);
	} else if (!g_spawn_check_wait_status(status, NULL)) {
		gchar *line = first_line(err ? err : "");

		/* The replay's own one-line error, named after its side. */
		rc = cli_fail(CMD, "%s: replaying %s failed: %s", side, path, line);
		g_free(line);
	} else {
		*golden = g_strdup(*tmp);
	}
	g_ptr_array_free(argv, TRUE);
	g_strfreev(extra);
	g_free(exe);
	g_free(out);
	g_free(err);
	return rc;
}

static int load(const char *path, struct trc_gfile *g)
{
	char why[256];

	if (trc_golden_load(path, g, why, sizeof(why)))
		return cli_fail(CMD, "%s: %s", path, why);
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	gint context = 3;
	gboolean quiet = FALSE;
	gchar *opts = NULL, *a_opts = NULL, *b_opts = NULL;
	const GOptionEntry entries[] = {
		{ "context", 0, 0, G_OPTION_ARG_INT, &context,
		  "equal events shown before the first divergence (default 3)", "N" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing; the exit status only",
		  NULL },
		{ "opts", 0, 0, G_OPTION_ARG_STRING, &opts,
		  "traces: `tdpsim replay` options for both A and B", "'OPTIONS'" },
		{ "a-opts", 0, 0, G_OPTION_ARG_STRING, &a_opts,
		  "traces: replay options for A only (after --opts)", "'OPTIONS'" },
		{ "b-opts", 0, 0, G_OPTION_ARG_STRING, &b_opts,
		  "traces: replay options for B only (after --opts)", "'OPTIONS'" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("A B - compare two golden files or traces");
	struct trc_gfile a = { 0 }, b = { 0 };
	char *ga = NULL, *gb = NULL, *ta = NULL, *tb = NULL, *dir = NULL;
	gchar *oa = NULL, *ob = NULL;
	struct trc_gdiff d;
	GError *err = NULL;
	int rc;

	g_option_context_set_summary(ctx, "A and B are golden files (--golden), or traces that are "
				     "replayed with --golden first.\nExit 0 when equal, 1 when "
				     "they differ (the first divergence is printed), 2 on error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		rc = cli_fail(CMD, "%s", err->message);
		g_error_free(err);
		goto out;
	}
	if (argc != 3) {
		rc = cli_fail(CMD, "expected two files, A and B (got %d)", argc - 1);
		goto out;
	}
	if (context < 0) {
		rc = cli_fail(CMD, "--context %d: expected 0 or more", context);
		goto out;
	}
	if (opts || a_opts)
		oa = g_strjoin(" ", opts ? opts : "", a_opts ? a_opts : "", NULL);
	if (opts || b_opts)
		ob = g_strjoin(" ", opts ? opts : "", b_opts ? b_opts : "", NULL);
	dir = g_dir_make_tmp("tdpsim-diff-XXXXXX", &err);
	if (!dir) {
		rc = cli_fail(CMD, "cannot make a temporary directory: %s", err->message);
		g_error_free(err);
		goto out;
	}
	if ((rc = golden_of("a", argv[1], oa, dir, &ga, &ta)) ||
	    (rc = golden_of("b", argv[2], ob, dir, &gb, &tb)) || (rc = load(ga, &a)) ||
	    (rc = load(gb, &b)))
		goto out;
	trc_golden_compare(&a, &b, &d);
	if (!d.first && !d.stats_moved) {
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (!quiet) {
		trc_golden_report(&a, &b, &d, argv[1], argv[2], (unsigned)context, stdout);
		if (fflush(stdout) || ferror(stdout)) {
			rc = cli_fail(CMD, "cannot write the report");
			goto out;
		}
	}
	rc = CLI_EXIT_DIFFER;
out:
	g_option_context_free(ctx);
	trc_golden_free(&a);
	trc_golden_free(&b);
	for (char **t = (char *[]){ ta, tb }, **e = t + 2; t < e; t++)
		if (*t) {
			g_unlink(*t);
			g_free(*t);
		}
	if (dir) {
		g_rmdir(dir);
		g_free(dir);
	}
	g_free(ga);
	g_free(gb);
	g_free(oa);
	g_free(ob);
	g_free(opts);
	g_free(a_opts);
	g_free(b_opts);
	return rc;
}
