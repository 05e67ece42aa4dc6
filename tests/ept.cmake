tdpsim_test(test_ept SOURCES test_ept.c)
