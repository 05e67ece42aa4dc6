/*
 * Fuzz target: the trace reader (src/trace/reader.c): open, the header's
 * key file as a replay reads it (trc_header_read), then every record, as
 * `tdpsim replay`, `trace info` and `trace dump` read them. The reader takes a
 * path, so each input is a memfd named through /proc/self/fd. Damage must
 * be one error, never a crash, a hang or an unbounded allocation.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "trace/header.h"
#include "trace/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trc_reader *r = NULL;
	struct trc_rec rec;
	char path[64], why[512];
	int fd = memfd_create("trace", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (trc_reader_open(path, &r, why, sizeof(why)) == 0) {
			struct trc_header h;

			trc_header_read(trc_reader_header(r), &h, why, sizeof(why));
			while (trc_reader_next(r, &rec) == 1)
				;
			trc_reader_close(r);
		}
	}
	close(fd);
	return 0;
}
