/*
 * A main() for fuzz targets outside libFuzzer: run each file named on the
 * command line (a directory: each file in it) through
 * LLVMFuzzerTestOneInput() once. CTest runs the committed corpus this way
 * in every build, so an input that once crashed stays a regression test.
 */
#include <glib.h>
#include <stdio.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	gchar *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "%s\n", err->message);
		g_error_free(err);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	g_free(data);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = 0;

	for (int i = 1; i < argc; i++) {
		GDir *d = g_dir_open(argv[i], 0, NULL);

		if (!d) {
			if (run_file(argv[i]))
				return 1;
			n++;
			continue;
		}
		for (const char *name; (name = g_dir_read_name(d));) {
			gchar *p = g_build_filename(argv[i], name, NULL);
			int rc = run_file(p);

			g_free(p);
			if (rc) {
				g_dir_close(d);
				return 1;
			}
			n++;
		}
		g_dir_close(d);
	}
	printf("%u inputs ran\n", n);
	return n ? 0 : 1;
}
