# Devices: bus, 16550 UART, isa-debug-exit, 8259 pair, 8254 PIT, port 0x80 (src/pc/dev_*.c).
tdpsim_test(test_dev SOURCES test_dev.c)
