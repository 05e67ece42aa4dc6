/*
 * `tdpsim trace info FILE` and `tdpsim trace dump FILE [--csv] [--limit N]`:
 * what a trace holds (header, counts by kind, markers, bytes per access),
 * and its records as text or CSV (one line each, for Python and pandas).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "trace/codec.h"
#include "trace/reader.h"

#define CMD "trace"

static const char *const rec_names[] = {
	[TRC_REC_SNAPSHOT] = "snapshot", [TRC_REC_START] = "start", [TRC_REC_BLOCK] = "block",
	[TRC_REC_ACCESS] = "access", [TRC_REC_WRITE] = "write", [TRC_REC_INSNS] = "insns",
	[TRC_REC_EVENT] = "event", [TRC_REC_PAGE] = "page", [TRC_REC_STALE] = "stale",
	[TRC_REC_END] = "end",
};
static const char *const kind_names[] = { "read", "write", "fetch" };

struct decoded {
	uint64_t records, accesses;
	double seconds;
};

/* Decode every record and count them: the integrity check a reader can
 * make (every section's checksum, every record), and the bare decode that
 * bounds replay speed (bench/). */
static int decode(struct trc_reader *r, const char *path, struct decoded *d)
{
	struct trc_rec rec;
	gint64 t0 = g_get_monotonic_time();
	int rc;

	*d = (struct decoded){ 0 };
	while ((rc = trc_reader_next(r, &rec)) > 0) {
		d->records++;
		if (rec.type == TRC_REC_ACCESS)
			d->accesses++;
		else if (rec.type == TRC_REC_BLOCK && rec.block.size)
			d->accesses += ((rec.block.pc + rec.block.size - 1) >> 12) -
				       (rec.block.pc >> 12) + 1;
	}
	if (rc < 0)
		return cli_fail(CMD, "%s: %s", path, trc_reader_error(r));
	d->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
	return 0;
}

static void print_key(GKeyFile *k, const char *group, const char *key)
{
	gchar *v = g_key_file_get_value(k, group, key, NULL);

	printf("%s = %s\n", key, v ? v : "");
	g_free(v);
}

