# A live run's statistics split at markers equal the replay of each window
# of its trace (tests/test_segments.c).
tdpsim_test(test_segments SOURCES test_segments.c spawn.c TIMEOUT 600)
target_compile_definitions(test_segments PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_segments guests tdpsim)
