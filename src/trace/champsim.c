/*
 * The ChampSim trace reader (champsim.h): liblzma's stream decoder over
 * the file, records handed out from a decoded buffer. Memory stays flat:
 * one input and one output buffer, and the decoder's dictionary, capped by
 * a memory limit so that a hostile header cannot ask for gigabytes.
 */
#include "champsim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <lzma.h>

#define IN_BYTES  (64 * 1024)
#define OUT_BYTES (64 * TRC_CHAMPSIM_REC * 64)
/* xz -9 needs a 64 MiB dictionary; four times that is plenty. */
#define MEMLIMIT  (UINT64_C(256) << 20)

struct trc_champsim {
	FILE *f;
	char *path;
	lzma_stream z;
	bool z_on, eof_in, done;
	uint8_t in[IN_BYTES];
	uint8_t out[OUT_BYTES];
	size_t have, pos;        /* decoded bytes in out[], next unread */
	uint64_t offset;         /* decompressed offset of out[pos] */
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void trc_champsim_decode(const uint8_t b[TRC_CHAMPSIM_REC], struct trc_champsim_rec *rec)
{
	rec->ip = le64(b);
	rec->is_branch = b[8];
	rec->branch_taken = b[9];
	memcpy(rec->dst_regs, b + 10, 2);
	memcpy(rec->src_regs, b + 12, 4);
	for (unsigned i = 0; i < TRC_CHAMPSIM_NDST; i++)
		rec->dst_mem[i] = le64(b + 16 + 8 * i);
	for (unsigned i = 0; i < TRC_CHAMPSIM_NSRC; i++)
		rec->src_mem[i] = le64(b + 32 + 8 * i);
}

static int start(struct trc_champsim *r, char *why, unsigned len)
{
	lzma_ret ret;

	if (r->z_on)
		lzma_end(&r->z);
	r->z = (lzma_stream)LZMA_STREAM_INIT;
	ret = lzma_stream_decoder(&r->z, MEMLIMIT, LZMA_CONCATENATED);
	if (ret != LZMA_OK) {
		snprintf(why, len, "%s: cannot start the xz decoder (liblzma error %d)", r->path,
			 (int)ret);
		return -ENOMEM;
	}
	r->z_on = true;
	r->eof_in = r->done = false;
	r->have = r->pos = 0;
	r->offset = 0;
	return 0;
}

int trc_champsim_open(const char *path, struct trc_champsim **out, char *why, unsigned why_len)
{
	struct trc_champsim *r = g_new0(struct trc_champsim, 1);
	int rc;

	*out = NULL;
	r->path = g_strdup(path);
	r->f = fopen(path, "rb");
	if (!r->f) {
		rc = -errno;
		snprintf(why, why_len, "%s: %s", path, g_strerror(errno));
		goto out_free;
	}
	rc = start(r, why, why_len);
	if (rc)
		goto out_free;
	*out = r;
	return 0;
out_free:
	trc_champsim_close(r);
	return rc;
}

int trc_champsim_rewind(struct trc_champsim *r, char *why, unsigned why_len)
{
	if (fseek(r->f, 0, SEEK_SET)) {
		snprintf(why, why_len, "%s: %s", r->path, g_strerror(errno));
		return -EIO;
	}
	return start(r, why, why_len);
}

void trc_champsim_close(struct trc_champsim *r)
{
	if (!r)
		return;
	if (r->z_on)
		lzma_end(&r->z);
	if (r->f)
		fclose(r->f);
	g_free(r->path);
	g_free(r);
}

/* liblzma's verdicts, as the one line a user reads. */
static int xz_error(struct trc_champsim *r, lzma_ret ret, char *why, unsigned len)
{
	uint64_t at = r->z.total_in;

	switch (ret) {
	case LZMA_FORMAT_ERROR:
		snprintf(why, len, "%s: not an xz file (bad magic at byte %" PRIu64 ")", r->path, at);
		return -EINVAL;
	case LZMA_OPTIONS_ERROR:
		snprintf(why, len, "%s: unsupported xz options at byte %" PRIu64, r->path, at);
		return -EINVAL;
	case LZMA_MEMLIMIT_ERROR:
		snprintf(why, len, "%s: the xz stream needs more than %" PRIu64 " MiB to decode "
			 "(byte %" PRIu64 ")", r->path, MEMLIMIT >> 20, at);
		return -EINVAL;
	case LZMA_BUF_ERROR:
		snprintf(why, len, "%s: truncated xz stream at byte %" PRIu64, r->path, at);
		return -EINVAL;
	default:
		snprintf(why, len, "%s: corrupt xz data near byte %" PRIu64 " (liblzma error %d)",
			 r->path, at, (int)ret);
		return -EINVAL;
	}
}

/* Decode more into out[], keeping the unread tail. 0 or -errno. */
static int fill(struct trc_champsim *r, char *why, unsigned len)
{
	memmove(r->out, r->out + r->pos, r->have - r->pos);
	r->have -= r->pos;
	r->pos = 0;
	while (!r->done && r->have < sizeof(r->out)) {
		lzma_ret ret;

		if (r->z.avail_in == 0 && !r->eof_in) {
			size_t n = fread(r->in, 1, sizeof(r->in), r->f);

			if (ferror(r->f)) {
				snprintf(why, len, "%s: read error at byte %" PRIu64, r->path,
					 r->z.total_in);
				return -EIO;
			}
			r->z.next_in = r->in;
			r->z.avail_in = n;
			r->eof_in = n == 0;
		}
		r->z.next_out = r->out + r->have;
		r->z.avail_out = sizeof(r->out) - r->have;
		ret = lzma_code(&r->z, r->eof_in ? LZMA_FINISH : LZMA_RUN);
		r->have = sizeof(r->out) - r->z.avail_out;
		if (ret == LZMA_STREAM_END)
			r->done = true;
		else if (ret != LZMA_OK)
			return xz_error(r, ret, why, len);
	}
	return 0;
}

int trc_champsim_next(struct trc_champsim *r, struct trc_champsim_rec *rec, char *why,
		      unsigned why_len)
{
	if (r->have - r->pos < TRC_CHAMPSIM_REC) {
		int rc = fill(r, why, why_len);

		if (rc)
			return rc;
		if (r->have - r->pos == 0)
			return 0;
		if (r->have - r->pos < TRC_CHAMPSIM_REC) {
			snprintf(why, why_len, "%s: truncated record at byte %" PRIu64 " of the "
				 "decompressed trace (%zu of %d bytes)", r->path, r->offset,
				 r->have - r->pos, TRC_CHAMPSIM_REC);
			return -EINVAL;
		}
	}
	trc_champsim_decode(r->out + r->pos, rec);
	r->pos += TRC_CHAMPSIM_REC;
	r->offset += TRC_CHAMPSIM_REC;
	return 1;
}
