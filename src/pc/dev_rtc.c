/*
 * The PC's CMOS real-time clock, a Motorola MC146818A (data sheet
 * MC146818A/D): index port 0x70 (bit 7 is the NMI mask, kept but not
 * modelled), data port 0x71, 128 bytes of which 0-13 are the clock and
 * 14-127 NVRAM; its interrupt is IRQ 8.
 *
 * Time is virtual (dev.h): the clock starts at the configured date
 * (struct dev_pc_cfg.base, never the host's), and advances one second per
 * DEV_INSNS_PER_SEC of virtual time, so a run reads the same dates
 * anywhere. The update cycle is instantaneous at each second boundary, as
 * QEMU's hw/rtc/mc146818rtc.c has it; register A's UIP bit is high for the
 * 244 us before it (8 periods of the 32.768 kHz time base: "UIP = 0 means
 * no update for at least 244 us", data sheet).
 *
 * Registers (data sheet, "Register A" to "Register D"):
 *   A: UIP (7, read-only), DV2-0 divider (6:4, 010 = 32.768 kHz running),
 *      RS3-0 periodic rate (3:0): RS 1, 2 = 256, 128 Hz; RS 3-15 =
 *      32768 >> (RS - 1) Hz; 0 = off;
 *   B: SET (7: updates stop, UIE cleared), PIE (6), AIE (5), UIE (4),
 *      SQWE (3, no pin here), DM (2: binary, else BCD), 24/12 (1), DSE (0);
 *   C: IRQF (7), PF (6), AF (5), UF (4); read-only, cleared by a read;
 *   D: VRT (7): the battery is good.
 * PF, AF and UF are set whether or not their interrupt is enabled (data
 * sheet); IRQF = PF.PIE | AF.AIE | UF.UIE drives IRQ 8 high until register
 * C is read. (QEMU 7.2 sets PF only while PIE is set: the data sheet is
 * followed here.) An alarm byte of 0xC0-0xFF matches any value.
 *
 * NVRAM holds what PC firmware leaves there (QEMU's pc_cmos_init, which
 * SeaBIOS reads and keeps): base memory 640 KiB at 0x15/0x16, memory above
 * 1 MiB in KiB at 0x17/0x18 and 0x30/0x31 (at most 65535), memory above
 * 16 MiB in 64 KiB units at 0x34/0x35 (at most 65535), memory above 4 GiB
 * in 64 KiB units at 0x5B-0x5D, CPUs - 1 at 0x5F, the century at 0x32
 * (and 0x37, the IBM PS/2 place), equipment byte 0x14 = 0x06 (FPU, no
 * floppy) and the boot order "cad" at 0x3D/0x38 (0x12, 0x30).
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#define RTC_SEC	     0x00
#define RTC_SEC_ALM  0x01
#define RTC_MIN	     0x02
#define RTC_MIN_ALM  0x03
#define RTC_HOUR     0x04
#define RTC_HOUR_ALM 0x05
#define RTC_WDAY     0x06
#define RTC_MDAY     0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_REG_A    0x0a
#define RTC_REG_B    0x0b
#define RTC_REG_C    0x0c
#define RTC_REG_D    0x0d
#define RTC_CENTURY  0x32
#define RTC_PS2_CENTURY 0x37

#define REG_A_UIP  0x80
#define REG_A_DV   0x70
#define REG_A_DV_RUN 0x20 /* DV2-0 = 010: 32.768 kHz time base, running */
#define REG_A_RS   0x0f
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_DM   0x04
#define REG_B_24H  0x02
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
#define REG_D_VRT  0x80
#define HOUR_PM	   0x80 /* 12-hour mode */
#define ALARM_ANY  0xc0 /* alarm bytes 0xC0-0xFF match any value */

#define RTC_HZ	      32768ull
#define NS_PER_SEC    DEV_INSNS_PER_SEC
#define UIP_HOLD_NS   (8 * NS_PER_SEC / RTC_HZ) /* 244 us */

struct dev_rtc {
	struct dev_desc desc;
	struct dev_bus *bus;
	uint8_t cmos[128];
	uint8_t index;
	/* The clock: at virtual time @ref it showed Unix time @ref_sec, and
	 * a second boundary falls at ref + k * NS_PER_SEC. While stopped
	 * (SET, or the divider not running) the registers hold the time. */
	int64_t ref_sec;
	int64_t ref; /* may lie before virtual time 0 (a divider restart) */
	uint64_t done; /* the flags hold every event up to this time */
	bool irq;      /* IRQ 8 level */
	bool nmi_masked; /* port 0x70 bit 7 (no NMI source here) */
};

