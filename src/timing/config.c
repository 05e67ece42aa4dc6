/*
 * CPU models (config.h): defaults, GLib key files, `--set group.key=value`
 * overrides, consistency rules, and the paging engine's view of a model.
 *
 * Every key goes through the one table in config_keys.c; this file only
 * parses values by type, applies the cross-field rules and reports errors
 * that name the file, the group.key and the bad value. Values are parsed
 * with GLib's locale-independent functions: a model reads the same in
 * every locale.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "config_keys.h"

#ifndef TDPSIM_CONFIG_DIR
#define TDPSIM_CONFIG_DIR NULL
#endif

/* ---- defaults: a generic Intel 4-level part (Skylake-like geometry) ---- */

static void array(struct tm_array_cfg *a, uint32_t entries, uint32_t ways, uint8_t sizes,
		  uint32_t latency)
{
	*a = (struct tm_array_cfg){ .entries = entries, .ways = ways, .policy = TM_POLICY_LRU,
				    .sizes = sizes, .latency = latency };
}

static void cache(struct tm_cache_cfg *c, uint32_t size_kb, uint32_t ways, uint32_t latency)
{
	*c = (struct tm_cache_cfg){ .size_kb = size_kb, .ways = ways, .policy = TM_POLICY_LRU,
				    .latency = latency };
}

void tm_config_defaults(struct tm_config *c)
{
	memset(c, 0, sizeof(*c));
	g_strlcpy(c->name, "default", sizeof(c->name));
	c->cpu.vendor = TM_VENDOR_INTEL;
	g_strlcpy(c->cpu.brand, "tdpsim generic Intel 4-level CPU", sizeof(c->cpu.brand));
	c->cpu.family = 6;
	c->cpu.model = 0x55;
	c->cpu.stepping = 4;
	c->cpu.maxphyaddr = 46;
	c->cpu.linear_bits = 48;
	c->cpu.features = TM_FEAT_PSE | TM_FEAT_PAE | TM_FEAT_PGE | TM_FEAT_PSE36 | TM_FEAT_NX |
			  TM_FEAT_GBPAGES | TM_FEAT_PCID | TM_FEAT_INVPCID | TM_FEAT_SMEP |
			  TM_FEAT_SMAP | TM_FEAT_PKU | TM_FEAT_SYSCALL | TM_FEAT_SEP | TM_FEAT_LM;
	c->cpu.walkers = 2;
	c->cpu.tsc_hz = UINT64_C(2500000000);
	g_strlcpy(c->platform.rtc_date, TM_RTC_DATE_DEFAULT, sizeof(c->platform.rtc_date));
	array(&c->l1i.arr[0], 128, 8, TM_SZ_4K, 0);
	array(&c->l1i.arr[1], 8, 8, TM_SZ_2M, 0);
	array(&c->l1d.arr[0], 64, 4, TM_SZ_4K, 0);
	array(&c->l1d.arr[1], 32, 4, TM_SZ_2M, 0);
	array(&c->l1d.arr[2], 4, 4, TM_SZ_1G, 0);
	array(&c->stlb.arr[0], 1536, 12, TM_SZ_4K | TM_SZ_2M, 9);
	array(&c->stlb.arr[2], 16, 4, TM_SZ_1G, 9);
	c->pwc_kind = TM_PWC_SPLIT;
	array(&c->pwc_level[4], 2, 2, 0, 0);
	array(&c->pwc_level[3], 4, 4, 0, 0);
	array(&c->pwc_level[2], 32, 4, 0, 0);
	array(&c->ntlb, 16, 16, TM_SZ_4K | TM_SZ_2M | TM_SZ_1G, 0);
	array(&c->npwc, 16, 16, 0, 0);
	cache(&c->cache.l1d, 32, 8, 4);
	cache(&c->cache.l2, 1024, 16, 14);
	cache(&c->cache.llc, 1408, 11, 50);
	c->mem_latency = 200;
	c->cost.base_cpi = 0.5;
	c->cost.ad_update = 20;
	c->cost.walk_start = 0;
	c->cost.vmexit = 1200;
	c->cost.flush = 100;
	c->cost.invlpg = 150;
}

