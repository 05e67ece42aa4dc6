/*
 * `tdpsim walk`: explain one translation. This file holds the options,
 * their cross-checks and the flow; walk.h lists the other parts.
 *
 * It sets up a paging state from the options (guest mode, CR0/CR4/EFER bits,
 * CPU model), takes the guest tables either from a raw guest-physical image
 * or from a small synthetic layout (synth.c), runs the engine's walker once
 * and prints every level, the result or the fault, and the memory
 * references. The walk itself is the engine's: this file only sets up,
 * validates and explains. Every bad input is one line on stderr and exit 2;
 * a guest fault is a result (exit 0). docs/cli-walk.md documents the output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "walk.h"
#include "timing/config.h"

#define CMD WALK_CMD

int cmd_walk(int argc, char **argv)
{
	struct walk_opts o = { 0 };
	struct walk_ctx c = { 0 };
	const GOptionEntry entries[] = {
	    {"synthetic", 0, 0, G_OPTION_ARG_NONE, &o.synthetic,
	     "Build a small synthetic page-table layout that maps --va", NULL},
	    {"image", 0, 0, G_OPTION_ARG_FILENAME, &o.image,
	     "Read tables from a raw guest-physical image (byte i at GPA i)", "FILE"},
	    {"cr3", 0, 0, G_OPTION_ARG_STRING, &o.cr3, "CR3 value, with --image", "ADDR"},
	    {"guest", 0, 0, G_OPTION_ARG_STRING, &o.guest,
	     "Paging mode: nopaging, 2level, 2level-pse, pae, 4level (default), 5level", "MODE"},
	    {"va", 0, 0, G_OPTION_ARG_STRING, &o.va,
	     "Linear address to translate (default: one with nonzero indices at every level)",
	     "ADDR"},
	    {"access", 0, 0, G_OPTION_ARG_STRING, &o.access,
	     "Access kind: read (default), write, fetch", "KIND"},
	    {"cpl", 0, 0, G_OPTION_ARG_STRING, &o.cpl, "Current privilege level 0-3 (default 0)",
	     "N"},
	    {"implicit", 0, 0, G_OPTION_ARG_NONE, &o.implicit,
	     "Implicit supervisor access (GDT, IDT, TSS...), even at CPL 3", NULL},
	    {"page-size", 0, 0, G_OPTION_ARG_STRING, &o.page_size,
	     "Synthetic leaf size: 4k (default), 2m, 4m, 1g", "SIZE"},
	    {"pa-base", 0, 0, G_OPTION_ARG_STRING, &o.pa_base,
	     "Synthetic: physical address of the page (default 0x40000000)", "ADDR"},
	    {"leaf-flags", 0, 0, G_OPTION_ARG_STRING, &o.leaf_flags,
	     "Synthetic leaf flags (default p,rw,us): p,rw,us,pwt,pcd,a,d,g,xd,pk=N", "LIST"},
	    {"table-flags", 0, 0, G_OPTION_ARG_STRING, &o.table_flags,
	     "Synthetic non-leaf flags (default p,rw,us)", "LIST"},
	    {"cr0", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cr0,
	     "CR0 bits to set (-name clears): pe, wp, pg", "LIST"},
	    {"cr4", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cr4,
	     "CR4 bits to set (-name clears): pse, pae, pge, la57, pcide, smep, smap, pke, pks",
	     "LIST"},
	    {"efer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.efer,
	     "EFER bits to set (-name clears): nxe, lme, lma", "LIST"},
	    {"ac", 0, 0, G_OPTION_ARG_NONE, &o.ac, "Set EFLAGS.AC (SMAP override)", NULL},
	    {"pkru", 0, 0, G_OPTION_ARG_STRING, &o.pkru, "PKRU value", "VALUE"},
	    {"pkrs", 0, 0, G_OPTION_ARG_STRING, &o.pkrs, "IA32_PKRS value", "VALUE"},
	    {"maxphyaddr", 0, 0, G_OPTION_ARG_STRING, &o.maxphyaddr,
	     "CPU model: physical-address width 32-52 (default 46)", "N"},
	    CLI_CONFIG_ENTRIES(&o.config, &o.sets, "every feature, MAXPHYADDR 46"),
	    {"no-1g", 0, 0, G_OPTION_ARG_NONE, &o.no_1g, "CPU model: no 1 GiB pages", NULL},
	    {"no-la57", 0, 0, G_OPTION_ARG_NONE, &o.no_la57, "CPU model: no 5-level paging", NULL},
	    {"no-pse36", 0, 0, G_OPTION_ARG_NONE, &o.no_pse36, "CPU model: no PSE-36", NULL},
	    {"host", 0, 0, G_OPTION_ARG_STRING, &o.host,
	     "Host dimension: none (default), npt2, npt3, npt4, npt5, ept4, ept5", "MODE"},
	    {"host-page-size", 0, 0, G_OPTION_ARG_STRING, &o.host_page_size,
	     "Synthetic host leaf size: 4k (default), 2m, 4m (npt2), 1g", "SIZE"},
	    {"gpaw", 0, 0, G_OPTION_ARG_STRING, &o.gpaw,
	     "TDX: guest-physical address width 48 or 52 (shared bit 47 or 51)", "BITS"},
	    {"shared", 0, 0, G_OPTION_ARG_NONE, &o.shared,
	     "TDX: the final page is shared (its GPA carries the shared bit)", NULL},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print one JSON object", NULL},
	    G_OPTION_ENTRY_NULL};
	GOptionContext *ctx;
	int rc = CLI_EXIT_USAGE;

	g_set_prgname("tdpsim walk");
	ctx = g_option_context_new("- explain one address translation");
	g_option_context_set_summary(
		ctx, "Walks the guest page tables for one linear address and prints every level\n"
		     "(table, index, entry, decoded bits), the physical address or the fault\n"
		     "with its error code, and the number of memory references.\n\n"
		     "  tdpsim walk --synthetic --guest MODE --page-size SIZE --va ADDR [--json]\n"
		     "  tdpsim walk --image FILE --cr3 ADDR --guest MODE --va ADDR [--json]");
	g_option_context_set_description(
		ctx, "Every mode sets CR0.WP; pae, 4level and 5level also set EFER.NXE. Clear\n"
		     "them with --cr0 -wp or --efer -nxe. Mode-defining bits (CR0.PG, CR4.PAE,\n"
		     "CR4.PSE, CR4.LA57, EFER.LME/LMA) must agree with --guest.\n"
		     "The CPU model has every feature, MAXPHYADDR 46, unless --config names\n"
		     "one; --maxphyaddr and --no-1g/--no-la57/--no-pse36 apply on top.\n"
		     "Numbers are decimal or 0x hex, with an optional k, m or g suffix.\n\n"
		     "Exit status: 0 when the walk is explained (a guest fault included),\n"
		     "2 for bad input. See docs/cli-walk.md.\n");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if ((rc = cli_parse_options(CMD, ctx, &argc, &argv)))
		goto out;
	if (!!o.synthetic == !!o.image) {
		rc = cli_fail(CMD, o.synthetic ? "--synthetic and --image exclude each other"
					       : "give --synthetic or --image FILE");
		goto out;
	}
	if (o.image && (o.page_size || o.pa_base || o.leaf_flags || o.table_flags)) {
		rc = cli_fail(CMD, "--page-size, --pa-base, --leaf-flags and --table-flags "
				   "shape synthetic tables: they need --synthetic");
		goto out;
	}
	if (o.synthetic && o.cr3) {
		rc = cli_fail(CMD, "--cr3 needs --image (--synthetic puts its tables at 0x%" PRIx64
				   ")", WALK_SYNTH_TABLE_BASE);
		goto out;
	}

	c.o = &o;
	c.gm = guest_mode_find(o.guest ? o.guest : "4level");
	if (!c.gm) {
		rc = cli_fail(CMD, "--guest %s: expected %s", o.guest, guest_mode_list);
		goto out;
	}
	if (o.synthetic && (rc = walk_parse_synth(&c, guest_mode_format(c.gm))))
		goto out;
	if ((rc = host_dim_parse(CMD, o.host, o.host_page_size, o.gpaw, o.shared, &c.hd)))
		goto out;
	if ((rc = walk_setup_regs(&c)) || (rc = walk_setup_request(&c)) || (rc = walk_host_parse(&c)))
		goto out;
	rc = o.synthetic ? walk_build_synthetic(&c) : walk_load_image(&c);
	if (rc || (rc = walk_run(&c)))
		goto out;

	if (o.json)
		walk_print_json(&c);
	else
		walk_print_text(&c);
	rc = CLI_EXIT_OK;
out:
	walk_host_free(&c);
	cpu_ram_free(&c.ram);
	g_option_context_free(ctx);
	g_free(o.image);
	g_free(o.cr3);
	g_free(o.guest);
	g_free(o.page_size);
	g_free(o.pa_base);
	g_free(o.va);
	g_free(o.access);
	g_free(o.cpl);
	g_free(o.pkru);
	g_free(o.pkrs);
	g_free(o.maxphyaddr);
	g_free(o.leaf_flags);
	g_free(o.table_flags);
	g_strfreev(o.cr0);
	g_strfreev(o.cr4);
	g_strfreev(o.efer);
	g_free(o.config);
	g_strfreev(o.sets);
	g_free(o.host);
	g_free(o.host_page_size);
	g_free(o.gpaw);
	return rc;
}
