# Bad input and failed output at the command line: write errors, memory
# budgets, mapped images, ignored options (tests/test_cli_robust.c).
tdpsim_test(test_cli_robust SOURCES test_cli_robust.c spawn.c LABELS guest TIMEOUT 300)
target_compile_definitions(test_cli_robust PRIVATE GUEST_DIR="${PROJECT_BINARY_DIR}/guests")
add_dependencies(test_cli_robust guests guests_pc tdpsim)
