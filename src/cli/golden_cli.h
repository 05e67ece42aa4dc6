/*
 * --golden FILE and --golden-every N, as `run`, `synth` and `replay` take
 * them (docs/golden.md): open the file, write the "@" lines, and at the
 * end the statistics, with write errors reported as one line (exit 2).
 */
#ifndef TDPSIM_CLI_GOLDEN_CLI_H
#define TDPSIM_CLI_GOLDEN_CLI_H

#include <glib.h>

#include "trace/golden.h"

struct golden_cli {
	gchar *path, *every;   /* the options (GOptionEntry targets) */
	FILE *f;
	struct trc_golden g;
};

#define GOLDEN_CLI_ENTRIES(gc)                                                              \
	{ "golden", 0, 0, G_OPTION_ARG_FILENAME, &(gc)->path,                                \
	  "Write the run's golden text (walks, faults, paging events, VM exits, markers, "   \
	  "statistics; docs/golden.md)", "FILE" },                                           \
	{ "golden-every", 0, 0, G_OPTION_ARG_STRING, &(gc)->every,                            \
	  "With --golden: write every Nth walk only (default 1: all)", "N" }

/*
 * Open --golden (nothing to do without it) and write the magic and
 * @producer's "@" lines: producer, config (the CPU model's name) and the
 * --set overrides @sets. @cpu lets the writer walk RIP for the
 * instruction bytes (NULL: none). 0, or cli_fail()'s code.
 */
int golden_cli_open(const char *cmd, struct golden_cli *gc, const char *producer,
		    const char *config, char *const *sets, const struct pg_cpu *cpu);
/* With --golden: the consumer of the feed of @s (its timing model added
 * first) into *@out, for trc_sink_add or cpu_feed_add; false without. */
bool golden_cli_consumer(struct golden_cli *gc, const struct trc_sink *s,
			 const struct cpu_ram *ram, struct trc_consumer *out);
/* `tdpsim run`: open --golden (producer "run", the kernel's command line
 * @append as an "@" line) unless it is open (a --reboot), and add its
 * consumer to the feed of @c. */
struct cpu;
int golden_cli_cpu(const char *cmd, struct golden_cli *gc, struct cpu *c, const char *config,
		   char *const *sets, const char *append);

/* Write the statistics @s (NULL: a run without a timing model has none)
 * and close: 0, or cli_fail()'s code on a failed write. @ok false: the run
 * failed, the file is removed. Frees the options. Safe without --golden,
 * and twice. */
int golden_cli_close(const char *cmd, struct golden_cli *gc, bool ok, const struct tm_stats *s);

#endif
