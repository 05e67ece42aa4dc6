/*
 * The machine: one Unicorn 2.1 UC_MODE_64 handle, guest RAM mapped from our
 * buffer (uc_mem_map_ptr), the MMU choice (UC_TLB_VIRTUAL + the TLB-fill
 * hook for --mmu tdpsim, QEMU's own walker UC_TLB_CPU for --mmu reference),
 * and every Unicorn hook. All hooks are registered and dispatched here
 * (STYLE.md 11); the work is done in fill.c, fault.c, events.c, feed.c,
 * insn.c, msr.c and c2's delivery code.
 *
 * Start-up refuses to run, with a one-line reason, when a Unicorn internal
 * the runner relies on is not where it is expected: the invalid_addr field
 * (fault.c calibrates it on a scratch handle) and the context-blob offsets
 * (ctx.c's self-check).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "trace/marker.h"
#include "cpu/cpu.h"
#include "cpu/msr_model.h"
#include "cpu/ctx.h"
#include "cpu/deliver.h"
#include "cpu/sysent.h"
#include "hv/host.h"
#include "timing/model.h"

#define KIB UINT64_C(1024)
#define CPU_TCG_BUFFER_BYTES (32u << 20)


/*
 * LeakSanitizer's documented hook for built-in suppressions (read only by
 * a -fsanitize=address build): libunicorn 2.1.1 leaks 32 bytes per
 * uc_open/uc_close pair (seen in the Sanitize build: 7 x 32 bytes from
 * inside libunicorn.so.2 for one run), which would otherwise fail every
 * run and test of that build.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so\n";
}

/* ... and without the summary of suppressions it would print at exit
 * (stderr is part of the CLI's interface: one line on bad input). */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static bool hook_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e,
		      void *opaque)
{
	return cpu__fill(opaque, va, type, e);
}

static void hook_block(uc_engine *uc, uint64_t pc, uint32_t size, void *opaque)
{
	cpu__block(opaque, pc, size);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	cpu__intr(opaque, intno);
}

/* One-address code hooks on RDMSR/WRMSR/RDTSC/MOV CR/MOV DR sites
 * (msr.c), and on instruction breakpoints (debug.c). */
static void hook_site(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	cpu__site(opaque, addr);
}

static void hook_bp(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	cpu__debug_bp(opaque, addr);
}


static bool hook_invalid(uc_engine *uc, void *opaque)
{
	struct cpu *c = opaque;

	/* Unicorn reports the #UD through UC_HOOK_INTR (vector 6) next;
	 * the emulation happens there, where RIP may be rewritten. */
	c->ud_pending = true;
	return true;
}

/* After a device access that may have changed the machine: an exit
 * request, an interrupt, a timer armed. */
static void after_io(struct cpu *c)
{
	if (c->bus.exit_requested) {
		static const uint8_t why[] = {[DEV_STOP_EXIT] = CPU_STOP_EXIT,
					      [DEV_STOP_POWEROFF] = CPU_STOP_EXIT,
					      [DEV_STOP_RESET] = CPU_STOP_RESET,
					      [DEV_STOP_UNSUPPORTED] = CPU_STOP_ERROR};

		cpu_run_stop(c, why[c->bus.stop_kind], "%s", c->bus.stop_msg);
		return;
	}
	/* A timer was armed: the block hook must come in (run.c re-hooks). */
	if (!c->block_hooked && cpu__need_block_hook(c)) {
		c->stop_hook = true;
		uc_emu_stop(c->uc);
	}
}

/* Unicorn's MMIO windows: everything that is not RAM (fill.c). */
static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *opaque)
{
	struct cpu_mmio_win *w = opaque;
	struct cpu *c = w->c;

	c->bus.now = c->insns;
	c->irq_check = true;
	if (!dev_mem_rom(&c->bus, w->base + off))
		cpu_mmio_access(c, w->base + off, (uint8_t)size, false);
	return dev_mem_read(&c->bus, w->base + off, size);
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *opaque)
{
	struct cpu_mmio_win *w = opaque;
	struct cpu *c = w->c;

	c->bus.now = c->insns;
	c->irq_check = true;
	cpu_mmio_access(c, w->base + off, (uint8_t)size, true);
	dev_mem_write(&c->bus, w->base + off, size, val);
	after_io(c);
}

