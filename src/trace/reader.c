/*
 * The trace reader (reader.h).
 */
#include "reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "codec.h"
#include "format.h"

struct trc_reader {
	FILE *f;
	uint64_t size, pos;         /* file size; offset of the next section */
	uint64_t index_off;         /* 0: no index */
	GKeyFile *header, *index;
	ZSTD_DCtx *z;
	uint8_t *stored, *raw;
	size_t raw_len, at;         /* the current section's raw bytes, cursor */
	uint8_t sec_type;
	uint64_t sec_off, nrec, snap_page;
	uint64_t last_la[3], last_pc_end, last_wr_end;
	uint8_t cpl, code_bits;
	bool done;
	char why[320];
};

static int fail(struct trc_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct trc_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *trc_reader_error(const struct trc_reader *r)
{
	return r->why;
}

static int read_at(struct trc_reader *r, uint64_t off, void *buf, size_t n, const char *what)
{
	if (off > r->size || n > r->size - off)
		return fail(r, "truncated at byte %" G_GUINT64_FORMAT ": %s needs %zu bytes, the "
			    "file has %" G_GUINT64_FORMAT, off, what, n,
			    off > r->size ? 0 : r->size - off);
	if (fseeko(r->f, (off_t)off, SEEK_SET) || fread(buf, 1, n, r->f) != n)
		return fail(r, "cannot read %s at byte %" G_GUINT64_FORMAT ": %s", what, off,
			    g_strerror(errno ? errno : EIO));
	return 0;
}

/* Load the section at @off into raw[]; sets r->pos past it. */
static int load_section(struct trc_reader *r, uint64_t off)
{
	uint8_t h[TRC_SECTION_HDR];
	uint64_t stored, raw;
	size_t got;
	int rc = read_at(r, off, h, sizeof(h), "a section header");

	if (rc)
		return rc;
	if (h[0] != TRC_SEC_SNAPSHOT && h[0] != TRC_SEC_EVENTS && h[0] != TRC_SEC_INDEX)
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": unknown section type %#x",
			    off, h[0]);
	stored = trc_get_le(h + 1, 4);
	raw = trc_get_le(h + 5, 4);
	if (raw > TRC_SECTION_RAW_MAX || stored > ZSTD_compressBound(TRC_SECTION_RAW_MAX))
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": section of %" G_GUINT64_FORMAT
			    " bytes (%" G_GUINT64_FORMAT " stored) exceeds the format's %u", off,
			    raw, stored, TRC_SECTION_RAW_MAX);
	rc = read_at(r, off + sizeof(h), r->stored, stored, "a section");
	if (rc)
		return rc;
	got = ZSTD_decompressDCtx(r->z, r->raw, TRC_SECTION_RAW_MAX, r->stored, stored);
	if (ZSTD_isError(got) || got != raw)
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": the section's zstd frame %s%s",
			    off, ZSTD_isError(got) ? "does not decode: " : "has the wrong size",
			    ZSTD_isError(got) ? ZSTD_getErrorName(got) : "");
	r->sec_type = h[0];
	r->sec_off = off;
	r->raw_len = got;
	r->at = 0;
	r->pos = off + sizeof(h) + stored;
	if (h[0] == TRC_SEC_EVENTS && trc_get_le(h + 9, 8) != r->nrec)
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": section starts at record %"
			    G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT, off,
			    trc_get_le(h + 9, 8), r->nrec);
	return 0;
}

static int parse_keys(struct trc_reader *r, GKeyFile **k, const char *text, size_t n,
		      uint64_t off, const char *what)
{
	GError *e = NULL;

	*k = g_key_file_new();
	if (!g_key_file_load_from_data(*k, text, n, G_KEY_FILE_NONE, &e)) {
		fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": the %s is not a key file: %s", off,
		     what, e->message);
		g_error_free(e);
		return -EINVAL;
	}
	return 0;
}

