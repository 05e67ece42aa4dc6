/*
 * The progress line (progress.h). One mutex guards the line: the thread
 * draws under it, and every stream that shares the terminal with the line
 * while it is up (the guest's console, the run's report) writes under it
 * after erasing the line, so that no output lands in the middle of it.
 * The next frame draws the line again.
 *
 * The object is freed when both the command (cli_progress_stop) and the
 * streams made from it (fclose) are done with it.
 */
#include "progress.h"

#include <glib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CONSOLE_MAX 160

struct cli_progress {
	GMutex lock;
	GCond cond;
	GThread *thread;
	bool stopping;
	bool drawn;          /* the line is on the terminal now */
	unsigned refs;       /* the command + open streams */
	FILE *f;
	unsigned width;      /* 0: ask the terminal at each frame */
	char cmd[16];
	cli_progress_fn fn;
	void *opaque;
	int64_t start_us, last_us;
	struct cli_progress_sample prev; /* the last frame's (zeros at the start) */
	char console[CONSOLE_MAX + 1]; /* the guest's last complete line */
	char partial[CONSOLE_MAX + 1]; /* and the one being written */
	size_t partial_len;
};

static void unref_locked(struct cli_progress *p)
{
	if (--p->refs) {
		g_mutex_unlock(&p->lock);
		return;
	}
	g_mutex_unlock(&p->lock);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
	g_free(p);
}

/* --- formatting ------------------------------------------------------- */

static void human(char *b, size_t len, uint64_t v)
{
	if (v >= 1000000000u)
		snprintf(b, len, "%.2f G", (double)v / 1e9);
	else if (v >= 1000000u)
		snprintf(b, len, "%.2f M", (double)v / 1e6);
	else if (v >= 10000u)
		snprintf(b, len, "%.1f k", (double)v / 1e3);
	else
		snprintf(b, len, "%u", (unsigned)v);
}

static void duration(char *b, size_t len, double s)
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;

	if (t < 60)
		snprintf(b, len, "%lu s", t);
	else if (t < 3600)
		snprintf(b, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(b, len, "%luh%02lum", t / 3600, t / 60 % 60);
}

static void add(GString *g, const char *text)
{
	g_string_append(g, ", ");
	g_string_append(g, text);
}

void cli_progress_format(char *buf, size_t len, unsigned width, const char *cmd,
			 const struct cli_progress_sample *s,
			 const struct cli_progress_sample *prev, double dt, double elapsed,
			 const char *console)
{
	GString *g = g_string_new(NULL);
	char n[32], t[32], part[96];
	size_t cols;

	duration(t, sizeof(t), elapsed);
	g_string_printf(g, "%s: %s", cmd, t);
	if (s->insns != CLI_PROGRESS_NONE) {
		human(n, sizeof(n), s->insns);
		snprintf(part, sizeof(part), "%s instructions", n);
		add(g, part);
		if (prev && prev->insns != CLI_PROGRESS_NONE && dt > 0 && s->insns >= prev->insns) {
			snprintf(part, sizeof(part), "%.1f MIPS",
				 (double)(s->insns - prev->insns) / dt / 1e6);
			add(g, part);
		}
	}
	if (s->accesses != CLI_PROGRESS_NONE) {
		human(n, sizeof(n), s->accesses);
		snprintf(part, sizeof(part), "%s accesses", n);
		add(g, part);
		if (prev && prev->accesses != CLI_PROGRESS_NONE && dt > 0 &&
		    s->accesses >= prev->accesses) {
			snprintf(part, sizeof(part), "%.1f M accesses/s",
				 (double)(s->accesses - prev->accesses) / dt / 1e6);
			add(g, part);
		}
	}
	if (s->total != CLI_PROGRESS_NONE && s->total && s->done != CLI_PROGRESS_NONE) {
		uint64_t done = s->done < s->total ? s->done : s->total;

		snprintf(part, sizeof(part), "%.0f%%", 100.0 * (double)done / (double)s->total);
		add(g, part);
		if (done) {
			duration(t, sizeof(t),
				 elapsed * (double)(s->total - done) / (double)done);
			snprintf(part, sizeof(part), "ETA %s", t);
			add(g, part);
		}
	}
	if (console && *console) {
		g_string_append(g, " | ");
		/* The guest's bytes, shown as printable ASCII only. */
		for (const char *c = console; *c; c++)
			g_string_append_c(g, (*c >= 0x20 && *c < 0x7f) ? *c : '?');
	}
	/* One column short of the width: a full line would wrap on some
	 * terminals, and the next \r would then miss its start. */
	cols = width > 1 ? width - 1 : 0;
	if (cols && g->len > cols)
		g_string_truncate(g, cols);
	g_strlcpy(buf, g->str, len);
	g_string_free(g, TRUE);
}

void cli_progress_read(void *opaque, struct cli_progress_sample *s)
{
	struct cli_progress_sample *from = opaque;

	s->insns = __atomic_load_n(&from->insns, __ATOMIC_RELAXED);
	s->accesses = __atomic_load_n(&from->accesses, __ATOMIC_RELAXED);
	s->done = __atomic_load_n(&from->done, __ATOMIC_RELAXED);
	s->total = __atomic_load_n(&from->total, __ATOMIC_RELAXED);
}

/* --- drawing ---------------------------------------------------------- */

