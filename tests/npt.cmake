tdpsim_test(test_npt SOURCES test_npt.c)
