/*
 * Paging state: what the CPU model supports (struct pg_cpu), the guest's
 * paging registers (struct pg_regs), and the per-state context that the
 * walker runs on (struct pg_mmu).
 *
 * pg_mmu_init() validates the registers against the architecture and the CPU
 * model and resolves every state-dependent rule of the format (reserved bits
 * from MAXPHYADDR and EFER.NXE, whether PS=1 maps a page, address masks) into
 * plain masks, once per paging-state change. Like KVM's role-derived MMU
 * context, it is computed from the paging registers it is given, never from
 * ambient vCPU state (seed 002).
 */
#ifndef TDPSIM_PAGING_MMU_H
#define TDPSIM_PAGING_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"

/* What the CPU model offers (CPUID), SDM Vol. 3A 4.1.4. */
struct pg_cpu {
	uint8_t maxphyaddr; /* M, CPUID.80000008H:EAX[7:0]: 32..52 */
	bool pse;           /* CR4.PSE, 4 MiB pages in 32-bit paging */
	bool pse36;         /* PSE-36: 4 MiB pages above 4 GiB */
	bool pae;
	bool pge;
	bool nx;            /* EFER.NXE may be set */
	bool gbpages;       /* 1 GiB pages (CPUID.80000001H:EDX[26]) */
	bool la57;          /* 5-level paging */
	bool pcid;
	bool smep, smap;
	bool pku;           /* CR4.PKE */
	bool pks;           /* CR4.PKS */
};

/* Every feature on, MAXPHYADDR 52: the most permissive model. */
void pg_cpu_all(struct pg_cpu *cpu);

/* The paging registers a walk depends on. */
struct pg_regs {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rflags;   /* only AC matters to paging */
	uint32_t pkru;     /* PKRU: 2 bits (AD, WD) per key, SDM 4.6.2 */
	uint32_t pkrs;     /* IA32_PKRS (MSR 6E1H), same layout, supervisor pages */
};

struct pg_rules;

/* The resolved context. Plain data; copyable. */
struct pg_mmu {
	const struct pg_format *fmt;
	/* How rights are decided and faults reported: the x86 guest rules
	 * (#PF), AMD nested rules (#NPF) or EPT rules (violation and
	 * misconfiguration). */
	const struct pg_rules *rules;
	/* The format's entry bits as this state uses them: XD only with
	 * EFER.NXE; EPT A/D only with EPTP.AD; XU only with mode-based
	 * execute control. a_bit = 0 means no A/D updates at all. */
	uint64_t present, a_bit, d_bit, perm_and, perm_or;
	struct pg_regs regs;
	uint8_t maxphyaddr;
	uint64_t root;           /* physical address of the top table */
	uint64_t table_addr;     /* address bits of a non-leaf entry */
	/* Per level: reserved bits for a non-large [0] and a large [1] entry,
	 * and whether PS=1 maps a page there. */
	uint64_t rsvd[PG_LEVELS_MAX + 1][2];
	uint64_t leaf_addr[PG_LEVELS_MAX + 1];
	bool ps_leaf[PG_LEVELS_MAX + 1];
	bool nxe, wp, smep, smap, pke, pks, pge;
	/* EPT only (ept.c): execute-only entries allowed; mode-based execute
	 * control; the EPTP value. */
	bool ept_xonly, ept_mbec;
	uint64_t eptp;
	/* PAE only: read the PDPTEs from memory on every walk instead of using
	 * the registers (AMD under nested paging, APM Vol. 2 15.25.10). */
	bool pdpte_in_walk;
	/* Host dimension (NPT, EPT): the walked address is guest-physical,
	 * not linear. No canonical rule applies; an address above the
	 * format's reach (bit va_bits or higher set) cannot be mapped and
	 * is a not-present fault at the top level, with no reference. */
	bool addr_physical;
	bool pdpte_loaded;
	uint64_t pdpte[4];       /* the PAE PDPTE registers (SDM 4.4.1) */
};

/* The mode the registers select (SDM Vol. 3A Table 4-1). */
enum pg_mode pg_mode_of(const struct pg_regs *r);

/*
 * Validate @r against the architecture and @cpu and build @m.
 * Returns 0, or -EINVAL with a one-line reason in *why (a static string).
 * For PAE, the PDPTE registers still have to be loaded: pg_pae_load_pdptes().
 */
int pg_mmu_init(struct pg_mmu *m, const struct pg_regs *r, const struct pg_cpu *cpu,
		const char **why);

#endif
