/*
 * A CPU model: what the CPU offers (CPUID features, MAXPHYADDR, linear
 * width) and the geometry and latencies of its translation hardware (TLBs,
 * paging-structure caches, the cache hierarchy that holds table lines) and
 * the cycle cost of each event.
 *
 * Models live in configs/ as GLib key files (`configs/skylake-sp.ini`, ...).
 * Every key is "group.key" on the command line: `--set tlb.l1d.entries=96`
 * sets key "entries" in group [tlb.l1d]. Unknown groups or keys and bad
 * values are errors that name the key (tm_config_set / tm_config_load).
 *
 * This struct is the one place the CPU (src/cpu/, CPUID and MSRs) and the
 * timing model (src/timing/) read the model from.
 */
#ifndef TDPSIM_TIMING_CONFIG_H
#define TDPSIM_TIMING_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "paging/mmu.h"

/* CPUID-visible features (SDM Vol. 2A CPUID; APM Vol. 3 App. E). */
#define TM_FEAT_PSE     (1u << 0)  /* CPUID.1:EDX[3] */
#define TM_FEAT_PAE     (1u << 1)  /* CPUID.1:EDX[6] */
#define TM_FEAT_PGE     (1u << 2)  /* CPUID.1:EDX[13] */
#define TM_FEAT_PSE36   (1u << 3)  /* CPUID.1:EDX[17] */
#define TM_FEAT_NX      (1u << 4)  /* CPUID.80000001H:EDX[20] */
#define TM_FEAT_GBPAGES (1u << 5)  /* CPUID.80000001H:EDX[26] */
#define TM_FEAT_LA57    (1u << 6)  /* CPUID.(7,0):ECX[16] */
#define TM_FEAT_PCID    (1u << 7)  /* CPUID.1:ECX[17] */
#define TM_FEAT_INVPCID (1u << 8)  /* CPUID.(7,0):EBX[10] */
#define TM_FEAT_SMEP    (1u << 9)  /* CPUID.(7,0):EBX[7] */
#define TM_FEAT_SMAP    (1u << 10) /* CPUID.(7,0):EBX[20] */
#define TM_FEAT_PKU     (1u << 11) /* CPUID.(7,0):ECX[3] */
#define TM_FEAT_PKS     (1u << 12) /* CPUID.(7,0):ECX[31] */
#define TM_FEAT_SYSCALL (1u << 13) /* CPUID.80000001H:EDX[11] */
#define TM_FEAT_SEP     (1u << 14) /* SYSENTER/SYSEXIT, CPUID.1:EDX[11] */
#define TM_FEAT_LM      (1u << 15) /* CPUID.80000001H:EDX[29] */
#define TM_FEAT_X2APIC  (1u << 16) /* CPUID.1:ECX[21] (SDM Vol. 3A 11.12) */
#define TM_FEAT_TSCDL   (1u << 17) /* CPUID.1:ECX[24]: TSC-deadline timer (SDM Vol. 3A 11.5.4.1) */
#define TM_FEAT_RDTSCP  (1u << 18) /* CPUID.80000001H:EDX[27]: RDTSCP and IA32_TSC_AUX */

enum tm_vendor { TM_VENDOR_INTEL = 0, TM_VENDOR_AMD };

/* Replacement policies of a set-associative array. RANDOM draws from a
 * seeded generator: runs stay deterministic. */
enum tm_policy { TM_POLICY_LRU = 0, TM_POLICY_PLRU, TM_POLICY_FIFO, TM_POLICY_RANDOM };

/* Page sizes an array holds (tm_array_cfg.sizes). */
#define TM_SZ_4K (1u << 0)
#define TM_SZ_2M (1u << 1)
#define TM_SZ_1G (1u << 2)

/* One set-associative array. entries = 0: absent. ways = entries: fully
 * associative. */
struct tm_array_cfg {
	uint32_t entries;
	uint32_t ways;
	uint8_t policy;   /* enum tm_policy */
	uint8_t sizes;    /* TM_SZ_*: TLB arrays only */
	uint32_t latency; /* cycles of a lookup that hits here */
};

/* A TLB level: up to three arrays (e.g. Skylake's L1 DTLB has one array
 * per page size). A page size no array holds is cached as the largest
 * smaller size that one does (splintered), as AMD's L2 TLB does with 1 GiB
 * pages. */
#define TM_TLB_ARRAYS 3
struct tm_tlb_cfg {
	struct tm_array_cfg arr[TM_TLB_ARRAYS];
};

enum tm_pwc_kind {
	TM_PWC_NONE = 0,
	TM_PWC_SPLIT,   /* Intel paging-structure caches: one per level, tagged by
			 * the linear-address bits that level translates (SDM 4.10.3) */
	TM_PWC_UNIFIED, /* AMD page-walk cache: upper-level entries tagged by
			 * their physical address (APM Vol. 2 5.5.1; Bhargava et al.) */
};

