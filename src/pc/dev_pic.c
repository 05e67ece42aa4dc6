/*
 * The 8259A pair of a PC: master at 0x20/0x21 (IRQ 0-7), slave at
 * 0xA0/0xA1 (IRQ 8-15) cascaded on the master's IR2, and the edge/level
 * control registers (ELCR) at 0x4D0/0x4D1.
 *
 * Programming follows the Intel 8259A data sheet (order no. 231468):
 *   command port, bit 4 = 1: ICW1 (bit 0 IC4, bit 1 SNGL, bit 3 LTIM),
 *     then ICW2 (vector base, bits 7:3), ICW3 (unless SNGL), ICW4 (if IC4:
 *     bit 1 AEOI, bit 4 SFNM) on the data port;
 *   command port, bits 4:3 = 00: OCW2 (bits 7:5 R, SL, EOI; bits 2:0 level);
 *   command port, bits 4:3 = 01: OCW3 (bit 0 RIS, bit 1 RR, bit 2 poll,
 *     bits 6:5 special mask mode);
 *   data port after initialisation: OCW1, the IMR.
 * Priorities rotate with @prio_add (the lowest-priority IR is
 * prio_add - 1). Behaviour the data sheet leaves open follows QEMU's
 * hw/intc/i8259.c, the reference the guests are compared against:
 * ICW1 clears IRR as well as IMR/ISR; an edge IRR bit is cleared at INTA
 * and a level one is not; a request gone by INTA gives IR7's vector without
 * setting ISR (spurious IRQ 7), and on the slave IR7's vector with the
 * master's IR2 still set in service (spurious IRQ 15).
 */
#include "dev.h"

#include <errno.h>

#include <glib.h>

#define PIC_ICW1      0x10 /* command port: bit 4 marks ICW1 */
#define PIC_ICW1_IC4  0x01 /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single PIC, no ICW3 */
#define PIC_ICW1_LTIM 0x08 /* all inputs level-triggered */
#define PIC_OCW3      0x08 /* command port, bit 4 clear: bit 3 selects OCW3 */
#define PIC_OCW3_RIS  0x01 /* read ISR (else IRR) ... */
#define PIC_OCW3_RR   0x02 /* ... when RR is set */
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SMM  0x20 /* special mask mode value ... */
#define PIC_OCW3_ESMM 0x40 /* ... when ESMM is set */
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10

/* OCW2 bits 7:5 (R, SL, EOI). */
enum {
	OCW2_ROT_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SEOI = 3,
	OCW2_ROT_AEOI_SET = 4,
	OCW2_ROT_EOI = 5,
	OCW2_SET_PRIO = 6,
	OCW2_ROT_SEOI = 7,
};

struct pic_chip {
	uint8_t irr, isr, imr, elcr, elcr_mask;
	uint8_t last_irr; /* line levels, for edge detection */
	uint8_t base;	  /* ICW2 vector base */
	uint8_t prio_add; /* IR with the highest priority */
	uint8_t init;	  /* 0 ready; 1-3 expecting ICW2-4 */
	bool icw4_needed, single, ltim, read_isr, poll, special_mask, auto_eoi, rotate_aeoi;
	bool sfnm, master;
};

struct dev_pic {
	struct dev_desc desc[3]; /* master, slave, ELCR */
	struct pic_chip chip[2]; /* [0] master, [1] slave */
};

/* Priority (0 highest) of the highest-priority bit of @mask, or 8. */
static unsigned chip_priority(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned p = 0; p < 8; p++)
		if (mask & (1u << ((p + c->prio_add) & 7)))
			return p;
	return 8;
}

/* The IR this chip would request now, or -1 (QEMU's pic_get_irq). */
static int chip_irq(const struct pic_chip *c)
{
	unsigned pri = chip_priority(c, c->irr & ~c->imr), cur;
	uint8_t in_service = c->isr;

	if (pri == 8)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested: the slave's IR2 does not block the slave. */
	if (c->sfnm && c->master)
		in_service &= ~(1u << 2);
	cur = chip_priority(c, in_service);
	return pri < cur ? (int)((pri + c->prio_add) & 7) : -1;
}

