/*
 * The bus: a registration table of device descriptors for ports and MMIO,
 * dispatch of an access to the device owning the address, and the device
 * timers.
 *
 * There are a handful of devices, so dispatch is a linear scan in
 * registration order (no hashing). An access wider than a device's @width
 * is split: into bytes for ports (an 8-bit ISA device sees a 16- or 32-bit
 * IN/OUT that way), into @width-sized pieces for MMIO. A port no device
 * claims reads as all ones (the floating ISA data bus of a PC) and writes
 * go nowhere; both are counted so that a run can report them.
 */
#include "dev.h"

#include <errno.h>
#include <stdarg.h>
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
	for (unsigned i = 0; i < b->nrom; i++)
		g_free(b->rom[i].bytes);
	if (b->console)
		fflush(b->console);
	g_free(b->dev);
	b->dev = NULL;
	b->ndev = b->cap = b->nrom = b->nmsr = b->nlisten = 0;
	b->pic = NULL;
	b->intr_pending = b->intr_ack = NULL;
}

static void bus_update_deadline(struct dev_bus *b)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < b->ndev; i++)
		if (b->dev[i].next < next)
			next = b->dev[i].next;
	b->next_deadline = next;
}

static uint64_t space_end(uint8_t space)
{
	return space == DEV_PIO ? 0x10000u : DEV_PHYS_END;
}

/* [base, base + len) of @space is free: no device (but @self), no RAM, no ROM. */
static bool range_free(struct dev_bus *b, uint8_t space, uint64_t base, uint64_t len,
		       const struct dev_entry *self)
{
	for (unsigned i = 0; i < b->ndev; i++) {
		const struct dev_entry *e = &b->dev[i];

		if (e != self && e->d->space == space && base < e->base + e->d->len &&
		    e->base < base + len)
			return false;
	}
	if (space != DEV_MMIO)
		return true;
	for (unsigned i = 0; i < b->nrom; i++)
		if (base < b->rom[i].base + b->rom[i].len && b->rom[i].base < base + len)
			return false;
	if (b->ram) {
		uint64_t lo, hi;

		if (cpu_ram_range_from(b->ram, base, &lo, &hi) == 0 && lo < base + len)
			return false;
	}
	return true;
}

static bool range_valid(uint8_t space, uint64_t base, uint64_t len)
{
	return len && space <= DEV_MMIO && base < space_end(space) &&
	       len <= space_end(space) - base;
}

int dev_bus_add(struct dev_bus *b, const struct dev_desc *d, void *dev)
{
	if (!range_valid(d->space, d->base, d->len))
		return -EINVAL;
	if (!range_free(b, d->space, d->base, d->len, NULL))
		return -EEXIST;
	if (b->ndev == b->cap) {
		unsigned cap = b->cap ? 2 * b->cap : 8;
		struct dev_entry *n = g_try_renew(struct dev_entry, b->dev, cap);

		if (!n)
			return -ENOMEM;
		b->dev = n;
		b->cap = cap;
	}
	b->dev[b->ndev++] =
	    (struct dev_entry){.d = d, .dev = dev, .base = d->base, .next = UINT64_MAX};
	if (d->advance) {
		b->dev[b->ndev - 1].next = d->advance(dev, b->now);
		bus_update_deadline(b);
	}
	return 0;
}

int dev_bus_move(struct dev_bus *b, void *dev, const struct dev_desc *d, uint64_t base)
{
	for (unsigned i = 0; i < b->ndev; i++) {
		struct dev_entry *e = &b->dev[i];

		if (e->d != d || e->dev != dev)
			continue;
		if (!range_valid(d->space, base, d->len))
			return -EINVAL;
		if (!range_free(b, d->space, base, d->len, e))
			return -EEXIST;
		e->base = base;
		return 0;
	}
	return -ENOENT;
}

static struct dev_entry *bus_find(struct dev_bus *b, uint8_t space, uint64_t addr)
{
	for (unsigned i = 0; i < b->ndev; i++) {
		struct dev_entry *e = &b->dev[i];

		if (e->d->space == space && addr >= e->base && addr - e->base < e->d->len)
			return e;
	}
	return NULL;
}

/* No device claims any address of [addr, addr + size). */
static bool bus_unclaimed(struct dev_bus *b, uint8_t space, uint64_t addr, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (bus_find(b, space, addr + i))
			return false;
	return true;
}

