/*
 * The CLI side of golden output (golden_cli.h): the file, the "@" lines,
 * write errors.
 */
#include "golden_cli.h"

#include <errno.h>
#include <string.h>

#include "cli.h"
#include "cpu/cpu.h"

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

bool golden_cli_consumer(struct golden_cli *gc, const struct trc_sink *s,
			 const struct cpu_ram *ram, struct trc_consumer *out)
{
	if (!gc->f)
		return false;
	trc_golden_consumer(&gc->g, s, ram, out);
	return true;
}

int golden_cli_cpu(const char *cmd, struct golden_cli *gc, struct cpu *c, const char *config,
		   char *const *sets, const char *append)
{
	struct trc_consumer k;
	int rc;

	/* Opened once; after a --reboot the new machine feeds the same file. */
	if (!gc->f) {
		rc = golden_cli_open(cmd, gc, "run", config, sets, &c->pgcpu);
		if (rc || !gc->f)
			return rc;
		trc_golden_meta(&gc->g, "append", append ? append : "");
	}
	golden_cli_consumer(gc, &c->sink, &c->ram, &k);
	rc = cpu_feed_add(c, &k);
	if (rc)
		return cli_fail(cmd, "--golden: cannot add it to the feed: %s", g_strerror(-rc));
	return 0;
}

int golden_cli_close(const char *cmd, struct golden_cli *gc, bool ok, const struct tm_stats *s)
{
	int rc = 0;

	if (gc->f && !ok) {
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
