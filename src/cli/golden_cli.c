/*
 * The CLI side of golden output (golden_cli.h): the file, the "@" lines,
 * write errors.
 */
#include "golden_cli.h"

#include <errno.h>
#include <string.h>

#include "cli.h"

int golden_cli_open(const char *cmd, struct golden_cli *gc, const char *producer,
		    const char *config, char *const *sets, const struct pg_cpu *cpu)
{
	uint64_t every = 1;

	if (gc->every && !gc->path)
		return cli_fail(cmd, "--golden-every needs --golden FILE");
	if (!gc->path)
		return 0;
	if (gc->every && (cli_parse_u64(gc->every, &every) || every == 0))
		return cli_fail(cmd, "--golden-every %s: expected a number of 1 or more",
				gc->every);
	gc->f = fopen(gc->path, "w");
	if (!gc->f)
		return cli_fail(cmd, "--golden %s: %s", gc->path, g_strerror(errno));
	trc_golden_init(&gc->g, gc->f, every, cpu);
	trc_golden_meta(&gc->g, "producer", producer);
	trc_golden_meta(&gc->g, "config", config);
	if (sets && *sets) {
		gchar *s = g_strjoinv(" ", (gchar **)sets);

		trc_golden_meta(&gc->g, "set", s);
		g_free(s);
	}
	if (every > 1)
		trc_golden_meta(&gc->g, "golden-every", gc->every);
	return 0;
}

void golden_cli_attach(struct golden_cli *gc, struct tm_model *m)
{
	if (gc->f)
		tm_set_walk_hook(m, trc_golden_walk, &gc->g);
}

int golden_cli_close(const char *cmd, struct golden_cli *gc, const struct tm_stats *s)
{
	int rc = 0;

	if (gc->f && !s) {
		/* The run failed: no half-written file that looks complete. */
		fclose(gc->f);
		remove(gc->path);
	} else if (gc->f) {
		int w = trc_golden_finish(&gc->g, s);

		if (fclose(gc->f) || w)
			rc = cli_fail(cmd, "--golden %s: cannot write the file", gc->path);
	}
	gc->f = NULL;
	g_free(gc->path);
	g_free(gc->every);
	gc->path = gc->every = NULL;
	return rc;
}