/* ---- values -------------------------------------------------------------- */

static const struct tmc_key *find_key(const char *group, const char *key)
{
	for (unsigned i = 0; i < tmc_nkeys; i++)
		if (strcmp(tmc_keys[i].group, group) == 0 && strcmp(tmc_keys[i].key, key) == 0)
			return &tmc_keys[i];
	return NULL;
}

static bool group_known(const char *group)
{
	for (unsigned i = 0; i < tmc_nkeys; i++)
		if (strcmp(tmc_keys[i].group, group) == 0)
			return true;
	return false;
}

static void names_of(const struct tmc_name *t, char *buf, unsigned len)
{
	unsigned k = 0;

	buf[0] = '\0';
	for (; t->name && k < len; t++)
		k += (unsigned)g_snprintf(buf + k, len - k, "%s%s", k ? "|" : "", t->name);
}

static int lookup_name(const struct tmc_name *t, const char *s, uint32_t *out)
{
	for (; t->name; t++)
		if (g_ascii_strcasecmp(t->name, s) == 0) {
			*out = t->val;
			return 0;
		}
	return -EINVAL;
}

/* A comma-separated list of names from @t, OR-ed together ("" is none). */
static int parse_list(const struct tmc_name *t, const char *s, uint32_t *out, char *why,
		      unsigned len)
{
	gchar **parts = g_strsplit(s, ",", -1);
	uint32_t v = 0, bit;
	int rc = 0;

	for (gchar **p = parts; *p && !rc; p++) {
		g_strstrip(*p);
		if (!**p && !parts[1])
			break; /* an empty list */
		if (lookup_name(t, *p, &bit)) {
			char names[256];

			names_of(t, names, sizeof(names));
			g_snprintf(why, len, "unknown name '%s' (expected a list of %s)", *p, names);
			rc = -EINVAL;
		}
		v |= bit;
	}
	g_strfreev(parts);
	if (!rc)
		*out = v;
	return rc;
}

static int parse_number(const struct tmc_key *k, const char *s, double *out, char *why,
			unsigned len)
{
	char *end = NULL;
	double v;

	if (k->type == TMC_DOUBLE) {
		v = g_ascii_strtod(s, &end);
	} else {
		guint64 u;

		if (*s == '-' || *s == '+')
			goto bad;
		errno = 0;
		u = g_ascii_strtoull(s, &end, 0);
		if (errno == ERANGE)
			goto range;
		v = (double)u;
	}
	if (end == s || *end != '\0' || v != v)
		goto bad;
	if (v < k->min || v > k->max)
		goto range;
	*out = v;
	return 0;
bad:
	g_snprintf(why, len, "not a%s number", k->type == TMC_DOUBLE ? "" : "n unsigned whole");
	return -EINVAL;
range:
	/* The range in the form the parser reads: whole numbers in full. */
	if (k->type == TMC_DOUBLE)
		g_snprintf(why, len, "out of range (%g..%g)", k->min, k->max);
	else
		g_snprintf(why, len, "out of range (%.0f..%.0f)", k->min, k->max);
	return -EINVAL;
}

