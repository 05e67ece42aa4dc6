/*
 * The host dimension's options, one set of rules for `tdpsim walk` and
 * `tdpsim synth`: --host MODE, --host-page-size S, --gpaw 48|52 and
 * --shared. Checks that need more than these four options (walk's --image
 * and --pa-base, which guests can reach the shared bit) stay with their
 * command.
 *
 * --gpaw models a TDX guest (hv/tdx.h, seed 001): a secure and a shared
 * EPT of 4 levels for a GPA width of 48, 5 levels for 52, the shared bit
 * being GPA bit GPAW-1. The model maps 4 KiB host pages only.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "walk.h"

int host_dim_parse(const char *cmd, const char *host, const char *page_size, const char *gpaw,
		   bool shared, struct host_dim *out)
{
	uint64_t g = 0, size;
	const char *want;
	int rc;

	memset(out, 0, sizeof(*out));
	if (shared && !gpaw)
		return cli_fail(cmd, "--shared needs --gpaw 48|52 (TDX)");
	if (!gpaw) {
		if (host && strcmp(host, "none") != 0)
			return host_mode_parse(cmd, host, page_size, &out->hm, &out->page_size);
		if (page_size)
			return cli_fail(cmd, "--host-page-size needs --host");
		return 0;
	}
	if (cli_parse_u64(gpaw, &g) || (g != 48 && g != 52))
		return cli_fail(cmd, "--gpaw %s: expected 48 or 52", gpaw);
	want = g == 48 ? "ept4" : "ept5";
	if (host && strcmp(host, want) != 0)
		return cli_fail(cmd,
				"--gpaw %" PRIu64 " needs --host %s (TDX: GPAW 48 uses "
				"4-level secure and shared EPTs, GPAW 52 5-level)",
				g, want);
	if (page_size) {
		if ((rc = cli_parse_page_size(cmd, "host-page-size", page_size, &size)))
			return rc;
		if (size != UINT64_C(4096))
			return cli_fail(cmd, "--gpaw: the TDX model maps 4 KiB host pages only");
	}
	if ((rc = host_mode_parse(cmd, want, NULL, &out->hm, &out->page_size)))
		return rc;
	out->gpaw = (unsigned)g;
	out->shared = shared;
	return 0;
}

int cli_parse_vpid(const char *cmd, const char *s, bool have_host, uint16_t *out)
{
	uint64_t id;

	if (!s)
		return 0;
	if (cli_parse_u64(s, &id) || id > 0xffff)
		return cli_fail(cmd, "--vpid %s: expected 0 (VPID off) to 65535", s);
	if (!have_host)
		return cli_fail(cmd, "--vpid needs a host dimension (--host or --gpaw)");
	*out = (uint16_t)id;
	return 0;
}
