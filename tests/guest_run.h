/*
 * Helpers for the tests that boot the project's guest kernels
 * (guests/pagetest) in qemu-system-x86_64 or under `tdpsim run`: spawn a
 * program with a wall-clock limit, collect stdout, stderr and exit status,
 * and read the committed expected UART text.
 */
#ifndef TDPSIM_TESTS_GUEST_RUN_H
#define TDPSIM_TESTS_GUEST_RUN_H

#include <glib.h>

struct grun {
	int status; /* exit status; -1 if killed by a signal (or the time limit) */
	gchar *out, *err;
};

/* Run argv (NULL-terminated) under `timeout SECS` when timeout(1) exists. */
struct grun grun_argv(const char *const *argv, unsigned secs);
void grun_free(struct grun *r);
/* The committed expected UART output of `pagetest mode=MODE` (the text
 * qemu-system-x86_64 -cpu max printed, reviewed by hand), or NULL. */
gchar *grun_expected(const char *mode);
/* Lines of @text that start with "FAIL" (for messages), or "" */
gchar *grun_fail_lines(const char *text);

#endif
