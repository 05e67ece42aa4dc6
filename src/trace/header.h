/* The trace header's run description (header.c). */
#ifndef TDPSIM_TRACE_HEADER_H
#define TDPSIM_TRACE_HEADER_H

#include <glib.h>
#include <stdint.h>

#include "timing/config.h"

struct trc_header {
	/* The guest-visible part of the recording's CPU (tm_config.cpu;
	 * walkers, a timing key, left 0). */
	struct {
		uint8_t vendor;
		char brand[49];
		uint32_t family, model, stepping;
		uint8_t maxphyaddr, linear_bits;
		uint32_t features;
		uint32_t walkers;
		uint64_t tsc_hz;
	} cpu;
	uint64_t ram_bytes;
	uint8_t host_kind;     /* enum hv_host_kind */
	uint16_t vpid;
};

void trc_header_cpu(GKeyFile *k, const struct tm_config *cfg);
void trc_header_machine(GKeyFile *k, uint64_t ram_bytes, uint8_t host_kind, uint16_t vpid);
/* A config whose guest-visible part is the header's (timing: defaults). */
void trc_header_guest_cfg(const struct trc_header *h, struct tm_config *g);
/* 0, or -EINVAL naming the key that is missing or bad. */
int trc_header_read(GKeyFile *k, struct trc_header *h, char *why, size_t len);

#endif
