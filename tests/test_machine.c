/*
 * The machine core (src/cpu/machine.c, fill.c, fault.c, events.c, insn.c,
 * cpuid.c, run.c) on small guests assembled from the .asm files in tests/guests:
 *
 *  - paging turned on by the guest through our TLB-fill hook, with a
 *    non-identity window (VA 0x40000000 -> PA 0x500000);
 *  - a #PF with exact CR2 and error code delivered to a 64-bit handler
 *    (SDM Vol. 3A 4.7: W=1, P=0, U/S=0 -> 0x2);
 *  - CPUID values from the CPU model (bit positions from SDM Vol. 2A
 *    CPUID), INVPCID emulation and its #GP(0) for type > 3;
 *  - the paging-event feed in program order (CR3 with bit 63, INVLPG with
 *    its computed address, INVPCID);
 *  - --mmu reference (QEMU's walker) giving the same results, the same
 *    events and the same guest-visible faults;
 *  - a triple fault and a hlt with IF=0 stopping the run; `tdpsim run`
 *    refusing a missing kernel with one line and exit status 2.
 */
#include <glib.h>
#include <stdio.h>
#include <sys/resource.h>
#include <string.h>

#include "boot/boot.h"
#include "cpu/cpu.h"
#include "boot/loader.h"
#include "timing/model.h"

#define LOAD_PA 0x100000
#define RES_PA  0x300000

struct run {
	struct cpu c;
	GArray *ev;          /* struct trc_event, in order */
	char *flog;          /* fault log text */
	size_t flog_len;
	char *console;
	size_t console_len;
	FILE *flog_f, *console_f; /* closed after the machine (it flushes the console) */
	int stop;
	int status;
	uint64_t res[32];
	uint8_t code[0x400]; /* the guest image, for RIP checks */
	size_t code_len;
};

/* The CPU model of the tests: an Intel part, family 6 model 0x55 stepping
 * 4, MAXPHYADDR 46, 48-bit linear addresses, PKU and PKS but no LA57; the
 * TSC at 1 GHz (one tick per instruction of virtual time). */
static void test_config(struct tm_config *cfg)
{
	tm_config_defaults(cfg); /* TLB and cache geometry for --model timing */
	cfg->cpu.vendor = TM_VENDOR_INTEL;
	snprintf(cfg->cpu.brand, sizeof(cfg->cpu.brand), "tdpsim test CPU");
	cfg->cpu.family = 6;
	cfg->cpu.model = 0x55;
	cfg->cpu.stepping = 4;
	cfg->cpu.maxphyaddr = 46;
	cfg->cpu.linear_bits = 48;
	cfg->cpu.features = TM_FEAT_PSE | TM_FEAT_PAE | TM_FEAT_PGE | TM_FEAT_PSE36 | TM_FEAT_NX |
			    TM_FEAT_GBPAGES | TM_FEAT_PCID | TM_FEAT_INVPCID | TM_FEAT_SMEP |
			    TM_FEAT_SMAP | TM_FEAT_SYSCALL | TM_FEAT_SEP | TM_FEAT_LM | TM_FEAT_PKS |
			    TM_FEAT_PKU;
	cfg->cpu.tsc_hz = 1000000000;
}

/* The paging events and invalidations of the feed, in order (not the
 * functional CPU's MMU/XLATE/DELIVER records). */
static void on_event(void *opaque, const struct trc_event *ev)
{
	if (ev->kind <= TRC_EV_INVVPID)
		g_array_append_val((GArray *)opaque, *ev);
}

struct acc {
	uint64_t va;
	uint8_t size, kind;
};

static GArray *accs;

static void on_access(void *opaque, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl,
		      bool implicit)
{
	struct acc a = { va, size, kind };

	g_array_append_val(accs, a);
}

static unsigned count_acc(uint64_t va, uint8_t size, uint8_t kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < accs->len; i++) {
		const struct acc *a = &g_array_index(accs, struct acc, i);

		n += a->va == va && a->size == size && a->kind == kind;
	}
	return n;
}

/* An independent instruction count: a UC_HOOK_CODE hook runs before every
 * instruction Unicorn executes (also one that then faults). */
static bool count_code, no_grow;
static uint64_t code_count;

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	code_count++;
}

