/*
 * The recorder (record.h): records in a buffer, one zstd frame per
 * section of about TRC_SECTION_TARGET raw bytes, an index of the sections
 * and markers at the end.
 */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "codec.h"
#include "format.h"
#include "paging/format.h"

#define TRC_SECTION_TARGET (1u << 20)
#define TRC_RECORD_MAX (TRC_PAGE + 64)
#define TRC_ZSTD_LEVEL 3

enum page_state { PG_CLEAN = 0, PG_STALE, PG_TABLE };

struct idx_ent {
	uint64_t off, first, insns;
};

struct trc_recorder {
	FILE *f;
	GKeyFile *header;         /* written at the start state */
	bool header_done;
	char *path;
	int err;
	const struct cpu_ram *ram;
	uint8_t *state;          /* enum page_state per RAM page */
	uint8_t *buf;
	size_t len;
	uint8_t sec_type;
	uint64_t nrec, sec_first, sec_insns, off, insns;
	ZSTD_CCtx *z;
	void *zbuf;
	size_t zcap;
	uint64_t last_la[3], last_pc_end, last_wr_end;
	int cpl, code_bits;       /* -1: none yet */
	GArray *index;            /* struct idx_ent */
	GString *markers;         /* "record insns id text\n" */
	uint64_t counts[TRC_EV_COUNT], accesses, fetches, blocks, writes, pages, stales;
	uint8_t modes;            /* bit pg_mode_of() of every MMU context */
};

static void put(struct trc_recorder *r, const void *p, size_t n)
{
	if (r->err)
		return;
	if (fwrite(p, 1, n, r->f) != n)
		r->err = -errno ? -errno : -EIO;
	r->off += n;
}

static void flush(struct trc_recorder *r)
{
	uint8_t h[TRC_SECTION_HDR];
	size_t z;

	if (!r->len)
		return;
	z = ZSTD_compress2(r->z, r->zbuf, r->zcap, r->buf, r->len);
	if (ZSTD_isError(z)) {
		r->err = -EIO;
		return;
	}
	if (r->sec_type == TRC_SEC_EVENTS) {
		struct idx_ent e = { r->off, r->sec_first, r->sec_insns };

		g_array_append_val(r->index, e);
	}
	h[0] = r->sec_type;
	trc_put_le(h + 1, z, 4);
	trc_put_le(h + 5, r->len, 4);
	trc_put_le(h + 9, r->sec_first, 8);
	put(r, h, sizeof(h));
	put(r, r->zbuf, z);
	r->len = 0;
	r->sec_first = r->nrec;
	r->sec_insns = r->insns;
}

/* Room for one record of at most TRC_RECORD_MAX bytes in a section of
 * @type. */
static uint8_t *room(struct trc_recorder *r, uint8_t type)
{
	if (r->sec_type != type || r->len + TRC_RECORD_MAX > TRC_SECTION_TARGET) {
		flush(r);
		r->sec_type = type;
	}
	r->nrec++;
	return r->buf + r->len;
}

static void state(struct trc_recorder *r, uint8_t cpl, uint8_t code_bits)
{
	uint8_t *p;

	if (r->cpl == cpl && r->code_bits == code_bits)
		return;
	p = room(r, TRC_SEC_EVENTS);
	r->nrec--; /* a state change is no record of its own */
	p[0] = TRC_TAG_STATE;
	p[1] = cpl;
	p[2] = code_bits;
	r->len += 3;
	r->cpl = cpl;
	r->code_bits = code_bits;
}

static void snapshot(struct trc_recorder *r)
{
	static const uint8_t zero[TRC_PAGE];
	uint64_t last = 0;

	for (uint64_t pg = 0; pg < r->ram->size / TRC_PAGE; pg++) {
		const uint8_t *src = r->ram->base + pg * TRC_PAGE;
		uint8_t *p;
		unsigned n;

		if (!memcmp(src, zero, TRC_PAGE))
			continue;
		p = room(r, TRC_SEC_SNAPSHOT);
		r->nrec--; /* snapshot pages are not records */
		n = trc_put_varint(p, pg - last);
		memcpy(p + n, src, TRC_PAGE);
		r->len += n + TRC_PAGE;
		last = pg;
	}
	flush(r);
	r->sec_first = r->nrec;
}

static void write_header(struct trc_recorder *r);

