/*
 * The trace file format (docs/trace-format.md is the reference): framing
 * constants, record tags and the varint coding shared by the recorder
 * (record.c) and the reader (reader.c).
 *
 *   file   = header, then sections, then the index section, then the footer
 *   header = "TDPSIMTR" | u32 format version | u32 n | n bytes of key file
 *   section= u8 type | u32 stored bytes | u32 raw bytes | u64 first record
 *            | stored bytes (one zstd frame)
 *   footer = u64 offset of the index section | "TDPSIMIX"
 *
 * All integers little-endian. Section types: SNAPSHOT (non-zero pages of
 * guest-physical memory at the start), EVENTS (records), INDEX.
 */
#ifndef TDPSIM_TRACE_FORMAT_H
#define TDPSIM_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define TRC_MAGIC "TDPSIMTR"
#define TRC_FOOTER_MAGIC "TDPSIMIX"
#define TRC_VERSION 1u
#define TRC_HEADER_MAX (1u << 20)        /* key-file bytes */
#define TRC_SECTION_RAW_MAX (8u << 20)   /* raw bytes of one section */
#define TRC_SECTION_HDR 17u              /* type, stored, raw, first record */
#define TRC_FOOTER_BYTES 16u
#define TRC_PAGE 4096u

enum trc_section { TRC_SEC_SNAPSHOT = 'S', TRC_SEC_EVENTS = 'E', TRC_SEC_INDEX = 'I' };

/*
 * Record tags (the first byte of each record in an EVENTS section).
 * Accesses are most of a trace: their tag holds the kind, the implicit
 * flag and the size; the address is a zigzag varint delta from the last
 * address of the same kind. The CPL and code size are state records,
 * written when they change.
 */
enum trc_tag {
	TRC_TAG_ACCESS = 0x80,   /* | kind << 5 | implicit << 4 | size code (0: varint follows) */
	TRC_TAG_BLOCK = 0x01,    /* zigzag(pc - last block end), varint size, varint ninsns */
	TRC_TAG_INSNS = 0x02,    /* varint n */
	TRC_TAG_STATE = 0x03,    /* u8 cpl, u8 code_bits */
	TRC_TAG_WRITE = 0x04,    /* zigzag(gpa - last write end), varint len, len bytes */
	TRC_TAG_PAGE = 0x05,     /* varint page number, 4096 bytes: a page's content now */
	TRC_TAG_STALE = 0x06,    /* varint page number: written, not recorded since */
	TRC_TAG_EVENT = 0x07,    /* u8 kind, then the kind's fields (record.c) */
	TRC_TAG_START = 0x08,    /* the start state */
	TRC_TAG_END = 0x09,
};

/* Access sizes with a code in the tag (code = index + 1). */
static const uint8_t trc_size_codes[] = { 1, 2, 4, 8, 16, 64, 128 };

static inline unsigned trc_put_varint(uint8_t *p, uint64_t v)
{
	unsigned n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline uint64_t trc_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t trc_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void trc_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t trc_get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
