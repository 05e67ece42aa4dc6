# The Linux bzImage boot protocol (src/boot/loader_linux.c).
tdpsim_test(test_loader_linux SOURCES test_loader_linux.c bzimage.c)
# The broken bzImages and initrds at the command line: one line, exit 2.
tdpsim_test(test_cli_bzimage SOURCES test_cli_bzimage.c bzimage.c spawn.c TIMEOUT 300)
add_dependencies(test_cli_bzimage tdpsim)
