/*
 * `tdpsim replay`: feed a recorded stream to the consumers again. The
 * format decides the producer: ChampSim traces (replay_champsim.c) and
 * tdpsim's own traces (docs/trace-format.md).
 */
#include "cli.h"

int cmd_replay(int argc, char **argv)
{
	if (cli_replay_is_champsim(argc, argv))
		return cmd_replay_champsim(argc, argv);
	return cmd_replay_trace(argc, argv);
}