static void erase_locked(struct cli_progress *p)
{
	if (!p->drawn)
		return;
	fputs("\r\033[K", p->f);
	fflush(p->f);
	p->drawn = false;
}

static unsigned term_width(struct cli_progress *p)
{
	struct winsize ws;

	if (p->width)
		return p->width;
	if (ioctl(fileno(p->f), TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return 80;
}

static bool tick_locked(struct cli_progress *p, int64_t now_us)
{
	struct cli_progress_sample s = { CLI_PROGRESS_NONE, CLI_PROGRESS_NONE, CLI_PROGRESS_NONE,
					 CLI_PROGRESS_NONE };
	char line[512];

	if (now_us - p->last_us < CLI_PROGRESS_INTERVAL_US)
		return false;
	p->fn(p->opaque, &s);
	cli_progress_format(line, sizeof(line), term_width(p), p->cmd, &s,
			    &p->prev, (double)(now_us - p->last_us) / 1e6,
			    (double)(now_us - p->start_us) / 1e6,
			    p->partial_len ? p->partial : p->console);
	fprintf(p->f, "\r\033[K%s", line);
	fflush(p->f);
	p->drawn = true;
	p->prev = s;
	p->last_us = now_us;
	return true;
}

bool cli_progress_tick(struct cli_progress *p, int64_t now_us)
{
	bool drew;

	g_mutex_lock(&p->lock);
	drew = tick_locked(p, now_us);
	g_mutex_unlock(&p->lock);
	return drew;
}

struct cli_progress *cli_progress_new(const char *cmd, FILE *f, unsigned width,
				      cli_progress_fn fn, void *opaque, int64_t now_us)
{
	struct cli_progress *p = g_new0(struct cli_progress, 1);

	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	p->refs = 1;
	p->f = f;
	p->width = width;
	g_strlcpy(p->cmd, cmd, sizeof(p->cmd));
	p->fn = fn;
	p->opaque = opaque;
	p->start_us = p->last_us = now_us;
	return p;
}

void cli_progress_free(struct cli_progress *p)
{
	g_mutex_lock(&p->lock);
	unref_locked(p);
}

static gpointer thread_main(gpointer data)
{
	struct cli_progress *p = data;

	g_mutex_lock(&p->lock);
	while (!p->stopping) {
		gint64 end = g_get_monotonic_time() + CLI_PROGRESS_INTERVAL_US;

		while (!p->stopping && g_cond_wait_until(&p->cond, &p->lock, end))
			;
		if (!p->stopping)
			tick_locked(p, g_get_monotonic_time());
	}
	g_mutex_unlock(&p->lock);
	return NULL;
}

struct cli_progress *cli_progress_start(const char *cmd, cli_progress_fn fn, void *opaque)
{
	struct cli_progress *p;

	if (!isatty(STDERR_FILENO))
		return NULL;
	p = cli_progress_new(cmd, stderr, 0, fn, opaque, g_get_monotonic_time());
	p->thread = g_thread_try_new("progress", thread_main, p, NULL);
	if (!p->thread) {
		cli_progress_free(p); /* no line: nothing else changes */
		return NULL;
	}
	return p;
}

void cli_progress_stop(struct cli_progress *p)
{
	if (!p)
		return;
	g_mutex_lock(&p->lock);
	p->stopping = true;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
	if (p->thread)
		g_thread_join(p->thread);
	p->thread = NULL;
	g_mutex_lock(&p->lock);
	erase_locked(p);
	unref_locked(p);
}

/* --- streams through the line ---------------------------------------- */

struct stream {
	struct cli_progress *p;
	FILE *inner;
	bool console;
};

/* The guest's last line: printable text between newlines. */
static void keep_line(struct cli_progress *p, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (p->partial_len) {
				memcpy(p->console, p->partial, p->partial_len + 1);
				p->partial_len = 0;
				p->partial[0] = 0;
			}
		} else if (buf[i] != '\r' && p->partial_len < CONSOLE_MAX) {
			p->partial[p->partial_len++] = buf[i];
			p->partial[p->partial_len] = 0;
		}
	}
}

static ssize_t stream_write(void *cookie, const char *buf, size_t n)
{
	struct stream *s = cookie;
	size_t done;
	int err;

	g_mutex_lock(&s->p->lock);
	erase_locked(s->p);
	if (s->console)
		keep_line(s->p, buf, n);
	done = fwrite(buf, 1, n, s->inner);
	err = fflush(s->inner);
	g_mutex_unlock(&s->p->lock);
	return done == n && !err ? (ssize_t)n : -1;
}

static int stream_close(void *cookie)
{
	struct stream *s = cookie;

	g_mutex_lock(&s->p->lock);
	unref_locked(s->p);
	g_free(s);
	return 0;
}

FILE *cli_progress_stream(struct cli_progress *p, FILE *inner, bool console)
{
	static const cookie_io_functions_t io = { .write = stream_write, .close = stream_close };
	struct stream *s;
	FILE *f;

	if (!p)
		return inner;
	s = g_new0(struct stream, 1);
	s->p = p;
	s->inner = inner;
	s->console = console;
	f = fopencookie(s, "w", io);
	if (!f) {
		g_free(s);
		return inner;
	}
	/* Unbuffered: each write reaches the terminal before the next frame. */
	setvbuf(f, NULL, _IONBF, 0);
	g_mutex_lock(&p->lock);
	p->refs++;
	g_mutex_unlock(&p->lock);
	return f;
}
