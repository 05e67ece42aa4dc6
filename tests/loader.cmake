# Kernel loaders: Multiboot v1 (ELF32/ELF64/a.out kludge), plain ELF64 (src/boot/loader_*.c).
tdpsim_test(test_loader SOURCES test_loader.c)