static bool rtc_running(const struct dev_rtc *r)
{
	return !(r->cmos[RTC_REG_B] & REG_B_SET) &&
	       (r->cmos[RTC_REG_A] & REG_A_DV) == REG_A_DV_RUN;
}

static uint8_t to_reg(const struct dev_rtc *r, unsigned v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned from_reg(const struct dev_rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & REG_B_DM) ? v : (v >> 4) * 10u + (v & 15u);
}

static uint8_t hour_to_reg(const struct dev_rtc *r, unsigned h)
{
	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return to_reg(r, h);
	return (uint8_t)(to_reg(r, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0));
}

static unsigned hour_from_reg(const struct dev_rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return from_reg(r, v);
	h = from_reg(r, v & (uint8_t)~HOUR_PM) % 12;
	return (v & HOUR_PM) ? h + 12 : h;
}

/* Unix time @t into the clock registers (GDateTime: proleptic Gregorian,
 * UTC; day of week 1 = Sunday as PC firmware counts it). */
static void store_time(struct dev_rtc *r, int64_t t)
{
	GDateTime *d = g_date_time_new_from_unix_utc(t);
	unsigned year;

	if (!d)
		return;
	year = (unsigned)g_date_time_get_year(d);
	r->cmos[RTC_SEC] = to_reg(r, (unsigned)g_date_time_get_second(d));
	r->cmos[RTC_MIN] = to_reg(r, (unsigned)g_date_time_get_minute(d));
	r->cmos[RTC_HOUR] = hour_to_reg(r, (unsigned)g_date_time_get_hour(d));
	r->cmos[RTC_WDAY] = to_reg(r, (unsigned)g_date_time_get_day_of_week(d) % 7 + 1);
	r->cmos[RTC_MDAY] = to_reg(r, (unsigned)g_date_time_get_day_of_month(d));
	r->cmos[RTC_MONTH] = to_reg(r, (unsigned)g_date_time_get_month(d));
	r->cmos[RTC_YEAR] = to_reg(r, year % 100);
	r->cmos[RTC_CENTURY] = to_reg(r, year / 100 % 100);
	g_date_time_unref(d);
}

/* The clock registers as Unix time; false if they name no valid date
 * (the clock then keeps its old time: the chip's behaviour on an invalid
 * date is undefined). */
static bool load_time(const struct dev_rtc *r, int64_t *t)
{
	unsigned year = from_reg(r, r->cmos[RTC_CENTURY]) * 100 + from_reg(r, r->cmos[RTC_YEAR]);
	GDateTime *d = g_date_time_new_utc((gint)year, (gint)from_reg(r, r->cmos[RTC_MONTH]),
					   (gint)from_reg(r, r->cmos[RTC_MDAY]),
					   (gint)hour_from_reg(r, r->cmos[RTC_HOUR]),
					   (gint)from_reg(r, r->cmos[RTC_MIN]),
					   (gdouble)from_reg(r, r->cmos[RTC_SEC]));

	if (!d)
		return false;
	*t = g_date_time_to_unix(d);
	g_date_time_unref(d);
	return true;
}

/* Second boundaries in (ref, t]: the updates made by time @t. */
static uint64_t seconds_at(const struct dev_rtc *r, uint64_t t)
{
	return (int64_t)t > r->ref ? (uint64_t)((int64_t)t - r->ref) / NS_PER_SEC : 0;
}

static int64_t now_sec(const struct dev_rtc *r)
{
	return r->ref_sec + (int64_t)seconds_at(r, r->bus->now);
}

/* The period of the periodic flag in 32.768 kHz cycles, or 0 (off). */
static uint64_t period_cycles(const struct dev_rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & REG_A_RS;

	if (!rs || (r->cmos[RTC_REG_A] & REG_A_DV) != REG_A_DV_RUN)
		return 0;
	return rs <= 2 ? 1ull << (rs + 6) : 1ull << (rs - 1);
}

/* Periodic ticks fall at multiples of the period on the 32.768 kHz time
 * base counted from virtual time 0 (QEMU aligns them the same way): cycle
 * c happens at ceil(c * 10^9 / 32768) ns. */
static uint64_t cycles_at(uint64_t t)
{
	return (uint64_t)((unsigned __int128)t * RTC_HZ / NS_PER_SEC);
}

static uint64_t cycle_time(uint64_t c)
{
	return (uint64_t)(((unsigned __int128)c * NS_PER_SEC + RTC_HZ - 1) / RTC_HZ);
}

static bool alarm_byte(uint8_t alarm, uint8_t v)
{
	return (alarm & ALARM_ANY) == ALARM_ANY || alarm == v;
}

