/*
 * pagetest's start-up: read the command line, check CPUID, build the
 * kernel's page tables in the chosen format, turn paging on and run the
 * tests in a fixed order, then print the summary and leave through
 * isa-debug-exit (0: all passed, 1: a failure).
 *
 * The 32-bit kernel runs 2level, 2level-pse and pae itself and hands 4level
 * and 5level to the 64-bit image (entry64.S), which runs this same file.
 */
#include "pagetest.h"

struct feat feat;
struct kstate ks;
unsigned n_fail;
static unsigned n_pass, n_skip;

void t_pass(const char *name)
{
	n_pass++;
	if (!opt_flag("quiet"))
		con_printf("PASS %s\n", name);
}

void t_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	n_fail++;
	con_printf("FAIL %s: ", name);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
}

void t_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	n_skip++;
	con_printf("SKIP %s: ", name);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
}

static __attribute__((noreturn)) void finish(void)
{
	con_printf("SUMMARY pagetest mode=%s: %u passed, %u failed, %u skipped\n", ks.mode, n_pass,
		   n_fail, n_skip);
	guest_exit(n_fail ? 1 : 0);
}

static void read_features(void)
{
	struct cpuid_regs l1 = cpuid(1, 0), l7 = {0}, e1 = {0};

	if (cpuid(0, 0).a >= 7)
		l7 = cpuid(7, 0);
	if (cpuid(0x80000000u, 0).a >= 0x80000001u)
		e1 = cpuid(0x80000001u, 0);
	feat.pse = l1.d >> 3 & 1;
	feat.pae = l1.d >> 6 & 1;
	feat.pge = l1.d >> 13 & 1;
	feat.sep = l1.d >> 11 & 1;
	feat.pcid = l1.c >> 17 & 1;
	feat.smep = l7.b >> 7 & 1;
	feat.invpcid = l7.b >> 10 & 1;
	feat.smap = l7.b >> 20 & 1;
	feat.la57 = l7.c >> 16 & 1;
	feat.syscall = e1.d >> 11 & 1;
	feat.nx = e1.d >> 20 & 1;
	feat.gbpages = e1.d >> 26 & 1;
	feat.lm = e1.d >> 29 & 1;
}

/* One line naming what CPUID offers: two emulators give the same output
 * only for the same line. */
static void print_features(void)
{
	const struct {
		const char *name;
		bool on;
	} f[] = {
	    {"pse", feat.pse},	 {"pae", feat.pae},    {"pge", feat.pge},
	    {"nx", feat.nx},	 {"1g", feat.gbpages}, {"lm", feat.lm},
	    {"la57", feat.la57}, {"pcid", feat.pcid},  {"invpcid", feat.invpcid},
	    {"smep", feat.smep}, {"smap", feat.smap},  {"syscall", feat.syscall},
	    {"sep", feat.sep},
	};

	con_printf("cpuid:");
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		con_printf(" %c%s", f[i].on ? '+' : '-', f[i].name);
	con_putc('\n');
}

/* ---- probes ---- */

static void *probe_jb[5];
static volatile bool probe_active;
uintptr_t probe_cr2, probe_err, p_value;

bool probe(void (*fn)(uintptr_t), uintptr_t arg)
{
	probe_cr2 = probe_err = 0;
	if (__builtin_setjmp(probe_jb)) {
		probe_active = false;
		return true;
	}
	probe_active = true;
	fn(arg);
	probe_active = false;
	return false;
}

/* Called by trap() for a #PF at CPL0: catch it if a probe runs. */
bool probe_catch(uintptr_t cr2, uintptr_t err);
bool probe_catch(uintptr_t cr2, uintptr_t err)
{
	if (!probe_active)
		return false;
	probe_cr2 = cr2;
	probe_err = err;
	__builtin_longjmp(probe_jb, 1);
}

void p_read(uintptr_t a)
{
	p_value = *(volatile uint32_t *)a;
}

void p_write(uintptr_t a)
{
	*(volatile uint32_t *)a = (uint32_t)p_value;
}

void p_call(uintptr_t a)
{
	p_value = (uintptr_t)((int (*)(void))a)();
}

void put_stub(uintptr_t pa)
{
	/* B8 imm32: mov $imm32, %eax; C3: ret (same bytes in 32/64-bit). */
	static const uint8_t stub[] = {0xB8, 42, 0, 0, 0, 0xC3};

	memcpy((void *)pa, stub, sizeof(stub));
}

uint64_t data_flags(void)
{
	return ks.nxe ? PTE_XD : 0;
}

/* ---- timer: 8259 pair and 8254 channel 0 ---- */

volatile uintptr_t ticks;

void pic_init(void)
{
	/* 8259A: ICW1 edge, cascade, ICW4 needed; ICW2 vector bases 0x20 and
	 * 0x28; ICW3 slave on IRQ2; ICW4 8086 mode. OCW1: all masked. The BIOS left
	 * IRQ0 on vector 8 (#DF): remap before any STI. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 0x20);
	outb(0xA1, 0x28);
	outb(0x21, 0x04);
	outb(0xA1, 0x02);
	outb(0x21, 0x01);
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

void timer_start(unsigned divisor)
{
	outb(0x21, 0xFE); /* only IRQ0 open */
	/* 8254: channel 0, lobyte/hibyte, mode 2 (rate generator), binary. */
	outb(0x43, 0x34);
	outb(0x40, (uint8_t)divisor);
	outb(0x40, (uint8_t)(divisor >> 8));
}

