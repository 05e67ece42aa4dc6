/*
 * Output that fails to write is an error (cli.h, cli_output_close()): a
 * script must never take a truncated JSON or CSV file for a good run. stdio
 * reports a failed write only through the stream's error flag or the
 * return of a later fflush/fclose, so every stream tdpsim writes results to
 * is finished here once, after its last write.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>

int cli_output_close(const char *cmd, FILE *f, const char *what)
{
	int err = 0;

	errno = 0;
	if (fflush(f) != 0)
		err = errno ? errno : EIO;
	/* The flag stays set from a write that failed earlier (its errno is
	 * gone by now). */
	if (!err && ferror(f))
		err = -1;
	if (f != stdout && f != stderr) {
		errno = 0;
		if (fclose(f) != 0 && !err)
			err = errno ? errno : EIO;
	}
	if (!err)
		return 0;
	return cli_fail(cmd, "cannot write %s: %s", what,
			err > 0 ? g_strerror(err) : "a write failed");
}

int cli_finish_stdout(const char *cmd, int rc)
{
	int out = cli_output_close(cmd, stdout, "the output (stdout)");

	return out ? out : rc;
}
