/*
 * The recorder: a consumer of the feed that writes a trace file
 * (docs/trace-format.md). Guest memory is kept exact for the tables only:
 * a snapshot of the non-zero pages at the start; then every page a walk
 * reads as a table is held exactly (its content when it became one, then
 * every write to it), and any other page written is marked stale, so that
 * a replay that reads a stale page as a table says so instead of guessing.
 */
#ifndef TDPSIM_TRACE_RECORD_H
#define TDPSIM_TRACE_RECORD_H

#include <glib.h>
#include <stdio.h>

#include "cpu/ram.h"
#include "sink.h"

struct trc_recorder;

/* Create @path and write the header (@header: the key file describing the
 * run; its [trace] group gets format and tdpsim versions added). @ram is
 * guest-physical memory, read for the snapshot at the start state and for
 * pages becoming tables. 0, or a negative errno with "<path>: reason". */
int trc_recorder_open(const char *path, GKeyFile *header, const struct cpu_ram *ram,
		      struct trc_recorder **out, char *why, size_t why_len);
/* The consumer to add to the producer's sink. */
void trc_recorder_consumer(struct trc_recorder *r, struct trc_consumer *k);
/* Write the rest, the index and the footer, close and free. 0, or the first
 * error (a write that failed) with a reason. */
int trc_recorder_close(struct trc_recorder *r, char *why, size_t why_len);
/* A marker from the guest (I/O port value @id, or console text). */
void trc_recorder_marker(struct trc_recorder *r, uint32_t id, const char *text);

#endif
