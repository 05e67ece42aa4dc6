/*
 * 16550A UART (the PC's COM1 at 0x3F8, IRQ 4): the guest console.
 *
 * Transmission is instant: a byte written to THR goes to bus->console at
 * once, in order and unchanged, so LSR always shows THRE|TEMT. Nothing is
 * ever received, except in loopback mode (MCR bit 4), where a transmitted
 * byte comes back in RBR as on the chip; Linux's 8250 probe relies on that
 * and on MSR mirroring MCR. The console is flushed at every newline, so
 * guest output and tdpsim's own stderr reports interleave in order.
 *
 * Registers (National Semiconductor PC16550D data sheet, Table II), by
 * offset and LCR.DLAB:
 *   0 DLAB=0: RBR (read) / THR (write)    DLAB=1: DLL
 *   1 DLAB=0: IER                          DLAB=1: DLM
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR (scratch)
 * Interrupts, by priority (IIR): line status (0x06), received data (0x04),
 * THR empty (0x02), modem status (0x00); the IRQ line is driven only while
 * MCR.OUT2 is set, as on a PC.
 */
#include "dev.h"

#include <errno.h>

#include <glib.h>

#define UART_IER_ERBFI 0x01 /* received data available interrupt */
#define UART_IER_ETBEI 0x02 /* THR empty interrupt */
#define UART_IER_ELSI  0x04 /* receiver line status interrupt */
#define UART_IER_EDSSI 0x08 /* modem status interrupt */

#define UART_IIR_NONE 0x01 /* no interrupt pending */
#define UART_IIR_MSI  0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI  0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_FIFO 0xc0 /* FIFOs enabled (FCR bit 0) */

#define UART_FCR_ENABLE 0x01

#define UART_LCR_DLAB 0x80 /* divisor latch access */

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* gates the IRQ line on a PC */
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR   0x01 /* data ready */
#define UART_LSR_OE   0x02 /* overrun */
#define UART_LSR_THRE 0x20 /* THR empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */

#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI  0x40
#define UART_MSR_DCD 0x80

struct dev_uart {
	struct dev_desc desc; /* per instance: it carries the base port */
	struct dev_bus *bus;
	uint16_t base;
	unsigned irq;
	uint8_t rbr, ier, fcr, lcr, mcr, lsr, scr, dll, dlm;
	bool thr_irq; /* THR-empty interrupt pending (cleared by IIR read or THR write) */
};

static uint8_t uart_iir(const struct dev_uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_OE))
		return fifo | UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && (u->lsr & UART_LSR_DR))
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_ETBEI) && u->thr_irq)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NONE;
}

static void uart_update_irq(struct dev_uart *u)
{
	bool level = !(uart_iir(u) & UART_IIR_NONE) && (u->mcr & UART_MCR_OUT2);

	dev_irq_line(u->bus, u->irq, level);
}

static void uart_transmit(struct dev_uart *u, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP) {
		if (u->lsr & UART_LSR_DR)
			u->lsr |= UART_LSR_OE;
		u->rbr = byte;
		u->lsr |= UART_LSR_DR;
	} else if (u->bus->console) {
		fputc(byte, u->bus->console);
		if (byte == '\n')
			fflush(u->bus->console);
	}
	u->thr_irq = true; /* transmitted at once: THR is empty again */
}

static uint8_t uart_msr(const struct dev_uart *u)
{
	uint8_t m = u->mcr;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS; /* a terminal is attached */
	return (uint8_t)(((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
			 ((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
			 ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
			 ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

static uint64_t uart_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_uart *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = 0;

	switch (port - u->base) {
	case 0:
		if (dlab)
			return u->dll;
		v = u->rbr;
		u->lsr &= (uint8_t)~UART_LSR_DR;
		break;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		v = uart_iir(u);
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thr_irq = false; /* reading IIR clears a THRE source */
		break;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = u->lsr | UART_LSR_THRE | UART_LSR_TEMT;
		u->lsr &= (uint8_t)~UART_LSR_OE; /* reading LSR clears error bits */
		break;
	case 6:
		return uart_msr(u);
	case 7:
		return u->scr;
	}
	uart_update_irq(u);
	return v;
}

static void uart_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct dev_uart *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v = (uint8_t)val;

	switch (port - u->base) {
	case 0:
		if (dlab)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case 1:
		if (dlab) {
			u->dlm = v;
		} else {
			/* Enabling ETBEI with THR empty raises THRE at once. */
			if (!(u->ier & UART_IER_ETBEI) && (v & UART_IER_ETBEI))
				u->thr_irq = true;
			u->ier = v & 0x0f;
		}
		break;
	case 2:
		u->fcr = v & (UART_FCR_ENABLE | 0xc0); /* enable and trigger level */
		if (v & 0x02)			       /* clear receive FIFO */
			u->lsr &= (uint8_t)~UART_LSR_DR;
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v & UART_MCR_MASK;
		break;
	case 7:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only (factory test writes ignored) */
		break;
	}
	uart_update_irq(u);
}

static void uart_free(void *dev)
{
	g_free(dev);
}

static const struct dev_desc uart_desc = {
    .name = "uart16550",
    .len = 8,
    .read = uart_in,
    .write = uart_out,
    .free = uart_free,
};

int dev_uart_add(struct dev_bus *b, uint16_t base, unsigned irq)
{
	struct dev_uart *u = g_try_new0(struct dev_uart, 1);
	int rc;

	if (!u)
		return -ENOMEM;
	*u = (struct dev_uart){
	    .desc = uart_desc, .bus = b, .base = base, .irq = irq, .dll = 0x0c /* 9600 baud */};
	u->desc.base = base;
	rc = dev_bus_add(b, &u->desc, u);
	if (rc)
		g_free(u);
	return rc;
}
