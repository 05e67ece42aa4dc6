# `tdpsim walk` end to end: spawns the built binary (TDPSIM_BIN).
tdpsim_test(test_cli_walk SOURCES test_cli_walk.c spawn.c)
add_dependencies(test_cli_walk tdpsim)
