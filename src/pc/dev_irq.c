/*
 * Interrupt routing: one call, dev_irq_line(), for every device that drives
 * an interrupt line, heard by every interrupt controller that listens (the
 * 8259 pair; an I/O APIC), and one question the CPU asks at instruction
 * boundaries (dev_intr_pending / dev_intr_ack), answered by the 8259 pair
 * unless a local APIC took over (it then asks the 8259 itself, through its
 * LINT0 in ExtINT mode, as the virtual-wire PC does).
 */
#include "dev.h"

#include <errno.h>

void dev_irq_line(struct dev_bus *b, unsigned n, bool level)
{
	for (unsigned i = 0; i < b->nlisten; i++)
		b->listen[i].set(b->listen[i].opaque, n, level);
}

int dev_irq_listen(struct dev_bus *b, void (*set)(void *opaque, unsigned n, bool level),
		   void *opaque)
{
	if (b->nlisten == DEV_MAX_IRQ_LISTEN)
		return -ENOSPC;
	b->listen[b->nlisten++] = (struct dev_irq_listener){.set = set, .opaque = opaque};
	return 0;
}

int dev_intr_pending(const struct dev_bus *b)
{
	return b->intr_pending ? b->intr_pending(b->intr_opaque) : -1;
}

int dev_intr_ack(struct dev_bus *b)
{
	return b->intr_ack ? b->intr_ack(b->intr_opaque) : -1;
}

void dev_intr_set_controller(struct dev_bus *b, int (*pending)(void *), int (*ack)(void *),
			     void *opaque)
{
	b->intr_pending = pending;
	b->intr_ack = ack;
	b->intr_opaque = opaque;
}