static void run_guest_model(const char *name, uint8_t mmu, uint8_t model, struct run *r)
{
	char *path = g_build_filename(MACHINE_GUESTS, name, NULL);
	char why[256] = "";
	struct tm_config cfg;
	struct cpu_opts o = { .mem_bytes = 16u << 20, .mmu_kind = mmu,
			      .model_kind = model, .max_insns = 10000000 };
	struct cpu_boot b = { .kind = CPU_BOOT_MULTIBOOT, .entry = LOAD_PA, .eax = 0x2badb002 };
	gchar *img = NULL;
	gsize len = 0;
	FILE *flog, *con;

	memset(r, 0, sizeof(*r));
	g_assert_true(g_file_get_contents(path, &img, &len, NULL));
	g_assert_cmpuint(len, <=, sizeof(r->code));
	memcpy(r->code, img, len);
	r->code_len = len;
	test_config(&cfg);
	flog = open_memstream(&r->flog, &r->flog_len);
	con = open_memstream(&r->console, &r->console_len);
	o.fault_log = flog;
	o.console = con;
	o.no_tlb_grow = no_grow;
	o.report = stderr;
	if (cpu_machine_init(&r->c, &cfg, &o, why, sizeof(why)))
		g_error("cpu_machine_init: %s", why);
	r->ev = g_array_new(FALSE, TRUE, sizeof(struct trc_event));
	struct trc_consumer k = { .event = on_event, .opaque = r->ev };
	if (model == CPU_MODEL_TIMING)
		k.access = on_access;
	g_assert_cmpint(cpu_feed_add(&r->c, &k), ==, 0);
	if (count_code) {
		uc_hook h;

		code_count = 0;
		g_assert_cmpint(uc_hook_add(r->c.uc, &h, UC_HOOK_CODE, on_code, NULL, 1, 0), ==,
				UC_ERR_OK);
	}
	g_assert_cmpint(cpu_ram_write(&r->c.ram, LOAD_PA, img, len), ==, 0);
	g_assert_cmpint(cpu_boot_enter(&r->c, &b, why, sizeof(why)), ==, 0);
	r->stop = cpu_run(&r->c);
	r->status = r->c.bus.exit_status;
	g_assert_cmpint(cpu_ram_read(&r->c.ram, RES_PA, r->res, sizeof(r->res)), ==, 0);
	fflush(flog);
	fflush(con);
	r->flog_f = flog;
	r->console_f = con;
	g_free(img);
	g_free(path);
}

static void run_guest(const char *name, uint8_t mmu, struct run *r)
{
	run_guest_model(name, mmu, CPU_MODEL_FUNCTIONAL, r);
}

static void run_free(struct run *r)
{
	cpu_machine_free(&r->c);
	fclose(r->flog_f);
	fclose(r->console_f);
	g_array_free(r->ev, TRUE);
	free(r->flog);
	free(r->console);
}

/* Offset in the image of the first occurrence of @pat after @from. */
static long find(const struct run *r, const uint8_t *pat, size_t n, size_t from)
{
	for (size_t i = from; i + n <= r->code_len; i++)
		if (memcmp(r->code + i, pat, n) == 0)
			return (long)i;
	return -1;
}

static uint64_t tsc_seen_v, *tsc_seen;