/* A data cache level holding table lines (64-byte lines, eight 8-byte
 * entries each). size_kb = 0: absent. */
struct tm_cache_cfg {
	uint32_t size_kb;
	uint32_t ways;
	uint8_t policy;
	uint32_t latency; /* load-to-use cycles on a hit at this level */
};

struct tm_config {
	char name[64];            /* [cpu] name */
	/* [cpu]: what the CPU offers. */
	struct {
		uint8_t vendor;       /* enum tm_vendor */
		char brand[49];       /* CPUID 80000002H-80000004H */
		uint32_t family, model, stepping;
		uint8_t maxphyaddr;   /* CPUID.80000008H:EAX[7:0] */
		uint8_t linear_bits;  /* CPUID.80000008H:EAX[15:8]: 48 or 57 */
		uint32_t features;    /* TM_FEAT_* */
		uint32_t walkers;     /* concurrent page walkers */
		uint64_t tsc_hz;      /* TSC rate, for CPUID leaf 15H and time */
	} cpu;
	/* [platform]: the PC around the CPU. */
	struct {
		/* The RTC's date and time at virtual time 0: ISO 8601, UTC
		 * ("2000-01-01T00:00:00"); tm_config_check parses it. */
		char rtc_date[32];
	} platform;
	/* [tlb.l1i] [tlb.l1d] [tlb.stlb] (+ ".2m"/".1g" sub-arrays). */
	struct tm_tlb_cfg l1i, l1d, stlb;
	/* [pwc]: kind; split: [pwc.pml5] [pwc.pml4] [pwc.pdpt] [pwc.pd],
	 * indexed by the level of the cached entry (5..2); unified: [pwc]. */
	uint8_t pwc_kind;                 /* enum tm_pwc_kind */
	struct tm_array_cfg pwc_level[6]; /* split */
	struct tm_array_cfg pwc_unified;  /* unified */
	/* 2D walks: [nested.tlb] (GPA page -> HPA), and host-dimension
	 * paging-structure caches [nested.pwc] (tagged by GPA bits). */
	struct tm_array_cfg ntlb;
	struct tm_array_cfg npwc;
	/* [cache.l1d] [cache.l2] [cache.llc] [memory]: where table lines live.
	 * (In a struct of their own: "l1d" is also the L1 DTLB above.) */
	struct {
		struct tm_cache_cfg l1d, l2, llc;
	} cache;
	uint32_t mem_latency;
	/* [cost]: cycles per event. */
	struct {
		double base_cpi;      /* instructions that do not miss the TLB */
		uint32_t ad_update;   /* locked read-modify-write of an entry */
		uint32_t walk_start;  /* fixed cost of starting a walk */
		uint32_t vmexit;      /* a VM exit and re-entry */
		uint32_t flush;       /* a TLB flush (CR3 write, INVPCID ...) */
		uint32_t invlpg;      /* INVLPG / single-address invalidation */
	} cost;
};

/* Defaults (a generic Intel 4-level part); every field set. */
void tm_config_defaults(struct tm_config *c);

/* Load a key file over @c. The file is a complete model (every key but
 * [cpu] name, which defaults to the file's name), or names the model it
 * starts from in [cpu] base = NAME|PATH (a name as tm_config_find() takes
 * it, a relative path from the file's directory) and overrides keys of it.
 * 0, or -EINVAL/-ENOENT with a one-line reason in @why (names the file, the
 * group.key and the reason; for an incomplete file, the missing keys: give
 * @why a few KiB). */
int tm_config_load(struct tm_config *c, const char *path, char *why, unsigned why_len);

/* Apply one "group.key=value" override. 0, or -EINVAL with a reason. */
int tm_config_set(struct tm_config *c, const char *assignment, char *why, unsigned why_len);

/* The cross-field rules (ways divide entries into a power-of-two number
 * of sets or equal them; linear_bits 57 iff la57; maxphyaddr 32..52).
 * tm_config_load applies them; after tm_config_set overrides, call it
 * once all are applied. 0, or -EINVAL with a reason naming the keys. */
int tm_config_check(const struct tm_config *c, char *why, unsigned why_len);

/* The default platform.rtc_date, and platform.rtc_date as Unix time
 * (0, or -EINVAL if it is not an ISO 8601 date). */
#define TM_RTC_DATE_DEFAULT "2000-01-01T00:00:00"
int tm_config_rtc_time(const struct tm_config *c, int64_t *t);

/* The @i-th key as "group.key" (every field has one), or -ENOENT past
 * the last. */
int tm_config_key_name(unsigned i, char *buf, unsigned len);

/* The model's capabilities as the paging engine sees them. */
void tm_config_pg_cpu(const struct tm_config *c, struct pg_cpu *cpu);

/* Absolute path of a config shipped in configs/ by name ("skylake-sp"),
 * or NULL. The default model is TM_CONFIG_DEFAULT. Caller frees. */
#define TM_CONFIG_DEFAULT "icelake-sp"
char *tm_config_find(const char *name);

#endif
