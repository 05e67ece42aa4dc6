# The platform test kernels (guests/pc/NAME.c) under qemu-system-x86_64 and
# `tdpsim run` (both MMUs, both models) against guests/pc/expected/NAME.txt
# (tests/test_guest_pc.c; `-p /guest-pc/NAME` runs one kernel).
tdpsim_test(test_guest_pc SOURCES test_guest_pc.c spawn.c LABELS guest qemu TIMEOUT 900)
target_compile_definitions(test_guest_pc PRIVATE GUEST_DIR="${PROJECT_BINARY_DIR}/guests")
add_dependencies(test_guest_pc guests_pc tdpsim)
