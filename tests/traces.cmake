# The committed traces of traces/ replayed against their goldens, live runs
# against the same goldens, and a perturbation that `tdpsim diff` must name
# (tests/test_traces.c).
tdpsim_test(test_traces SOURCES test_traces.c spawn.c TIMEOUT 600)
target_compile_definitions(test_traces PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_traces guests tdpsim)
# Each kind of damage to a committed trace: one line with the byte offset,
# exit 2, from replay, trace info and trace dump (tests/test_trace_damage.c).
tdpsim_test(test_trace_damage SOURCES test_trace_damage.c spawn.c)
add_dependencies(test_trace_damage tdpsim)
