/*
 * isa-debug-exit, as QEMU's (hw/misc/debugexit.c): a write of @value to
 * its port range asks the machine to stop with exit status
 * (value << 1) | 1, so a guest can report success or failure to the test
 * that ran it and never be mistaken for a clean exit (status 0). QEMU's
 * default on a PC is iobase 0xF4, iosize 4: the range is 4 ports wide and
 * the whole value of a 1-, 2- or 4-byte write counts. Reads return 0.
 * The first request wins; the machine stops at the next block boundary.
 */
#include "dev.h"

#include <errno.h>
#include <inttypes.h>

#include <glib.h>

struct dev_debugexit {
	struct dev_desc desc;
	struct dev_bus *bus;
};

static uint64_t debugexit_in(void *dev, uint64_t port, unsigned size)
{
	return 0;
}

static void debugexit_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_debugexit *x = dev;

	if (x->bus->exit_requested)
		return;
	x->bus->exit_status = (int64_t)((val << 1) | 1);
	dev_bus_stop(x->bus, DEV_STOP_EXIT, "isa-debug-exit: status %" PRId64, x->bus->exit_status);
}

static void debugexit_free(void *dev)
{
	g_free(dev);
}

int dev_debugexit_add(struct dev_bus *b, uint16_t base)
{
	struct dev_debugexit *x = g_try_new0(struct dev_debugexit, 1);
	int rc;

	if (!x)
		return -ENOMEM;
	x->bus = b;
	x->desc = (struct dev_desc){.name = "isa-debug-exit",
				    .base = base,
				    .len = 4,
				    .width = 4,
				    .read = debugexit_in,
				    .write = debugexit_out,
				    .free = debugexit_free};
	rc = dev_bus_add(b, &x->desc, x);
	if (rc)
		g_free(x);
	return rc;
}