/* Store @s into the field of @k. 0, or -EINVAL with the reason in @why. */
static int set_value(struct tm_config *c, const struct tmc_key *k, const char *s, char *why,
		     unsigned len)
{
	uint8_t *p = (uint8_t *)c + k->off;
	const struct tmc_name *names = NULL;
	double d = 0;
	uint32_t v = 0;
	int rc;

	switch (k->type) {
	case TMC_U8:
	case TMC_U32:
	case TMC_U64:
	case TMC_DOUBLE:
		rc = parse_number(k, s, &d, why, len);
		if (rc)
			return rc;
		if (k->type == TMC_U8)
			*(uint8_t *)p = (uint8_t)d;
		else if (k->type == TMC_U32)
			*(uint32_t *)p = (uint32_t)d;
		else if (k->type == TMC_U64)
			*(uint64_t *)p = (uint64_t)d;
		else
			*(double *)p = d;
		return 0;
	case TMC_STR:
		if (strlen(s) >= (size_t)k->max) {
			g_snprintf(why, len, "longer than %g characters", k->max - 1);
			return -EINVAL;
		}
		g_strlcpy((char *)p, s, (size_t)k->max);
		return 0;
	case TMC_SIZES:
	case TMC_FEATURES:
		rc = parse_list(k->type == TMC_SIZES ? tmc_sizes : tmc_features, s, &v, why, len);
		if (rc)
			return rc;
		if (k->type == TMC_SIZES)
			*(uint8_t *)p = (uint8_t)v;
		else
			*(uint32_t *)p = v;
		return 0;
	case TMC_POLICY:
		names = tmc_policies;
		break;
	case TMC_PWC:
		names = tmc_pwc_kinds;
		break;
	case TMC_VENDOR:
		names = tmc_vendors;
		break;
	}
	if (!names || lookup_name(names, s, &v)) {
		char list[128];

		names_of(names, list, sizeof(list));
		g_snprintf(why, len, "expected one of %s", list);
		return -EINVAL;
	}
	*p = (uint8_t)v;
	return 0;
}

/* One assignment; @where prefixes the message (a file name, or "--set"). */
static int assign(struct tm_config *c, const char *where, const char *group, const char *key,
		  const char *val, char *why, unsigned len)
{
	const struct tmc_key *k = find_key(group, key);
	char reason[256];

	if (!k) {
		g_snprintf(why, len, "%s: unknown %s '%s.%s'", where,
			 group_known(group) ? "key" : "group", group, key);
		return -EINVAL;
	}
	if (set_value(c, k, val, reason, sizeof(reason))) {
		g_snprintf(why, len, "%s: %s.%s = '%s': %s", where, group, key, val, reason);
		return -EINVAL;
	}
	return 0;
}

/* ---- consistency ----------------------------------------------------------- */

static bool pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* An array of @entries in @ways: absent, fully associative, or a
 * power-of-two number of sets. */
static int check_geometry(const char *g, const char *what, uint64_t entries, uint32_t ways,
			  char *why, unsigned len)
{
	if (entries == 0)
		return 0;
	if (ways == 0 || ways > entries || (ways != entries && (entries % ways ||
								!pow2(entries / ways)))) {
		g_snprintf(why, len, "%s.ways = %u does not divide %s.%s = %llu into a power-of-two "
			 "number of sets (or set ways = %s for a fully associative array)", g, ways,
			 g, what, (unsigned long long)entries, what);
		return -EINVAL;
	}
	return 0;
}

int tm_config_rtc_time(const struct tm_config *c, int64_t *t)
{
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *d = g_date_time_new_from_iso8601(c->platform.rtc_date, utc);

	g_time_zone_unref(utc);
	if (!d)
		return -EINVAL;
	*t = g_date_time_to_unix(d);
	g_date_time_unref(d);
	return 0;
}

