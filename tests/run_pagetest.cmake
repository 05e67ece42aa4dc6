# guests/pagetest under `tdpsim run`: both MMUs, the QEMU text, storms, TDX,
# triple fault and bad kernels (tests/test_run_pagetest.c).
tdpsim_test(test_run_pagetest SOURCES test_run_pagetest.c guest_run.c spawn.c LABELS guest TIMEOUT 900)
target_compile_definitions(test_run_pagetest PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_run_pagetest guests tdpsim)