static void check_machine64(uint8_t mmu)
{
	struct run r;
	/* mov qword [0x40003008], 0x5a5a: C7 /0 with SIB disp32 (REX.W). */
	static const uint8_t pf_insn[] = { 0x48, 0xc7, 0x04, 0x25, 0x08, 0x30, 0x00, 0x40 };
	static const uint8_t invpcid[] = { 0x66, 0x0f, 0x38, 0x82, 0x07 };
	long pf_off, inv1, inv2;
	char expect_log[256];

	run_guest("machine64.bin", mmu, &r);
	/* The guest exits through isa-debug-exit with 0x10: (0x10 << 1) | 1. */
	g_assert_cmpint(r.stop, ==, CPU_STOP_EXIT);
	g_assert_cmpint(r.status, ==, 0x21);

	/* Phase 9: 16 passes over 1,024 distinct 4 KiB pages (see below). */
	g_assert_cmphex(r.res[0x98 / 8], ==, 0x9999);
	if (mmu == CPU_MMU_TDPSIM) {
		g_test_message("phase 9: %" G_GUINT64_FORMAT " fills, %" G_GUINT64_FORMAT
			       " growth flushes", r.c.n.fills, r.c.n.grow_flushes);
		g_assert_cmpuint(r.c.n.fills, >=, 1024);
		/* QEMU also shrinks its TLB on a wall-clock window, so under load
		 * the count varies (2,561 alone, more on a busy machine); the
		 * bound only says growth happened: fewer fills than phase 9
		 * alone takes without it (test_tlb_growth). */
		g_assert_cmpuint(r.c.n.fills, <, 16384);
		g_assert_cmpuint(r.c.n.grow_flushes, >=, 1);
	}

	/* Phase 1: the write through VA 0x40000010 reached PA 0x500010. */
	g_assert_cmphex(r.res[0], ==, 0x1111222233334444ull);
	/* Phase 2: one #PF, CR2 exact, error code W (not present, supervisor),
	 * saved RIP = the faulting MOV; the retried write landed. */
	pf_off = find(&r, pf_insn, sizeof(pf_insn), 0);
	g_assert_cmpint(pf_off, >=, 0);
	g_assert_cmpuint(r.res[5], ==, 1);
	g_assert_cmphex(r.res[2], ==, 0x40003008);
	g_assert_cmphex(r.res[3], ==, 0x2);
	g_assert_cmphex(r.res[4], ==, LOAD_PA + (uint64_t)pf_off);
	g_assert_cmphex(r.res[1], ==, 0x5a5a);

	/* Phase 3: CPUID from test_config(). Leaf 0: max 16H (the frequency
	 * leaf, SDM Vol. 2A CPUID), "GenuineIntel" in EBX, EDX, ECX. */
	uint32_t *w = (uint32_t *)(void *)&r.res[8];
	g_assert_cmpmem(&w[0], 4, "Genu", 4);
	g_assert_cmpmem(&w[1], 4, "ineI", 4);
	g_assert_cmpmem(&w[2], 4, "ntel", 4);
	g_assert_cmphex(w[3], ==, 0x16);
	/* Leaf 1 EAX: stepping 4, model 5 (+ extended model 5), family 6. */
	g_assert_cmphex(w[4], ==, 0x00050654);
	g_assert_cmphex(w[5] & (1u << 17), ==, 1u << 17);  /* PCID */
	g_assert_cmphex(w[5] & (1u << 31), ==, 0);         /* no hypervisor */
	g_assert_cmphex(w[5] & (1u << 5), ==, 0);          /* no VMX */
	/* EDX: PSE 3, PAE 6, SEP 11, PGE 13, PSE-36 17 */
	g_assert_cmphex(w[6] & 0x22848, ==, 0x22848);
	/* Leaf 7.0: EBX SMEP 7, INVPCID 10, SMAP 20; ECX PKU 3 and PKS 31
	 * (no LA57 in this model; OSPKE 4 clear: CR4.PKE is still 0). */
	g_assert_cmphex(w[8], ==, (1u << 7) | (1u << 10) | (1u << 20));
	g_assert_cmphex(w[9], ==, (1u << 3) | (1u << 31));
	/* 80000008H: MAXPHYADDR 46, linear 48. */
	g_assert_cmphex(w[10], ==, 46 | (48 << 8));
	/* 80000001H EDX: SYSCALL 11, NX 20, 1 GiB 26, LM 29. */
	g_assert_cmphex(w[11], ==, (1u << 11) | (1u << 20) | (1u << 26) | (1u << 29));

	/* Phase 6: INVPCID type 0 came back; type 5 gave #GP(0) at the
	 * second INVPCID. */
	inv1 = find(&r, invpcid, sizeof(invpcid), 0);
	inv2 = find(&r, invpcid, sizeof(invpcid), (size_t)inv1 + 1);
	g_assert_cmpint(inv1, >=, 0);
	g_assert_cmpint(inv2, >, inv1);
	g_assert_cmphex(r.res[15], ==, 0x600d);
	g_assert_cmpuint(r.res[14], ==, 1);
	g_assert_cmphex(r.res[6], ==, 0);
	g_assert_cmphex(r.res[7], ==, LOAD_PA + (uint64_t)inv2);

	/* Phase 7: IA32_PKRS written and read back (QEMU alone reads 0); the
	 * TSC is virtual: it moved forward by at least the 0x100 LOOP
	 * iterations between the two reads, and not past the end of the run. */
	g_assert_cmphex(r.res[17], ==, 0x55);
	g_assert_cmphex(r.c.msr.pkrs, ==, 0x55);
	g_assert_cmphex(r.c.pkru, ==, 0xc); /* phase 8: WRPKRU seen by the engine */
	g_assert_cmpuint(r.res[16], >, 0);
	g_assert_cmpuint(r.res[18], >=, r.res[16] + 0x100);
	g_assert_cmpuint(r.res[18], <=, r.c.insns);
	if (tsc_seen)
		g_assert_cmphex(r.res[18], ==, *tsc_seen); /* deterministic */
	else
		tsc_seen_v = r.res[18], tsc_seen = &tsc_seen_v;

	/* The fault log: exactly these two guest-visible exceptions. */
	snprintf(expect_log, sizeof(expect_log), "0e 2 40003008 %lx\n0d 0 0 %lx\n",
		 (unsigned long)(LOAD_PA + pf_off), (unsigned long)(LOAD_PA + inv2));
	g_assert_cmpstr(r.flog, ==, expect_log);

	/* Events, in program order. Paging on: CR3, CR4 (PAE), EFER (LME and
	 * NXE: the WRMSR), CR0 (PG); the #PF handler's INVLPG; then CR4 with
	 * PCIDE, CR3 with bit 63 and PCID 1 (the operand, not CR3), INVLPG
	 * [rbx + 0x10] with rbx = 0x40000000, INVPCID type 0. */
	struct trc_event want[] = {
		{ .kind = TRC_EV_CR3, .cr3.operand = 0x200000 },
		{ .kind = TRC_EV_CR4, .reg.value = 0x20 },
		{ .kind = TRC_EV_EFER, .reg.value = 0x900 },
		{ .kind = TRC_EV_CR0 },
		{ .kind = TRC_EV_INVLPG, .invlpg.la = 0x40003008 },
		{ .kind = TRC_EV_CR4, .reg.value = 0x20020 },
		{ .kind = TRC_EV_CR3, .cr3.operand = 0x8000000000200001ull },
		{ .kind = TRC_EV_INVLPG, .invlpg.la = 0x40000010 },
		{ .kind = TRC_EV_INVPCID, .invpcid = { .type = 0, .pcid = 1, .la = 0x40000000 } },
		{ .kind = TRC_EV_MSR, .msr = { .index = 0x6e1, .value = 0x55 } },
		{ .kind = TRC_EV_CR4, .reg.value = 0x420020 },
		{ .kind = TRC_EV_PKRU, .reg.value = 0xc },
	};
	g_assert_cmpuint(r.ev->len, ==, G_N_ELEMENTS(want));
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		const struct trc_event *e = &g_array_index(r.ev, struct trc_event, i);
		const struct trc_event *x = &want[i];

		g_assert_cmpuint(e->kind, ==, x->kind);
		switch (x->kind) {
		case TRC_EV_CR3:
			g_assert_cmphex(e->cr3.operand, ==, x->cr3.operand);
			break;
		case TRC_EV_CR0:
			g_assert_cmphex(e->reg.value & 0x80000001u, ==, 0x80000001u); /* PG, PE */
			break;
		case TRC_EV_EFER:
			/* EFER as of the block's end: the WRMSR did not end
			 * QEMU's block, MOV to CR0 did, so LMA may be set. */
			g_assert_cmphex(e->reg.value & ~0x400ull, ==, x->reg.value);
			break;
		case TRC_EV_INVLPG:
			g_assert_cmphex(e->invlpg.la, ==, x->invlpg.la);
			break;
		case TRC_EV_INVPCID:
			g_assert_cmpuint(e->invpcid.type, ==, x->invpcid.type);
			g_assert_cmpuint(e->invpcid.pcid, ==, x->invpcid.pcid);
			g_assert_cmphex(e->invpcid.la, ==, x->invpcid.la);
			break;
		case TRC_EV_MSR:
			g_assert_cmphex(e->msr.index, ==, x->msr.index);
			g_assert_cmphex(e->msr.value, ==, x->msr.value);
			break;
		default:
			g_assert_cmphex(e->reg.value, ==, x->reg.value);
		}
	}
	run_free(&r);
}

