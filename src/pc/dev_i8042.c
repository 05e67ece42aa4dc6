/*
 * The PC's 8042 keyboard controller (IBM PC AT / PS/2 technical
 * references; QEMU's hw/input/pckbd.c for what they leave open), with no
 * keyboard or mouse attached: data port 0x60, status/command port 0x64.
 * Its use here is the controller itself, which Linux probes, and the
 * reset line: command 0xFE (pulse output-port bit 0) or a write of the
 * output port with bit 0 clear resets the machine (dev_bus_stop
 * DEV_STOP_RESET: the run ends with a report, or reboots with --reboot).
 *
 * Status (port 0x64 read): 0 output buffer full, 2 system flag (CTR bit
 * 2), 3 the last write was a command, 4 keyboard not inhibited, 5 the
 * output byte is from the auxiliary port, 6 time-out.
 * Commands: 0x20 read the command byte (CTR); 0x60 write it; 0xA7/0xA8
 * disable/enable the aux port; 0xA9 aux interface test (0x00); 0xAA
 * self-test (0x55); 0xAB keyboard interface test (0x00); 0xAD/0xAE
 * disable/enable the keyboard; 0xC0 read the input port; 0xD0/0xD1 read/
 * write the output port (bit 0 reset line, bit 1 A20); 0xD2/0xD3 write the
 * keyboard/aux output buffer; 0xD4 write to the aux device; 0xDD/0xDF A20
 * off/on; 0xF0-0xFF pulse output-port bits 3:0 that are 0 in the command.
 * A byte for the keyboard (port 0x60 with no command pending) or the mouse
 * (after 0xD4) finds no device: the controller times out, sets status bit
 * 6 and returns 0xFE, as an AT controller does with nothing attached.
 * A full output buffer raises IRQ 1 (keyboard byte, CTR bit 0) or IRQ 12
 * (aux byte, CTR bit 1) until it is read.
 */
#include "dev.h"

#include <errno.h>

#include <glib.h>

#define ST_OBF	   0x01
#define ST_SYS	   0x04
#define ST_CMD	   0x08
#define ST_UNLOCK  0x10
#define ST_AUX	   0x20
#define ST_TIMEOUT 0x40
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS	   0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define OUT_RESET  0x01 /* output port bit 0: 0 holds the CPU in reset */
#define OUT_A20	   0x02

struct dev_i8042 {
	struct dev_desc desc[2];
	struct dev_bus *bus;
	uint8_t status, ctr, outport, out, pending; /* pending: command awaiting data */
	bool irq1, irq12;
};

static void update_irq(struct dev_i8042 *k)
{
	bool full = k->status & ST_OBF, aux = k->status & ST_AUX;
	bool i1 = full && !aux && (k->ctr & CTR_KBDINT), i12 = full && aux && (k->ctr & CTR_AUXINT);

	if (i1 != k->irq1)
		dev_irq_line(k->bus, 1, k->irq1 = i1);
	if (i12 != k->irq12)
		dev_irq_line(k->bus, 12, k->irq12 = i12);
}

static void put(struct dev_i8042 *k, uint8_t v, bool aux)
{
	k->out = v;
	k->status = (uint8_t)((k->status & ~(ST_AUX | ST_TIMEOUT)) | ST_OBF | (aux ? ST_AUX : 0));
	update_irq(k);
}

static void set_outport(struct dev_i8042 *k, uint8_t v)
{
	k->outport = v;
	if (!(v & OUT_RESET))
		dev_bus_stop(k->bus, DEV_STOP_RESET, "i8042: the guest reset the machine (output "
			     "port bit 0 cleared)");
}

static void command(struct dev_i8042 *k, uint8_t c)
{
	switch (c) {
	case 0x20: put(k, k->ctr, false); break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: k->pending = c; break;
	case 0xa7: k->ctr |= CTR_AUXDIS; break;
	case 0xa8: k->ctr &= (uint8_t)~CTR_AUXDIS; break;
	case 0xa9: case 0xab: put(k, 0x00, false); break;
	case 0xaa:
		k->ctr |= CTR_SYS;
		k->status |= ST_SYS;
		put(k, 0x55, false);
		break;
	case 0xad: k->ctr |= CTR_KBDDIS; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBDDIS; break;
	case 0xc0: put(k, 0x80, false); break; /* input port: keyboard not inhibited */
	case 0xd0: put(k, k->outport, false); break;
	case 0xdd: k->outport &= (uint8_t)~OUT_A20; break;
	case 0xdf: k->outport |= OUT_A20; break;
	default:
		if (c >= 0xf0 && !(c & OUT_RESET)) /* pulse bit 0 low: reset */
			dev_bus_stop(k->bus, DEV_STOP_RESET, "i8042: the guest reset the machine "
				     "(command %#x)", c);
		break;
	}
	update_irq(k);
}

static void data(struct dev_i8042 *k, uint8_t v)
{
	uint8_t c = k->pending;

	k->pending = 0;
	switch (c) {
	case 0x60:
		k->ctr = v;
		k->status = (uint8_t)((k->status & ~ST_SYS) | (v & CTR_SYS ? ST_SYS : 0));
		update_irq(k);
		break;
	case 0xd1: set_outport(k, v); break;
	case 0xd2: put(k, v, false); break;
	case 0xd3: put(k, v, true); break;
	default: /* to the keyboard (no command) or the mouse (0xD4): nobody */
		put(k, 0xfe, c == 0xd4);
		k->status |= ST_TIMEOUT;
		break;
	}
}

static uint64_t i8042_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_i8042 *k = dev;

	if (addr == 0x64)
		return k->status;
	k->status &= (uint8_t)~(ST_OBF | ST_AUX);
	update_irq(k);
	return k->out;
}

static void i8042_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_i8042 *k = dev;

	if (addr == 0x64) {
		k->status |= ST_CMD;
		command(k, (uint8_t)val);
	} else {
		k->status &= (uint8_t)~ST_CMD;
		data(k, (uint8_t)val);
	}
}

static void i8042_free(void *dev)
{
	g_free(dev);
}

int dev_i8042_add(struct dev_bus *b)
{
	struct dev_i8042 *k = g_new0(struct dev_i8042, 1);
	int rc;

	k->bus = b;
	/* As firmware leaves it: self-tested (SYS), keyboard interrupt on,
	 * translation on; A20 on, reset line high. */
	k->ctr = CTR_KBDINT | CTR_SYS | 0x40;
	k->status = ST_SYS | ST_CMD | ST_UNLOCK;
	k->outport = OUT_RESET | OUT_A20;
	k->desc[0] = (struct dev_desc){.name = "i8042-data", .space = DEV_PIO, .base = 0x60,
				       .len = 1, .read = i8042_read, .write = i8042_write,
				       .free = i8042_free};
	k->desc[1] = (struct dev_desc){.name = "i8042-cmd", .space = DEV_PIO, .base = 0x64,
				       .len = 1, .read = i8042_read, .write = i8042_write};
	rc = dev_bus_add(b, &k->desc[0], k);
	if (rc) {
		g_free(k);
		return rc;
	}
	return dev_bus_add(b, &k->desc[1], k);
}
