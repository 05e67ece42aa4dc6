/*
 * Statistics split at markers (segments.h): a feed consumer that notes the
 * timing model's counters at each marker, and the difference of two notes.
 */
#include "segments.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "timing/model.h"

bool trc_marker_named(const char *text, uint32_t id, const char *name)
{
	char v[16];

	if (!name || !text)
		return false;
	snprintf(v, sizeof(v), "%u", id);
	return strcmp(text, name) == 0 || (id && strcmp(v, name) == 0);
}

static void push(struct trc_segments *s, const char *text, uint32_t id)
{
	struct trc_seg_mark m = { .text = g_strdup(text), .id = id };

	if (s->marks->len == TRC_SEGMENTS_MAX) {
		g_free(m.text);
		s->dropped++;
		return;
	}
	m.at = *tm_model_stats(s->tm);
	g_array_append_val(s->marks, m);
}

static void on_event(void *opaque, const struct trc_event *ev)
{
	struct trc_segments *s = opaque;
	const char *t = ev->marker.text;

	if (ev->kind != TRC_EV_MARKER)
		return;
	if (!s->window) {
		push(s, t, ev->marker.id);
	} else if (!s->opened) {
		if (trc_marker_named(t, ev->marker.id, s->from)) {
			push(s, t, ev->marker.id);
			s->opened = true;
		}
	} else if (!s->closed && trc_marker_named(t, ev->marker.id, s->to)) {
		push(s, t, ev->marker.id);
		s->closed = true;
	}
}

static void clear_mark(void *p)
{
	g_free(((struct trc_seg_mark *)p)->text);
}

int trc_segments_init(struct trc_segments *s, struct trc_sink *sink, const struct tm_model *tm)
{
	const struct trc_consumer k = { .event = on_event, .opaque = s };

	memset(s, 0, sizeof(*s));
	s->tm = tm;
	s->marks = g_array_new(FALSE, FALSE, sizeof(struct trc_seg_mark));
	g_array_set_clear_func(s->marks, clear_mark);
	return trc_sink_add(sink, &k);
}

int trc_segments_init_window(struct trc_segments *s, struct trc_sink *sink,
			     const struct tm_model *tm, bool opened, const char *from,
			     const char *to)
{
	int rc = trc_segments_init(s, sink, tm);

	s->window = true;
	s->opened = opened;
	s->from = from;
	s->to = to;
	return rc;
}

void trc_segments_free(struct trc_segments *s)
{
	if (s->marks)
		g_array_free(s->marks, TRUE);
	s->marks = NULL;
}

void trc_segments_mark(struct trc_segments *s, const char *text, uint32_t id)
{
	push(s, text, id);
	s->opened = true;
}

void trc_segments_between(const struct trc_segments *s, int a, int b, struct tm_stats *out)
{
	const struct tm_stats *to = b < (int)s->marks->len ? &trc_segments_at(s, b)->at
							    : tm_model_stats(s->tm);
	struct tm_stats zero = { 0 };

	tm_stats_sub(out, to, a < 0 ? &zero : &trc_segments_at(s, a)->at);
}
