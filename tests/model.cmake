# The timing model against first principles (src/timing/model*.c).
tdpsim_test(test_model SOURCES test_model.c)
