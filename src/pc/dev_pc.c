/*
 * The minimal PC: which devices, at which ports, on which IRQ lines; and
 * port 0x80, the POST-code port that kernels also write for a short I/O
 * delay (Linux's outb_p). Writes there are swallowed (the last code is kept
 * in bus->post_code); reads return all ones, as QEMU's ioport80.
 */
#include "dev.h"

#include <errno.h>

static uint32_t port80_in(void *dev, uint16_t port, unsigned size)
{
	return 0xff;
}

static void port80_out(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct dev_bus *b = dev;

	b->post_code = (uint8_t)val;
}

static const struct dev_desc port80_desc = {
    .name = "port80",
    .base = 0x80,
    .len = 1,
    .in = port80_in,
    .out = port80_out,
};

int dev_port80_add(struct dev_bus *b)
{
	return dev_bus_add(b, &port80_desc, b);
}

int dev_pc_init(struct dev_bus *b, const struct dev_pc_cfg *cfg)
{
	int rc;

	/* The PIC first: the PIT and the UART drive its lines. */
	if ((rc = dev_pic_add(b)))
		return rc;
	if ((rc = dev_pit_add(b)))
		return rc;
	if ((rc = dev_uart_add(b, 0x3f8, 4))) /* COM1 */
		return rc;
	if ((rc = dev_debugexit_add(b, 0xf4)))
		return rc;
	if ((rc = dev_rtc_add(b, cfg)))
		return rc;
	if ((rc = dev_fwcfg_add(b, cfg)))
		return rc;
	return dev_port80_add(b);
}
