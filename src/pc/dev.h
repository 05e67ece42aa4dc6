/*
 * The device layer: port-I/O devices registered through small descriptors
 * (as kvmtool's are), an interrupt line to the 8259 pair, and virtual time.
 *
 * Time is virtual: it is the number of guest instructions retired, never
 * wall clock, so a run is deterministic. The machine calls
 * dev_bus_advance() at block boundaries with the current count; devices with
 * timers (the PIT) raise their interrupts then. Port reads that depend on
 * time (the PIT counters, port 0x61) use b->now: the machine may set it to
 * an exact count before dev_bus_in/out, else it is the last advance time.
 *
 * All Unicorn exits and hooks stay in src/cpu/ (machine); devices see only
 * this interface, so the fuller PC of later issues (RTC, PCI, ...) is more
 * descriptors on the same bus.
 *
 * Changes from the lead's draft (c3): struct dev_desc gained @width (the
 * bus splits wider accesses into byte accesses, as the ISA bus does);
 * struct dev_bus gained @now and per-entry deadlines; each device has an
 * add function (dev_uart_add, ...) that dev_pc_init() calls. Everything c1
 * codes against keeps its name and meaning.
 */
#ifndef TDPSIM_PC_DEV_H
#define TDPSIM_PC_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct dev_bus;
struct dev_pic;
struct dev_fwcfg;

/* One device: a port range and its callbacks. @size is 1, 2 or 4. */
struct dev_desc {
	const char *name;
	uint16_t base, len;
	/* Widest access the callbacks take (1, 2 or 4; 0 means 1). The bus
	 * splits a wider access into byte accesses at consecutive ports,
	 * little-endian, as an 8-bit ISA device sees it. */
	uint8_t width;
	uint32_t (*in)(void *dev, uint16_t port, unsigned size);
	void (*out)(void *dev, uint16_t port, unsigned size, uint32_t val);
	/* Optional: called with the virtual time (instructions) at block
	 * boundaries and after every write to the device; returns the next
	 * time it wants to be called, or UINT64_MAX. */
	uint64_t (*advance)(void *dev, uint64_t now);
	void (*free)(void *dev);
};

/* Virtual time: instructions per second of guest time (PIT and TSC rates
 * are derived from it). */
#define DEV_INSNS_PER_SEC 1000000000ull

struct dev_entry {
	const struct dev_desc *d;
	void *dev;
	uint64_t next; /* advance(): next wanted time, UINT64_MAX if none */
};

struct dev_bus {
	struct dev_entry *dev; /* registered devices, in order */
	unsigned ndev, cap;
	struct dev_pic *pic;	/* the 8259 pair: the interrupt line */
	struct dev_fwcfg *fwcfg; /* QEMU's fw_cfg (the boot path fills its kernel items) */
	uint64_t now;		/* virtual time of the current access */
	uint64_t next_deadline; /* min over devices' advance() results */
	/* isa-debug-exit: the guest asked to stop; status = (value << 1) | 1
	 * (the process exit status is its low 8 bits, as with QEMU's exit()). */
	bool exit_requested;
	int exit_status;
	FILE *console;			      /* UART output (stdout by default); NULL drops it */
	uint64_t unclaimed_in, unclaimed_out; /* accesses to no device */
	uint8_t post_code;		      /* last byte written to port 0x80 */
};

void dev_bus_init(struct dev_bus *b, FILE *console);
/* Frees every device (its free callback) and the table. */
void dev_bus_free(struct dev_bus *b);
/* 0, -EEXIST (ports overlap a registered device), -EINVAL (empty range or
 * past port 0xFFFF) or -ENOMEM. */
int dev_bus_add(struct dev_bus *b, const struct dev_desc *d, void *dev);
/* Unclaimed reads return all ones, as on a PC. */
uint32_t dev_bus_in(struct dev_bus *b, uint16_t port, unsigned size);
void dev_bus_out(struct dev_bus *b, uint16_t port, unsigned size, uint32_t val);
/* Run device timers up to @now; cheap when now < next_deadline. */
void dev_bus__advance(struct dev_bus *b, uint64_t now);
static inline void dev_bus_advance(struct dev_bus *b, uint64_t now)
{
	b->now = now;
	if (now >= b->next_deadline)
		dev_bus__advance(b, now);
}

/* What the board is built from (machine.c fills it from the run options
 * and the config). */
struct dev_pc_cfg {
	uint64_t ram_below_4g, ram_above_4g; /* guest RAM, bytes */
	unsigned ncpus;
	int64_t rtc_base; /* the RTC's date at virtual time 0, Unix time (UTC) */
};