/* RAM ranges to Unicorn as memory, the gaps between them (and above) up
 * to the end of guest-physical space as MMIO windows. */
static int map_memory(struct cpu *c, char *why, size_t len)
{
	uint64_t at = 0, lo, hi;
	uc_err ue = UC_ERR_OK;

	while (at < DEV_PHYS_END && ue == UC_ERR_OK) {
		if (cpu_ram_range_from(&c->ram, at, &lo, &hi))
			lo = hi = DEV_PHYS_END;
		if (lo > at) {
			struct cpu_mmio_win *w = &c->win[c->nwin++];

			*w = (struct cpu_mmio_win){ .c = c, .base = at };
			ue = uc_mmio_map(c->uc, at, lo - at, mmio_read, w, mmio_write, w);
		}
		if (ue == UC_ERR_OK && hi > lo)
			ue = uc_mem_map_ptr(c->uc, lo, hi - lo, UC_PROT_ALL, c->ram.base + lo);
		at = hi;
	}
	if (ue != UC_ERR_OK) {
		snprintf(why, len, "Unicorn: cannot map %" PRIu64 " MiB of guest RAM and the MMIO "
			 "space around it: %s", cpu_ram_bytes(&c->ram) >> 20, uc_strerror(ue));
		return -EIO;
	}
	return 0;
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	struct cpu *c = opaque;

	c->bus.now = c->insns;
	c->irq_check = true;
	c->block_ports++;
	return dev_bus_in(&c->bus, (uint16_t)port, (unsigned)size);
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t val, void *opaque)
{
	struct cpu *c = opaque;

	c->bus.now = c->insns;
	c->irq_check = true;
	c->block_ports++;
	dev_bus_out(&c->bus, (uint16_t)port, (unsigned)size, val);
	after_io(c);
}

static int hook_cpuid(uc_engine *uc, void *opaque)
{
	struct cpu *c = opaque;
	uint32_t r[4];

	cpu_cpuid(&c->cfg, (uint32_t)cpu_reg(c, UC_X86_REG_EAX),
		  (uint32_t)cpu_reg(c, UC_X86_REG_ECX), cpu_reg(c, UC_X86_REG_CR4),
		  c->msrm->misc_enable, r);
	uint64_t rax = r[0], rbx = r[1], rcx = r[2], rdx = r[3];
	uc_reg_write(uc, UC_X86_REG_RAX, &rax);
	uc_reg_write(uc, UC_X86_REG_RBX, &rbx);
	uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
	uc_reg_write(uc, UC_X86_REG_RDX, &rdx);
	c->n.emulated++;
	return 1; /* the instruction is done: QEMU's CPUID does not run */
}

static void after_sysent(struct cpu *c, int rc, const char *what)
{
	cpu__stale(c); /* CPL changed */
	if (rc == CPU_TRIPLE_FAULT)
		cpu_run_stop(c, CPU_STOP_TRIPLE, "triple fault during %s", what);
	else if (rc < 0)
		cpu_run_stop(c, CPU_STOP_ERROR, "%s: %s", what, cpu_deliver_chain(c)->why);
}

static void hook_syscall(uc_engine *uc, void *opaque)
{
	after_sysent(opaque, cpu_syscall(opaque, true), "SYSCALL");
}

static void hook_sysenter(uc_engine *uc, void *opaque)
{
	after_sysent(opaque, cpu_sysenter(opaque, true), "SYSENTER");
}

int cpu_feed_add(struct cpu *c, const struct trc_consumer *k)
{
	int rc = trc_sink_add(&c->sink, k);

	if (rc)
		return rc;
	cpu_machine_sync_hooks(c);
	return 0;
}

