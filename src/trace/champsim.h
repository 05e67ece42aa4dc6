/*
 * ChampSim traces: xz-compressed streams of 64-byte `input_instr` records
 * (ChampSim's inc/trace_instruction.h), read with liblzma. docs/champsim.md
 * documents the layout and how tdpsim maps a record to accesses.
 *
 *   offset size field
 *        0    8 ip                        (little-endian)
 *        8    1 is_branch
 *        9    1 branch_taken
 *       10    2 destination_registers[2]
 *       12    4 source_registers[4]
 *       16   16 destination_memory[2]     (8 bytes each; 0 = unused)
 *       32   32 source_memory[4]          (8 bytes each; 0 = unused)
 */
#ifndef TDPSIM_TRACE_CHAMPSIM_H
#define TDPSIM_TRACE_CHAMPSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TRC_CHAMPSIM_REC 64
#define TRC_CHAMPSIM_NDST 2
#define TRC_CHAMPSIM_NSRC 4

struct trc_champsim_rec {
	uint64_t ip;
	uint8_t is_branch, branch_taken;
	uint8_t dst_regs[2], src_regs[4];
	uint64_t dst_mem[TRC_CHAMPSIM_NDST], src_mem[TRC_CHAMPSIM_NSRC];
};

struct trc_champsim;

/* Open @path (an .xz file). 0, or -errno with one line in @why. */
int trc_champsim_open(const char *path, struct trc_champsim **out, char *why, unsigned why_len);
/*
 * The next record into @rec: 1, 0 at the end of the stream, or -EINVAL /
 * -EIO with one line in @why giving the byte offset (in the decompressed
 * stream for a cut record, in the file for xz damage).
 */
int trc_champsim_next(struct trc_champsim *r, struct trc_champsim_rec *rec, char *why,
		      unsigned why_len);
/* Back to the first record (a second pass). 0 or -errno with @why. */
int trc_champsim_rewind(struct trc_champsim *r, char *why, unsigned why_len);
void trc_champsim_close(struct trc_champsim *r);

/* Decode one record from its 64 bytes. */
void trc_champsim_decode(const uint8_t b[TRC_CHAMPSIM_REC], struct trc_champsim_rec *rec);

#endif
