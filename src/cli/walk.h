/*
 * `tdpsim walk` internals. The command is split by concern:
 *   cmd_walk.c     options, their cross-checks, the flow, clean-up
 *   walk_setup.c   paging registers, the request, the synthetic options
 *   walk_build.c   the tables (synthetic or an image) and the traced walk
 *   walk_explain.c the fault in words, sizes and permissions as text
 *   walk_text.c    the text report; walk_json.c the JSON object
 *   walk_host.c    the host dimension: its tables, the 2D walk and grid
 *   host_opts.c    --host, --host-page-size, --gpaw, --shared (shared with synth)
 * and guest_modes.c holds the --guest table shared with `tdpsim synth`.
 */
#ifndef TDPSIM_CLI_WALK_H
#define TDPSIM_CLI_WALK_H

#include <json-glib/json-glib.h>

#include "guest_modes.h"
#include "cpu/ram.h"
#include "hv/host.h"
#include "paging/nested.h"
#include "paging/synth.h"
#include "paging/walk.h"

#define WALK_CMD "walk" /* cli_fail()'s command name */

struct hv_host_mode;

/* The host dimension the options ask for (host_opts.c). */
struct host_dim {
	const struct hv_host_mode *hm; /* NULL: no host dimension */
	uint64_t page_size;         /* host leaf size, with @hm */
	unsigned gpaw;              /* TDX: 48 or 52 (then @hm is ept4 or ept5); else 0 */
	bool shared;                /* TDX --shared */
};

/*
 * The rules of --host @host, --host-page-size @page_size, --gpaw @gpaw and
 * --shared for every subcommand (any of the strings may be NULL): --shared
 * needs --gpaw; --gpaw is 48 or 52, picks ept4 or ept5 (--host may name
 * it, nothing else) and 4 KiB host pages; --host-page-size needs a host
 * that has that leaf (host_mode_parse). 0, or cli_fail()'s exit code.
 */
int host_dim_parse(const char *cmd, const char *host, const char *page_size, const char *gpaw,
		   bool shared, struct host_dim *out);

/* --vpid N (the VPID/ASID of the guest under a host dimension; 0: VPID
 * off): its entry (@vpid a gchar **), and @s parsed into *@out when given
 * (*@out is left as it is otherwise); a host dimension is required. */
#define CLI_VPID_ENTRY(vpid)                                                                 \
	{ "vpid", 0, 0, G_OPTION_ARG_STRING, (vpid),                                        \
	  "VPID/ASID of the guest under a host dimension (default 1; 0: VPID off)", "N" }
int cli_parse_vpid(const char *cmd, const char *s, bool have_host, uint16_t *out);

/* The --guest, --host, --host-page-size and --gpaw entries of the
 * commands that build tables as synth does (synth, replay --format
 * champsim): one wording; each argument a gchar **. */
#define CLI_LAYOUT_ENTRIES(guest, host, host_page_size, gpaw)                                \
	{ "guest", 0, 0, G_OPTION_ARG_STRING, (guest),                                      \
	  "nopaging, 2level, 2level-pse, pae, 4level (default) or 5level", "MODE" },        \
	{ "host", 0, 0, G_OPTION_ARG_STRING, (host),                                        \
	  "none (default), npt2, npt3, npt4, npt5, ept4 or ept5", "MODE" },                 \
	{ "host-page-size", 0, 0, G_OPTION_ARG_STRING, (host_page_size),                    \
	  "host page size: 4k (default), 2m, 4m or 1g", "S" },                              \
	{ "gpaw", 0, 0, G_OPTION_ARG_STRING, (gpaw),                                        \
	  "TDX: GPA width, secure/shared EPTs (48: ept4, 52: ept5)", "48|52" }

/* The synthetic layout: tables from 1 MiB up, in 2 MiB of RAM; the page
 * itself is not backed (a walk never reads the data). */
