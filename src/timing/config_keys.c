/*
 * The key table of a CPU model (see config_keys.h): one row per field of
 * struct tm_config, and the name tables of its enum and list types.
 * configs/README.md documents every row; test_config checks that it does.
 *
 * Ranges are what the model can represent, not what any real part has:
 * e.g. a TLB array holds at most 65536 entries, a latency at most 100000
 * cycles. Cross-field rules (ways divide entries into a power-of-two number
 * of sets, linear_bits 57 needs la57, ...) are in config.c.
 */
#include "config_keys.h"

#include "config.h"

#define OFF(f) offsetof(struct tm_config, f)

#define MAX_ENTRIES 65536.0
#define MAX_LAT     100000.0

/* One set-associative array: entries, ways, policy, latency (+ sizes for
 * arrays that hold translations of several page sizes). */
#define ARRAY_KEYS(g, f)                                                                  \
	{ g, "entries", TMC_U32, OFF(f.entries), 0, MAX_ENTRIES },                        \
	{ g, "ways", TMC_U32, OFF(f.ways), 0, MAX_ENTRIES },                              \
	{ g, "policy", TMC_POLICY, OFF(f.policy), 0, 0 },                                 \
	{ g, "latency", TMC_U32, OFF(f.latency), 0, MAX_LAT }
#define TLB_ARRAY_KEYS(g, f) ARRAY_KEYS(g, f), { g, "sizes", TMC_SIZES, OFF(f.sizes), 0, 0 }
#define TLB_KEYS(g, f)                                                                    \
	TLB_ARRAY_KEYS(g, f.arr[0]), TLB_ARRAY_KEYS(g ".2m", f.arr[1]),                   \
	TLB_ARRAY_KEYS(g ".1g", f.arr[2])
#define CACHE_KEYS(g, f)                                                                  \
	{ g, "size_kb", TMC_U32, OFF(f.size_kb), 0, 1048576 },                            \
	{ g, "ways", TMC_U32, OFF(f.ways), 0, 1024 },                                     \
	{ g, "policy", TMC_POLICY, OFF(f.policy), 0, 0 },                                 \
	{ g, "latency", TMC_U32, OFF(f.latency), 0, MAX_LAT }

const struct tmc_key tmc_keys[] = {
	{ "cpu", "name", TMC_STR, OFF(name), 0, sizeof(((struct tm_config *)0)->name) },
	{ "cpu", "vendor", TMC_VENDOR, OFF(cpu.vendor), 0, 0 },
	{ "cpu", "brand", TMC_STR, OFF(cpu.brand), 0, sizeof(((struct tm_config *)0)->cpu.brand) },
	{ "cpu", "family", TMC_U32, OFF(cpu.family), 0, 0xff + 0xf },
	{ "cpu", "model", TMC_U32, OFF(cpu.model), 0, 0xff },
	{ "cpu", "stepping", TMC_U32, OFF(cpu.stepping), 0, 0xf },
	{ "cpu", "maxphyaddr", TMC_U8, OFF(cpu.maxphyaddr), 32, 52 },
	{ "cpu", "linear_bits", TMC_U8, OFF(cpu.linear_bits), 48, 57 },
	{ "cpu", "features", TMC_FEATURES, OFF(cpu.features), 0, 0 },
	{ "cpu", "walkers", TMC_U32, OFF(cpu.walkers), 1, 64 },
	{ "cpu", "tsc_hz", TMC_U64, OFF(cpu.tsc_hz), 1e6, 1e11 },
	{ "platform", "rtc_date", TMC_STR, OFF(platform.rtc_date), 0,
	  sizeof(((struct tm_config *)0)->platform.rtc_date) },
	TLB_KEYS("tlb.l1i", l1i),
	TLB_KEYS("tlb.l1d", l1d),
	TLB_KEYS("tlb.stlb", stlb),
	{ "pwc", "kind", TMC_PWC, OFF(pwc_kind), 0, 0 },
	ARRAY_KEYS("pwc", pwc_unified),
	ARRAY_KEYS("pwc.pml5", pwc_level[5]),
	ARRAY_KEYS("pwc.pml4", pwc_level[4]),
	ARRAY_KEYS("pwc.pdpt", pwc_level[3]),
	ARRAY_KEYS("pwc.pd", pwc_level[2]),
	TLB_ARRAY_KEYS("nested.tlb", ntlb),
	ARRAY_KEYS("nested.pwc", npwc),
	CACHE_KEYS("cache.l1d", cache.l1d),
	CACHE_KEYS("cache.l2", cache.l2),
	CACHE_KEYS("cache.llc", cache.llc),
	{ "memory", "latency", TMC_U32, OFF(mem_latency), 1, MAX_LAT },
	{ "cost", "base_cpi", TMC_DOUBLE, OFF(cost.base_cpi), 0, 100 },
	{ "cost", "ad_update", TMC_U32, OFF(cost.ad_update), 0, MAX_LAT },
	{ "cost", "walk_start", TMC_U32, OFF(cost.walk_start), 0, MAX_LAT },
	{ "cost", "vmexit", TMC_U32, OFF(cost.vmexit), 0, 10 * MAX_LAT },
	{ "cost", "flush", TMC_U32, OFF(cost.flush), 0, MAX_LAT },
	{ "cost", "invlpg", TMC_U32, OFF(cost.invlpg), 0, MAX_LAT },
};

const unsigned tmc_nkeys = sizeof(tmc_keys) / sizeof(tmc_keys[0]);

const struct tmc_name tmc_policies[] = {
	{ "lru", TM_POLICY_LRU },   { "plru", TM_POLICY_PLRU },
	{ "fifo", TM_POLICY_FIFO }, { "random", TM_POLICY_RANDOM },
	{ NULL, 0 },
};

const struct tmc_name tmc_pwc_kinds[] = {
	{ "none", TM_PWC_NONE }, { "split", TM_PWC_SPLIT }, { "unified", TM_PWC_UNIFIED },
	{ NULL, 0 },
};

const struct tmc_name tmc_vendors[] = {
	{ "intel", TM_VENDOR_INTEL }, { "amd", TM_VENDOR_AMD }, { NULL, 0 },
};

const struct tmc_name tmc_sizes[] = {
	{ "4k", TM_SZ_4K }, { "2m", TM_SZ_2M }, { "1g", TM_SZ_1G }, { NULL, 0 },
};

const struct tmc_name tmc_features[] = {
	{ "pse", TM_FEAT_PSE },         { "pae", TM_FEAT_PAE },     { "pge", TM_FEAT_PGE },
	{ "pse36", TM_FEAT_PSE36 },     { "nx", TM_FEAT_NX },       { "1g", TM_FEAT_GBPAGES },
	{ "la57", TM_FEAT_LA57 },       { "pcid", TM_FEAT_PCID },   { "invpcid", TM_FEAT_INVPCID },
	{ "smep", TM_FEAT_SMEP },       { "smap", TM_FEAT_SMAP },   { "pku", TM_FEAT_PKU },
	{ "pks", TM_FEAT_PKS },         { "syscall", TM_FEAT_SYSCALL }, { "sep", TM_FEAT_SEP },
	{ "lm", TM_FEAT_LM },           { "x2apic", TM_FEAT_X2APIC }, { "tsc-deadline", TM_FEAT_TSCDL },
	{ "rdtscp", TM_FEAT_RDTSCP },
	{ NULL, 0 },
};
