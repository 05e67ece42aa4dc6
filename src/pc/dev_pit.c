/*
 * The 8254 programmable interval timer (Intel 8254 data sheet, order no.
 * 231164): three 16-bit counters at 0x40-0x42, the control word at 0x43,
 * and the PC's system control port B at 0x61 (bit 0 gates counter 2,
 * bit 5 reads its OUT). Counter 0's OUT drives IRQ 0.
 *
 * Time: the input clock runs at DEV_PIT_HZ against virtual time; tick n
 * happens at instruction count floor(n * DEV_INSNS_PER_SEC / DEV_PIT_HZ)
 * (integer arithmetic on absolute tick numbers, so there is no drift). A
 * counter loaded while the input clock has made L ticks has counted
 * d = ticks(now) - L ticks since. With a count of N (0 means 65536, or
 * 10000 in BCD):
 *   mode 0 (interrupt on terminal count): OUT low, high when d >= N;
 *   mode 1 (hardware one-shot): after a gate rising edge, OUT low until d >= N;
 *   mode 2 (rate generator): OUT low for the one tick the count is 1,
 *     i.e. d mod N == N - 1; rising edges at d = kN;
 *   mode 3 (square wave): OUT high while d mod N < ceil(N/2);
 *     rising edges at d = kN; the count steps by 2;
 *   mode 4/5 (software/hardware strobe): OUT low for the tick d == N.
 * So channel 0 in mode 2 or 3 interrupts at ticks L + kN, k = 1, 2, ...,
 * as QEMU's hw/timer/i8254.c counts them. The machine samples time at
 * block boundaries: edges missed within one interval coalesce into one
 * interrupt, as a PIC IRR bit would coalesce them anyway.
 * Gate (counter 2 only; 0 and 1 are tied high): low pauses modes 0 and 4
 * and holds OUT high in modes 2 and 3; a rising edge restarts modes 1, 2,
 * 3 and 5.
 */
#include "dev.h"

#include <errno.h>

#include <glib.h>

__extension__ typedef unsigned __int128 pit_u128;

#define PIT_CW_SC(v)   (((v) >> 6) & 3) /* counter select; 3 = read-back */
#define PIT_CW_RW(v)   (((v) >> 4) & 3) /* 0 latch, 1 LSB, 2 MSB, 3 LSB then MSB */
#define PIT_CW_MODE(v) (((v) >> 1) & 7) /* 6 and 7 alias modes 2 and 3 */
#define PIT_CW_BCD     0x01
#define PIT_RB_NCOUNT  0x20 /* read-back: 0 latches the counts */
#define PIT_RB_NSTATUS 0x10 /* read-back: 0 latches the status bytes */
#define PIT_ST_OUT     0x80 /* status byte: OUT pin */
#define PIT_ST_NULL    0x40 /* status byte: count written, not yet loaded */

#define PORT61_GATE2   0x01 /* counter 2 gate */
#define PORT61_SPKR    0x02 /* speaker data enable */
#define PORT61_WMASK   0x0f /* bits 3:0 are written; 7:4 read status */
#define PORT61_REFRESH 0x10 /* toggles every 15.085 us (18 ticks) */
#define PORT61_OUT2    0x20

enum { RW_LATCH = 0, RW_LSB, RW_MSB, RW_WORD };

struct pit_chan {
	uint8_t mode, rw;
	bool bcd;
	bool armed;	/* a count was written since the control word */
	bool running;	/* counting (gate/trigger allow it) */
	bool triggered; /* modes 1 and 5: a gate edge started the count */
	bool gate;
	uint32_t n;	 /* the count, in binary; 1..65536 (10000 BCD) */
	uint64_t load;	 /* tick number the count was (re)loaded at */
	uint64_t frozen; /* d while not running */
	bool wr_hi;	 /* RW_WORD: next write is the MSB */
	uint8_t wr_lo;
	bool rd_hi;	    /* RW_WORD: next live read is the MSB */
	bool latched;	    /* a count is latched ... */
	uint16_t latch;	    /* ... this one ... */
	uint8_t latch_left; /* ... with this many bytes still to read */
	bool st_latched;
	uint8_t status;
	uint64_t next_edge; /* tick of OUT's next rising edge, UINT64_MAX none */
};

struct dev_pit {
	struct dev_desc desc[2]; /* 0x40-0x43, 0x61 */
	struct dev_bus *bus;
	struct pit_chan ch[3];
	uint8_t port61;
};

uint64_t dev_pit_ticks(uint64_t t)
{
	/* max n with floor(n * F / H) <= t  <=>  n * F < (t + 1) * H */
	return (uint64_t)((((pit_u128)t + 1) * DEV_PIT_HZ - 1) / DEV_INSNS_PER_SEC);
}

