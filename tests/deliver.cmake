# Event delivery, context blob, SYSCALL/SYSENTER, boot state, stop report (src/cpu/).
tdpsim_test(test_deliver SOURCES test_deliver.c LABELS cpu)
