/*
 * The CMOS RTC (src/pc/dev_rtc.c) driven through ports 0x70/0x71 on the bus
 * at exact virtual times. Expected values come from the MC146818A data
 * sheet (register formats, flags, the 244 us UIP window = 8 cycles of
 * 32.768 kHz, the periodic rates), from the calendar (2000-01-01 was a
 * Saturday, day 7 counting Sunday as 1), and for NVRAM from the layout PC
 * firmware uses (QEMU's pc_cmos_init), worked out by hand below.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "pc/dev.h"
#include "timing/config.h"

#define NS 1000000000ull
#define Y2K 946684800 /* 2000-01-01T00:00:00Z */

static void at(struct dev_bus *b, uint64_t t)
{
	dev_bus_advance(b, t);
}

static uint8_t rd(struct dev_bus *b, uint8_t idx)
{
	dev_bus_out(b, 0x70, 1, idx);
	return (uint8_t)dev_bus_in(b, 0x71, 1);
}

static void wr(struct dev_bus *b, uint8_t idx, uint8_t v)
{
	dev_bus_out(b, 0x70, 1, idx);
	dev_bus_out(b, 0x71, 1, v);
}

/* The PIC pair at vectors 0x20/0x28, only IRQ 2 and 8 unmasked. */
static void board(struct dev_bus *b, const struct dev_pc_cfg *cfg)
{
	static const uint8_t init[][2] = {{0x20, 0x11}, {0xa0, 0x11}, {0x21, 0x20}, {0xa1, 0x28},
					  {0x21, 0x04}, {0xa1, 0x02}, {0x21, 0x01}, {0xa1, 0x01},
					  {0x21, 0xfb}, {0xa1, 0xfe}};

	dev_bus_init(b, NULL);
	g_assert_cmpint(dev_pc_init(b, cfg), ==, 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(init); i++)
		dev_bus_out(b, init[i][0], 1, init[i][1]);
}

static const struct dev_pc_cfg cfg128 = {.ram_below_4g = 128u << 20, .ncpus = 1, .rtc_base = Y2K};

static void test_date(void)
{
	struct dev_bus b;

	board(&b, &cfg128);
	g_assert_cmphex(rd(&b, 0x0a), ==, 0x26);
	g_assert_cmphex(rd(&b, 0x0b), ==, 0x02);
	g_assert_cmphex(rd(&b, 0x0d), ==, 0x80);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x00);
	g_assert_cmphex(rd(&b, 0x04), ==, 0x00);
	g_assert_cmphex(rd(&b, 0x06), ==, 7); /* Saturday */
	g_assert_cmphex(rd(&b, 0x07), ==, 0x01);
	g_assert_cmphex(rd(&b, 0x08), ==, 0x01);
	g_assert_cmphex(rd(&b, 0x09), ==, 0x00);
	g_assert_cmphex(rd(&b, 0x32), ==, 0x20);
	/* 61 s and 1 ns later: 00:01:01, BCD. */
	at(&b, 61 * NS + 1);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x01);
	g_assert_cmphex(rd(&b, 0x02), ==, 0x01);
	/* 13:59:59 in 12-hour binary: 1 PM = 0x81, 59 = 0x3b. */
	at(&b, (13 * 3600 + 59 * 60 + 59) * NS);
	wr(&b, 0x0b, 0x04);
	g_assert_cmphex(rd(&b, 0x04), ==, 0x81);
	g_assert_cmphex(rd(&b, 0x02), ==, 59);
	dev_bus_free(&b);
}

/* UIP is high for the 244140 ns (8 * 10^9 / 32768, truncated) before
 * each update, and the update is at the second boundary. */
static void test_uip(void)
{
	struct dev_bus b;
	uint64_t hold = 8 * NS / 32768;

	board(&b, &cfg128);
	at(&b, NS - hold - 1);
	g_assert_cmphex(rd(&b, 0x0a), ==, 0x26);
	at(&b, NS - hold);
	g_assert_cmphex(rd(&b, 0x0a), ==, 0xa6);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x00);
	at(&b, NS);
	g_assert_cmphex(rd(&b, 0x0a), ==, 0x26);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x01);
	dev_bus_free(&b);
}

/* RS = 6: 1024 Hz, a period of 32 cycles; the first tick after 0 is at
 * ceil(32 * 10^9 / 32768) = 976563 ns. */
static void test_periodic(void)
{
	struct dev_bus b;

	board(&b, &cfg128);
	wr(&b, 0x0b, 0x42); /* PIE, 24-hour */
	g_assert_cmpuint(b.next_deadline, ==, 976563);
	at(&b, 976562);
	g_assert_cmpint(dev_pic_pending(b.pic), ==, -1);
	at(&b, 976563);
	g_assert_cmpint(dev_pic_pending(b.pic), ==, 0x28);
	g_assert_cmpint(dev_pic_ack(b.pic), ==, 0x28);
	g_assert_cmphex(rd(&b, 0x0c), ==, 0xc0); /* IRQF | PF */
	g_assert_cmphex(rd(&b, 0x0c), ==, 0x00); /* cleared by the read */
	/* RS = 15: 2 Hz (16384 cycles, 0.5 s). */
	wr(&b, 0x0a, 0x2f);
	g_assert_cmpuint(b.next_deadline, ==, NS / 2);
	/* PF is set even with PIE clear (the data sheet); no interrupt. */
	wr(&b, 0x0b, 0x02);
	at(&b, NS / 2 + 10);
	g_assert_cmphex(rd(&b, 0x0c) & 0x40, ==, 0x40);
	dev_bus_free(&b);
}

