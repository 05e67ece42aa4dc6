/*
 * Fuzz target: the golden-file reader (src/trace/golden_read.c), and the
 * comparison and report over what it accepts (`tdpsim diff` on a damaged
 * file must be one line and exit 2, never a crash).
 */
#include <stdio.h>

#include "fuzz.h"
#include "trace/golden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trc_gfile g;
	struct trc_gdiff d;
	char why[256];
	FILE *null;

	if (trc_golden_parse((const char *)data, size, &g, why, sizeof(why)))
		return 0;
	trc_golden_compare(&g, &g, &d);
	null = fopen("/dev/null", "w");
	if (null) {
		/* Force a report (the file against itself is equal). */
		d.first = true;
		d.first_a = g.ev->len ? 0 : -1;
		d.first_b = g.ev->len ? 0 : -1;
		trc_golden_report(&g, &g, &d, "a", "b", 3, null);
		fclose(null);
	}
	trc_golden_free(&g);
	return 0;
}
