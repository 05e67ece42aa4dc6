# The hypervisor's shadow MMU and root-caching strategies, through
# `tdpsim compare` (src/hv/, src/cli/cmd_compare.c).
tdpsim_test(test_hv_compare SOURCES test_hv_compare.c spawn.c TIMEOUT 300)
