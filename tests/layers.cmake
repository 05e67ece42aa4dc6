# src/cpu is layered leaf-first: its files call and include each other in no
# cycle (scripts/check-layers.sh, on universal-ctags and cscope), and the
# checker finds the cycle of a fixture (tests/layers/).
tdpsim_test(check_layers PROGRAM ${CMAKE_CURRENT_SOURCE_DIR}/check_layers.sh)
