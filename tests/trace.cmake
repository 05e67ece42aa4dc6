# Traces end to end: record, replay under the recording and under other
# configurations, against live runs (tests/test_trace.c).
tdpsim_test(test_trace SOURCES test_trace.c spawn.c TIMEOUT 900)
target_compile_definitions(test_trace PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_trace guests tdpsim)
