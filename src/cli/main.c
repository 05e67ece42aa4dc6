/*
 * tdpsim's entry point: dispatch to a subcommand through one table.
 * Adding a subcommand is one row here and one cmd_*.c file.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "walk", cmd_walk, "explain one address translation, level by level" },
	{ "run", cmd_run, "boot a guest kernel with tdpsim's engine as the MMU" },
	{ "synth", cmd_synth, "run a synthetic access stream through the timing model" },
	{ "replay", cmd_replay, "replay a trace through the timing model (--format champsim)" },
	{ "trace", cmd_trace, "what a trace holds: trace info FILE, trace dump FILE [--csv]" },
	{ "diff", cmd_diff, "compare two golden files; show the first divergence" },
	{ "compare", cmd_compare, "one workload under several hypervisor-MMU strategies" },
	{ "help", cmd_help, "list the commands, or show a command's options" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: tdpsim COMMAND [OPTION...]\n\n"
		     "tdpsim is an x86 paging simulator: guest paging modes, nested paging,\n"
		     "and what every translation costs.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'tdpsim COMMAND --help' for the options of a command.\n");
}

/* `tdpsim help` lists the commands; `tdpsim help CMD` is `tdpsim CMD --help`. */
static int cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c)
		return cli_fail("help", "unknown command '%s' (see 'tdpsim help')", argv[1]);
	if (c->run == cmd_help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	char *hargv[] = { argv[1], "--help", NULL };
	return c->run(2, hargv);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	/* UTF-8 for GLib's help texts, but no translations or number formats:
	 * output must not depend on the user's locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	if (argc < 2)
		return cli_fail(NULL, "no command given (see 'tdpsim --help')");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return cli_finish_stdout(NULL, CLI_EXIT_OK);
	}
	c = find_command(argv[1]);
	if (!c)
		return cli_fail(NULL, "unknown command '%s' (see 'tdpsim --help')", argv[1]);
	/* Every command's stdout is checked here, once (cli_output_close()). */
	return cli_finish_stdout(c->name, c->run(argc - 1, argv + 1));
}
