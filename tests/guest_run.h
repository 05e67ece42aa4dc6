/*
 * Helpers for the tests that boot the project's guest kernels
 * (guests/pagetest) in qemu-system-x86_64 or under `tdpsim run`: the
 * reference QEMU command line, the committed expected UART text, and the
 * FAIL lines of a run. Spawning itself is spawn.h's.
 */
#ifndef TDPSIM_TESTS_GUEST_RUN_H
#define TDPSIM_TESTS_GUEST_RUN_H

#include <glib.h>

#include "spawn.h"

/*
 * Boot PAGETEST_KERNEL with `-append APPEND` in @qemu (the path of
 * qemu-system-x86_64) the way the expected text was recorded: TCG, -cpu max,
 * 128 MiB, the UART on stdio, isa-debug-exit at 0xf4, no reboot, no
 * display; @extra (NULL-terminated, or NULL) is appended to its command
 * line. At most 120 s (status -1 beyond).
 */
struct spawn_result grun_qemu(const char *qemu, const char *append, const char *const *extra);
/* The committed expected UART output of `pagetest mode=MODE` (the text
 * qemu-system-x86_64 -cpu max printed, reviewed by hand), or NULL. */
gchar *grun_expected(const char *mode);
/* Lines of @text that start with "FAIL" (for messages), or "" */
gchar *grun_fail_lines(const char *text);

#endif