int tm_config_check(const struct tm_config *c, char *why, unsigned len)
{
	int64_t rtc;
	/* Every array, by group name: the key table knows where it lives. */
	for (unsigned i = 0; i < tmc_nkeys; i++) {
		const struct tmc_key *k = &tmc_keys[i];
		const uint8_t *base = (const uint8_t *)c;
		int rc = 0;

		if (strcmp(k->key, "ways") != 0)
			continue;
		if (strncmp(k->group, "cache.", 6) == 0) {
			const struct tm_cache_cfg *cc =
				(const void *)(base + k->off - offsetof(struct tm_cache_cfg, ways));

			uint64_t lines = (uint64_t)cc->size_kb * 1024 / 64;

			rc = check_geometry(k->group, "size_kb", lines, cc->ways, why, len);
			if (rc)
				g_snprintf(why, len, "%s.ways = %u does not divide the %llu 64-byte "
					   "lines of %s.size_kb = %u into a power-of-two number of "
					   "sets", k->group, cc->ways, (unsigned long long)lines,
					   k->group, cc->size_kb);
		} else {
			const struct tm_array_cfg *a =
				(const void *)(base + k->off - offsetof(struct tm_array_cfg, ways));

			rc = check_geometry(k->group, "entries", a->entries, a->ways, why, len);
			if (!rc && a->entries && !a->sizes && strncmp(k->group, "tlb.", 4) == 0) {
				g_snprintf(why, len, "%s.sizes is empty but %s.entries = %u", k->group,
					 k->group, a->entries);
				rc = -EINVAL;
			}
		}
		if (rc)
			return rc;
	}
	if (c->cpu.linear_bits != 48 && c->cpu.linear_bits != 57) {
		g_snprintf(why, len, "cpu.linear_bits = %u: expected 48 or 57", c->cpu.linear_bits);
		return -EINVAL;
	}
	if ((c->cpu.linear_bits == 57) != !!(c->cpu.features & TM_FEAT_LA57)) {
		g_snprintf(why, len, "cpu.linear_bits = %u %s cpu.features la57 (5-level paging "
			 "means 57-bit linear addresses, CPUID.80000008H:EAX[15:8])",
			 c->cpu.linear_bits, c->cpu.linear_bits == 57 ? "needs" : "contradicts");
		return -EINVAL;
	}
	if (tm_config_rtc_time(c, &rtc) != 0) {
		g_snprintf(why, len, "platform.rtc_date = %s: expected an ISO 8601 date and time "
			 "in UTC, e.g. %s", c->platform.rtc_date, TM_RTC_DATE_DEFAULT);
		return -EINVAL;
	}
	if (c->cpu.maxphyaddr < 32 || c->cpu.maxphyaddr > 52) {
		g_snprintf(why, len, "cpu.maxphyaddr = %u: expected 32..52 (SDM Vol. 3A 4.1.4)",
			 c->cpu.maxphyaddr);
		return -EINVAL;
	}
	return 0;
}

/* ---- files and overrides --------------------------------------------------- */

/* A model file either starts from another model ([cpu] base = NAME|PATH)
 * or gives every key: a key silently left at tm_config_defaults() would make
 * a model that is neither the file's nor any shipped one. Bases nest up to
 * this depth (deeper is taken for a cycle). */
#define TMC_MAX_BASE_DEPTH 8

/* The base a file names, as a path: a name is looked up like --config; a
 * relative path (with a slash or ending in .ini) is taken from the
 * directory of the file that names it. */
static char *find_base(const char *path, const char *base)
{
	gchar *dir, *p, *found;

	if (g_path_is_absolute(base) || (!strchr(base, '/') && !g_str_has_suffix(base, ".ini")))
		return tm_config_find(base);
	dir = g_path_get_dirname(path);
	p = g_build_filename(dir, base, NULL);
	found = tm_config_find(p);
	g_free(p);
	g_free(dir);
	return found;
}

/* The keys of tmc_keys[] that no file of the chain set, as "a, b, c". */
static void list_missing(const bool *seen, unsigned *n, char *buf, unsigned len)
{
	unsigned k = 0;

	*n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < tmc_nkeys; i++) {
		/* [cpu] name defaults to the file's name. */
		if (seen[i] || (strcmp(tmc_keys[i].group, "cpu") == 0 &&
				strcmp(tmc_keys[i].key, "name") == 0))
			continue;
		(*n)++;
		if (k < len)
			k += (unsigned)g_snprintf(buf + k, len - k, "%s%s.%s", k ? ", " : "",
						  tmc_keys[i].group, tmc_keys[i].key);
	}
}