static int info(const char *path, bool full)
{
	struct trc_reader *r;
	GKeyFile *idx;
	gchar *text;
	char why[400];
	uint64_t acc = 0;
	struct decoded d;

	if (trc_reader_open(path, &r, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	/* The whole file is checked before anything is printed: a damaged
	 * trace is one line, never a report that looks complete. */
	if (decode(r, path, &d)) {
		trc_reader_close(r);
		return CLI_EXIT_USAGE;
	}
	text = g_key_file_to_data(trc_reader_header(r), NULL, NULL);
	printf("# header\n%s", text);
	g_free(text);
	idx = trc_reader_index(r);
	if (!idx) {
		printf("# no index: the trace was cut short (tdpsim trace dump reads what is there)\n");
	} else {
		gchar **keys = g_key_file_get_keys(idx, "counts", NULL, NULL);

		printf("\n# counts\n");
		for (gchar **k = keys; k && *k; k++)
			print_key(idx, "counts", *k);
		g_strfreev(keys);
		keys = g_key_file_get_keys(idx, "events", NULL, NULL);
		printf("\n# events by kind\n");
		for (gchar **k = keys; k && *k; k++)
			print_key(idx, "events", *k);
		g_strfreev(keys);
		text = g_key_file_get_string(idx, "index", "markers", NULL);
		printf("\n# markers (record instructions id text)\n%s", text ? text : "");
		g_free(text);
		acc = g_key_file_get_uint64(idx, "counts", "accesses", NULL) +
		      g_key_file_get_uint64(idx, "counts", "fetches", NULL);
	}
	printf("\n# size\nbytes = %" PRIu64 "\n", trc_reader_file_size(r));
	if (acc)
		printf("bytes_per_access = %.4f\n", (double)trc_reader_file_size(r) / (double)acc);
	if (full)
		printf("\n# decode\nrecords = %" PRIu64 "\naccesses = %" PRIu64
		       "\nseconds = %.3f\n", d.records, d.accesses, d.seconds);
	trc_reader_close(r);
	if (fflush(stdout) || ferror(stdout))
		return cli_fail(CMD, "cannot write: %s", g_strerror(errno));
	return 0;
}

static void dump_event(const struct trc_event *ev, bool csv)
{
	const char *sep = csv ? "," : " ";

	printf("%s", trc_event_names[ev->kind]);
	for (const struct trc_field *f = trc_event_fields[ev->kind]; f->size; f++)
		printf("%s%#" PRIx64, sep, trc_field_get(ev, f));
	if (ev->kind == TRC_EV_MARKER)
		printf("%s\"%s\"", sep, ev->marker.text);
}

static void dump_rec(const struct trc_rec *rec, bool csv)
{
	const char *sep = csv ? "," : " ";

	printf("%" PRIu64 "%s%s%s", rec->type == TRC_REC_SNAPSHOT ? 0 : rec->index, sep,
	       rec_names[rec->type], sep);
	switch (rec->type) {
	case TRC_REC_SNAPSHOT:
	case TRC_REC_PAGE:
	case TRC_REC_STALE:
		printf("%#" PRIx64, rec->page * 4096);
		break;
	case TRC_REC_START:
		printf("cr0=%#" PRIx64 "%scr3=%#" PRIx64 "%scr4=%#" PRIx64 "%sefer=%#" PRIx64
		       "%srip=%#" PRIx64 "%scpl=%u%sbits=%u", rec->start.regs.cr0, sep,
		       rec->start.regs.cr3, sep, rec->start.regs.cr4, sep, rec->start.regs.efer,
		       sep, rec->start.rip, sep, rec->start.cpl, sep, rec->start.code_bits);
		break;
	case TRC_REC_BLOCK:
		printf("%#" PRIx64 "%s%u%s%u%scpl%u", rec->block.pc, sep, rec->block.size, sep,
		       rec->block.ninsns, sep, rec->block.cpl);
		break;
	case TRC_REC_ACCESS:
		printf("%#" PRIx64 "%s%u%s%s%scpl%u%s", rec->la, sep, rec->size, sep,
		       kind_names[rec->kind], sep, rec->cpl, rec->implicit ? (csv ? ",implicit" : " implicit") : (csv ? "," : ""));
		break;
	case TRC_REC_WRITE:
		printf("%#" PRIx64 "%s%u", rec->gpa, sep, rec->len);
		break;
	case TRC_REC_INSNS:
		printf("%" PRIu64, rec->n);
		break;
	case TRC_REC_EVENT:
		dump_event(&rec->ev, csv);
		break;
	default:
		break;
	}
	printf("\n");
}

static int dump(const char *path, bool csv, uint64_t limit)
{
	struct trc_reader *r;
	struct trc_rec rec;
	char why[400];
	uint64_t n = 0;
	int rc;

	if (trc_reader_open(path, &r, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	if (csv)
		printf("record,type,a,b,c,d,e,f\n");
	while ((!limit || n < limit) && (rc = trc_reader_next(r, &rec)) > 0) {
		dump_rec(&rec, csv);
		n++;
	}
	if (rc < 0 && (!limit || n < limit)) {
		rc = cli_fail(CMD, "%s: %s", path, trc_reader_error(r));
		trc_reader_close(r);
		return rc;
	}
	trc_reader_close(r);
	if (fflush(stdout) || ferror(stdout))
		return cli_fail(CMD, "cannot write: %s", g_strerror(errno));
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	gboolean csv = FALSE, full = FALSE;
	gchar *limit = NULL, **files = NULL;
	uint64_t lim = 0;
	int rc;
	const GOptionEntry entries[] = {
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "dump: CSV", NULL },
		{ "limit", 0, 0, G_OPTION_ARG_STRING, &limit, "dump: at most N records", "N" },
		{ "decode", 0, 0, G_OPTION_ARG_NONE, &full,
		  "info: also print the decode of every record (counts, seconds: the bare "
		  "decode)", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &files, NULL, "info|dump FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("info|dump FILE - what a trace holds");

	g_option_context_add_main_entries(ctx, entries, NULL);
	rc = cli_parse_options(CMD, ctx, &argc, &argv);
	if (!rc && (!files || !files[0] || !files[1] || files[2]))
		rc = cli_fail(CMD, "expected info FILE or dump FILE");
	if (!rc && limit && (cli_parse_u64(limit, &lim) || lim == 0))
		rc = cli_fail(CMD, "--limit %s: expected a number of records, 1 or more", limit);
	if (!rc && strcmp(files[0], "info") == 0)
		rc = info(files[1], full);
	else if (!rc && strcmp(files[0], "dump") == 0)
		rc = dump(files[1], csv, lim);
	else if (!rc)
		rc = cli_fail(CMD, "%s: expected info or dump", files[0]);
	g_option_context_free(ctx);
	g_strfreev(files);
	g_free(limit);
	return rc;
}
