/*
 * The port-I/O bus: a registration table of device descriptors, dispatch
 * of IN/OUT to the device owning the port, and the device timers.
 *
 * There are a handful of devices, so dispatch is a linear scan in
 * registration order (no hashing). An access wider than a device's @width
 * is split into byte accesses at consecutive ports, as an 8-bit ISA device
 * sees a 16- or 32-bit IN/OUT. A port no device claims reads as all ones
 * (the floating ISA data bus of a PC) and writes go nowhere; both are
 * counted so that a run can report them.
 */
#include "dev.h"

#include <errno.h>
#include <stdlib.h>

#include <glib.h>

void dev_bus_init(struct dev_bus *b, FILE *console)
{
	*b = (struct dev_bus){.console = console, .next_deadline = UINT64_MAX};
}

void dev_bus_free(struct dev_bus *b)
{
	for (unsigned i = b->ndev; i-- > 0;)
		if (b->dev[i].d->free)
			b->dev[i].d->free(b->dev[i].dev);
	if (b->console)
		fflush(b->console);
	g_free(b->dev);
	b->dev = NULL;
	b->ndev = b->cap = 0;
	b->pic = NULL;
}

static void bus_update_deadline(struct dev_bus *b)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < b->ndev; i++)
		if (b->dev[i].next < next)
			next = b->dev[i].next;
	b->next_deadline = next;
}

int dev_bus_add(struct dev_bus *b, const struct dev_desc *d, void *dev)
{
	uint32_t lo = d->base, hi = (uint32_t)d->base + d->len;

	if (d->len == 0 || hi > 0x10000u)
		return -EINVAL;
	for (unsigned i = 0; i < b->ndev; i++) {
		const struct dev_desc *o = b->dev[i].d;

		if (lo < (uint32_t)o->base + o->len && o->base < hi)
			return -EEXIST;
	}
	if (b->ndev == b->cap) {
		unsigned cap = b->cap ? 2 * b->cap : 8;
		struct dev_entry *n = g_try_renew(struct dev_entry, b->dev, cap);

		if (!n)
			return -ENOMEM;
		b->dev = n;
		b->cap = cap;
	}
	b->dev[b->ndev++] = (struct dev_entry){.d = d, .dev = dev, .next = UINT64_MAX};
	if (d->advance) {
		b->dev[b->ndev - 1].next = d->advance(dev, b->now);
		bus_update_deadline(b);
	}
	return 0;
}

static struct dev_entry *bus_find(struct dev_bus *b, uint16_t port)
{
	for (unsigned i = 0; i < b->ndev; i++) {
		const struct dev_desc *d = b->dev[i].d;

		if (port >= d->base && (uint32_t)port < (uint32_t)d->base + d->len)
			return &b->dev[i];
	}
	return NULL;
}

/* No device claims any port of [port, port + size). */
static bool bus_unclaimed(struct dev_bus *b, uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (bus_find(b, (uint16_t)(port + i)))
			return false;
	return true;
}

static unsigned desc_width(const struct dev_desc *d)
{
	return d->width ? d->width : 1;
}

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? UINT32_MAX : (UINT32_C(1) << (8 * size)) - 1;
}

uint32_t dev_bus_in(struct dev_bus *b, uint16_t port, unsigned size)
{
	struct dev_entry *e = bus_find(b, port);
	uint32_t val = 0;

	if (e && size <= desc_width(e->d))
		return e->d->in ? e->d->in(e->dev, port, size) & size_mask(size) : size_mask(size);
	if (!e && bus_unclaimed(b, port, size)) {
		b->unclaimed_in++;
		return size_mask(size);
	}
	/* Split into bytes, lowest port first (little-endian). */
	for (unsigned i = 0; i < size; i++)
		val |= dev_bus_in(b, (uint16_t)(port + i), 1) << (8 * i);
	return val;
}

void dev_bus_out(struct dev_bus *b, uint16_t port, unsigned size, uint32_t val)
{
	struct dev_entry *e = bus_find(b, port);

	if (e && size <= desc_width(e->d)) {
		if (e->d->out)
			e->d->out(e->dev, port, size, val & size_mask(size));
		if (e->d->advance) {
			e->next = e->d->advance(e->dev, b->now);
			bus_update_deadline(b);
		}
		return;
	}
	if (!e && bus_unclaimed(b, port, size)) {
		b->unclaimed_out++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		dev_bus_out(b, (uint16_t)(port + i), 1, (val >> (8 * i)) & 0xff);
}

void dev_bus__advance(struct dev_bus *b, uint64_t now)
{
	b->now = now;
	for (unsigned i = 0; i < b->ndev; i++) {
		struct dev_entry *e = &b->dev[i];

		if (e->d->advance && e->next <= now)
			e->next = e->d->advance(e->dev, now);
	}
	bus_update_deadline(b);
}
