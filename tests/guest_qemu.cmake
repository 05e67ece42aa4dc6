# guests/pagetest booted in qemu-system-x86_64 (TCG): every mode passes and
# prints the committed expected text (tests/test_guest_qemu.c).
tdpsim_test(test_guest_qemu SOURCES test_guest_qemu.c guest_run.c spawn.c LABELS qemu TIMEOUT 600)
target_compile_definitions(test_guest_qemu PRIVATE
  PAGETEST_KERNEL="${PROJECT_BINARY_DIR}/guests/pagetest")
add_dependencies(test_guest_qemu guests)
