/*
 * The progress line of the long commands (run, synth, replay): a line on
 * stderr, on a terminal only, redrawn four times a second by a thread of
 * its own, so that it keeps moving while the main thread is deep inside
 * a long uc_emu_start with no hook to call back. Absent when stderr is not
 * a terminal: what a command prints never depends on it.
 */
#ifndef TDPSIM_CLI_PROGRESS_H
#define TDPSIM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_PROGRESS_NONE UINT64_MAX /* a figure not shown */
#define CLI_PROGRESS_INTERVAL_US 250000

/* What the command has done so far; the sample callback fills it (every
 * field starts as CLI_PROGRESS_NONE). It runs on the progress thread:
 * it reads the main thread's counters, each an aligned 64-bit word (a
 * torn or stale value could only misdraw one frame), and changes nothing. */
struct cli_progress_sample {
	uint64_t insns;    /* virtual instructions */
	uint64_t accesses; /* memory accesses fed to the model */
	uint64_t done;     /* work done of @total (bytes of a trace, accesses) ... */
	uint64_t total;    /* ... for the percentage and the ETA */
};

typedef void (*cli_progress_fn)(void *opaque, struct cli_progress_sample *s);

/* The simple case: the main loop publishes its figures into a sample
 * (cli_progress_set: a relaxed atomic store), and the line reads them with
 * cli_progress_read (the callback; @opaque is the sample). */
static inline void cli_progress_set(uint64_t *field, uint64_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}
void cli_progress_read(void *opaque, struct cli_progress_sample *s);

struct cli_progress;

/* Start the line for @cmd if stderr is a terminal; NULL (no line) if not. */
struct cli_progress *cli_progress_start(const char *cmd, cli_progress_fn fn, void *opaque);
/* Erase the line and stop the thread; NULL is fine. */
void cli_progress_stop(struct cli_progress *p);

/* A stream that shares the terminal with the line: writes go to @inner
 * (unbuffered) after the line is erased; for the guest's @console (run),
 * its last line is shown on the progress line. Returns @inner itself when
 * @p is NULL; otherwise fclose() the result (which leaves @inner open). */
FILE *cli_progress_stream(struct cli_progress *p, FILE *inner, bool console);

/* For tests: a line on any stream and of @width columns, with no thread;
 * cli_progress_tick() at time @now_us (microseconds, any origin) redraws
 * it when the last draw is CLI_PROGRESS_INTERVAL_US old or more, and says
 * whether it did. cli_progress_free() does not erase. */
struct cli_progress *cli_progress_new(const char *cmd, FILE *f, unsigned width,
				      cli_progress_fn fn, void *opaque, int64_t now_us);
bool cli_progress_tick(struct cli_progress *p, int64_t now_us);
void cli_progress_free(struct cli_progress *p);

/* The text of one frame (no control characters), at most @width columns:
 * @s now, @prev one frame ago (@dt seconds), @elapsed seconds since the
 * start, @console the guest's last line (or NULL). */
void cli_progress_format(char *buf, size_t len, unsigned width, const char *cmd,
			 const struct cli_progress_sample *s,
			 const struct cli_progress_sample *prev, double dt, double elapsed,
			 const char *console);

#endif
