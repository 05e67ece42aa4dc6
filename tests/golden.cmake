# Golden output and `tdpsim diff` on synthetic streams (src/trace/golden*.c).
tdpsim_test(test_golden SOURCES test_golden.c spawn.c)
