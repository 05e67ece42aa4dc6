# The progress line (src/cli/progress.c, compiled in: the CLI is no
# library): formatting, rate limit, console stream, and `tdpsim run` on a
# pty and on a pipe (tests/test_progress.c).
tdpsim_test(test_progress SOURCES test_progress.c ${PROJECT_SOURCE_DIR}/src/cli/progress.c spawn.c
            LABELS guest TIMEOUT 180)
target_compile_definitions(test_progress PRIVATE GUEST_DIR="${PROJECT_BINARY_DIR}/guests")
add_dependencies(test_progress guests tdpsim)