static int read_index(struct trc_reader *r)
{
	uint8_t foot[TRC_FOOTER_BYTES];
	uint64_t at;
	int rc;

	if (r->size < r->pos + TRC_FOOTER_BYTES)
		return 0;
	rc = read_at(r, r->size - TRC_FOOTER_BYTES, foot, sizeof(foot), "the footer");
	if (rc || memcmp(foot + 8, TRC_FOOTER_MAGIC, 8))
		return 0; /* cut short: no index; the records still read */
	at = trc_get_le(foot, 8);
	if (at < r->pos || at >= r->size - TRC_FOOTER_BYTES)
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": the index offset %"
			    G_GUINT64_FORMAT " is outside the sections", r->size - TRC_FOOTER_BYTES,
			    at);
	rc = load_section(r, at);
	if (rc)
		return rc;
	if (r->sec_type != TRC_SEC_INDEX)
		return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": the footer points at a "
			    "section that is not the index", at);
	rc = parse_keys(r, &r->index, (const char *)r->raw, r->raw_len, at, "index");
	r->index_off = at;
	r->raw_len = 0;
	return rc;
}

int trc_reader_open(const char *path, struct trc_reader **out, char *why, size_t why_len)
{
	struct trc_reader *r = calloc(1, sizeof(*r));
	uint8_t h[16];
	char *text = NULL;
	struct stat st;
	uint64_t hl;
	int rc = -EINVAL;

	if (!r)
		return -ENOMEM;
	r->f = fopen(path, "rb");
	if (!r->f || fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s: %s", path,
			 !r->f || !S_ISREG(st.st_mode) ? (r->f ? "not a regular file"
							       : g_strerror(errno))
						       : g_strerror(errno));
		trc_reader_close(r);
		return -EIO;
	}
	r->size = (uint64_t)st.st_size;
	r->z = ZSTD_createDCtx();
	r->raw = malloc(TRC_SECTION_RAW_MAX);
	r->stored = malloc(ZSTD_compressBound(TRC_SECTION_RAW_MAX));
	if (!r->z || !r->raw || !r->stored) {
		snprintf(why, why_len, "%s: out of memory", path);
		trc_reader_close(r);
		return -ENOMEM;
	}
	if ((rc = read_at(r, 0, h, sizeof(h), "the header")))
		goto out_fail;
	if (memcmp(h, TRC_MAGIC, 8)) {
		rc = fail(r, "not a tdpsim trace at byte 0: the magic is not \"" TRC_MAGIC "\"");
		goto out_fail;
	}
	if (trc_get_le(h + 8, 4) != TRC_VERSION) {
		rc = fail(r, "unsupported trace format version %u at byte 8 (this tdpsim reads %u)",
			  (unsigned)trc_get_le(h + 8, 4), TRC_VERSION);
		goto out_fail;
	}
	hl = trc_get_le(h + 12, 4);
	if (hl > TRC_HEADER_MAX) {
		rc = fail(r, "corrupt at byte 12: a header of %" G_GUINT64_FORMAT " bytes (at most %u)",
			  hl, TRC_HEADER_MAX);
		goto out_fail;
	}
	text = malloc(hl + 1);
	if (!text || (rc = read_at(r, 16, text, hl, "the header"))) {
		rc = text ? rc : fail(r, "out of memory");
		goto out_fail;
	}
	if ((rc = parse_keys(r, &r->header, text, hl, 16, "header")))
		goto out_fail;
	r->pos = 16 + hl;
	{
		uint64_t first = r->pos;

		if ((rc = read_index(r)))
			goto out_fail;
		r->pos = first;
	}
	free(text);
	*out = r;
	return 0;
out_fail:
	snprintf(why, why_len, "%s: %s", path, r->why);
	free(text);
	trc_reader_close(r);
	return rc;
}

void trc_reader_close(struct trc_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	if (r->header)
		g_key_file_free(r->header);
	if (r->index)
		g_key_file_free(r->index);
	ZSTD_freeDCtx(r->z);
	free(r->raw);
	free(r->stored);
	free(r);
}

GKeyFile *trc_reader_header(struct trc_reader *r)
{
	return r->header;
}

GKeyFile *trc_reader_index(struct trc_reader *r)
{
	return r->index;
}

uint64_t trc_reader_file_size(const struct trc_reader *r)
{
	return r->size;
}