static void on_start(void *o, const struct trc_start *st)
{
	struct trc_recorder *r = o;
	const uint64_t v[] = { st->regs.cr0, st->regs.cr3, st->regs.cr4, st->regs.efer,
			       st->regs.rflags, st->regs.pkru, st->regs.pkrs, st->rip,
			       st->ram_bytes };
	uint8_t *p;
	size_t n = 1;
	char hex[24];
	const struct { const char *k; uint64_t v; } kv[] = {
		{ "cr0", st->regs.cr0 }, { "cr3", st->regs.cr3 }, { "cr4", st->regs.cr4 },
		{ "efer", st->regs.efer }, { "rflags", st->regs.rflags }, { "pkru", st->regs.pkru },
		{ "pkrs", st->regs.pkrs }, { "rip", st->rip },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(kv); i++) {
		snprintf(hex, sizeof(hex), "%#" G_GINT64_MODIFIER "x", kv[i].v);
		g_key_file_set_string(r->header, "start", kv[i].k, hex);
	}
	g_key_file_set_integer(r->header, "start", "cpl", st->cpl);
	g_key_file_set_integer(r->header, "start", "code_bits", st->code_bits);
	g_key_file_set_string(r->header, "start", "guest_mode",
			      pg_format_of(pg_mode_of(&st->regs))->name);
	write_header(r);
	snapshot(r);
	p = room(r, TRC_SEC_EVENTS);
	p[0] = TRC_TAG_START;
	for (unsigned i = 0; i < G_N_ELEMENTS(v); i++)
		n += trc_put_varint(p + n, v[i]);
	p[n++] = st->cpl;
	p[n++] = st->code_bits;
	r->len += n;
	r->cpl = st->cpl;
	r->code_bits = st->code_bits;
}

static void on_block(void *o, const struct trc_block *b)
{
	struct trc_recorder *r = o;
	uint8_t *p;
	size_t n = 1;

	state(r, b->cpl, b->code_bits);
	p = room(r, TRC_SEC_EVENTS);
	p[0] = TRC_TAG_BLOCK;
	n += trc_put_varint(p + n, trc_zigzag((int64_t)(b->pc - r->last_pc_end)));
	n += trc_put_varint(p + n, b->size);
	n += trc_put_varint(p + n, b->ninsns);
	r->len += n;
	r->last_pc_end = b->pc + b->size;
	r->blocks++;
	r->fetches += b->size ? ((b->pc + b->size - 1) >> 12) - (b->pc >> 12) + 1 : 0;
}

static unsigned size_code(uint8_t size)
{
	for (unsigned i = 0; i < sizeof(trc_size_codes); i++)
		if (trc_size_codes[i] == size)
			return i + 1;
	return 0;
}

static void on_access(void *o, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		      bool implicit)
{
	struct trc_recorder *r = o;
	unsigned sc = size_code(size);
	uint8_t *p;
	size_t n = 1;

	kind &= 3;
	if (kind > TRC_FETCH)
		return;
	state(r, cpl, (uint8_t)r->code_bits);
	p = room(r, TRC_SEC_EVENTS);
	p[0] = (uint8_t)(TRC_TAG_ACCESS | kind << 5 | (implicit ? 0x10 : 0) | sc);
	if (!sc)
		n += trc_put_varint(p + n, size);
	n += trc_put_varint(p + n, trc_zigzag((int64_t)(la - r->last_la[kind])));
	r->len += n;
	r->last_la[kind] = la;
	r->accesses++;
}

static void page_rec(struct trc_recorder *r, uint8_t tag, uint64_t pg)
{
	uint8_t *p = room(r, TRC_SEC_EVENTS);
	size_t n = 1;

	p[0] = tag;
	n += trc_put_varint(p + n, pg);
	if (tag == TRC_TAG_PAGE) {
		memcpy(p + n, r->ram->base + pg * TRC_PAGE, TRC_PAGE);
		n += TRC_PAGE;
		r->pages++;
	} else {
		r->stales++;
	}
	r->len += n;
}

