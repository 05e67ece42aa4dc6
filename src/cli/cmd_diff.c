/*
 * `tdpsim diff A B`: compare two golden files (docs/golden.md) and, when
 * they differ, print the first divergence with its context: what a
 * developer reads in a failed CI log. Exit 0 when equal, 1 when they
 * differ, 2 on bad input. docs/cli-diff.md.
 */
#include <stdio.h>

#include "cli.h"
#include "trace/golden.h"

#define CMD "diff"
#define CLI_EXIT_DIFFER 1

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
	const GOptionEntry entries[] = {
		{ "context", 0, 0, G_OPTION_ARG_INT, &context,
		  "equal events shown before the first divergence (default 3)", "N" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing; the exit status only",
		  NULL },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("A B - compare two golden files");
	struct trc_gfile a = { 0 }, b = { 0 };
	struct trc_gdiff d;
	int rc;

	g_option_context_set_summary(ctx, "Exit 0 when A and B are equal, 1 when they differ "
				     "(the first divergence is printed), 2 on error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;

	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		rc = cli_fail(CMD, "%s", err->message);
		g_error_free(err);
		g_option_context_free(ctx);
		return rc;
	}
	g_option_context_free(ctx);
	if (argc != 3)
		return cli_fail(CMD, "expected two files, A and B (got %d)", argc - 1);
	if (context < 0)
		return cli_fail(CMD, "--context %d: expected 0 or more", context);
	if ((rc = load(argv[1], &a)) || (rc = load(argv[2], &b)))
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
	trc_golden_free(&a);
	trc_golden_free(&b);
	return rc;
}