uint64_t trc_reader_offset(const struct trc_reader *r)
{
	return r->pos;
}

/* ---- decoding one record ---------------------------------------------- */

static int bad(struct trc_reader *r, const char *what)
{
	return fail(r, "corrupt in the section at byte %" G_GUINT64_FORMAT ": %s at raw byte %zu "
		    "(record %" G_GUINT64_FORMAT ")", r->sec_off, what, r->at, r->nrec);
}

static int get_varint(struct trc_reader *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned s = 0; s < 64; s += 7) {
		uint8_t b;

		if (r->at >= r->raw_len)
			return bad(r, "a number runs past the end");
		b = r->raw[r->at++];
		x |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return bad(r, "a number longer than 64 bits");
}

static int get_bytes(struct trc_reader *r, size_t n, const uint8_t **p)
{
	if (n > r->raw_len - r->at)
		return bad(r, "data runs past the end");
	*p = r->raw + r->at;
	r->at += n;
	return 0;
}

static int get_event(struct trc_reader *r, struct trc_rec *rec)
{
	const uint8_t *p = NULL;
	uint64_t v;
	int rc;

	if ((rc = get_bytes(r, 1, &p)))
		return rc;
	if (!*p || *p >= TRC_EV_COUNT)
		return bad(r, "unknown event kind");
	memset(&rec->ev, 0, sizeof(rec->ev));
	rec->ev.kind = *p;
	for (const struct trc_field *f = trc_event_fields[*p]; f->size; f++) {
		if ((rc = get_varint(r, &v)))
			return rc;
		if ((f->size < 8 && v >> (8 * f->size)) || (f->is_bool && v > 1))
			return bad(r, "an event field out of range");
		trc_field_set(&rec->ev, f, v);
	}
	if (rec->ev.kind == TRC_EV_MARKER) {
		if ((rc = get_varint(r, &v)))
			return rc;
		if (v >= sizeof(rec->text))
			return bad(r, "a marker text too long");
		if ((rc = get_bytes(r, v, &p)))
			return rc;
		memcpy(rec->text, p, v);
		rec->text[v] = 0;
		rec->ev.marker.text = rec->text;
	}
	return 0;
}