static void on_write(void *o, uint64_t gpa, const void *data, uint32_t len)
{
	struct trc_recorder *r = o;
	const uint8_t *d = data;

	while (len) {
		uint64_t pg = gpa / TRC_PAGE;
		uint32_t n = TRC_PAGE - (uint32_t)(gpa % TRC_PAGE);

		if (n > len)
			n = len;
		if (gpa >= r->ram->size)
			return;
		if (r->state[pg] == PG_TABLE) {
			uint8_t *p = room(r, TRC_SEC_EVENTS);
			size_t k = 1;

			p[0] = TRC_TAG_WRITE;
			k += trc_put_varint(p + k, trc_zigzag((int64_t)(gpa - r->last_wr_end)));
			k += trc_put_varint(p + k, n);
			memcpy(p + k, d, n);
			r->len += k + n;
			r->last_wr_end = gpa + n;
			r->writes++;
		} else if (r->state[pg] == PG_CLEAN) {
			page_rec(r, TRC_TAG_STALE, pg);
			r->state[pg] = PG_STALE;
		}
		gpa += n;
		d += n;
		len -= n;
	}
}

static void on_table_read(void *o, uint64_t gpa_page)
{
	struct trc_recorder *r = o;
	uint64_t pg = gpa_page / TRC_PAGE;

	if (gpa_page >= r->ram->size || r->state[pg] == PG_TABLE)
		return;
	if (r->state[pg] == PG_STALE)
		page_rec(r, TRC_TAG_PAGE, pg);
	r->state[pg] = PG_TABLE;
}

static void on_insns(void *o, uint64_t n)
{
	struct trc_recorder *r = o;
	uint8_t *p = room(r, TRC_SEC_EVENTS);

	p[0] = TRC_TAG_INSNS;
	r->len += 1 + trc_put_varint(p + 1, n);
	r->insns += n;
}

static void event(struct trc_recorder *r, const struct trc_event *ev)
{
	uint8_t *p = room(r, TRC_SEC_EVENTS);
	size_t n = 2;

	p[0] = TRC_TAG_EVENT;
	p[1] = ev->kind;
	for (const struct trc_field *f = trc_event_fields[ev->kind]; f->size; f++)
		n += trc_put_varint(p + n, trc_field_get(ev, f));
	if (ev->kind == TRC_EV_MARKER) {
		size_t tl = ev->marker.text ? strnlen(ev->marker.text, 255) : 0;

		n += trc_put_varint(p + n, tl);
		memcpy(p + n, ev->marker.text ? ev->marker.text : "", tl);
		n += tl;
		g_string_append_printf(r->markers, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
				       " %u %.*s\n", r->nrec - 1, r->insns, ev->marker.id,
				       (int)tl, ev->marker.text ? ev->marker.text : "");
	}
	if (ev->kind == TRC_EV_MMU)
		r->modes |= (uint8_t)(1u << pg_mode_of(&ev->mmu.regs));
	r->counts[ev->kind]++;
	r->len += n;
}

static void on_event(void *o, const struct trc_event *ev)
{
	if (ev->kind && ev->kind < TRC_EV_COUNT)
		event(o, ev);
}

void trc_recorder_marker(struct trc_recorder *r, uint32_t id, const char *text)
{
	struct trc_event ev = { .kind = TRC_EV_MARKER, .marker = { .id = id, .text = text } };

	event(r, &ev);
}

static void on_end(void *o)
{
	struct trc_recorder *r = o;
	uint8_t *p = room(r, TRC_SEC_EVENTS);

	p[0] = TRC_TAG_END;
	r->len++;
}

void trc_recorder_consumer(struct trc_recorder *r, struct trc_consumer *k)
{
	*k = (struct trc_consumer){ .start = on_start, .block = on_block, .access = on_access,
				    .write = on_write, .insns = on_insns, .event = on_event,
				    .table_read = on_table_read, .end = on_end, .opaque = r };
}

int trc_recorder_open(const char *path, GKeyFile *header, const struct cpu_ram *ram,
		      struct trc_recorder **out, char *why, size_t why_len)
{
	struct trc_recorder *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->path = g_strdup(path);
	r->ram = ram;
	r->cpl = r->code_bits = -1;
	r->state = calloc(ram->size / TRC_PAGE + 1, 1);
	r->buf = malloc(TRC_SECTION_TARGET);
	r->zcap = ZSTD_compressBound(TRC_SECTION_TARGET);
	r->zbuf = malloc(r->zcap);
	r->z = ZSTD_createCCtx();
	/* Each frame carries its content checksum: a damaged section is
	 * reported, never decoded into other records. */
	if (r->z && (ZSTD_isError(ZSTD_CCtx_setParameter(r->z, ZSTD_c_compressionLevel,
							   TRC_ZSTD_LEVEL)) ||
		     ZSTD_isError(ZSTD_CCtx_setParameter(r->z, ZSTD_c_checksumFlag, 1)))) {
		ZSTD_freeCCtx(r->z);
		r->z = NULL;
	}
	r->index = g_array_new(FALSE, FALSE, sizeof(struct idx_ent));
	r->markers = g_string_new(NULL);
	r->f = fopen(path, "wb");
	if (!r->state || !r->buf || !r->zbuf || !r->z || !r->f) {
		snprintf(why, why_len, "%s: %s", path, r->f ? "out of memory" : g_strerror(errno));
		trc_recorder_close(r, NULL, 0);
		return -EIO;
	}
	r->header = g_key_file_ref(header);
	*out = r;
	return 0;
}

