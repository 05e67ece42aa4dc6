# `tdpsim synth` end to end against first principles (spawns TDPSIM_BIN).
tdpsim_test(test_synth_model SOURCES test_synth_model.c spawn.c TIMEOUT 900)
add_dependencies(test_synth_model tdpsim)
