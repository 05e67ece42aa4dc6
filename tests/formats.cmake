tdpsim_test(test_formats SOURCES test_formats.c)
