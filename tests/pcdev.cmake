# The platform devices at exact virtual times: local and I/O APIC,
# pc-testdev, 8042, PCI host bridge, ACPI (src/pc/; tests/test_pcdev.c).
tdpsim_test(test_pcdev SOURCES test_pcdev.c)