bool cpu__need_block_hook(const struct cpu *c)
{
	return c->tm || c->max_insns || c->sink.n || c->bus.next_deadline != UINT64_MAX ||
	       c->bus.want_blocks || dev_intr_pending((struct dev_bus *)&c->bus) >= 0;
}

static void sync_hooks(struct cpu *c, bool translated)
{
	bool want = cpu__need_block_hook(c);

	if (want == c->block_hooked)
		return;
	if (want)
		uc_hook_add(c->uc, &c->h_block, UC_HOOK_BLOCK, hook_block, c, 1, 0);
	else
		uc_hook_del(c->uc, c->h_block);
	c->block_hooked = want;
	/* Hooks are compiled into translation blocks: code translated
	 * before must be translated again to see the change. (Not at
	 * start-up: nothing is translated yet, and a TB flush costs a
	 * memset of the whole translation buffer.) */
	if (translated)
		uc_ctl_flush_tb(c->uc);
}

void cpu_machine_sync_hooks(struct cpu *c)
{
	sync_hooks(c, true);
}

static int add_insn_hook(struct cpu *c, uc_hook *h, void *cb, int insn)
{
	return uc_hook_add(c->uc, h, UC_HOOK_INSN, cb, c, 1, 0, insn) == UC_ERR_OK ? 0 : -EIO;
}

/*
 * Without any memory hook, Unicorn 2.1.1 tracks stores to translated code
 * only loosely: the first store through a TLB entry to a page invalidates
 * the translations it overlaps and then takes the entry off its slow path
 * (tlb_set_dirty), and only a translation made later through that same
 * linear page puts it back. A second store through the entry, or any
 * store through another linear alias of the page, then rewrites code
 * whose translation keeps running: the 64-bit kernel's memcpy patching
 * the return jump of its own block (apply_returns) ran the old jump under
 * --model functional, where --model timing, whose memory hook keeps every
 * store checked, restarted the block at the store as the CPU does. So a
 * functional run installs a store hook too, for the one address no store
 * can reach: Unicorn then checks every store against its translations
 * (guests/pc/smcalias), and the callback never runs.
 */
static void no_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		     void *opaque)
{
}

