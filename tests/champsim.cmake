# ChampSim import (src/trace/champsim.c, src/cli/replay_champsim.c); traces from scripts/champsim-trace.py.
tdpsim_test(test_champsim SOURCES test_champsim.c spawn.c)
