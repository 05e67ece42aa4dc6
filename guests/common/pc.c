/*
 * The platform test kernels' runtime (see pc.h): IDT, trap dispatch,
 * checks, CMOS, the 8259 pair and fw_cfg.
 */
#include "pc.h"

#define FW_CFG_PORT_SEL	 0x510
#define FW_CFG_PORT_DATA 0x511

unsigned pc_ncpus;
const struct mb_info *pc_mbi;
static unsigned passed, failed;
static pc_handler handlers[256];

/* Interrupt gates, 32-bit (SDM Vol. 3A 6.11): CS 0x08, DPL 0, P. */
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));
static struct idt_gate idt[256] __attribute__((aligned(8)));
extern char isr_base[];

static void idt_init(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};

	for (unsigned v = 0; v < 256; v++) {
		uint32_t a = (uint32_t)(uintptr_t)isr_base + 16 * v;

		idt[v] = (struct idt_gate){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16)};
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void pc_set_handler(unsigned vec, pc_handler h)
{
	handlers[vec & 255] = h;
}

void pc_trap(struct pc_frame *f);
void pc_trap(struct pc_frame *f)
{
	if (handlers[f->vec]) {
		handlers[f->vec](f);
		return;
	}
	if (f->vec < 32) {
		con_printf("FAIL exception: vector %u error %x at eip %x\n", f->vec, f->err, f->eip);
		failed++;
		pc_done();
	}
	/* A stray interrupt: counted as a failure, but the run goes on. */
	con_printf("FAIL stray-interrupt: vector %u\n", f->vec);
	failed++;
}

void pc_check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		con_printf("PASS %s\n", name);
		return;
	}
	failed++;
	con_printf("FAIL %s: ", name);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_putc('\n');
}

volatile uint32_t pc_resume, pc_caught;

void pc_catch(struct pc_frame *f)
{
	pc_caught = f->vec;
	f->eip = pc_resume;
}

bool pc_cpuid_has(uint32_t leaf, unsigned reg, unsigned bit)
{
	struct cpuid_regs r = cpuid(leaf & 0x80000000u, 0);
	uint32_t v[4];

	if (leaf > r.a)
		return false;
	r = cpuid(leaf, 0);
	v[0] = r.a, v[1] = r.b, v[2] = r.c, v[3] = r.d;
	return (v[reg & 3] >> bit) & 1;
}

bool pc_qemu_tcg(void)
{
	struct cpuid_regs r;

	if (!pc_cpuid_has(1, PC_ECX, 31))
		return false;
	r = cpuid(0x40000000, 0);
	return r.b == 0x54474354 && r.c == 0x43544743 && r.d == 0x47435447;
}

void pc_skip(const char *name, const char *why)
{
	con_printf("SKIP %s: %s\n", name, why);
}

void pc_deviation(const char *name, const char *why)
{
	passed++;
	con_printf("DEVIATION %s: %s\n", name, why);
}

bool pc_summary(void)
{
	con_printf("SUMMARY %u passed, %u failed\n", passed, failed);
	return !failed;
}

void pc_done(void)
{
	cli();
	guest_exit(pc_summary() ? 0 : 1);
}

bool pc_wait(volatile unsigned *count, unsigned want, unsigned max)
{
	for (unsigned i = 0; i < max && *count < want; i++) {
		sti_hlt();
		cli();
	}
	return *count >= want;
}

uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx & 0x7f);
	return inb(0x71);
}

void cmos_write(uint8_t idx, uint8_t v)
{
	outb(0x70, idx & 0x7f);
	outb(0x71, v);
}

/* ICW1-4 (8259A data sheet): edge, cascade, ICW4; 8086 mode. */
void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04); /* slave on IR2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xfb); /* all masked but the cascade */
	outb(0xa1, 0xff);
}

void pic_unmask(unsigned irq)
{
	uint16_t port = irq < 8 ? 0x21 : 0xa1;

	outb(port, inb(port) & (uint8_t)~(1u << (irq & 7)));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

void fwcfg_read(uint16_t key, void *buf, uint32_t len)
{
	uint8_t *p = buf;

	outw(FW_CFG_PORT_SEL, key);
	for (uint32_t i = 0; i < len; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}

uint64_t fwcfg_u64(uint16_t key)
{
	uint8_t b[8];
	uint64_t v = 0;

	fwcfg_read(key, b, sizeof(b));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The directory: a big-endian count, then entries of size (BE32),
 * select (BE16), reserved (16), name[56]. */
uint16_t fwcfg_find(const char *name, uint32_t *size)
{
	uint8_t b[64];
	uint32_t n;

	outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
	for (unsigned i = 0; i < 4; i++)
		b[i] = inb(FW_CFG_PORT_DATA);
	n = be32(b);
	for (uint32_t i = 0; i < n && i < 4096; i++) {
		size_t k = 0;

		for (unsigned j = 0; j < 64; j++)
			b[j] = inb(FW_CFG_PORT_DATA);
		while (k < 56 && name[k] && b[8 + k] == (uint8_t)name[k])
			k++;
		if (k < 56 && !name[k] && !b[8 + k]) {
			*size = be32(b);
			return (uint16_t)(b[4] << 8 | b[5]);
		}
	}
	return 0;
}

void pc_main(uint32_t magic, const struct mb_info *mbi);
void pc_main(uint32_t magic, const struct mb_info *mbi)
{
	char sig[4];

	con_init();
	if (magic == MB_BOOT_MAGIC)
		pc_mbi = mbi;
	if (pc_mbi && (mbi->flags & MB_INFO_CMDLINE))
		opt_init((const char *)(uintptr_t)mbi->cmdline);
	idt_init();
	pic_init();
	fwcfg_read(FW_CFG_SIGNATURE, sig, 4);
	pc_ncpus = sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U'
			   ? (unsigned)(fwcfg_u64(FW_CFG_NB_CPUS) & 0xffff)
			   : 1;
	con_printf("cpus: %u\n", pc_ncpus);
	test_main();
	pc_done();
}
