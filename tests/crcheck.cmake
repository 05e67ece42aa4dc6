# The #GP rules of control-register and EFER writes, and the CPU model's
# MSRs, case by case against the SDM (src/cpu/crcheck.c, msr_model.c).
tdpsim_test(test_crcheck SOURCES test_crcheck.c)