#define WALK_SYNTH_TABLE_BASE UINT64_C(0x100000)
#define WALK_SYNTH_RAM_SIZE   UINT64_C(0x200000)
#define WALK_SYNTH_PA_BASE    UINT64_C(0x40000000)

struct walk_host;

struct walk_opts {
	gboolean synthetic, json, implicit, ac, no_1g, no_la57, no_pse36;
	gchar *image, *cr3, *guest, *page_size, *pa_base, *va, *access, *cpl;
	gchar *pkru, *pkrs, *maxphyaddr, *leaf_flags, *table_flags;
	gchar **cr0, **cr4, **efer;
	gchar *config;
	gchar **sets;
	gchar *host, *host_page_size, *gpaw;
	gboolean shared;
};

/* Everything the output needs. */
struct walk_ctx {
	const struct walk_opts *o;
	const struct guest_mode *gm;
	struct pg_cpu cpu;
	struct pg_regs regs;
	struct pg_mmu mmu;
	struct pg_req rq;
	struct pg_walk w;
	struct cpu_ram ram;
	uint64_t page_size; /* synthetic leaf size */
	uint64_t pa_base;   /* synthetic page frame */
	uint64_t leaf_flags, table_flags;
	bool pdpte_loaded;
	unsigned pdpte_refs;
	struct pg_fault pdpte_fault;
	/* Tracing accessor: the last address referenced, and the A/D updates. */
	struct pg_accessor inner;
	uint64_t last_addr;
	uint64_t ad_set[PG_LEVELS_MAX + 1]; /* bits newly set, by level */
	/* The host dimension: the options, then (walk_host.c) its state,
	 * NULL without --host or --gpaw. */
	struct host_dim hd;
	struct walk_host *host;
};

/* walk_setup.c: each returns 0, or cli_fail()'s exit code with the error
 * printed. */
int walk_parse_synth(struct walk_ctx *c, const struct pg_format *fmt); /* before set-up */
int walk_setup_regs(struct walk_ctx *c);    /* registers, CPU model, pg_mmu_init */
int walk_setup_request(struct walk_ctx *c); /* --va, --access, --cpl, --implicit */

/* walk_build.c */
int walk_build_synthetic(struct walk_ctx *c); /* tables that map --va */
int walk_load_image(struct walk_ctx *c);
int walk_run(struct walk_ctx *c);             /* PDPTE load, then the walk */

/* walk_explain.c */
const char *walk_size_name(uint64_t size, char *buf, size_t n); /* "4 KiB" */
void walk_fault_text(const struct walk_ctx *c, char *buf, size_t n);
void walk_perms_letters(unsigned perms, char buf[4]);         /* "WUX", "" */
const char *walk_perms_words(unsigned perms);                 /* "W U X", "none" */

/* walk_text.c, walk_json.c: the report on stdout. */
void walk_print_text(const struct walk_ctx *c);
void walk_print_json(const struct walk_ctx *c);

/* walk_host.c */
int walk_host_parse(struct walk_ctx *c);            /* walk's own checks of c->hd */
int walk_host_build(struct walk_ctx *c, uint64_t table_end); /* synthetic host tables */
int walk_host_run(struct walk_ctx *c);              /* PDPTE load + 2D walk */
void walk_host_text(const struct walk_ctx *c);      /* grid and host result */
void walk_host_json(const struct walk_ctx *c, JsonBuilder *b);
unsigned walk_host_refs(const struct walk_ctx *c);  /* all reads, both dimensions */
void walk_host_fault_text(const struct walk_ctx *c, char *buf, size_t n);
void walk_host_free(struct walk_ctx *c);
struct cpu_ram *walk_host_guest_ram(struct walk_ctx *c); /* guest-physical view */

/* Look up --host @name (hv/host.h's mode table) and check --host-page-size
 * @page_size (NULL: 4k) against it; 0, or cli_fail()'s exit code with the
 * error printed. */
int host_mode_parse(const char *cmd, const char *name, const char *page_size,
		    const struct hv_host_mode **hm, uint64_t *size);

#endif
