/*
 * Declarations shared by the tdpsim command-line front end: the subcommand
 * table entry, the subcommands, and the parsing and error helpers of
 * cli_util.c. The CLI is the only layer that prints errors and picks exit
 * codes (STYLE.md 8): 0 success, 1 a failed check (e.g. a diff), 2 bad input.
 */
#ifndef TDPSIM_CLI_CLI_H
#define TDPSIM_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "timing/config.h" /* TM_CONFIG_DEFAULT, struct tm_config */

#define CLI_EXIT_OK    0
#define CLI_EXIT_USAGE 2 /* bad input: options, values, files */

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;               /* one line for `tdpsim help` */
};

int cmd_walk(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_replay(int argc, char **argv);
/* replay_champsim.c: `replay --format champsim` (is it that, and run it). */
bool cli_replay_is_champsim(int argc, char **argv);
int cmd_replay_champsim(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_replay_trace(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/*
 * Print "tdpsim <cmd>: error: <msg>" (or "tdpsim: error: <msg>" when @cmd is
 * NULL) as one line on stderr and return CLI_EXIT_USAGE. Newlines in the
 * message are flattened so that every error stays on one line.
 */
int cli_fail(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Finish the output stream @f after its last write: flush it (and fclose
 * it, unless it is stdout or stderr). A write that failed, now or earlier
 * (ferror), is one line "cannot write @what: reason" and CLI_EXIT_USAGE;
 * 0 otherwise. Every file a command writes results to goes through this
 * (@what names it: "--fault-log FILE"); main() does stdout for every
 * command through cli_finish_stdout().
 */
int cli_output_close(const char *cmd, FILE *f, const char *what);

/* @rc, or CLI_EXIT_USAGE (after one line) when stdout did not take every
 * byte: a failed write of results overrides even a guest's exit status. */
int cli_finish_stdout(const char *cmd, int rc);

/*
 * Memory budgets (budget.c). A command adds up what it will allocate from
 * its input (tables, guest RAM, the CPU model's arrays) and checks it
 * before allocating; --max-memory SIZE (CLI_BUDGET_ENTRY) sets the budget.
 */
#define CLI_MEM_BUDGET_DEFAULT (UINT64_C(2) << 30)
#define CLI_BUDGET_ENTRY(p)                                                                  \
	{ "max-memory", 0, 0, G_OPTION_ARG_STRING, (p),                                     \
	  "Memory budget: refuse a run whose tables, RAM and model arrays need more "        \
	  "(default 2g)", "SIZE" }

/* *@budget from --max-memory @s (NULL: the default). 0, or cli_fail()'s. */
int cli_budget_parse(const char *cmd, const char *s, uint64_t *budget);

/*
 * Check the sum of the (name, uint64_t bytes) pairs after @what (a
 * NULL-terminated list: "page tables", n, "timing model", m, NULL) against
 * @budget: 0, or one line naming the total, each part and the option that
 * raises the budget, and CLI_EXIT_USAGE.
 */
int cli_budget_check(const char *cmd, uint64_t budget, const char *what, ...)
	G_GNUC_NULL_TERMINATED;

/*
 * g_option_context_parse() with the CLI's error convention: a bad option or
 * value, or a positional argument left over in *argv, is one line (named
 * after @cmd) and CLI_EXIT_USAGE; 0 otherwise.
 */
int cli_parse_options(const char *cmd, GOptionContext *ctx, int *argc, char ***argv);
/* Free what parsing stored in the string and string-array targets of
 * @entries (up to the { NULL } entry), and clear them. */
void cli_free_options(const GOptionEntry *entries);

/*
 * @argv (the subcommand and its options) as one line for a trace's header:
 * the value of every option of @entries that names a file (a FILENAME
 * argument, or one described as FILE...) reduced to its base name, so that
 * the line carries no folder of the machine it ran on; words quoted for a
 * shell where needed. Free with g_free().
 */
gchar *cli_portable_command(char **argv, const GOptionEntry *entries);

/*
 * Parse an unsigned 64-bit number: decimal or 0x-prefixed hex, optionally
 * followed by one binary-multiple suffix k, m or g (any case): "4k" is 4096,
 * "0x10m" 16 MiB. Returns 0, -EINVAL (not a number) or -ERANGE (overflow).
 */
int cli_parse_u64(const char *s, uint64_t *out);

/*
 * The environment's TDPSIM_UNICORN_TLB_FLUSH=N (cpu_opts.tlb_flush_every:
 * flush Unicorn's TLB after every N fills, to check that no output depends
 * on it; an environment variable, so that a trace's header, which names
 * the command, stays the same). 0 when unset; one line and 2 when not a
 * number 1 to 2^32-1.
 */
int cli_tlb_flush_env(const char *cmd, uint32_t *out);

/* --stats short|full (the text statistics: the short form, the default, or
 * the whole table): its option entry for a command's table, and the value
 * parsed into a tm_format (TM_FMT_SHORT or TM_FMT_TEXT), or one line and 2. */
#define CLI_STATS_OPTION(field)                                                            \
	{ "stats", 0, 0, G_OPTION_ARG_STRING, &(field),                                    \
	  "Text statistics: short (default: the main figures) or full (the whole table)", \
	  "short|full" }
int cli_parse_stats(const char *cmd, const char *value, int *fmt);

/*
 * Parse a page size for option --@opt: 4k, 2m, 4m or 1g in any case, or the
 * same size as any number cli_parse_u64() reads (4096, 0x200000, 2048k).
 * Whether the paging format has that size is the caller's check. Returns
 * 0, or cli_fail()'s exit code with "--@opt @s: expected 4k, 2m, 4m or 1g".
 */
int cli_parse_page_size(const char *cmd, const char *opt, const char *s, uint64_t *out);

/*
 * The --config and --set entries of a GOptionEntry table, one wording for
 * every subcommand that loads a CPU model through cli_load_config():
 * @config a gchar **, @sets a gchar ***, @dflt what the model is without
 * --config (a string literal).
 */
#define CLI_CONFIG_ENTRIES(config, sets, dflt)                                              \
	{ "config", 0, 0, G_OPTION_ARG_STRING, (config),                                    \
	  "CPU model: a file, or a name in configs/ (default: " dflt ")", "FILE|NAME" },    \
	{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, (sets),                                   \
	  "Override a CPU-model key (repeatable; on --config, or on " TM_CONFIG_DEFAULT      \
	  " without it)", "GROUP.KEY=VALUE" }

/* A named bit, or a named field when @mask has several bits ("pk=N"). */
struct cli_bit {
	const char *name;
	uint64_t mask;
};

/*
 * Parse a comma-separated list of names from @table (NULL-name terminated;
 * case-insensitive; blanks around names ignored). "name" sets the bit; for a
 * multi-bit field "name=N" puts N in it. With @clear non-NULL, "-name"
 * clears the bit: it is added to *clear instead of *set. Returns 0, or
 * -EINVAL with a one-line reason in @why that lists the known names.
 */
int cli_parse_bits(const char *list, const struct cli_bit *table, uint64_t *set,
		   uint64_t *clear, char *why, size_t why_len);

/* The names of @table joined by ", " into @buf. */
void cli_bit_names(const struct cli_bit *table, char *buf, size_t len);

/*
 * The CPU model of a subcommand with --config and --set: the defaults, then
 * the file --config @config names (a path, or NAME for configs/NAME.ini;
 * NULL means TM_CONFIG_DEFAULT), then every "group.key=value" of @sets
 * (NULL-terminated, or NULL) in order, then tm_config_check() once, since
 * one --set may need another to be consistent. The path loaded goes to
 * *@path when @path is non-NULL (the caller g_free()s it). Returns 0, or
 * cli_fail()'s exit code with one line naming the option, the file or key
 * and the problem.
 */
int cli_load_config(const char *cmd, const char *config, char *const *sets,
		    struct tm_config *out, char **path);
/* The same for an option other than --config (@opt, e.g. "--guest-cpu"),
 * which the errors name. */
int cli_load_config_as(const char *cmd, const char *opt, const char *config, char *const *sets,
		       struct tm_config *out, char **path);

#endif
