/*
 * The trace reader (docs/trace-format.md): the header, then every record
 * in order, decoded; one section (at most TRC_SECTION_RAW_MAX raw bytes)
 * in memory at a time, whatever the trace's length. Every error is one
 * line naming the byte offset in the file; nothing read from the file can
 * make it allocate more than those bounds.
 */
#ifndef TDPSIM_TRACE_READER_H
#define TDPSIM_TRACE_READER_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "sink.h"

enum trc_rec_type {
	TRC_REC_SNAPSHOT = 1, /* page, data: a page of the start memory */
	TRC_REC_START,        /* start */
	TRC_REC_BLOCK,        /* block */
	TRC_REC_ACCESS,       /* la, size, kind, cpl, implicit */
	TRC_REC_WRITE,        /* gpa, data, len */
	TRC_REC_INSNS,        /* n */
	TRC_REC_EVENT,        /* ev */
	TRC_REC_PAGE,         /* page, data: the page's content from here on */
	TRC_REC_STALE,        /* page: written since, content not recorded */
	TRC_REC_END,
};

struct trc_rec {
	uint8_t type;           /* enum trc_rec_type */
	uint64_t index;         /* record number (snapshot pages: none) */
	struct trc_start start;
	struct trc_block block;
	uint64_t la, gpa, page, n;
	uint8_t size, kind, cpl;
	bool implicit;
	const uint8_t *data;    /* valid until the next call */
	uint32_t len;
	struct trc_event ev;
	char text[256];         /* marker text (ev.marker.text points here) */
};

struct trc_reader;

/* Open @path and read its header and index. 0, or -EINVAL / -EIO with a
 * one-line reason naming the offset. A trace without its index (cut short)
 * opens; trc_reader_has_index() says so. */
int trc_reader_open(const char *path, struct trc_reader **out, char *why, size_t why_len);
void trc_reader_close(struct trc_reader *r);

GKeyFile *trc_reader_header(struct trc_reader *r);
/* The index's key file, or NULL when the trace has none. */
GKeyFile *trc_reader_index(struct trc_reader *r);
uint64_t trc_reader_file_size(const struct trc_reader *r);
/* How far into the file the records read so far reach (the end of the
 * section being decoded): progress against trc_reader_file_size(). */
uint64_t trc_reader_offset(const struct trc_reader *r);

/* The next record: 1, 0 at the end of the records, or a negative errno
 * (reason in trc_reader_error()). */
int trc_reader_next(struct trc_reader *r, struct trc_rec *rec);
const char *trc_reader_error(const struct trc_reader *r);

#endif