/* QEMU's TLB starts with 256 direct-mapped entries per MMU index and grows
 * only at a flush. Phase 9 reads 1,024 consecutive pages 16 times: 4 pages
 * per entry, so without growth every read misses: 16 x 1,024 = 16,384
 * fills for the phase alone. With fill.c's growth flushes (after 512 fills:
 * 256 -> 512 entries; after 1,024 more: -> 1,024) the pages fit, and the
 * whole run takes 2,561 fills on an idle machine; asserted: under 16,384. */
static void test_tlb_growth(void)
{
	struct run r;

	no_grow = true;
	run_guest("machine64.bin", CPU_MMU_TDPSIM, &r);
	no_grow = false;
	g_assert_cmpint(r.stop, ==, CPU_STOP_EXIT);
	g_assert_cmphex(r.res[0x98 / 8], ==, 0x9999);
	g_test_message("no growth: %" G_GUINT64_FORMAT " fills", r.c.n.fills);
	g_assert_cmpuint(r.c.n.grow_flushes, ==, 0);
	g_assert_cmpuint(r.c.n.fills, >=, 16 * 1024);
	run_free(&r);
}

static void test_machine64_tdpsim(void)
{
	check_machine64(CPU_MMU_TDPSIM);
}

static void test_machine64_reference(void)
{
	check_machine64(CPU_MMU_REFERENCE);
}

