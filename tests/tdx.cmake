# TDX shared bit: secure and shared EPT roots, MapGPA conversion (src/hv/tdx.c).
tdpsim_test(test_tdx SOURCES test_tdx.c)