static void chip_set_irq(struct pic_chip *c, unsigned ir, bool level)
{
	uint8_t m = (uint8_t)(1u << ir);

	if ((c->elcr & m) || c->ltim) {
		c->irr = level ? (c->irr | m) : (c->irr & ~m);
	} else if (level && !(c->last_irr & m)) {
		c->irr |= m; /* rising edge */
	}
	c->last_irr = level ? (c->last_irr | m) : (c->last_irr & ~m);
}

/* The slave's INT output drives the master's IR2. */
static void pic_update(struct dev_pic *p)
{
	chip_set_irq(&p->chip[0], 2, chip_irq(&p->chip[1]) >= 0);
}

static void chip_intack(struct pic_chip *c, unsigned ir)
{
	uint8_t m = (uint8_t)(1u << ir);

	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->prio_add = (uint8_t)((ir + 1) & 7);
	} else {
		c->isr |= m;
	}
	if (!(c->elcr & m) && !c->ltim)
		c->irr &= ~m;
}

void dev_pic_set_irq(struct dev_pic *p, unsigned irq, bool level)
{
	if (irq > 15)
		return;
	chip_set_irq(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
}

int dev_pic_pending(const struct dev_pic *p)
{
	int irq = chip_irq(&p->chip[0]), irq2;

	if (irq < 0)
		return -1;
	if (irq == 2 && !p->chip[0].single) {
		irq2 = chip_irq(&p->chip[1]);
		return p->chip[1].base + (irq2 >= 0 ? irq2 : 7);
	}
	return p->chip[0].base + irq;
}

int dev_pic_ack(struct dev_pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_irq(m), irq2, vec;

	if (irq < 0)
		return m->base + 7; /* spurious IRQ 7: no ISR bit set */
	if (irq == 2 && !m->single) {
		irq2 = chip_irq(s);
		if (irq2 >= 0)
			chip_intack(s, (unsigned)irq2);
		else
			irq2 = 7; /* spurious IRQ 15 */
		vec = s->base + irq2;
	} else {
		vec = m->base + irq;
	}
	chip_intack(m, (unsigned)irq);
	pic_update(p);
	return vec;
}

static void chip_eoi(struct pic_chip *c, unsigned ir, bool rotate)
{
	c->isr &= ~(1u << ir);
	if (rotate)
		c->prio_add = (uint8_t)((ir + 1) & 7);
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7, pri;

	switch (v >> 5) {
	case OCW2_ROT_AEOI_CLEAR:
	case OCW2_ROT_AEOI_SET:
		c->rotate_aeoi = (v >> 5) == OCW2_ROT_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROT_EOI:
		pri = chip_priority(c, c->isr);
		if (pri < 8)
			chip_eoi(c, (pri + c->prio_add) & 7, (v >> 5) == OCW2_ROT_EOI);
		break;
	case OCW2_SEOI:
	case OCW2_ROT_SEOI:
		chip_eoi(c, level, (v >> 5) == OCW2_ROT_SEOI);
		break;
	case OCW2_SET_PRIO:
		c->prio_add = (uint8_t)((level + 1) & 7);
		break;
	default:
		break;
	}
}

static void chip_cmd(struct pic_chip *c, uint8_t v)
{
	if (v & PIC_ICW1) {
		bool master = c->master;
		uint8_t elcr = c->elcr, mask = c->elcr_mask;

		*c = (struct pic_chip){.master = master, .elcr = elcr, .elcr_mask = mask};
		c->init = 1;
		c->icw4_needed = v & PIC_ICW1_IC4;
		c->single = v & PIC_ICW1_SNGL;
		c->ltim = v & PIC_ICW1_LTIM;
	} else if (v & PIC_OCW3) {
		if (v & PIC_OCW3_POLL)
			c->poll = true;
		if (v & PIC_OCW3_RR)
			c->read_isr = v & PIC_OCW3_RIS;
		if (v & PIC_OCW3_ESMM)
			c->special_mask = v & PIC_OCW3_SMM;
	} else {
		chip_ocw2(c, v);
	}
}

static void chip_data(struct pic_chip *c, uint8_t v)
{
	switch (c->init) {
	case 0:
		c->imr = v;
		break;
	case 1:
		c->base = v & 0xf8;
		c->init = c->single ? (c->icw4_needed ? 3 : 0) : 2;
		break;
	case 2: /* ICW3: the cascade wiring, fixed on a PC (IR2) */
		c->init = c->icw4_needed ? 3 : 0;
		break;
	case 3:
		c->auto_eoi = v & PIC_ICW4_AEOI;
		c->sfnm = v & PIC_ICW4_SFNM;
		c->init = 0;
		break;
	}
}

/* Poll command: the next read of the command port acknowledges the
 * highest request as INTA would, and returns 0x80 | IR, or 0. */
static uint8_t pic_poll(struct dev_pic *p, struct pic_chip *c)
{
	int irq = chip_irq(c);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_intack(c, (unsigned)irq);
	pic_update(p);
	return (uint8_t)(0x80 | irq);
}

static uint64_t pic_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_pic *p = dev;
	struct pic_chip *c = &p->chip[port >= 0xa0];

	if (c->poll)
		return pic_poll(p, c);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void pic_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_pic *p = dev;
	struct pic_chip *c = &p->chip[port >= 0xa0];

	if (port & 1)
		chip_data(c, (uint8_t)val);
	else
		chip_cmd(c, (uint8_t)val);
	pic_update(p);
}