uint64_t dev_pit_tick_time(uint64_t n)
{
	pit_u128 t = (pit_u128)n * DEV_INSNS_PER_SEC / DEV_PIT_HZ;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

static uint64_t chan_d(const struct pit_chan *c, uint64_t tick)
{
	return c->running ? tick - c->load : c->frozen;
}

static bool chan_out(const struct pit_chan *c, uint64_t tick)
{
	uint64_t d = chan_d(c, tick);

	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return d >= c->n;
	case 1:
		return !c->triggered || d >= c->n;
	case 2:
		return !c->gate || d % c->n != c->n - 1;
	case 3:
		return !c->gate || d % c->n < (c->n + 1) / 2;
	case 4:
		return d != c->n;
	default: /* 5 */
		return !c->triggered || d != c->n;
	}
}

/* The tick of OUT's next rising edge after @tick, or UINT64_MAX. */
static uint64_t chan_next_edge(const struct pit_chan *c, uint64_t tick)
{
	uint64_t d = chan_d(c, tick);

	if (!c->armed || !c->running)
		return UINT64_MAX;
	switch (c->mode) {
	case 0:
	case 1:
		return d < c->n ? c->load + c->n : UINT64_MAX;
	case 2:
	case 3:
		return c->load + (d / c->n + 1) * c->n;
	default: /* 4, 5: OUT rises after its one low tick at d == N */
		return d <= c->n ? c->load + c->n + 1 : UINT64_MAX;
	}
}

/* The value the counting element holds, as the guest reads it. */
static uint16_t chan_count(const struct pit_chan *c, uint64_t tick)
{
	uint64_t d = chan_d(c, tick), mod = c->bcd ? 10000 : 65536, v;

	if (!c->armed)
		return 0;
	switch (c->mode) {
	case 2:
		v = c->n - d % c->n;
		break;
	case 3:
		v = c->n - (2 * d) % c->n;
		break;
	default:
		v = (c->n + mod - d % mod) % mod;
		break;
	}
	v %= mod;
	if (c->bcd) /* binary 0..9999 to four BCD digits */
		v = (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
	return (uint16_t)v;
}

static uint64_t pit_tick(const struct dev_pit *p)
{
	return dev_pit_ticks(p->bus->now);
}

/* IRQ 0 is edge-triggered on a PC (the ELCR cannot make it level): a
 * rising edge of OUT is a pulse on the line. Level changes of OUT at
 * programming time are not edges the PIC sees (QEMU raises none in mode 2). */
static void pit_irq0_pulse(struct dev_pit *p)
{
	dev_irq_line(p->bus, 0, true);
	dev_irq_line(p->bus, 0, false);
}

static void chan_start(struct pit_chan *c, uint64_t tick)
{
	c->load = tick;
	c->frozen = 0;
	c->running = true;
	c->next_edge = chan_next_edge(c, tick);
}

static void chan_load(struct dev_pit *p, struct pit_chan *c, uint32_t raw)
{
	uint64_t tick = pit_tick(p);

	if (c->bcd) /* four BCD digits; 0 means 10000 */
		raw = ((raw >> 12) & 15) * 1000 + ((raw >> 8) & 15) * 100 + ((raw >> 4) & 15) * 10 +
		      (raw & 15);
	c->n = raw ? raw : (c->bcd ? 10000 : 65536);
	c->armed = true;
	c->triggered = false;
	c->running = false;
	c->frozen = 0;
	c->load = tick;
	c->next_edge = UINT64_MAX;
	/* Modes 1 and 5 wait for a gate edge; the others count if the gate
	 * is high (modes 0 and 4 pause at a low gate). */
	if (c->mode != 1 && c->mode != 5 && c->gate)
		chan_start(c, tick);
}

static void chan_latch(struct pit_chan *c, uint64_t tick)
{
	if (c->latched)
		return; /* the first latch holds until read */
	c->latched = true;
	c->latch = chan_count(c, tick);
	c->latch_left = c->rw == RW_WORD ? 2 : 1;
}

static void chan_control(struct dev_pit *p, struct pit_chan *c, uint8_t v)
{
	uint8_t mode = PIT_CW_MODE(v);

	if (PIT_CW_RW(v) == RW_LATCH) {
		chan_latch(c, pit_tick(p));
		return;
	}
	c->rw = PIT_CW_RW(v);
	c->mode = mode >= 6 ? mode - 4 : mode;
	c->bcd = v & PIT_CW_BCD;
	c->armed = c->running = c->triggered = false;
	c->wr_hi = c->rd_hi = c->latched = c->st_latched = false;
	c->next_edge = UINT64_MAX;
}

static void pit_readback(struct dev_pit *p, uint8_t v)
{
	uint64_t tick = pit_tick(p);

	for (unsigned i = 0; i < 3; i++) {
		struct pit_chan *c = &p->ch[i];

		if (!(v & (2u << i)))
			continue;
		if (!(v & PIT_RB_NSTATUS) && !c->st_latched) {
			bool null = !c->armed || (c->running && tick == c->load);

			c->st_latched = true;
			c->status = (uint8_t)((chan_out(c, tick) ? PIT_ST_OUT : 0) |
					      (null ? PIT_ST_NULL : 0) | c->rw << 4 | c->mode << 1 |
					      (c->bcd ? PIT_CW_BCD : 0));
		}
		if (!(v & PIT_RB_NCOUNT))
			chan_latch(c, tick);
	}
}

static uint8_t chan_read(struct dev_pit *p, struct pit_chan *c)
{
	uint16_t v;
	bool hi;

	if (c->st_latched) {
		c->st_latched = false;
		return c->status;
	}
	if (c->latched) {
		hi = c->rw == RW_MSB || (c->rw == RW_WORD && c->latch_left == 1);
		if (--c->latch_left == 0)
			c->latched = false;
		return (uint8_t)(hi ? c->latch >> 8 : c->latch);
	}
	v = chan_count(c, pit_tick(p));
	hi = c->rw == RW_MSB || (c->rw == RW_WORD && c->rd_hi);
	if (c->rw == RW_WORD)
		c->rd_hi = !c->rd_hi;
	return (uint8_t)(hi ? v >> 8 : v);
}

static void chan_write(struct dev_pit *p, struct pit_chan *c, uint8_t v)
{
	switch (c->rw) {
	case RW_LSB:
		chan_load(p, c, v);
		break;
	case RW_MSB:
		chan_load(p, c, (uint32_t)v << 8);
		break;
	case RW_WORD:
		if (!c->wr_hi) {
			c->wr_lo = v;
			c->wr_hi = true;
		} else {
			c->wr_hi = false;
			chan_load(p, c, c->wr_lo | (uint32_t)v << 8);
		}
		break;
	default: /* no access mode programmed yet */
		break;
	}
}

static void chan_set_gate(struct dev_pit *p, struct pit_chan *c, bool gate)
{
	uint64_t tick = pit_tick(p);

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (!c->armed)
		return;
	if (gate) {
		if (c->mode == 0 || c->mode == 4) { /* resume */
			uint64_t d = c->frozen;

			chan_start(c, tick - d);
		} else { /* modes 1, 2, 3, 5: the edge (re)loads the count */
			c->triggered = true;
			chan_start(c, tick);
		}
	} else if (c->mode != 1 && c->mode != 5) {
		c->frozen = chan_d(c, tick);
		c->running = false;
		c->next_edge = UINT64_MAX;
	}
}

static uint64_t pit_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_pit *p = dev;
	uint64_t tick;

	if (port == 0x61) {
		tick = pit_tick(p);
		return p->port61 | ((tick / 18) & 1 ? PORT61_REFRESH : 0) |
		       (chan_out(&p->ch[2], tick) ? PORT61_OUT2 : 0);
	}
	if (port == 0x43)
		return 0; /* the control word is write-only (QEMU reads 0) */
	return chan_read(p, &p->ch[port - 0x40]);
}

