# Bad input and failed output at the command line: write errors, memory
# budgets, mapped images, ignored options (tests/test_cli_robust.c).
tdpsim_test(test_cli_robust SOURCES test_cli_robust.c spawn.c LABELS guest TIMEOUT 300)
add_dependencies(test_cli_robust guests tdpsim)