/* The alarm matches the time of day of Unix time @t (UTC). */
static bool alarm_at(const struct dev_rtc *r, int64_t t)
{
	int64_t day = ((t % 86400) + 86400) % 86400;

	return alarm_byte(r->cmos[RTC_SEC_ALM], to_reg(r, (unsigned)(day % 60))) &&
	       alarm_byte(r->cmos[RTC_MIN_ALM], to_reg(r, (unsigned)(day / 60 % 60))) &&
	       alarm_byte(r->cmos[RTC_HOUR_ALM], hour_to_reg(r, (unsigned)(day / 3600)));
}

static void rtc_update_irq(struct dev_rtc *r)
{
	bool irq = (r->cmos[RTC_REG_C] & r->cmos[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) != 0;

	if (irq)
		r->cmos[RTC_REG_C] |= REG_C_IRQF;
	if (irq != r->irq) {
		r->irq = irq;
		dev_irq_line(r->bus, 8, irq);
	}
}

/* Apply every periodic tick and update in (done, now] to the flags. */
static void rtc_catch_up(struct dev_rtc *r)
{
	uint64_t now = r->bus->now, per = period_cycles(r);

	if (now <= r->done)
		return;
	if (per && cycles_at(now) / per > cycles_at(r->done) / per)
		r->cmos[RTC_REG_C] |= REG_C_PF;
	if (rtc_running(r)) {
		uint64_t first = seconds_at(r, r->done) + 1, last = seconds_at(r, now);

		if (last >= first)
			r->cmos[RTC_REG_C] |= REG_C_UF;
		/* The alarm is compared at every update; a day of updates
		 * covers every time of day. */
		if (last >= first + 86400)
			first = last - 86399;
		for (uint64_t k = first; k <= last; k++)
			if (alarm_at(r, r->ref_sec + (int64_t)k)) {
				r->cmos[RTC_REG_C] |= REG_C_AF;
				break;
			}
	}
	r->done = now;
	rtc_update_irq(r);
}

/* Restart the clock from its registers at virtual time @ref. */
static void rtc_restart(struct dev_rtc *r, int64_t ref)
{
	int64_t t;

	if (load_time(r, &t))
		r->ref_sec = t;
	r->ref = ref;
}

static uint8_t reg_a(const struct dev_rtc *r)
{
	uint8_t a = r->cmos[RTC_REG_A] & (uint8_t)~REG_A_UIP;
	uint64_t now = r->bus->now;

	if (rtc_running(r) && (int64_t)now >= r->ref &&
	    (uint64_t)((int64_t)now - r->ref) % NS_PER_SEC >= NS_PER_SEC - UIP_HOLD_NS)
		a |= REG_A_UIP;
	return a;
}

static uint64_t rtc_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_rtc *r = dev;
	uint8_t v;

	if (port == 0x70)
		return 0xff; /* the index register is write-only */
	switch (r->index) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY: case RTC_MDAY:
	case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		if (rtc_running(r))
			store_time(r, now_sec(r));
		return r->cmos[r->index];
	case RTC_REG_A:
		return reg_a(r);
	case RTC_REG_C:
		rtc_catch_up(r);
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		rtc_update_irq(r);
		return v;
	default:
		return r->cmos[r->index];
	}
}

static void write_time(struct dev_rtc *r, uint8_t idx, uint8_t v)
{
	uint64_t k;
	int64_t t;

	if (!rtc_running(r)) {
		r->cmos[idx] = v;
		return;
	}
	/* Running: the new field takes effect at once, the phase of the
	 * second is kept. */
	rtc_catch_up(r);
	k = seconds_at(r, r->bus->now);
	store_time(r, r->ref_sec + (int64_t)k);
	r->cmos[idx] = v;
	if (load_time(r, &t))
		r->ref_sec = t - (int64_t)k;
}

static void rtc_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_rtc *r = dev;
	uint8_t v = (uint8_t)val;
	bool was;

	if (port == 0x70) {
		r->index = v & 0x7f;
		r->nmi_masked = v & 0x80;
		return;
	}
	switch (r->index) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY: case RTC_MDAY:
	case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		write_time(r, r->index, v);
		break;
	case RTC_REG_A:
		rtc_catch_up(r);
		was = rtc_running(r);
		if (was)
			store_time(r, now_sec(r));
		r->cmos[RTC_REG_A] = v & (uint8_t)~REG_A_UIP;
		/* Leaving divider reset: the first update comes half a second
		 * later (data sheet, "divider reset"). */
		if (!was && rtc_running(r))
			rtc_restart(r, (int64_t)r->bus->now - (int64_t)NS_PER_SEC / 2);
		break;
	case RTC_REG_B:
		rtc_catch_up(r);
		was = rtc_running(r);
		if (was)
			store_time(r, now_sec(r));
		if (v & REG_B_SET)
			v &= (uint8_t)~REG_B_UIE;
		r->cmos[RTC_REG_B] = v;
		if (!was && rtc_running(r))
			rtc_restart(r, (int64_t)r->bus->now);
		rtc_update_irq(r);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		r->cmos[r->index] = v;
		break;
	}
}

