/* Phase markers from the guest (marker.c). */
#ifndef TDPSIM_TRACE_MARKER_H
#define TDPSIM_TRACE_MARKER_H

#include <stdio.h>

#include "pc/dev.h"
#include "sink.h"

/* The marker port: a 32-bit OUT of value V is marker V (text "port:V").
 * Reads return 0. No PC device uses it (QEMU's pc has nothing at 0x4E0). */
#define TRC_MARKER_PORT 0x4e0u

int trc_marker_port_add(struct dev_bus *b, struct trc_sink *sink);

/* A FILE that writes to @out and feeds every complete line starting with
 * @prefix to @sink as a marker (the text after the prefix). NULL on
 * failure. Closing it flushes @out and leaves it open. */
FILE *trc_marker_console(FILE *out, const char *prefix, struct trc_sink *sink);

#endif