/* Every value of group @g; keys seen are marked in @seen. */
static int load_group(struct tm_config *c, GKeyFile *kf, const char *path, const char *g,
		      bool *seen, char *why, unsigned why_len)
{
	gchar **keys = g_key_file_get_keys(kf, g, NULL, NULL);
	GError *err = NULL;
	int rc = 0;

	if ((!keys || !keys[0]) && !group_known(g)) {
		g_snprintf(why, why_len, "%s: unknown group [%s]", path, g);
		rc = -EINVAL;
	}
	for (gchar **k = keys; k && *k && !rc; k++) {
		const struct tmc_key *key = find_key(g, *k);
		gchar *val;

		if (strcmp(g, "cpu") == 0 && strcmp(*k, "base") == 0)
			continue; /* read first, by load_file() */
		/* GLib returns the raw text AND sets @err for a bad escape
		 * ("a\qb"): the error decides, not the return value. */
		val = g_key_file_get_string(kf, g, *k, &err);
		if (err) {
			gchar *raw = g_key_file_get_value(kf, g, *k, NULL);

			g_snprintf(why, why_len, "%s: %s.%s = '%s': %s", path, g, *k,
				   raw ? raw : "", err->message);
			g_clear_error(&err);
			g_free(raw);
			g_free(val);
			rc = -EINVAL;
			break;
		}
		g_strstrip(val);
		rc = assign(c, path, g, *k, val, why, why_len);
		if (!rc && key)
			seen[key - tmc_keys] = true;
		g_free(val);
	}
	g_strfreev(keys);
	return rc;
}

static int load_file(struct tm_config *c, const char *path, unsigned depth, char *why,
		     unsigned why_len)
{
	bool *seen = g_new0(bool, tmc_nkeys);
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	gchar **groups = NULL, *name, *base = NULL;
	int rc = 0;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
		rc = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? -ENOENT : -EINVAL;
		g_snprintf(why, why_len, "%s: %s", path, err->message);
		g_clear_error(&err);
		goto out_kf;
	}
	if (g_key_file_has_key(kf, "cpu", "base", NULL)) {
		gchar *file;

		base = g_key_file_get_string(kf, "cpu", "base", &err);
		if (err) {
			g_snprintf(why, why_len, "%s: cpu.base: %s", path, err->message);
			g_clear_error(&err);
			rc = -EINVAL;
			goto out_kf;
		}
		g_strstrip(base);
		file = *base ? find_base(path, base) : NULL;
		if (!file) {
			g_snprintf(why, why_len, "%s: cpu.base = '%s': no such model (a name in "
				   "configs/, or a path from this file's directory)", path, base);
			rc = -EINVAL;
			goto out_kf;
		}
		if (depth >= TMC_MAX_BASE_DEPTH) {
			g_snprintf(why, why_len, "%s: cpu.base = '%s': more than %d bases in a "
				   "chain (a cycle?)", path, base, TMC_MAX_BASE_DEPTH);
			g_free(file);
			rc = -EINVAL;
			goto out_kf;
		}
		rc = load_file(c, file, depth + 1, why, why_len);
		g_free(file);
		if (rc)
			goto out_kf;
	}
	/* A model without [cpu] name is named after its file. */
	name = g_path_get_basename(path);
	if (g_str_has_suffix(name, ".ini"))
		name[strlen(name) - 4] = '\0';
	g_strlcpy(c->name, name, sizeof(c->name));
	g_free(name);

	groups = g_key_file_get_groups(kf, NULL);
	for (gchar **g = groups; *g && !rc; g++)
		rc = load_group(c, kf, path, *g, seen, why, why_len);
	if (!rc && !base) {
		char missing[2048];
		unsigned n;

		list_missing(seen, &n, missing, sizeof(missing));
		if (n) {
			g_snprintf(why, why_len, "%s: not a complete CPU model, and no [cpu] base = "
				   "MODEL to start from: %u of its %u keys missing: %s", path, n,
				   tmc_nkeys - 1, missing);
			rc = -EINVAL;
		}
	}
	g_strfreev(groups);