static uint64_t elcr_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_pic *p = dev;

	return p->chip[port & 1].elcr;
}

static void elcr_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_pic *p = dev;
	struct pic_chip *c = &p->chip[port & 1];

	c->elcr = (uint8_t)val & c->elcr_mask;
	pic_update(p);
}

/* The bus's interrupt routing: the pair has lines 0-15 (the slave's INT
 * on the master's IR2). */
static void pic_line(void *opaque, unsigned n, bool level)
{
	if (n < 16)
		dev_pic_set_irq(opaque, n, level);
}

static int pic_pending(void *opaque)
{
	return dev_pic_pending(opaque);
}

static int pic_ack(void *opaque)
{
	return dev_pic_ack(opaque);
}

static void pic_free(void *dev)
{
	g_free(dev);
}

int dev_pic_add(struct dev_bus *b)
{
	struct dev_pic *p = g_try_new0(struct dev_pic, 1);
	int rc;

	if (!p)
		return -ENOMEM;
	p->desc[0] = (struct dev_desc){.name = "pic-master",
				       .base = 0x20,
				       .len = 2,
				       .read = pic_in,
				       .write = pic_out,
				       .free = pic_free};
	p->desc[1] = (struct dev_desc){
	    .name = "pic-slave", .base = 0xa0, .len = 2, .read = pic_in, .write = pic_out};
	p->desc[2] = (struct dev_desc){
	    .name = "elcr", .base = 0x4d0, .len = 2, .read = elcr_in, .write = elcr_out};
	/* IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge on a PC
	 * (PIIX ELCR; QEMU's elcr_mask 0xf8/0xde). */
	p->chip[0] = (struct pic_chip){.master = true, .elcr_mask = 0xf8};
	p->chip[1] = (struct pic_chip){.elcr_mask = 0xde};
	rc = dev_bus_add(b, &p->desc[0], p);
	if (rc)
		goto out_free;
	if ((rc = dev_bus_add(b, &p->desc[1], p)) || (rc = dev_bus_add(b, &p->desc[2], p))) {
		/* The master entry is registered and frees @p with the bus. */
		return rc;
	}
	b->pic = p;
	if ((rc = dev_irq_listen(b, pic_line, p)))
		return rc;
	dev_intr_set_controller(b, pic_pending, pic_ack, p);
	return 0;
out_free:
	g_free(p);
	return rc;
}
