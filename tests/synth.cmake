# Synthetic page-table builder (src/paging/synth.c).
tdpsim_test(test_synth SOURCES test_synth.c)