void timer_stop(void)
{
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

/* ---- paging set-up ---- */

static int paging_setup(unsigned levels)
{
	uintptr_t cr4 = 0;

	switch (levels) {
	case 2:
		pt = &pt_fmt_2level;
		break;
	case 3:
		pt = &pt_fmt_pae;
		break;
	case 4:
		pt = &pt_fmt_4level;
		break;
	default:
		pt = &pt_fmt_5level;
		break;
	}
	frame_init(POOL_LO, POOL_HI);
	ks.kroot = pt_new_root();
	ks.large = !opt_is("mode", "2level");
	if (pt_map_identity(ks.kroot, IDENT_SIZE, ks.large, 0))
		return -1;
	/* Tables for the kernel test areas now: a PAE PDPTE added after the
	 * CR3 load would not be seen (PDPTEs load with CR3, SDM 4.4.1). */
	if (pt_map(ks.kroot, KTEST, 0, 1, 0) || pt_map(ks.kroot, KBENCH, 0, 1, 0))
		return -1;
	if (feat.nx && pt->has_xd) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		ks.nxe = true;
	}
	if (levels == 2 && ks.large)
		cr4 |= CR4_PSE;
	if (levels >= 3)
		cr4 |= CR4_PAE;
	if (levels == 5)
		cr4 |= CR4_LA57;
	if (feat.pge)
		cr4 |= CR4_PGE;
	write_cr4(cr4);
	write_cr3(ks.kroot);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
	return 0;
}

static void run_tests(unsigned levels)
{
	if (paging_setup(levels)) {
		t_fail("paging", "out of frames building the identity map");
		finish();
	}
	t_pass("paging");
	pic_init();
	if (opt_flag("triple")) {
		con_printf("triple: empty IDT, then #UD\n");
		arch_load_empty_idt();
		__asm__ volatile("ud2");
		t_fail("triple", "ud2 with an empty IDT returned");
		finish();
	}
	if (opt_num("bench", 0)) {
		run_bench(opt_num("bench", 0));
		finish();
	}
	if (opt_num("mmio", 0)) {
		run_mmio(opt_num("mmio", 0));
		finish();
	}
	tests_mem();
	tests_proc();
	if (opt_flag("tdx"))
		test_tdx();
	finish();
}

static unsigned mode_levels(void)
{
	size_t len;

	/* No mode= at all: 4-level paging, the mode of a stock x86-64 kernel
	 * (what `tdpsim run` with no options boots). */
	if (!opt_str("mode", &len))
		return 4;
	if (opt_is("mode", "2level") || opt_is("mode", "2level-pse"))
		return 2;
	if (opt_is("mode", "pae"))
		return 3;
	if (opt_is("mode", "4level"))
		return 4;
	if (opt_is("mode", "5level"))
		return 5;
	return 0;
}

static const char *mode_name(unsigned levels)
{
	static const char *names[] = {"?", "?", "2level", "pae", "4level", "5level"};

	if (levels == 2 && opt_is("mode", "2level-pse"))
		return "2level-pse";
	return names[levels];
}

/* Common start: 0 to go on, or it finishes. */
static unsigned start(const struct mb_info *mbi, bool print)
{
	unsigned levels;

	opt_init(mbi && mbi->flags & MB_INFO_CMDLINE ? (const char *)(uintptr_t)mbi->cmdline : "");
	read_features();
	levels = mode_levels();
	ks.mode = levels ? mode_name(levels) : "none";
	if (print) {
		con_printf("pagetest mode=%s\n", ks.mode);
		print_features();
	}
	if (!levels) {
		t_fail("cmdline", "mode= must be 2level, 2level-pse, pae, 4level or 5level");
		finish();
	}
	if (!mbi || !(mbi->flags & MB_INFO_MEM) || mbi->mem_upper < (IDENT_SIZE >> 10) - 1024) {
		t_fail("memory", "needs %u MiB of RAM", IDENT_SIZE >> 20);
		finish();
	}
	return levels;
}

#ifdef __x86_64__
void main64(uint32_t mbi);
void main64(uint32_t mbi)
{
	unsigned levels = start((const struct mb_info *)(uintptr_t)mbi, false);

	arch_init();
	run_tests(levels);
}
#else
void main32(uint32_t magic, const struct mb_info *mbi);
__attribute__((noreturn)) void blob_enter(uint32_t mbi, uint32_t levels);

void main32(uint32_t magic, const struct mb_info *mbi)
{
	unsigned levels;

	con_init();
	if (magic != MB_BOOT_MAGIC) {
		ks.mode = "none";
		t_fail("boot", "not entered by a Multiboot loader (EAX=0x%x)", magic);
		finish();
	}
	levels = start(mbi, true);
	if (levels >= 4) {
		if (!feat.lm) {
			t_skip("long-mode", "CPUID.80000001H:EDX.LM[bit 29] = 0");
			finish();
		}
		if (levels == 5 && !feat.la57) {
			t_skip("la57", "CPUID.(EAX=7,ECX=0):ECX.LA57[bit 16] = 0");
			finish();
		}
		blob_enter((uint32_t)(uintptr_t)mbi, levels);
	}
	if ((levels == 3 && !feat.pae) || (opt_is("mode", "2level-pse") && !feat.pse)) {
		t_skip(ks.mode,
		       levels == 3 ? "CPUID.1:EDX.PAE[bit 6] = 0" : "CPUID.1:EDX.PSE[bit 3] = 0");
		finish();
	}
	arch_init();
	run_tests(levels);
}
#endif
