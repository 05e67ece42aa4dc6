/*
 * Phase markers (docs/trace-format.md, "Markers"): a guest writes a 32-bit
 * value to I/O port TRC_MARKER_PORT, and every console line that starts
 * with a configured prefix (run --marker-prefix) is a marker too. Both
 * become TRC_EV_MARKER events on the CPU's feed, so that a trace, a golden
 * file and `replay --from/--to` see the guest's boot phases.
 */
#include "marker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

struct marker_port {
	struct dev_desc desc;
	struct trc_sink *sink;
};

static uint64_t port_read(void *dev, uint64_t port, unsigned size)
{
	return 0;
}

static void port_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct marker_port *m = dev;
	char text[16];
	struct trc_event ev = { .kind = TRC_EV_MARKER };

	snprintf(text, sizeof(text), "port:%u", (uint32_t)val);
	ev.marker.id = (uint32_t)val;
	ev.marker.text = text;
	trc_event(m->sink, &ev);
}

static void port_free(void *dev)
{
	g_free(dev);
}

int trc_marker_port_add(struct dev_bus *b, struct trc_sink *sink)
{
	struct marker_port *m = g_try_new0(struct marker_port, 1);
	int rc;

	if (!m)
		return -ENOMEM;
	m->sink = sink;
	m->desc = (struct dev_desc){ .name = "tdpsim-marker", .base = TRC_MARKER_PORT, .len = 4,
				     .width = 4, .read = port_read, .write = port_write,
				     .free = port_free };
	rc = dev_bus_add(b, &m->desc, m);
	if (rc)
		g_free(m);
	return rc;
}

/* The console filter: a FILE that passes everything to @out and turns
 * complete lines that start with @prefix into markers. */
struct console {
	FILE *out;
	struct trc_sink *sink;
	char *prefix;
	GString *line;
};

static ssize_t con_write(void *o, const char *buf, size_t n)
{
	struct console *c = o;
	size_t w = fwrite(buf, 1, n, c->out);

	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->line->len < 4096)
				g_string_append_c(c->line, buf[i]);
			continue;
		}
		/* A serial console ends its lines with CR LF (Linux's 8250
		 * driver): the CR is the line end's, not the marker's. */
		if (c->line->len && c->line->str[c->line->len - 1] == '\r')
			g_string_truncate(c->line, c->line->len - 1);
		if (g_str_has_prefix(c->line->str, c->prefix)) {
			struct trc_event ev = { .kind = TRC_EV_MARKER };
			char text[200];

			snprintf(text, sizeof(text), "%s", c->line->str + strlen(c->prefix));
			ev.marker.text = text;
			trc_event(c->sink, &ev);
		}
		g_string_truncate(c->line, 0);
	}
	return w == n ? (ssize_t)n : -1;
}

static int con_close(void *o)
{
	struct console *c = o;
	int rc = fflush(c->out);

	g_string_free(c->line, TRUE);
	g_free(c->prefix);
	g_free(c);
	return rc;
}

FILE *trc_marker_console(FILE *out, const char *prefix, struct trc_sink *sink)
{
	struct console *c = g_new0(struct console, 1);
	cookie_io_functions_t io = { .write = con_write, .close = con_close };
	FILE *f;

	c->out = out;
	c->sink = sink;
	c->prefix = g_strdup(prefix);
	c->line = g_string_new(NULL);
	f = fopencookie(c, "w", io);
	if (!f) {
		con_close(c);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
