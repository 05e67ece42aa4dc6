/*
 * rtc: the CMOS real-time clock (Motorola MC146818A data sheet; the PC's
 * RTC at ports 0x70/0x71, IRQ 8 through the slave 8259).
 *
 * The emulator starts the clock at a date it is given (tdpsim:
 * platform.rtc_date; QEMU: -rtc base=DATE,clock=vm): the kernel prints the
 * date and the hour and minute it reads (never the seconds, which depend
 * on how fast the emulator got here). Checks:
 *  - registers A, B and D as firmware leaves them (0x26, 0x02, VRT);
 *  - the NVRAM memory-size bytes against the RAM size fw_cfg reports;
 *  - the periodic interrupt at 1024 Hz: 64 interrupts, each with PF; PF
 *    also with PIE clear (the data sheet; QEMU 7.2 runs the periodic flag
 *    only while PIE or SQWE is set: a DEVIATION line there);
 *  - the alarm interrupt at a chosen second (hours and minutes "don't
 *    care": 0xC0-0xFF), with AF;
 *  - SET stops the clock, a time written in binary 12-hour mode is held,
 *    and at the next update the date has rolled over a year
 *    (2026-12-31 11:59:59 PM -> 2027-01-01 12:00:00 AM), with the day of
 *    the week;
 *  - the update-ended interrupt: the seconds advance by one between two
 *    of them, and UIP is clear just after one.
 */
#include "pc.h"

#define REG_A  0x0a
#define REG_B  0x0b
#define REG_C  0x0c
#define REG_D  0x0d
#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04
#define B_24H  0x02
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10
#define A_UIP  0x80

static volatile unsigned nirq, npf, naf, nuf;
static volatile uint8_t last_c, sec_at_irq;

static void rtc_irq(struct pc_frame *f)
{
	uint8_t c = cmos_read(REG_C);

	last_c = c;
	nirq++;
	npf += !!(c & C_PF);
	naf += !!(c & C_AF);
	nuf += !!(c & C_UF);
	sec_at_irq = cmos_read(0x00);
	pic_eoi(8);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 15u);
}

/* Wait until no update is near (UIP clear), then read. */
static uint8_t read_stable(uint8_t idx)
{
	for (unsigned i = 0; i < 1000000 && (cmos_read(REG_A) & A_UIP); i++)
		;
	return cmos_read(idx);
}

static void check_nvram(void)
{
	uint64_t ram = fwcfg_u64(FW_CFG_RAM_SIZE);
	uint64_t kib = ram >> 10, ext = kib > 1024 ? kib - 1024 : 0;
	uint64_t above16 = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
	unsigned base = cmos_read(0x15) | cmos_read(0x16) << 8;
	unsigned ext1 = cmos_read(0x17) | cmos_read(0x18) << 8;
	unsigned ext2 = cmos_read(0x30) | cmos_read(0x31) << 8;
	unsigned hi = cmos_read(0x34) | cmos_read(0x35) << 8;

	if (ext > 65535)
		ext = 65535;
	if (above16 > 65535)
		above16 = 65535;
	con_printf("nvram: base %u KiB, extended %u KiB, above 16 MiB %u x 64 KiB\n", base, ext1,
		   hi);
	pc_check(base == 640, "nvram-base-memory", "%u KiB, expected 640", base);
	pc_check(ext1 == ext && ext2 == ext, "nvram-extended-memory",
		 "0x17: %u, 0x30: %u, expected %u", ext1, ext2, (unsigned)ext);
	pc_check(hi == above16, "nvram-memory-above-16m", "%u, expected %u", hi,
		 (unsigned)above16);
	pc_check(cmos_read(0x5f) == pc_ncpus - 1, "nvram-cpus", "0x5f = %u with %u CPUs",
		 cmos_read(0x5f), pc_ncpus);
}

static void check_periodic(void)
{
	uint8_t a = cmos_read(REG_A);
	bool ok;

	cmos_write(REG_A, (uint8_t)((a & 0x70) | 6)); /* RS = 6: 1024 Hz */
	npf = nirq = 0;
	(void)cmos_read(REG_C); /* no stale flag raises the line */
	cmos_write(REG_B, B_24H | B_PIE);
	ok = pc_wait(&npf, 64, 1000000);
	pc_check(ok && npf == nirq, "rtc-periodic-1024hz", "%u interrupts, %u with PF", nirq,
		 npf);
	pc_check((last_c & (C_IRQF | C_PF)) == (C_IRQF | C_PF), "rtc-periodic-flags",
		 "register C %02x", last_c);
	cmos_write(REG_B, B_24H);
	(void)cmos_read(REG_C);
}

static volatile unsigned npit;

static void pit_irq(struct pc_frame *f)
{
	npit++;
	pic_eoi(0);
}

/* PF is set at the periodic rate whether or not PIE is (data sheet,
 * "Register C": the flag bits are set "independent of the state of the
 * corresponding enable bits"). 10 ms on the PIT, then look. */
