/*
 * Intel EPT as a host dimension (SDM Vol. 3C 29.3): the EPT formats
 * (4- and 5-level), the EPTP, and the rules for violations and
 * misconfigurations. An EPT is an ordinary struct pg_mmu run by the one
 * generic walker; only its data and its rules (ept_rules) differ.
 */
#ifndef TDPSIM_EPT_EPT_H
#define TDPSIM_EPT_EPT_H

#include "ept_bits.h"
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

#endif