static unsigned desc_width(const struct dev_desc *d)
{
	return d->width ? d->width : 1;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

/* The piece size an access of @size is split into where @e does not take
 * it whole (or where no single device owns it all). */
static unsigned piece(const struct dev_entry *e, uint8_t space, unsigned size)
{
	unsigned w = space == DEV_MMIO && e ? desc_width(e->d) : 1;

	return w < size ? w : 1;
}

static void after_write(struct dev_bus *b, struct dev_entry *e)
{
	if (e->d->advance) {
		e->next = e->d->advance(e->dev, b->now);
		bus_update_deadline(b);
	}
}

/* Dispatch to a device of @space; *@hit = false if nothing claims any of
 * it (the caller decides what unassigned means). */
static uint64_t bus_read(struct dev_bus *b, uint8_t space, uint64_t addr, unsigned size,
			 bool *hit)
{
	struct dev_entry *e = bus_find(b, space, addr);
	uint64_t val = 0, missing = space == DEV_PIO ? size_mask(size) : 0;
	unsigned p;

	*hit = true;
	if (e && size <= desc_width(e->d) && addr + size - e->base <= e->d->len)
		return e->d->read ? e->d->read(e->dev, addr, size) & size_mask(size) : missing;
	if (!e && bus_unclaimed(b, space, addr, size)) {
		*hit = false;
		return 0;
	}
	p = piece(e, space, size);
	for (unsigned i = 0; i < size; i += p) {
		bool h;
		uint64_t v = bus_read(b, space, addr + i, p, &h);

		if (!h)
			v = space == DEV_PIO ? size_mask(p) : 0;
		val |= v << (8 * i);
	}
	return val;
}

static bool bus_write(struct dev_bus *b, uint8_t space, uint64_t addr, unsigned size,
		      uint64_t val)
{
	struct dev_entry *e = bus_find(b, space, addr);
	unsigned p;

	if (e && size <= desc_width(e->d) && addr + size - e->base <= e->d->len) {
		if (e->d->write)
			e->d->write(e->dev, addr, size, val & size_mask(size));
		after_write(b, e);
		return true;
	}
	if (!e && bus_unclaimed(b, space, addr, size))
		return false;
	p = piece(e, space, size);
	for (unsigned i = 0; i < size; i += p)
		bus_write(b, space, addr + i, p, (val >> (8 * i)) & size_mask(p));
	return true;
}

uint32_t dev_bus_in(struct dev_bus *b, uint16_t port, unsigned size)
{
	bool hit;
	uint64_t v = bus_read(b, DEV_PIO, port, size, &hit);

	if (hit)
		return (uint32_t)v;
	b->un.port_reads++;
	if (b->un.log)
		fprintf(b->un.log, "unassigned: in%c port %#x at instruction %llu: all ones\n",
			size == 1 ? 'b' : size == 2 ? 'w' : 'l', port, (unsigned long long)b->now);
	return (uint32_t)size_mask(size);
}

void dev_bus_out(struct dev_bus *b, uint16_t port, unsigned size, uint32_t val)
{
	if (bus_write(b, DEV_PIO, port, size, val))
		return;
	b->un.port_writes++;
	if (b->un.log)
		fprintf(b->un.log, "unassigned: out%c %#x to port %#x at instruction %llu: dropped\n",
			size == 1 ? 'b' : size == 2 ? 'w' : 'l', val, port,
			(unsigned long long)b->now);
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

/* --- the guest-physical side: MMIO, ROM, unassigned space --- */

struct dev_rom *dev_mem_rom(struct dev_bus *b, uint64_t gpa)
{
	for (unsigned i = 0; i < b->nrom; i++)
		if (gpa >= b->rom[i].base && gpa - b->rom[i].base < b->rom[i].len)
			return &b->rom[i];
	return NULL;
}

int dev_mem_add_rom(struct dev_bus *b, const char *name, uint64_t gpa, uint64_t len,
		    uint8_t **bytes)
{
	if (!range_valid(DEV_MMIO, gpa, len) || ((gpa | len) & 0xfff))
		return -EINVAL;
	if (!range_free(b, DEV_MMIO, gpa, len, NULL))
		return -EEXIST;
	if (b->nrom == DEV_MAX_ROMS)
		return -ENOSPC;
	uint8_t *p = g_try_malloc0(len);

	if (!p)
		return -ENOMEM;
	b->rom[b->nrom++] = (struct dev_rom){.name = name, .base = gpa, .len = len, .bytes = p};
	*bytes = p;
	return 0;
}

uint64_t dev_rom_peek(const struct dev_rom *r, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size && gpa + i - r->base < r->len; i++)
		v |= (uint64_t)r->bytes[gpa + i - r->base] << (8 * i);
	return v;
}

uint64_t dev_mem_read(struct dev_bus *b, uint64_t gpa, unsigned size)
{
	struct dev_rom *r = dev_mem_rom(b, gpa);
	uint64_t v;
	bool hit;

	if (r && gpa + size - r->base <= r->len)
		return dev_rom_peek(r, gpa, size);
	v = bus_read(b, DEV_MMIO, gpa, size, &hit);
	if (hit || r)
		return v;
	b->un.mem_reads++;
	if (b->un.log)
		fprintf(b->un.log,
			"unassigned: read of %u bytes at guest-physical %#llx at instruction "
			"%llu: 0\n",
			size, (unsigned long long)gpa, (unsigned long long)b->now);
	return 0;
}

void dev_mem_write(struct dev_bus *b, uint64_t gpa, unsigned size, uint64_t val)
{
	struct dev_rom *r = dev_mem_rom(b, gpa);

	if (!r && bus_write(b, DEV_MMIO, gpa, size, val))
		return;
	if (r)
		b->un.rom_writes++;
	else
		b->un.mem_writes++;
	if (b->un.log)
		fprintf(b->un.log,
			"unassigned: write of %u bytes (%#llx) to guest-physical %#llx%s%s at "
			"instruction %llu: dropped\n",
			size, (unsigned long long)(val & size_mask(size)), (unsigned long long)gpa,
			r ? " in ROM " : "", r ? r->name : "", (unsigned long long)b->now);
}

uint64_t dev_phys_read(struct dev_bus *b, uint64_t gpa, unsigned size)
{
	uint64_t v;

	if (b->ram && cpu_ram_read_le(b->ram, gpa, size, &v) == 0)
		return v;
	return dev_mem_read(b, gpa, size);
}

void dev_phys_write(struct dev_bus *b, uint64_t gpa, unsigned size, uint64_t val)
{
	if (b->ram && cpu_ram_write_le(b->ram, gpa, size, val) == 0)
		return;
	dev_mem_write(b, gpa, size, val);
}

/* --- MSRs owned by devices --- */

int dev_bus_add_msr(struct dev_bus *b, const struct dev_msr_desc *d, void *dev)
{
	if (d->first > d->last)
		return -EINVAL;
	for (unsigned i = 0; i < b->nmsr; i++)
		if (d->first <= b->msr[i].d->last && b->msr[i].d->first <= d->last)
			return -EEXIST;
	if (b->nmsr == DEV_MAX_MSR_DEVS)
		return -ENOSPC;
	b->msr[b->nmsr++] = (struct dev_msr_entry){.d = d, .dev = dev};
	return 0;
}

static struct dev_msr_entry *msr_find(struct dev_bus *b, uint32_t msr)
{
	for (unsigned i = 0; i < b->nmsr; i++)
		if (msr >= b->msr[i].d->first && msr <= b->msr[i].d->last)
			return &b->msr[i];
	return NULL;
}

int dev_bus_rdmsr(struct dev_bus *b, uint32_t msr, uint64_t *val)
{
	struct dev_msr_entry *e = msr_find(b, msr);

	if (!e)
		return -ENOENT;
	return e->d->rdmsr ? e->d->rdmsr(e->dev, msr, val) : -EINVAL;
}

int dev_bus_wrmsr(struct dev_bus *b, uint32_t msr, uint64_t val)
{
	struct dev_msr_entry *e = msr_find(b, msr);
	int rc;

	if (!e)
		return -ENOENT;
	rc = e->d->wrmsr ? e->d->wrmsr(e->dev, msr, val) : -EINVAL;
	/* An MSR can arm a timer (TSC deadline): ask the device's timed
	 * entries again, as after a port or MMIO write. */
	for (unsigned i = 0; i < b->ndev; i++)
		if (b->dev[i].dev == e->dev && b->dev[i].d->advance)
			after_write(b, &b->dev[i]);
	return rc;
}

void dev_bus_stop(struct dev_bus *b, enum dev_stop kind, const char *fmt, ...)
{
	va_list ap;

	if (b->exit_requested)
		return;
	b->exit_requested = true;
	b->stop_kind = (uint8_t)kind;
	if (kind == DEV_STOP_POWEROFF)
		b->exit_status = 0;
	va_start(ap, fmt);
	g_vsnprintf(b->stop_msg, sizeof(b->stop_msg), fmt, ap);
	va_end(ap);
}