out_kf:
	g_free(base);
	g_free(seen);
	g_key_file_free(kf);
	return rc;
}

int tm_config_load(struct tm_config *c, const char *path, char *why, unsigned why_len)
{
	int rc = load_file(c, path, 0, why, why_len);

	if (!rc) {
		char reason[320];

		rc = tm_config_check(c, reason, sizeof(reason));
		if (rc)
			g_snprintf(why, why_len, "%s: %s", path, reason);
	}
	return rc;
}

int tm_config_set(struct tm_config *c, const char *assignment, char *why, unsigned why_len)
{
	const char *eq = strchr(assignment, '='), *dot;
	gchar *lhs, *group, *val;
	int rc;

	if (!eq || eq == assignment) {
		g_snprintf(why, why_len, "--set '%s': expected group.key=value", assignment);
		return -EINVAL;
	}
	lhs = g_strstrip(g_strndup(assignment, (gsize)(eq - assignment)));
	val = g_strstrip(g_strdup(eq + 1));
	dot = strrchr(lhs, '.'); /* the key is after the LAST dot: tlb.l1d.2m.entries */
	if (!dot || dot == lhs || !dot[1]) {
		g_snprintf(why, why_len, "--set '%s': expected group.key=value", assignment);
		rc = -EINVAL;
		goto out;
	}
	group = g_strndup(lhs, (gsize)(dot - lhs));
	rc = assign(c, "--set", group, dot + 1, val, why, why_len);
	g_free(group);
out:
	g_free(lhs);
	g_free(val);
	return rc;
}

int tm_config_key_name(unsigned i, char *buf, unsigned len)
{
	if (i >= tmc_nkeys)
		return -ENOENT;
	g_snprintf(buf, len, "%s.%s", tmc_keys[i].group, tmc_keys[i].key);
	return 0;
}

/* ---- views ------------------------------------------------------------------ */

void tm_config_pg_cpu(const struct tm_config *c, struct pg_cpu *cpu)
{
	const uint32_t f = c->cpu.features;

	memset(cpu, 0, sizeof(*cpu));
	cpu->maxphyaddr = c->cpu.maxphyaddr;
	cpu->pse = f & TM_FEAT_PSE;
	cpu->pse36 = f & TM_FEAT_PSE36;
	cpu->pae = f & TM_FEAT_PAE;
	cpu->pge = f & TM_FEAT_PGE;
	cpu->nx = f & TM_FEAT_NX;
	cpu->gbpages = f & TM_FEAT_GBPAGES;
	cpu->la57 = f & TM_FEAT_LA57;
	cpu->pcid = f & TM_FEAT_PCID;
	cpu->smep = f & TM_FEAT_SMEP;
	cpu->smap = f & TM_FEAT_SMAP;
	cpu->pku = f & TM_FEAT_PKU;
	cpu->pks = f & TM_FEAT_PKS;
}

char *tm_config_find(const char *name)
{
	const char *dirs[] = { g_getenv("TDPSIM_CONFIG_DIR"), TDPSIM_CONFIG_DIR };
	gchar *file;

	if (!name || !*name)
		return NULL;
	/* A path: used as given. */
	if (strchr(name, '/') || g_str_has_suffix(name, ".ini")) {
		if (g_file_test(name, G_FILE_TEST_IS_REGULAR))
			return g_canonicalize_filename(name, NULL);
		if (strchr(name, '/'))
			return NULL;
	}
	file = g_str_has_suffix(name, ".ini") ? g_strdup(name) : g_strconcat(name, ".ini", NULL);
	for (unsigned i = 0; i < G_N_ELEMENTS(dirs); i++) {
		gchar *p;

		if (!dirs[i] || !*dirs[i])
			continue;
		p = g_build_filename(dirs[i], file, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
			g_free(file);
			return p;
		}
		g_free(p);
	}
	g_free(file);
	return NULL;
}