static void check_pf_without_pie(void)
{
	uint8_t c;

	cmos_write(REG_B, B_24H);
	(void)cmos_read(REG_C);
	pc_set_handler(0x20, pit_irq);
	pic_unmask(0);
	npit = 0;
	outb(0x43, 0x30); /* channel 0, mode 0 */
	outb(0x40, 0x9c);
	outb(0x40, 0x2e); /* 11932 ticks: 10 ms */
	pc_wait(&npit, 1, 100000);
	outb(0x21, inb(0x21) | 1);
	c = cmos_read(REG_C);
	if (c & C_PF)
		pc_check(!(c & C_IRQF), "rtc-pf-without-pie", "IRQF set: %02x", c);
	else
		pc_deviation("rtc-pf-without-pie",
			     "QEMU runs the periodic flag only while PIE (or SQWE) is set");
}

static void check_alarm(void)
{
	unsigned s = bcd(read_stable(0x00)), want = (s + 2) % 60;
	bool ok;

	cmos_write(0x01, (uint8_t)(want / 10 << 4 | want % 10));
	cmos_write(0x03, 0xc0); /* any minute */
	cmos_write(0x05, 0xff); /* any hour */
	naf = nirq = 0;
	(void)cmos_read(REG_C); /* no stale flag raises the line */
	cmos_write(REG_B, B_24H | B_AIE);
	ok = pc_wait(&naf, 1, 100000);
	pc_check(ok && nirq == 1, "rtc-alarm-interrupt", "%u interrupts, %u with AF", nirq, naf);
	pc_check(bcd(sec_at_irq) == want, "rtc-alarm-second", "at second %u, expected %u",
		 bcd(sec_at_irq), want);
	cmos_write(REG_B, B_24H);
	(void)cmos_read(REG_C);
}

static void check_rollover(void)
{
	unsigned y, mo, d, h, mi, s, wd;

	/* Binary, 12-hour: 2026-12-31 11:59:59 PM, a Thursday (5). */
	cmos_write(REG_B, B_SET | B_DM);
	cmos_write(0x00, 59);
	cmos_write(0x02, 59);
	cmos_write(0x04, 0x80 | 11);
	cmos_write(0x06, 5);
	cmos_write(0x07, 31);
	cmos_write(0x08, 12);
	cmos_write(0x09, 26);
	/* 0x32 is NVRAM to the MC146818A, but QEMU reads the century from
	 * it in the current format too: keep it consistent (binary 20). */
	cmos_write(0x32, 20);
	pc_check(cmos_read(0x04) == (0x80 | 11) && cmos_read(0x00) == 59, "rtc-set-holds",
		 "hour %x second %u", cmos_read(0x04), cmos_read(0x00));
	nuf = 0;
	(void)cmos_read(REG_C); /* no stale flag raises the line */
	cmos_write(REG_B, B_DM | B_UIE);
	pc_check(pc_wait(&nuf, 1, 100000), "rtc-update-interrupt", "no update interrupt");
	y = read_stable(0x09);
	mo = read_stable(0x08);
	d = read_stable(0x07);
	h = read_stable(0x04);
	mi = read_stable(0x02);
	s = read_stable(0x00);
	wd = read_stable(0x06);
	con_printf("after the update: 20%02u-%02u-%02u %02x:%02u weekday %u (12-hour, binary)\n",
		   y, mo, d, h, mi, wd);
	pc_check(y == 27 && mo == 1 && d == 1 && h == 12 && mi == 0 && s == 0 && wd == 6,
		 "rtc-year-rollover", "read %u-%u-%u %x:%u:%u weekday %u", y, mo, d, h, mi, s, wd);
	nuf = 0;
	pc_wait(&nuf, 1, 100000);
	s = sec_at_irq;
	pc_check(!(cmos_read(REG_A) & A_UIP), "rtc-uip-clear-after-update", "UIP set");
	pc_wait(&nuf, 2, 100000);
	pc_check(sec_at_irq == s + 1, "rtc-one-update-per-second", "seconds %u then %u", s,
		 sec_at_irq);
	cmos_write(REG_B, B_24H);
	(void)cmos_read(REG_C);
}

void test_main(void)
{
	unsigned c, y, mo, d, h, mi;

	pc_set_handler(0x28, rtc_irq);
	pic_unmask(8);
	pc_check((cmos_read(REG_A) & 0x7f) == 0x26, "rtc-register-a", "%02x, expected 0x26",
		 cmos_read(REG_A));
	pc_check(cmos_read(REG_B) == B_24H, "rtc-register-b", "%02x, expected 0x02",
		 cmos_read(REG_B));
	pc_check(cmos_read(REG_D) == 0x80, "rtc-register-d-vrt", "%02x", cmos_read(REG_D));
	c = bcd(read_stable(0x32));
	y = bcd(read_stable(0x09));
	mo = bcd(read_stable(0x08));
	d = bcd(read_stable(0x07));
	h = bcd(read_stable(0x04));
	mi = bcd(read_stable(0x02));
	con_printf("date: %02u%02u-%02u-%02u %02u:%02u, weekday %u\n", c, y, mo, d, h, mi,
		   bcd(read_stable(0x06)));
	check_nvram();
	check_periodic();
	check_pf_without_pie();
	check_alarm();
	check_rollover();
}
