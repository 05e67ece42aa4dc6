# The hypervisor model (src/hv/): roles, table objects and iterators.
tdpsim_test(test_hv_role SOURCES test_hv_role.c)
tdpsim_test(test_hv_table SOURCES test_hv_table.c)
tdpsim_test(test_hv_tdp SOURCES test_hv_tdp.c)
