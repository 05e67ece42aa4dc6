/*
 * Intel EPT as a host dimension (SDM Vol. 3C 29.3): the EPT formats
 * (4- and 5-level), the EPTP, and the rules for violations and
 * misconfigurations. An EPT is an ordinary struct pg_mmu run by the one
 * generic walker; only its data and its rules (ept_rules) differ.
 */
#ifndef TDPSIM_EPT_EPT_H
#define TDPSIM_EPT_EPT_H

#include "ept_bits.h"
#include "paging/decode.h"
#include "paging/mmu.h"
#include "paging/walk.h"

/* What the CPU's IA32_VMX_EPT_VPID_CAP and controls offer. */
struct ept_caps {
	uint8_t maxphyaddr; /* 32..52 */
	bool pwl4, pwl5;    /* 4-/5-level page walks */
	bool xonly;         /* execute-only entries (bits 2:0 = 100b) */
	bool ad;            /* EPT accessed/dirty flags */
	bool gbpages;       /* 1 GiB leaves */
	bool uc, wb;        /* EPTP memory types */
	bool mbec;          /* mode-based execute control available */
};

void ept_caps_all(struct ept_caps *c);

extern const struct pg_format ept_fmt4, ept_fmt5;
extern const struct pg_rules ept_rules;

/*
 * Build @m from an EPTP. @mbec turns on mode-based execute control (a
 * secondary VM-execution control). An EPTP that VM entry would reject
 * (memory type, page-walk length, A/D without support, reserved bits) is
 * -EINVAL with a one-line reason in *why.
 */
int ept_mmu_init(struct pg_mmu *m, uint64_t eptp, const struct ept_caps *caps, bool mbec,
		 const char **why);

/*
 * Decode an EPT entry read at @level under @m for display (ept_decode.c).
 * Names, in bit order: "R", "W", "X", "MT=n" and "IPAT" (leaves), "PS",
 * "A" and "D" (with EPTP.AD), "XU" (with mode-based execute control), "SVE"
 * (leaves), then "RSVD" if a reserved bit is set and "MISCONFIG" if the
 * value is one the manual forbids (write-only, a reserved memory type...).
 */
void ept_decode_entry(const struct pg_mmu *m, unsigned level, uint64_t entry,
		      struct pg_decoded *d);

/* Names of the set bits of an EPT-violation exit qualification (SDM Table
 * 28-7), in bit order: "R", "W", "X", "readable", "writable", "executable",
 * "user-executable", "gla-valid", "final", "user-la", "rw-la", "xd-la".
 * Returns how many were stored (at most 12). */
unsigned ept_decode_qual(uint64_t qual, const char *names[12]);

#endif
