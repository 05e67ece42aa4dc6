/*
 * The `tdpsim compare --html` report: one self-contained page (no script,
 * no network) with an SVG bar chart per headline metric, seed 000's root
 * table and the metric table. Colours are fixed per strategy position so
 * that slides stay consistent.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
				       "#9467bd", "#8c564b", "#e377c2", "#17becf" };

static void esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static const struct cmp_metric *metric(const char *key)
{
	for (const struct cmp_metric *m = cmp_metrics(); m->key; m++)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

/* A horizontal bar chart of @key, one bar per strategy. */
static void chart(FILE *f, const char *key, const char *title, const struct cmp_result *r,
		  unsigned n)
{
	const struct cmp_metric *m = metric(key);
	const unsigned w = 520, bar = 26, left = 150, top = 34;
	double max = 0;

	for (unsigned i = 0; i < n; i++)
		if (m->get(&r[i], m->arg) > max)
			max = m->get(&r[i], m->arg);
	fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		   "role=\"img\" aria-label=\"", w, top + n * (bar + 8) + 10);
	esc(f, title);
	fprintf(f, "\"><rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>"
		   "<text x=\"8\" y=\"22\" font-size=\"16\" font-weight=\"bold\" fill=\"#000\">");
	esc(f, title);
	fprintf(f, "</text>");
	for (unsigned i = 0; i < n; i++) {
		double v = m->get(&r[i], m->arg);
		unsigned y = top + i * (bar + 8);
		unsigned len = max > 0 ? (unsigned)(v / max * (w - left - 90)) : 0;

		fprintf(f, "<text x=\"%u\" y=\"%u\" font-size=\"13\" text-anchor=\"end\" "
			   "fill=\"#000\">", left - 6, y + bar - 8);
		esc(f, r[i].strat.name);
		fprintf(f, "</text><rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>",
			left, y, len ? len : 1, bar, colours[i % 8]);
		fprintf(f, m->ratio ? "<text x=\"%u\" y=\"%u\" font-size=\"13\" fill=\"#000\">%.3f"
				      "</text>"
				    : "<text x=\"%u\" y=\"%u\" font-size=\"13\" fill=\"#000\">%.0f"
				      "</text>",
			left + len + 6, y + bar - 8, v);
	}
	fprintf(f, "</svg></figure>\n");
}

int cmp_write_html(FILE *f, const char *title, const struct cmp_result *r, unsigned n,
		   const struct cmp_root_row *rows, unsigned nrows)
{
	static const char *const charts[][2] = {
		{ "fast_switch_hit_rate", "Fast-switch hit rate" },
		{ "root_misses", "Root rebuilds (misses)" },
		{ "roots_freed", "Roots freed" },
		{ "vm_exits", "VM exits" },
		{ "translation_cycles_per_kinsn", "Translation cycles per 1,000 instructions" },
		{ "shadow_bytes_peak", "Shadow memory, peak (bytes)" },
	};

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>tdpsim compare</title><style>"
	      "body{font-family:sans-serif;margin:16px;background:#fff;color:#000}"
	      "figure{display:inline-block;margin:6px}"
	      "table{border-collapse:collapse;margin:10px 0;font-size:13px}"
	      "td,th{border:1px solid #888;padding:3px 8px;text-align:right}"
	      "th{background:#dde6f0}td.l,th.l{text-align:left}"
	      ".sp{background:#ffd9d9}.pr{background:#fff2c0}"
	      "</style></head><body>\n<h1>tdpsim compare</h1>\n<p>", f);
	esc(f, title);
	fputs("</p>\n<div id=\"charts\">\n", f);
	for (unsigned c = 0; c < sizeof(charts) / sizeof(charts[0]); c++)
		chart(f, charts[c][0], charts[c][1], r, n);
	fputs("</div>\n", f);
	if (nrows) {
		fputs("<h2>Seed 000: special and promoted roots</h2>\n<p>Each case ran a "
		      "round-robin over three address spaces (three L2 guests when nested). "
		      "<span class=\"sp\">Red</span>: a special root (not backed by a shadow page, "
		      "freed on every switch); <span class=\"pr\">yellow</span>: a promoted level "
		      "backed by a page. The number is the fast-switch hit rate.</p>\n"
		      "<table id=\"roots\"><tr><th class=\"l\">case</th>", f);
		for (unsigned i = 0; i < n; i++) {
			fputs("<th>", f);
			esc(f, r[i].strat.name);
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (unsigned k = 0; k < nrows; k++) {
			fputs("<tr><td class=\"l\">", f);
			esc(f, rows[k].label);
			fputs("</td>", f);
			for (unsigned i = 0; i < n; i++) {
				fprintf(f, "<td class=\"l%s\">", rows[k].special[i] ? " sp"
								 : rows[k].promoted[i] ? " pr" : "");
				esc(f, rows[k].shape[i] ? rows[k].shape[i] : "");
				if (isnan(rows[k].hit_rate[i]))
					fputs(" &mdash; n/a</td>", f);
				else
					fprintf(f, " &mdash; %.2f</td>", rows[k].hit_rate[i]);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>Counters</h2>\n<table id=\"metrics\"><tr><th class=\"l\">metric</th>", f);
	for (unsigned i = 0; i < n; i++) {
		fputs("<th>", f);
		esc(f, r[i].strat.name);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (const struct cmp_metric *m = cmp_metrics(); m->key; m++) {
		fputs("<tr><td class=\"l\">", f);
		esc(f, m->key);
		fputs("</td>", f);
		for (unsigned i = 0; i < n; i++)
			fprintf(f, m->ratio ? "<td>%.4f</td>" : "<td>%.0f</td>", m->get(&r[i], m->arg));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}
