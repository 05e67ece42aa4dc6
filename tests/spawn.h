/*
 * Child processes for the end-to-end tests: run the built tdpsim
 * (TDPSIM_BIN, defined for every test by tdpsim_test()) or any program
 * (qemu-system-x86_64), optionally under a wall-clock limit, and collect its
 * stdout, stderr and exit status. One copy for every test that spawns:
 * compile spawn.c into the test through its tdpsim_test(... SOURCES).
 */
#ifndef TDPSIM_TESTS_SPAWN_H
#define TDPSIM_TESTS_SPAWN_H

#include <stdarg.h>

#include <glib.h>
#include <json-glib/json-glib.h>

struct spawn_result {
	int status; /* exit status; -1 if killed by a signal or the time limit */
	gchar *out, *err;
};

/*
 * Run @argv (NULL-terminated; argv[0] is looked up in PATH unless it has a
 * slash). With @secs > 0 and timeout(1) installed, the child runs under
 * `timeout -s KILL SECS` and a run that hits the limit has status -1.
 * A failure to start the program at all ends the test (g_error).
 */
struct spawn_result spawn_argv(const char *const *argv, unsigned secs);

/* Run `tdpsim [CMD] FIRST...` (the list NULL-terminated; @cmd NULL for
 * none, e.g. for `tdpsim --help`), with no time limit. */
struct spawn_result spawn_tdpsim_v(const char *cmd, const char *first, va_list ap);
struct spawn_result spawn_tdpsim(const char *cmd, const char *first, ...);

/*
 * The run must have succeeded (status 0, nothing on stderr) and printed one
 * JSON object: that object (a new reference). @what names the command in
 * the message when it did not.
 */
JsonObject *spawn_json_object(const struct spawn_result *r, const char *what);

/* Member @key of @o as an integer or a double; a missing key fails the test. */
gint64 spawn_json_int(JsonObject *o, const char *key);
double spawn_json_double(JsonObject *o, const char *key);

/* Bad input: exit status 2 and exactly one line on stderr, containing
 * @needle (the whole stderr is the test's message). */
void spawn_expect_one_line(const struct spawn_result *r, const char *needle);

void spawn_free(struct spawn_result *r);

/* Remove a test's flat temporary folder: its files, then itself. */
void spawn_rmtree(const char *dir);

#endif