/* The PC: 16550 UART at 0x3F8 (IRQ 4), isa-debug-exit at 0xF4, the 8259
 * pair (0x20/0xA0, ELCR 0x4D0), the 8254 PIT (0x40-0x43, channel 0 on IRQ
 * 0; 0x61 gate), port 0x80 and the CMOS RTC (0x70/0x71, IRQ 8). 0 or a
 * negative errno. */
int dev_pc_init(struct dev_bus *b, const struct dev_pc_cfg *cfg);

/* The devices one by one (dev_pc_init calls these). The PIC comes first:
 * the others find it at b->pic. */
int dev_pic_add(struct dev_bus *b);
int dev_uart_add(struct dev_bus *b, uint16_t base, unsigned irq);
int dev_debugexit_add(struct dev_bus *b, uint16_t base);
int dev_pit_add(struct dev_bus *b);
int dev_port80_add(struct dev_bus *b);
/* The RTC is given the date and what NVRAM says about memory and CPUs. */
int dev_rtc_add(struct dev_bus *b, const struct dev_pc_cfg *cfg);

/* QEMU's fw_cfg at 0x510/0x511 (dev_fwcfg.c): item selectors
 * (docs/specs/fw_cfg.rst, QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define DEV_FWCFG_SIGNATURE	0x00
#define DEV_FWCFG_ID		0x01
#define DEV_FWCFG_UUID		0x02
#define DEV_FWCFG_RAM_SIZE	0x03
#define DEV_FWCFG_NB_CPUS	0x05
#define DEV_FWCFG_KERNEL_ADDR	0x07
#define DEV_FWCFG_KERNEL_SIZE	0x08
#define DEV_FWCFG_KERNEL_CMDLINE 0x09
#define DEV_FWCFG_INITRD_ADDR	0x0a
#define DEV_FWCFG_INITRD_SIZE	0x0b
#define DEV_FWCFG_MAX_CPUS	0x0f
#define DEV_FWCFG_KERNEL_ENTRY	0x10
#define DEV_FWCFG_KERNEL_DATA	0x11
#define DEV_FWCFG_INITRD_DATA	0x12
#define DEV_FWCFG_CMDLINE_ADDR	0x13
#define DEV_FWCFG_CMDLINE_SIZE	0x14
#define DEV_FWCFG_CMDLINE_DATA	0x15
#define DEV_FWCFG_FILE_DIR	0x19
#define DEV_FWCFG_FILE_FIRST	0x20
#define DEV_FWCFG_KEY_MAX	0x4000 /* bit 14 is QEMU's write flag */
int dev_fwcfg_add(struct dev_bus *b, const struct dev_pc_cfg *cfg);
/* Set item @key to a copy of @len bytes (0, or -EINVAL for the directory
 * and file selectors); _le: the low @n bytes of @v, little-endian. */
int dev_fwcfg_set(struct dev_fwcfg *f, uint16_t key, const void *data, size_t len);
int dev_fwcfg_set_le(struct dev_fwcfg *f, uint16_t key, uint64_t v, unsigned n);
/* Add a file (a copy); 0, -EEXIST, -EINVAL (name of 56 bytes or more) or
 * -ENOSPC. */
int dev_fwcfg_add_file(struct dev_fwcfg *f, const char *name, const void *data, size_t len);

/* The 8254 input clock (Hz). PIT tick n happens at instruction count
 * floor(n * DEV_INSNS_PER_SEC / DEV_PIT_HZ): exact, no drift. */
#define DEV_PIT_HZ 1193182ull
/* Ticks elapsed at instruction count @t, and the time of tick @n. */
uint64_t dev_pit_ticks(uint64_t t);
uint64_t dev_pit_tick_time(uint64_t n);

/* The interrupt line. IRQ 0-7 master, 8-15 slave. Edge-triggered lines
 * (ELCR bit clear) latch a rising edge; level-triggered ones follow @level. */
void dev_pic_set_irq(struct dev_pic *p, unsigned irq, bool level);
/* The vector the PIC pair would deliver now (highest-priority unmasked
 * request not blocked by in-service), or -1. */
int dev_pic_pending(const struct dev_pic *p);
/* INTA: acknowledge and return the vector (marks it in service). A request
 * gone by then gives the spurious vector of IRQ 7 (or 15 via IRQ 2). */
int dev_pic_ack(struct dev_pic *p);

#endif