static int add_hooks(struct cpu *c)
{
	uc_engine *uc = c->uc;

	if (c->mmu_kind == CPU_MMU_TDPSIM &&
	    uc_hook_add(uc, &c->h_fill, UC_HOOK_TLB_FILL, hook_fill, c, 1, 0) != UC_ERR_OK)
		return -EIO;
	if (uc_hook_add(uc, &c->h_intr, UC_HOOK_INTR, hook_intr, c, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(uc, &c->h_invalid, UC_HOOK_INSN_INVALID, hook_invalid, c, 1, 0) !=
		    UC_ERR_OK)
		return -EIO;
	if (add_insn_hook(c, &c->h_in, hook_in, UC_X86_INS_IN) ||
	    add_insn_hook(c, &c->h_out, hook_out, UC_X86_INS_OUT) ||
	    add_insn_hook(c, &c->h_cpuid, hook_cpuid, UC_X86_INS_CPUID) ||
	    add_insn_hook(c, &c->h_syscall, hook_syscall, UC_X86_INS_SYSCALL) ||
	    add_insn_hook(c, &c->h_sysenter, hook_sysenter, UC_X86_INS_SYSENTER))
		return -EIO;
	if (c->tm) {
		if (uc_hook_add(uc, &c->h_mem, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, cpu__hook_mem, c,
				1, 0) != UC_ERR_OK)
			return -EIO;
		c->mem_hooked = true;
	} else if (uc_hook_add(uc, &c->h_mem, UC_HOOK_MEM_WRITE, no_write, c, UINT64_MAX,
			       UINT64_MAX) != UC_ERR_OK) {
		return -EIO;
	}
	sync_hooks(c, false);
	return 0;
}

int cpu_machine_init(struct cpu *c, const struct tm_config *cfg, const struct cpu_opts *o,
		     char *why, size_t len)
{
	uint64_t mem = o->mem_bytes;
	struct dev_pc_cfg board = { .ncpus = 1 };
	uc_err ue;
	int rc;

	memset(c, 0, sizeof(*c));
	c->prev_block = c->mov_cr_block = -1;
	c->cur_block = -1;
	c->cpl_stale = c->irq_check = true;
	c->cfg = *cfg;
	c->mmu_kind = o->mmu_kind;
	c->model_kind = o->model_kind;
	c->host_kind = o->host_kind;
	c->vpid = o->vpid;
	c->tdp_unnormalised = o->tdp_unnormalised;
	c->max_insns = o->max_insns;
	if (o->no_tlb_grow)
		c->grow_steps = UINT32_MAX;
	c->flush_every = o->tlb_flush_every;
	c->report = o->report ? o->report : stderr;
	c->site_cb = (void *)hook_site;
	c->bp_cb = (void *)hook_bp;
	c->reboot = o->reboot;
	c->fault_log = o->fault_log;
	/* A TD's guest-physical width is its GPAW: the guest sees it as
	 * MAXPHYADDR (CPUID 80000008H), and the shared bit (GPAW - 1) is a
	 * legal address bit in its entries (TDX module spec, GPAW). */
	if (o->host_kind < HV_HOST_KINDS && hv_host_modes[o->host_kind].gpaw)
		c->cfg.cpu.maxphyaddr = (uint8_t)hv_host_modes[o->host_kind].gpaw;
	tm_config_pg_cpu(&c->cfg, &c->pgcpu);

	if (mem <= DEV_PC_BIOS_HI || (mem & 0xfff) || mem > (UINT64_C(1) << 36)) {
		snprintf(why, len, "--mem: %" PRIu64 " bytes: expected more than 1 MiB (the "
			 "PC's first MiB has the VGA window and the BIOS) and at most 64 GiB, in "
			 "whole 4 KiB pages", mem);
		return -EINVAL;
	}
	if (o->mmu_kind == CPU_MMU_REFERENCE && o->host_kind != HV_HOST_NONE) {
		snprintf(why, len, "--mmu reference runs on QEMU's walker: it has no host "
			 "dimension (use --host none)");
		return -EINVAL;
	}
	rc = cpu_calibrate_invalid_addr(&c->invalid_addr_off, why, len);
	if (rc)
		return rc;
	rc = cpu__host_init(c, mem, why, len); /* RAM (and host tables above it) */
	if (rc)
		goto out_free;
	cpu__watch_tables(c);

	ue = uc_open(UC_ARCH_X86, UC_MODE_64, &c->uc);
	if (ue != UC_ERR_OK) {
		snprintf(why, len, "Unicorn: cannot open an x86-64 handle: %s", uc_strerror(ue));
		rc = -EIO;
		goto out_free;
	}
	/* QEMU decodes CLAC/STAC, RDPKRU/WRPKRU, ... only when its own CPU
	 * model has the feature: pick one that has every paging feature
	 * (Icelake-Server: SMEP, SMAP, PKU, LA57, ...). CPUID itself is
	 * ours (cpuid.c), so this choice is invisible to the guest. */
	ue = uc_ctl_set_cpu_model(c->uc, UC_CPU_X86_ICELAKE_SERVER);
	/* Unicorn 2.1's translation buffer is 1 GiB, and every TB flush
	 * (a hook added or removed) memsets all of it: 1 GiB of fresh pages
	 * at the first flush. QEMU 5's own system-mode default is 32 MiB;
	 * QEMU flushes by itself when it fills up. */
	if (ue == UC_ERR_OK)
		ue = uc_ctl_set_tcg_buffer_size(c->uc, CPU_TCG_BUFFER_BYTES);
	if (ue != UC_ERR_OK) {
		snprintf(why, len, "Unicorn: cannot select the Icelake-Server CPU model or a 32 MiB translation buffer: %s",
			 uc_strerror(ue));
		rc = -EIO;
		goto out_free;
	}
	rc = map_memory(c, why, len);
	if (rc)
		goto out_free;
	ue = uc_ctl_tlb_mode(c->uc, c->mmu_kind == CPU_MMU_TDPSIM ? UC_TLB_VIRTUAL : UC_TLB_CPU);
	/* Exits mode with no exit: uc_emu_start runs until a hook stops it.
	 * Without it, every uc_emu_start ends by translating its stop
	 * address (Unicorn invalidates the block there) through the MMU; a
	 * stop address that no guest code can reach is one QEMU's walker
	 * refuses, and the refusal is an exception raised inside QEMU that
	 * is never delivered: it stays in env->old_exception, so two runs
	 * later QEMU turned its next own #PF into a triple fault (run.c). */
	if (ue == UC_ERR_OK)
		ue = uc_ctl_exits_enable(c->uc);
	if (ue != UC_ERR_OK) {
		snprintf(why, len, "Unicorn: cannot select the TLB mode or the exits mode: %s",
			 uc_strerror(ue));
		rc = -EIO;
		goto out_free;
	}
	rc = cpu_ctx_init(c, why, len);
	if (rc)
		goto out_free;
	dev_bus_init(&c->bus, o->console ? o->console : stdout);
	rc = tm_config_rtc_time(&c->cfg, &board.rtc_base);
	if (rc) {
		snprintf(why, len, "platform.rtc_date = %s: not an ISO 8601 date", c->cfg.platform.rtc_date);
		goto out_free;
	}
	board.ram = &c->ram;
	board.x2apic = c->cfg.cpu.features & TM_FEAT_X2APIC;
	board.tsc_deadline = c->cfg.cpu.features & TM_FEAT_TSCDL;
	board.tsc_hz = c->cfg.cpu.tsc_hz;
	board.maxphyaddr = c->cfg.cpu.maxphyaddr;
	board.ram_below_4g = c->ram.size > DEV_PC_HIGH_RAM ? c->ram.hole[c->ram.nholes - 1].lo
							   : c->ram.size;
	board.ram_above_4g = c->ram.size > DEV_PC_HIGH_RAM ? c->ram.size - DEV_PC_HIGH_RAM : 0;
	c->bus.un.log = o->unassigned_log;
	board.cmos = o->cmos;
	rc = dev_pc_init(&c->bus, &board);
	if (!rc)
		rc = trc_marker_port_add(&c->bus, &c->sink);
	if (rc) {
		snprintf(why, len, "cannot build the PC devices: %s", strerror(-rc));
		goto out_free;
	}
	c->msrm = g_new0(struct cpu_msr_model, 1);
	cpu_msr_model_reset(c->msrm, &c->cfg);
	rc = cpu__debug_init(c);
	if (!rc)
		rc = cpu__bcache_init(c);
	if (rc) {
		snprintf(why, len, "out of memory for the block cache");
		goto out_free;
	}
	if (c->model_kind == CPU_MODEL_TIMING) {
		rc = cpu__tm_init(c, why, len);
		if (rc)
			goto out_free;
	}
	rc = add_hooks(c);
	if (rc) {
		snprintf(why, len, "Unicorn refused a hook");
		goto out_free;
	}
	return 0;

out_free:
	cpu_machine_free(c);
	return rc;
}

void cpu_machine_free(struct cpu *c)
{
	cpu__tm_free(c);
	cpu__bcache_free(c);
	cpu__sites_free(c);
	cpu__debug_free(c);
	cpu__xlate_free(c);
	g_free(c->msrm);
	c->msrm = NULL;
	if (c->bus.dev || c->bus.pic || c->bus.nrom)
		dev_bus_free(&c->bus);
	if (c->ctx)
		cpu_ctx_free(c);
	g_free(c->chain);
	c->chain = NULL;
	if (c->uc)
		uc_close(c->uc);
	c->uc = NULL;
	cpu__host_free(c);
}