/* The same run again: the same virtual TSC values. */
static void test_machine64_again(void)
{
	g_assert_nonnull(tsc_seen);
	check_machine64(CPU_MMU_TDPSIM);
}

static void test_triple(void)
{
	for (uint8_t mmu = CPU_MMU_TDPSIM; mmu <= CPU_MMU_REFERENCE; mmu++) {
		struct run r;

		run_guest("triple32.bin", mmu, &r);
		g_assert_cmpint(r.stop, ==, CPU_STOP_TRIPLE);
		run_free(&r);
	}
}

static void test_halt(void)
{
	struct run r;

	run_guest("halt32.bin", CPU_MMU_TDPSIM, &r);
	g_assert_cmpint(r.stop, ==, CPU_STOP_HALTED);
	g_assert_nonnull(strstr(r.c.stop_msg, "interrupts disabled"));
	g_assert_cmpmem(r.console, r.console_len, "hi", 2);
	run_free(&r);
}

/* --model timing: the access feed and the paging events reach the model.
 * The guest makes one MOV to CR3 with bit 63 (no flush), two INVLPGs (the
 * #PF handler's and phase 5's), one INVPCID type 0; the instructions that
 * ran are fed, and they are exactly those a UC_HOOK_CODE hook saw minus
 * the two that faulted and ran again after their handler (the store of
 * phase 2, #PF, and INVPCID type 5, #GP). */
