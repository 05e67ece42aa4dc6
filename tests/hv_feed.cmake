# The hypervisor model as a feed consumer (src/hv/feed.c): the audit can
# fail, every pagetest mode live under shadow paging audits clean, and
# compare --trace equals compare --kernel (tests/test_hv_feed.c).
tdpsim_test(test_hv_feed SOURCES test_hv_feed.c spawn.c LABELS guest TIMEOUT 1200)
target_compile_definitions(test_hv_feed PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_hv_feed guests tdpsim)
tdpsim_test(test_hv_tdp_audit SOURCES test_hv_tdp_audit.c)