/* Alarm at 00:00:05 (hours and minutes "don't care"), with AIE: the
 * interrupt comes with the update at 5 s, with AF. */
static void test_alarm(void)
{
	struct dev_bus b;

	board(&b, &cfg128);
	wr(&b, 0x01, 0x05);
	wr(&b, 0x03, 0xc0);
	wr(&b, 0x05, 0xff);
	wr(&b, 0x0b, 0x22); /* AIE */
	g_assert_cmpuint(b.next_deadline, ==, NS);
	at(&b, 4 * NS);
	(void)rd(&b, 0x0c); /* UF of the updates 1-4 */
	g_assert_cmpint(dev_pic_pending(b.pic), ==, -1);
	at(&b, 5 * NS - 1);
	g_assert_cmpint(dev_pic_pending(b.pic), ==, -1);
	at(&b, 5 * NS);
	g_assert_cmpint(dev_pic_pending(b.pic), ==, 0x28);
	/* IRQF | AF | UF, and PF: the default rate (RS = 6) runs without PIE. */
	g_assert_cmphex(rd(&b, 0x0c), ==, 0xf0);
	dev_bus_free(&b);
}

/* SET stops the clock and clears UIE; clearing it restarts the count from
 * the registers, the first update a second later. */
static void test_set(void)
{
	struct dev_bus b;

	board(&b, &cfg128);
	at(&b, 2 * NS + NS / 2);
	wr(&b, 0x0b, 0x92); /* SET | UIE | 24H */
	g_assert_cmphex(rd(&b, 0x0b), ==, 0x82);
	at(&b, 12 * NS);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x02);
	wr(&b, 0x00, 0x30);
	at(&b, 12 * NS + NS / 2);
	wr(&b, 0x0b, 0x02);
	at(&b, 13 * NS + NS / 2 - 1);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x30);
	at(&b, 13 * NS + NS / 2);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x31);
	/* A divider reset (DV = 110) stops it too; leaving it, the first
	 * update comes half a second later. */
	wr(&b, 0x0a, 0x66);
	at(&b, 20 * NS);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x31);
	wr(&b, 0x0a, 0x26);
	at(&b, 20 * NS + NS / 2 - 1);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x31);
	at(&b, 20 * NS + NS / 2);
	g_assert_cmphex(rd(&b, 0x00), ==, 0x32);
	dev_bus_free(&b);
}

/* 3 GiB below 4 GiB, 5 GiB above, 4 CPUs: extended memory saturates at
 * 65535 KiB; (3 GiB - 16 MiB) / 64 KiB = 48896 = 0xBF00; 5 GiB / 64 KiB =
 * 81920 = 0x014000. */
static void test_nvram(void)
{
	static const struct dev_pc_cfg big = {.ram_below_4g = 3ull << 30,
					      .ram_above_4g = 5ull << 30,
					      .ncpus = 4,
					      .rtc_base = Y2K};
	struct dev_bus b;

	board(&b, &big);
	g_assert_cmphex(rd(&b, 0x15) | rd(&b, 0x16) << 8, ==, 640);
	g_assert_cmphex(rd(&b, 0x17) | rd(&b, 0x18) << 8, ==, 0xffff);
	g_assert_cmphex(rd(&b, 0x30) | rd(&b, 0x31) << 8, ==, 0xffff);
	g_assert_cmphex(rd(&b, 0x34) | rd(&b, 0x35) << 8, ==, 0xbf00);
	g_assert_cmphex(rd(&b, 0x5b) | rd(&b, 0x5c) << 8 | rd(&b, 0x5d) << 16, ==, 0x014000);
	g_assert_cmphex(rd(&b, 0x5f), ==, 3);
	g_assert_cmphex(rd(&b, 0x37), ==, 0x20);
	dev_bus_free(&b);
}

static void test_config_date(void)
{
	struct tm_config c;
	char why[256];
	int64_t t;

	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_rtc_time(&c, &t), ==, 0);
	g_assert_cmpint(t, ==, Y2K);
	g_assert_cmpint(tm_config_set(&c, "platform.rtc_date=2026-12-06T12:00:00", why,
				      sizeof(why)), ==, 0);
	g_assert_cmpint(tm_config_rtc_time(&c, &t), ==, 0);
	g_assert_cmpint(t, ==, 1796558400);
	g_assert_cmpint(tm_config_set(&c, "platform.rtc_date=yesterday", why, sizeof(why)), ==, 0);
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "platform.rtc_date"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtc/date", test_date);
	g_test_add_func("/rtc/uip", test_uip);
	g_test_add_func("/rtc/periodic", test_periodic);
	g_test_add_func("/rtc/alarm", test_alarm);
	g_test_add_func("/rtc/set", test_set);
	g_test_add_func("/rtc/nvram", test_nvram);
	g_test_add_func("/rtc/config_date", test_config_date);
	return g_test_run();
}