static void test_timing(void)
{
	struct run r;
	const struct tm_stats *st;
	uint64_t faults = 0;

	accs = g_array_new(FALSE, FALSE, sizeof(struct acc));
	count_code = true;
	run_guest_model("machine64.bin", CPU_MMU_TDPSIM, CPU_MODEL_TIMING, &r);
	count_code = false;
	/* Linear addresses, not physical (Unicorn's hooks see physical
	 * ones): phase 1 stores 8 bytes at linear 0x40000010 (physical
	 * 0x500010) and loads them back through the identity map at
	 * 0x500010; phase 2 stores at 0x40003008 once (the first try
	 * faulted before any access) and loads 0x503008. No store is seen
	 * at the physical 0x500010. */
	g_assert_cmpuint(count_acc(0x40000010, 8, TM_WRITE), ==, 1);
	g_assert_cmpuint(count_acc(0x500010, 8, TM_READ), ==, 1);
	g_assert_cmpuint(count_acc(0x500010, 8, TM_WRITE), ==, 0);
	g_assert_cmpuint(count_acc(0x40003008, 8, TM_WRITE), ==, 1);
	g_assert_cmpuint(count_acc(0x503008, 8, TM_READ), ==, 1);
	/* tdpsim's own delivery accesses reach the model too (SDM Vol. 3A
	 * 6.14.1-6.14.2): the 16-byte long-mode gates of #PF and #GP at IDT
	 * base 0x204000 + 16 * vector, and each 48-byte frame (SS, RSP,
	 * RFLAGS, CS, RIP, error code) pushed as one write. */
	g_assert_cmpuint(count_acc(0x204000 + 16 * 14, 16, TM_READ), ==, 1);
	g_assert_cmpuint(count_acc(0x204000 + 16 * 13, 16, TM_READ), ==, 1);
	unsigned frames = 0;
	for (unsigned i = 0; i < accs->len; i++) {
		const struct acc *a = &g_array_index(accs, struct acc, i);

		frames += a->size == 48 && a->kind == TM_WRITE;
	}
	g_assert_cmpuint(frames, ==, 2);
	g_array_free(accs, TRUE);
	g_assert_cmpint(r.stop, ==, CPU_STOP_EXIT);
	g_assert_nonnull(r.c.tm);
	st = tm_model_stats(r.c.tm);
	for (unsigned v = 0; v < 256; v++)
		faults += r.c.n.exceptions[v];
	g_assert_cmpuint(faults, ==, 2);
	g_assert_cmpuint(r.c.n.exceptions[14], ==, 1);
	g_assert_cmpuint(r.c.n.exceptions[13], ==, 1);
	g_assert_cmpuint(r.c.retired, ==, code_count - faults);
	g_assert_cmpuint(st->instructions, ==, r.c.retired);
	g_assert_false(r.c.uncounted);
	g_assert_cmpuint(st->fetches, >, 0);
	g_assert_cmpuint(st->reads, >, 0);
	g_assert_cmpuint(st->writes, >, 0);
	g_assert_cmpuint(st->accesses, ==, st->reads + st->writes + st->fetches);
	g_assert_cmpuint(st->flushes[TM_FL_CR3_NOFLUSH], ==, 1);
	g_assert_cmpuint(st->flushes[TM_FL_INVLPG], ==, 2);
	g_assert_cmpuint(st->flushes[TM_FL_INVPCID0], ==, 1);
	g_assert_cmpuint(st->walk_faults, ==, 0); /* the model saw no access the CPU did not make */
	run_free(&r);
}

/* The CLI: a missing kernel is one line on stderr and exit status 2. The
 * machine is built before the kernel is read (calibration, RAM, hooks), so
 * this also bounds start-up memory: guest RAM (128 MiB by default) is not
 * touched, and no translation-buffer flush memsets Unicorn's buffer (it
 * was 1 GiB, flushed at start-up: 1 GiB resident, 0.1 to 2.9 s). */
static void test_cli_missing_kernel(void)
{
	struct rusage ru;
	const char *argv[] = { TDPSIM_BIN, "run", "--kernel", "/nonexistent/kernel.elf",
			       "--model", "functional", NULL };
	gchar *out = NULL, *err = NULL;
	gint status = 0;

	g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, 0, NULL, NULL, &out, &err,
				   &status, NULL));
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 2);
	g_assert_cmpstr(out, ==, "");
	g_assert_nonnull(strstr(err, "/nonexistent/kernel.elf"));
	/* exactly one line */
	g_assert_nonnull(strchr(err, '\n'));
	g_assert_cmpstr(strchr(err, '\n'), ==, "\n");
	/* The only child this test program waits for. */
	g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &ru), ==, 0);
	g_test_message("tdpsim run: max RSS %ld KiB", ru.ru_maxrss);
	g_assert_cmpint(ru.ru_maxrss, <, 256 * 1024);
	g_free(out);
	g_free(err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/machine/long-mode/tdpsim", test_machine64_tdpsim);
	g_test_add_func("/machine/long-mode/reference", test_machine64_reference);
	g_test_add_func("/machine/long-mode/deterministic", test_machine64_again);
	g_test_add_func("/machine/timing-feed", test_timing);
	g_test_add_func("/machine/tlb-growth", test_tlb_growth);
	g_test_add_func("/machine/triple-fault", test_triple);
	g_test_add_func("/machine/halt-if0", test_halt);
	g_test_add_func("/machine/cli/missing-kernel", test_cli_missing_kernel);
	return g_test_run();
}
