# A trace's header names its inputs by base name and sha256, and holds no
# folder of the recording machine (tests/test_trace_header.c).
tdpsim_test(test_trace_header SOURCES test_trace_header.c spawn.c TIMEOUT 300)
target_compile_definitions(test_trace_header PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_trace_header guests tdpsim)