static void write_header(struct trc_recorder *r)
{
	uint8_t h[16];
	gchar *text;
	gsize tl;

	if (r->header_done)
		return;
	r->header_done = true;
	g_key_file_set_integer(r->header, "trace", "format", TRC_VERSION);
	g_key_file_set_string(r->header, "trace", "tdpsim", TDPSIM_VERSION);
	text = g_key_file_to_data(r->header, &tl, NULL);
	memcpy(h, TRC_MAGIC, 8);
	trc_put_le(h + 8, TRC_VERSION, 4);
	trc_put_le(h + 12, tl, 4);
	put(r, h, sizeof(h));
	put(r, text, tl);
	g_free(text);
}

/* The index section: the sections, the counts and the markers, as a key
 * file (read by `tdpsim trace info` and for --from/--to). */
static void write_index(struct trc_recorder *r)
{
	GKeyFile *k = g_key_file_new();
	GString *s = g_string_new(NULL);
	gchar *text;
	gsize tl;

	for (unsigned i = 0; i < r->index->len; i++) {
		const struct idx_ent *e = &g_array_index(r->index, struct idx_ent, i);

		g_string_append_printf(s, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %"
				       G_GUINT64_FORMAT "\n", e->off, e->first, e->insns);
	}
	g_key_file_set_string(k, "index", "sections", s->str);
	g_key_file_set_string(k, "index", "markers", r->markers->str);
	g_key_file_set_uint64(k, "counts", "records", r->nrec);
	g_key_file_set_uint64(k, "counts", "accesses", r->accesses);
	g_key_file_set_uint64(k, "counts", "fetches", r->fetches);
	g_key_file_set_uint64(k, "counts", "blocks", r->blocks);
	g_key_file_set_uint64(k, "counts", "writes", r->writes);
	g_key_file_set_uint64(k, "counts", "pages", r->pages);
	g_key_file_set_uint64(k, "counts", "stale", r->stales);
	g_key_file_set_uint64(k, "counts", "instructions", r->insns);
	for (unsigned i = 1; i < TRC_EV_COUNT; i++)
		g_key_file_set_uint64(k, "events", trc_event_names[i], r->counts[i]);
	g_key_file_set_integer(k, "guest", "modes", r->modes);
	text = g_key_file_to_data(k, &tl, NULL);
	r->sec_type = TRC_SEC_INDEX;
	r->sec_first = r->nrec;
	/* One frame, however long the text (the reader caps it). */
	if (tl + TRC_RECORD_MAX > TRC_SECTION_TARGET) {
		r->err = r->err ? r->err : -EFBIG;
	} else {
		memcpy(r->buf, text, tl);
		r->len = tl;
		flush(r);
	}
	g_free(text);
	g_string_free(s, TRUE);
	g_key_file_free(k);
}

int trc_recorder_close(struct trc_recorder *r, char *why, size_t why_len)
{
	int err;

	if (r->f) {
		uint64_t at;
		uint8_t foot[TRC_FOOTER_BYTES];

		write_header(r);
		flush(r);
		at = r->off;
		write_index(r);
		trc_put_le(foot, at, 8);
		memcpy(foot + 8, TRC_FOOTER_MAGIC, 8);
		put(r, foot, sizeof(foot));
		if (fclose(r->f) && !r->err)
			r->err = -EIO;
	}
	err = r->err;
	if (err && why)
		snprintf(why, why_len, "%s: cannot write the trace: %s", r->path, g_strerror(-err));
	ZSTD_freeCCtx(r->z);
	free(r->zbuf);
	free(r->buf);
	free(r->state);
	g_array_free(r->index, TRUE);
	g_string_free(r->markers, TRUE);
	if (r->header)
		g_key_file_unref(r->header);
	g_free(r->path);
	free(r);
	return err;
}
