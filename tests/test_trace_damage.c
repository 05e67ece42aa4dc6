/*
 * Damaged traces (docs/trace-format.md, "Errors"): each kind of damage made
 * to a committed trace (traces/pagetest-pae.tdt) — truncated (in the
 * header, inside a section, at a section boundary), a corrupt payload
 * (the zstd frame's checksum), a section larger than the format allows,
 * another version, another magic, a bad record — makes `tdpsim replay`,
 * `tdpsim trace info` and `tdpsim trace dump` each print one line naming
 * the byte offset and exit 2. The offsets expected are computed here from
 * the documented layout, not asked of the reader.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <zstd.h>

#include "spawn.h"

#define TRACE TDPSIM_SOURCE_DIR "/traces/pagetest-pae.tdt"
#define SEC_HDR 17 /* u8 type, u32 stored, u32 raw, u64 first record */

static gchar *tmpdir;
static guint8 *orig;
static gsize orig_len;

struct section {
	gsize off;
	char type;
	guint32 stored, raw;
};

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static void put_le32(guint8 *p, guint32 v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (guint8)(v >> (8 * i));
}

/* Section @want of the trace (0: the first after the header). */
static struct section section(unsigned want)
{
	gsize off = 16 + le32(orig + 12);

	for (unsigned i = 0;; i++) {
		struct section s = { off, (char)orig[off], le32(orig + off + 1), le32(orig + off + 5) };

		g_assert_cmpuint(off + SEC_HDR, <=, orig_len);
		if (i == want)
			return s;
		off += SEC_HDR + s.stored;
	}
}

static gchar *write_file(const char *name, const void *data, gsize len)
{
	gchar *p = g_build_filename(tmpdir, name, NULL);

	g_assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
	return p;
}

/* Every reading command: exit 2, and stderr is one line containing @want. */
static void expect(const char *name, const void *data, gsize len, const char *want)
{
	gchar *p = write_file(name, data, len);
	const char *const cmds[][3] = { { "replay", NULL }, { "trace", "info" },
					{ "trace", "dump" } };

	for (unsigned i = 0; i < G_N_ELEMENTS(cmds); i++) {
		struct spawn_result r = cmds[i][1] ? spawn_tdpsim(cmds[i][0], cmds[i][1], p, NULL)
						   : spawn_tdpsim(cmds[i][0], p, NULL);
		const char *nl = strchr(r.err, '\n');

		if (r.status != 2 || !strstr(r.err, want) || !nl || nl[1])
			g_error("%s %s on %s: status %d, expected 2 and one line with \"%s\", got:\n%s",
				cmds[i][0], cmds[i][1] ? cmds[i][1] : "", name, r.status, want, r.err);
		spawn_free(&r);
	}
	g_unlink(p);
	g_free(p);
}

static void test_intact(void)
{
	gchar *p = write_file("intact.tdt", orig, orig_len);
	struct spawn_result r = spawn_tdpsim("trace", "info", p, NULL);

	/* The damage below is all that makes the commands fail. */
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "");
	spawn_free(&r);
	g_unlink(p);
	g_free(p);
}

static void test_magic(void)
{
	g_autofree guint8 *d = g_memdup2(orig, orig_len);

	memcpy(d, "TDPSIMTX", 8);
	expect("magic.tdt", d, orig_len, "not a tdpsim trace at byte 0");
}

static void test_version(void)
{
	g_autofree guint8 *d = g_memdup2(orig, orig_len);

	put_le32(d + 8, 2);
	expect("version.tdt", d, orig_len, "version 2 at byte 8");
}

static void test_truncated(void)
{
	struct section s = section(2);
	gchar *want;

	expect("cut-header.tdt", orig, 20, "truncated at byte 16");
	want = g_strdup_printf("truncated at byte %" G_GSIZE_FORMAT ": a section needs",
			       s.off + SEC_HDR);
	expect("cut-section.tdt", orig, s.off + SEC_HDR + s.stored / 2, want);
	g_free(want);
	/* Whole sections, but no end record (and no index). */
	want = g_strdup_printf("truncated at byte %" G_GSIZE_FORMAT ": the records end", s.off);
	expect("cut-boundary.tdt", orig, s.off, want);
	g_free(want);
}

static void test_corrupt(void)
{
	struct section s = section(1);
	g_autofree guint8 *d = g_memdup2(orig, orig_len);
	gchar *want = g_strdup_printf("corrupt at byte %" G_GSIZE_FORMAT, s.off);

	g_assert_cmpint(s.type, ==, 'E');
	d[s.off + SEC_HDR + s.stored / 2] ^= 0x10; /* one bit of the payload */
	expect("corrupt.tdt", d, orig_len, want);
	memcpy(d, orig, orig_len);
	/* A size beyond the format's limit: refused before allocating. */
	put_le32(d + s.off + 1, 0xfffffff0u);
	expect("huge.tdt", d, orig_len, want);
	g_free(want);
}

/* An events section whose first record has a tag the format does not
 * define (0x0a), re-compressed with its checksum: a valid frame, a bad
 * record. The trace ends after it. */
static void test_bad_record(void)
{
	struct section s = section(1);
	gsize bound = ZSTD_compressBound(s.raw), n;
	g_autofree guint8 *raw = g_malloc(s.raw);
	g_autofree guint8 *d = g_malloc(s.off + SEC_HDR + bound);
	ZSTD_CCtx *z = ZSTD_createCCtx();
	gchar *want;

	g_assert_cmpint(s.type, ==, 'E');
	g_assert_cmpuint(ZSTD_decompress(raw, s.raw, orig + s.off + SEC_HDR, s.stored), ==, s.raw);
	raw[0] = 0x0a;
	memcpy(d, orig, s.off + SEC_HDR);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(z, d + s.off + SEC_HDR, bound, raw, s.raw);
	g_assert_false(ZSTD_isError(n));
	put_le32(d + s.off + 1, (guint32)n);
	ZSTD_freeCCtx(z);
	want = g_strdup_printf("corrupt in the section at byte %" G_GSIZE_FORMAT
			       ": an unknown record tag at raw byte 0", s.off);
	expect("bad-record.tdt", d, s.off + SEC_HDR + n, want);
	g_free(want);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_true(g_file_get_contents(TRACE, (gchar **)&orig, &orig_len, NULL));
	tmpdir = g_dir_make_tmp("tdpsim-damage-XXXXXX", NULL);
	g_test_add_func("/trace-damage/intact", test_intact);
	g_test_add_func("/trace-damage/magic", test_magic);
	g_test_add_func("/trace-damage/version", test_version);
	g_test_add_func("/trace-damage/truncated", test_truncated);
	g_test_add_func("/trace-damage/corrupt", test_corrupt);
	g_test_add_func("/trace-damage/bad-record", test_bad_record);
	rc = g_test_run();
	spawn_rmtree(tmpdir);
	g_free(orig);
	return rc;
}
