# The Linux bzImage boot protocol (src/boot/loader_linux.c).
tdpsim_test(test_loader_linux SOURCES test_loader_linux.c)