static void pit_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_pit *p = dev;
	uint8_t v = (uint8_t)val;

	if (port == 0x61) {
		p->port61 = v & PORT61_WMASK;
		chan_set_gate(p, &p->ch[2], v & PORT61_GATE2);
	} else if (port == 0x43) {
		if (PIT_CW_SC(v) == 3)
			pit_readback(p, v);
		else
			chan_control(p, &p->ch[PIT_CW_SC(v)], v);
	} else {
		chan_write(p, &p->ch[port - 0x40], v);
	}
}

/* Raise IRQ 0 on every rising edge of counter 0's OUT up to @now. */
static uint64_t pit_advance(void *dev, uint64_t now)
{
	struct dev_pit *p = dev;
	struct pit_chan *c = &p->ch[0];
	uint64_t tick = dev_pit_ticks(now);

	if (c->next_edge <= tick) {
		c->next_edge = chan_next_edge(c, tick);
		pit_irq0_pulse(p);
	}
	return c->next_edge == UINT64_MAX ? UINT64_MAX : dev_pit_tick_time(c->next_edge);
}

static void pit_free(void *dev)
{
	g_free(dev);
}

int dev_pit_add(struct dev_bus *b)
{
	struct dev_pit *p = g_try_new0(struct dev_pit, 1);
	int rc;

	if (!p)
		return -ENOMEM;
	p->bus = b;
	p->desc[0] = (struct dev_desc){.name = "pit8254",
				       .base = 0x40,
				       .len = 4,
				       .read = pit_in,
				       .write = pit_out,
				       .advance = pit_advance,
				       .free = pit_free};
	p->desc[1] = (struct dev_desc){
	    .name = "port61", .base = 0x61, .len = 1, .read = pit_in, .write = pit_out};
	for (unsigned i = 0; i < 3; i++)
		p->ch[i] = (struct pit_chan){.gate = i < 2, .n = 65536, .next_edge = UINT64_MAX};
	rc = dev_bus_add(b, &p->desc[0], p);
	if (rc) {
		g_free(p);
		return rc;
	}
	return dev_bus_add(b, &p->desc[1], p);
}
