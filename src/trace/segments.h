/*
 * The timing statistics split at the guest's markers (segments.c): one
 * implementation for `run` (every marker-to-marker segment of a live run)
 * and `replay --from/--to` (one window of a trace), so that a live segment
 * and the replay of the same window are the same computation on the same
 * feed.
 *
 * A consumer of the feed notes the timing model's counters at each marker
 * (TRC_EV_MARKER). Every counter of struct tm_stats is additive, so the
 * statistics between two marks are the later counters minus the earlier
 * ones: exactly what a model whose counters were zeroed at the first mark
 * would count by the second, and the whole run's statistics stay.
 */
#ifndef TDPSIM_TRACE_SEGMENTS_H
#define TDPSIM_TRACE_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "sink.h"
#include "timing/stats.h"

/* A run keeps at most this many marks; a guest that writes more markers
 * (a marker port in a loop) gets its later ones counted in `dropped`. */
#define TRC_SEGMENTS_MAX 4096

struct trc_seg_mark {
	gchar *text;        /* the marker's text; NULL for trc_segments_mark(NULL) */
	uint32_t id;        /* its port value (0: a console line) */
	struct tm_stats at; /* the model's counters when it came */
};

struct trc_segments {
	const struct tm_model *tm;
	GArray *marks;    /* struct trc_seg_mark, in feed order */
	uint64_t dropped; /* markers not kept (past TRC_SEGMENTS_MAX) */
	/* Window mode (replay --from/--to): only the mark that opens the
	 * window (the first marker named @from, or the caller's own mark)
	 * and then the first marker named @to after it are kept. */
	bool window, opened, closed;
	const char *from, *to;
};

/* Split @tm's statistics at every marker on @sink (a run). 0, or -ENOSPC
 * (the sink is full). */
int trc_segments_init(struct trc_segments *s, struct trc_sink *sink, const struct tm_model *tm);
/* Window mode: the window opens at the first marker named @from, or at
 * the caller's trc_segments_mark(), or (@opened) at the start; it closes
 * at the first marker named @to after that (@to NULL: never). The names
 * are the caller's and must outlive @s. 0, or -ENOSPC. */
int trc_segments_init_window(struct trc_segments *s, struct trc_sink *sink,
			     const struct tm_model *tm, bool opened, const char *from,
			     const char *to);
void trc_segments_free(struct trc_segments *s);

/* A mark of the caller's at the current point (replay --warmup's end); in
 * window mode it opens the window. */
void trc_segments_mark(struct trc_segments *s, const char *text, uint32_t id);

static inline unsigned trc_segments_count(const struct trc_segments *s)
{
	return s->marks->len;
}

static inline const struct trc_seg_mark *trc_segments_at(const struct trc_segments *s,
							   unsigned i)
{
	return &g_array_index(s->marks, struct trc_seg_mark, i);
}

/* Whether marker (@text, @id) is the one the user named @name: its text,
 * or its port value in decimal. */
bool trc_marker_named(const char *text, uint32_t id, const char *name);

/* The counters from mark @a (-1: the start of the run) to mark @b
 * (trc_segments_count(): the model's counters now), in @out. */
void trc_segments_between(const struct trc_segments *s, int a, int b, struct tm_stats *out);

#endif
