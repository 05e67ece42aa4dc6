# Seed 002: the nested NPT context ignores the ambient vCPU registers
# (1,100 random draws, fixed seed). The synthetic L1/L2 guests come from
# the CLI's builder (src/cli/hv_work.c).
tdpsim_test(test_hv_seed002 SOURCES test_hv_seed002.c ${PROJECT_SOURCE_DIR}/src/cli/hv_work.c
  ${PROJECT_SOURCE_DIR}/src/cli/guest_modes.c ${PROJECT_SOURCE_DIR}/src/cli/synth_stream.c
  TIMEOUT 300)
