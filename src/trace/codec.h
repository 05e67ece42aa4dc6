/* The stored fields of each event kind (codec.c). */
#ifndef TDPSIM_TRACE_CODEC_H
#define TDPSIM_TRACE_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "sink.h"

#define TRC_FIELDS_MAX 8

/* One field: its place in struct trc_event; size 0 ends the list. */
struct trc_field {
	uint16_t off;
	uint8_t size;
	bool is_bool; /* stored 0 or 1 */
};

extern const struct trc_field trc_event_fields[TRC_EV_COUNT][TRC_FIELDS_MAX];
extern const char *const trc_event_names[TRC_EV_COUNT];

uint64_t trc_field_get(const struct trc_event *ev, const struct trc_field *f);
void trc_field_set(struct trc_event *ev, const struct trc_field *f, uint64_t v);

#endif
