/*
 * The key table of a CPU model (internal to config.c and config_keys.c).
 *
 * Every field of struct tm_config has exactly one row {group, key, type,
 * offset, min, max}: loading a key file, applying `--set group.key=value`,
 * listing the keys and documenting them all walk this one table, so a new
 * field is one row, never a new parsing branch.
 */
#ifndef TDPSIM_TIMING_CONFIG_KEYS_H
#define TDPSIM_TIMING_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>

enum tmc_type {
	TMC_U8 = 0,  /* uint8_t number, [min, max] */
	TMC_U32,     /* uint32_t number, [min, max] */
	TMC_U64,     /* uint64_t number, [min, max] */
	TMC_DOUBLE,  /* double, [min, max] */
	TMC_POLICY,  /* uint8_t enum tm_policy: lru|plru|fifo|random */
	TMC_PWC,     /* uint8_t enum tm_pwc_kind: none|split|unified */
	TMC_VENDOR,  /* uint8_t enum tm_vendor: intel|amd */
	TMC_SIZES,   /* uint8_t TM_SZ_* list: 4k,2m,1g */
	TMC_FEATURES, /* uint32_t TM_FEAT_* list: pse,pae,... */
	TMC_STR,     /* char[max] (max = buffer size, NUL included) */
};

struct tmc_key {
	const char *group;
	const char *key;
	uint8_t type;    /* enum tmc_type */
	size_t off;      /* offsetof(struct tm_config, ...) */
	double min, max;
};

/* A name table for enum and list types. */
struct tmc_name {
	const char *name;
	uint32_t val;
};

extern const struct tmc_key tmc_keys[];
extern const unsigned tmc_nkeys;
extern const struct tmc_name tmc_policies[], tmc_pwc_kinds[], tmc_vendors[], tmc_sizes[],
	tmc_features[];

#endif