static int get_record(struct trc_reader *r, struct trc_rec *rec)
{
	const uint8_t *p = NULL;
	uint64_t v, w;
	uint8_t tag = r->raw[r->at++];
	int rc = 0;

	rec->index = r->nrec++;
	if (tag & TRC_TAG_ACCESS) {
		unsigned sc = tag & 0xf;

		rec->type = TRC_REC_ACCESS;
		rec->kind = (tag >> 5) & 3;
		rec->implicit = (tag & 0x10) != 0;
		rec->cpl = r->cpl;
		if (rec->kind > TRC_FETCH || sc > sizeof(trc_size_codes))
			return bad(r, "a bad access tag");
		if (sc) {
			rec->size = trc_size_codes[sc - 1];
		} else {
			if ((rc = get_varint(r, &v)))
				return rc;
			if (v > 255)
				return bad(r, "an access size above 255");
			rec->size = (uint8_t)v;
		}
		if ((rc = get_varint(r, &v)))
			return rc;
		rec->la = r->last_la[rec->kind] + (uint64_t)trc_unzigzag(v);
		r->last_la[rec->kind] = rec->la;
		return 0;
	}
	switch (tag) {
	case TRC_TAG_BLOCK:
		rec->type = TRC_REC_BLOCK;
		if ((rc = get_varint(r, &v)) || (rc = get_varint(r, &w)))
			return rc;
		if (w > UINT32_MAX)
			return bad(r, "a block size above 4 GiB");
		rec->block.pc = r->last_pc_end + (uint64_t)trc_unzigzag(v);
		rec->block.size = (uint32_t)w;
		if ((rc = get_varint(r, &v)))
			return rc;
		if (v > UINT32_MAX)
			return bad(r, "a block instruction count above 2^32");
		rec->block.ninsns = (uint32_t)v;
		rec->block.cpl = r->cpl;
		rec->block.code_bits = r->code_bits;
		r->last_pc_end = rec->block.pc + rec->block.size;
		return 0;
	case TRC_TAG_INSNS:
		rec->type = TRC_REC_INSNS;
		return get_varint(r, &rec->n);
	case TRC_TAG_STATE:
		if ((rc = get_bytes(r, 2, &p)))
			return rc;
		if (p[0] > 3 || (p[1] != 16 && p[1] != 32 && p[1] != 64))
			return bad(r, "a bad CPL or code size");
		r->cpl = p[0];
		r->code_bits = p[1];
		r->nrec--;
		return 2; /* not a record of its own */
	case TRC_TAG_WRITE:
		rec->type = TRC_REC_WRITE;
		if ((rc = get_varint(r, &v)) || (rc = get_varint(r, &w)))
			return rc;
		if (w == 0 || w > TRC_PAGE)
			return bad(r, "a write longer than a page");
		rec->gpa = r->last_wr_end + (uint64_t)trc_unzigzag(v);
		rec->len = (uint32_t)w;
		if ((rc = get_bytes(r, w, &rec->data)))
			return rc;
		r->last_wr_end = rec->gpa + w;
		return 0;
	case TRC_TAG_PAGE:
	case TRC_TAG_STALE:
		rec->type = tag == TRC_TAG_PAGE ? TRC_REC_PAGE : TRC_REC_STALE;
		if ((rc = get_varint(r, &rec->page)))
			return rc;
		if (tag == TRC_TAG_PAGE)
			rc = get_bytes(r, TRC_PAGE, &rec->data);
		return rc;
	case TRC_TAG_EVENT:
		rec->type = TRC_REC_EVENT;
		return get_event(r, rec);
	case TRC_TAG_START: {
		uint64_t x[9];

		rec->type = TRC_REC_START;
		for (unsigned i = 0; i < 9; i++)
			if ((rc = get_varint(r, &x[i])))
				return rc;
		if ((rc = get_bytes(r, 2, &p)))
			return rc;
		if (x[5] > UINT32_MAX || x[6] > UINT32_MAX || p[0] > 3 ||
		    (p[1] != 16 && p[1] != 32 && p[1] != 64))
			return bad(r, "a bad start state");
		rec->start = (struct trc_start){
			.regs = { .cr0 = x[0], .cr3 = x[1], .cr4 = x[2], .efer = x[3],
				  .rflags = x[4], .pkru = (uint32_t)x[5], .pkrs = (uint32_t)x[6] },
			.rip = x[7], .ram_bytes = x[8], .cpl = p[0], .code_bits = p[1] };
		r->cpl = p[0];
		r->code_bits = p[1];
		return 0;
	}
	case TRC_TAG_END:
		rec->type = TRC_REC_END;
		r->done = true;
		return 0;
	default:
		r->at--;
		return bad(r, "an unknown record tag");
	}
}

int trc_reader_next(struct trc_reader *r, struct trc_rec *rec)
{
	int rc;

	for (;;) {
		if (r->done)
			return 0;
		if (r->at >= r->raw_len) {
			if (r->index_off ? r->pos >= r->index_off : r->pos >= r->size)
				return fail(r, "truncated at byte %" G_GUINT64_FORMAT ": the records end "
					    "without an end record", r->pos), -EINVAL;
			if ((rc = load_section(r, r->pos)))
				return rc;
			if (r->sec_type == TRC_SEC_INDEX)
				return fail(r, "corrupt at byte %" G_GUINT64_FORMAT ": an index "
					    "section before the end record", r->sec_off);
			continue;
		}
		if (r->sec_type == TRC_SEC_SNAPSHOT) {
			uint64_t d;

			if ((rc = get_varint(r, &d)))
				return rc;
			if ((rc = get_bytes(r, TRC_PAGE, &rec->data)))
				return rc;
			r->snap_page += d;
			rec->type = TRC_REC_SNAPSHOT;
			rec->page = r->snap_page;
			return 1;
		}
		rc = get_record(r, rec);
		if (rc == 2)
			continue;
		return rc < 0 ? rc : 1;
	}
}
