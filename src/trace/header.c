/*
 * The trace header's description of the run (docs/trace-format.md,
 * "Header"): the CPU's guest-visible part, which a replay keeps, and the
 * machine the guest ran on.
 */
#include "hv/host.h"
#include "header.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lane.h"

void trc_header_cpu(GKeyFile *k, const struct tm_config *cfg)
{
	g_key_file_set_string(k, "cpu", "name", cfg->name);
	g_key_file_set_string(k, "cpu", "vendor", cfg->cpu.vendor == TM_VENDOR_AMD ? "amd" : "intel");
	g_key_file_set_string(k, "cpu", "brand", cfg->cpu.brand);
	g_key_file_set_uint64(k, "cpu", "family", cfg->cpu.family);
	g_key_file_set_uint64(k, "cpu", "model", cfg->cpu.model);
	g_key_file_set_uint64(k, "cpu", "stepping", cfg->cpu.stepping);
	g_key_file_set_uint64(k, "cpu", "maxphyaddr", cfg->cpu.maxphyaddr);
	g_key_file_set_uint64(k, "cpu", "linear_bits", cfg->cpu.linear_bits);
	g_key_file_set_uint64(k, "cpu", "features", cfg->cpu.features);
	g_key_file_set_uint64(k, "cpu", "tsc_hz", cfg->cpu.tsc_hz);
}

void trc_header_machine(GKeyFile *k, uint64_t ram_bytes, uint8_t host_kind, uint16_t vpid)
{
	g_key_file_set_uint64(k, "machine", "ram_bytes", ram_bytes);
	g_key_file_set_string(k, "machine", "host", hv_host_kind_name(host_kind));
	g_key_file_set_uint64(k, "machine", "vpid", vpid);
}

static int get_u64(GKeyFile *k, const char *g, const char *key, uint64_t max, uint64_t *v,
		   char *why, size_t len)
{
	GError *e = NULL;

	*v = g_key_file_get_uint64(k, g, key, &e);
	if (e || *v > max) {
		snprintf(why, len, "the header's [%s] %s is %s", g, key,
			 e ? "missing or not a number" : "out of range");
		if (e)
			g_error_free(e);
		return -EINVAL;
	}
	return 0;
}

void trc_header_guest_cfg(const struct trc_header *h, struct tm_config *g)
{
	tm_config_defaults(g);
	g->cpu.vendor = h->cpu.vendor;
	memcpy(g->cpu.brand, h->cpu.brand, sizeof(g->cpu.brand));
	g->cpu.family = h->cpu.family;
	g->cpu.model = h->cpu.model;
	g->cpu.stepping = h->cpu.stepping;
	g->cpu.maxphyaddr = h->cpu.maxphyaddr;
	g->cpu.linear_bits = h->cpu.linear_bits;
	g->cpu.features = h->cpu.features;
	g->cpu.tsc_hz = h->cpu.tsc_hz;
}

int trc_header_read(GKeyFile *k, struct trc_header *h, char *why, size_t len)
{
	uint64_t v[8];
	gchar *s;
	int rc = 0;
	static const struct { const char *key; uint64_t max; } u[] = {
		{ "family", UINT32_MAX }, { "model", UINT32_MAX }, { "stepping", UINT32_MAX },
		{ "maxphyaddr", 52 }, { "linear_bits", 57 }, { "features", UINT32_MAX },
		{ "tsc_hz", UINT64_MAX },
	};

	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < G_N_ELEMENTS(u) && !rc; i++)
		rc = get_u64(k, "cpu", u[i].key, u[i].max, &v[i], why, len);
	if (!rc)
		rc = get_u64(k, "machine", "ram_bytes", UINT64_C(1) << 36, &h->ram_bytes, why, len);
	if (!rc)
		rc = get_u64(k, "machine", "vpid", 0xffff, &v[7], why, len);
	if (rc)
		return rc;
	h->cpu.family = (uint32_t)v[0];
	h->cpu.model = (uint32_t)v[1];
	h->cpu.stepping = (uint32_t)v[2];
	h->cpu.maxphyaddr = (uint8_t)v[3];
	h->cpu.linear_bits = (uint8_t)v[4];
	h->cpu.features = (uint32_t)v[5];
	h->cpu.tsc_hz = v[6];
	h->vpid = (uint16_t)v[7];
	s = g_key_file_get_string(k, "cpu", "vendor", NULL);
	h->cpu.vendor = s && strcmp(s, "amd") == 0 ? TM_VENDOR_AMD : TM_VENDOR_INTEL;
	g_free(s);
	s = g_key_file_get_string(k, "cpu", "brand", NULL);
	snprintf(h->cpu.brand, sizeof(h->cpu.brand), "%s", s ? s : "");
	g_free(s);
	s = g_key_file_get_string(k, "machine", "host", NULL);
	rc = hv_host_kind_parse(s);
	g_free(s);
	if (rc < 0) {
		snprintf(why, len, "the header's [machine] host is not a host dimension");
		return -EINVAL;
	}
	h->host_kind = (uint8_t)rc;
	return 0;
}