/* IRQ 8 edges: the next periodic tick or update whose interrupt is
 * enabled, while the line is low (a high line makes no new edge until
 * register C is read). */
static uint64_t rtc_advance(void *dev, uint64_t now)
{
	struct dev_rtc *r = dev;
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t next = UINT64_MAX, per = period_cycles(r);

	rtc_catch_up(r);
	if (r->irq)
		return UINT64_MAX;
	if (per && (b & REG_B_PIE))
		next = cycle_time((cycles_at(now) / per + 1) * per);
	if (rtc_running(r) && (b & (REG_B_UIE | REG_B_AIE))) {
		uint64_t s = (uint64_t)(r->ref + (int64_t)((seconds_at(r, now) + 1) * NS_PER_SEC));

		if (s < next)
			next = s;
	}
	return next;
}

static void rtc_free(void *dev)
{
	g_free(dev);
}

static void put16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* What PC firmware leaves in NVRAM (see the top of the file). */
static void rtc_nvram(struct dev_rtc *r, const struct dev_pc_cfg *c)
{
	uint64_t kib = c->ram_below_4g >> 10, above16 = 0, above4g = c->ram_above_4g >> 16;

	put16(&r->cmos[0x15], 640);
	put16(&r->cmos[0x17], kib > 1024 + 65535 ? 65535 : kib > 1024 ? kib - 1024 : 0);
	put16(&r->cmos[0x30], kib > 1024 + 65535 ? 65535 : kib > 1024 ? kib - 1024 : 0);
	if (c->ram_below_4g > (16u << 20))
		above16 = (c->ram_below_4g - (16u << 20)) >> 16;
	put16(&r->cmos[0x34], above16 > 65535 ? 65535 : above16);
	r->cmos[0x5b] = (uint8_t)above4g;
	r->cmos[0x5c] = (uint8_t)(above4g >> 8);
	r->cmos[0x5d] = (uint8_t)(above4g >> 16);
	r->cmos[0x5f] = (uint8_t)(c->ncpus ? c->ncpus - 1 : 0);
	r->cmos[0x14] = 0x06; /* equipment: FPU; no floppy */
	r->cmos[0x3d] = 0x12; /* boot order "cad": disk, floppy ... */
	r->cmos[0x38] = 0x30; /* ... CD; floppy boot signature check on */
}

void dev_rtc_save(const struct dev_rtc *r, struct dev_cmos *out)
{
	memcpy(out->bytes, r->cmos, sizeof(out->bytes));
	out->time = rtc_running(r) ? now_sec(r) : r->ref_sec;
	if (!rtc_running(r))
		load_time(r, &out->time);
}

int dev_rtc_add(struct dev_bus *b, const struct dev_pc_cfg *c)
{
	struct dev_rtc *r = g_try_new0(struct dev_rtc, 1);
	int rc;

	if (!r)
		return -ENOMEM;
	r->bus = b;
	r->desc = (struct dev_desc){.name = "rtc",
				    .base = 0x70,
				    .len = 2,
				    .read = rtc_in,
				    .write = rtc_out,
				    .advance = rtc_advance,
				    .free = rtc_free};
	r->cmos[RTC_REG_A] = REG_A_DV_RUN | 0x06; /* 1024 Hz rate selected, PIE off */
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	rtc_nvram(r, c);
	r->ref_sec = c->rtc_base;
	r->ref = (int64_t)b->now;
	r->done = b->now;
	store_time(r, c->rtc_base);
	r->cmos[RTC_PS2_CENTURY] = r->cmos[RTC_CENTURY];
	if (c->cmos) {
		/* A reset: the chip kept its bytes and kept counting. */
		memcpy(r->cmos, c->cmos->bytes, sizeof(r->cmos));
		r->cmos[RTC_REG_C] = 0;
		r->ref_sec = c->cmos->time;
		if (rtc_running(r))
			store_time(r, r->ref_sec);
	}
	rc = dev_bus_add(b, &r->desc, r);
	if (rc) {
		g_free(r);
		return rc;
	}
	b->rtc = r;
	return 0;
}
