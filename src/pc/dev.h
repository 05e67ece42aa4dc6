/*
 * The board: devices registered through one small descriptor for port I/O
 * and MMIO alike (as kvmtool's kvm__register_iotrap), the guest-physical
 * memory map around RAM (MMIO, ROM, unassigned space), interrupt lines
 * routed to every interrupt controller that listens (dev_irq_line), and
 * virtual time.
 *
 * Time is virtual: it is the number of guest instructions retired, never
 * wall clock, so a run is deterministic. The machine calls
 * dev_bus_advance() at block boundaries with the current count; devices with
 * timers (the PIT) raise their interrupts then. Accesses that depend on
 * time (the PIT counters, port 0x61) use b->now: the machine sets it to
 * the exact count before an access, else it is the last advance time.
 *
 * All Unicorn exits and hooks stay in src/cpu/ (machine.c); devices see
 * only this interface.
 */
#ifndef TDPSIM_PC_DEV_H
#define TDPSIM_PC_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/ram.h"

struct dev_bus;
struct dev_pic;
struct dev_fwcfg;
struct dev_lapic;
struct dev_ioapic;
struct dev_rtc;

/* What the CMOS holds across a machine reset (dev_rtc_save): its 128
 * bytes and the clock's time. */
struct dev_cmos {
	uint8_t bytes[128];
	int64_t time; /* Unix time the clock showed */
};

/* Which address space a descriptor claims. */
enum dev_space {
	DEV_PIO = 0, /* I/O ports 0-0xFFFF */
	DEV_MMIO,    /* guest-physical addresses outside RAM */
};

/*
 * One device range and its callbacks. @addr is absolute (the port, or the
 * guest-physical address); @size is 1, 2, 4 or 8 and never more than
 * @width. A port access wider than @width is split into byte accesses at
 * consecutive ports (as an 8-bit ISA device sees a 16- or 32-bit IN/OUT);
 * an MMIO access wider than @width into @width-sized pieces, little-endian.
 * A missing @read reads as all ones (ports) or 0 (MMIO); a missing @write
 * drops the write.
 */
struct dev_desc {
	const char *name;
	uint8_t space;  /* enum dev_space */
	uint8_t width;  /* widest access the callbacks take (1, 2, 4, 8; 0 means 1) */
	uint64_t base, len;
	uint64_t (*read)(void *dev, uint64_t addr, unsigned size);
	void (*write)(void *dev, uint64_t addr, unsigned size, uint64_t val);
	/* Optional: called with the virtual time (instructions) at block
	 * boundaries and after every write to the device; returns the next
	 * time it wants to be called, or UINT64_MAX. */
	uint64_t (*advance)(void *dev, uint64_t now);
	void (*free)(void *dev);
};

/* MSRs a device owns (a local APIC: IA32_APIC_BASE, TSC_DEADLINE, the
 * x2APIC range). The callbacks return 0, or -EINVAL for #GP(0). */
struct dev_msr_desc {
	uint32_t first, last; /* inclusive */
	int (*rdmsr)(void *dev, uint32_t msr, uint64_t *val);
	int (*wrmsr)(void *dev, uint32_t msr, uint64_t val);
};

/* Virtual time: instructions per second of guest time (PIT and TSC rates
 * are derived from it). */
#define DEV_INSNS_PER_SEC 1000000000ull

struct dev_entry {
	const struct dev_desc *d;
	void *dev;
	uint64_t base;	/* where it is now (d->base until dev_bus_move) */
	uint64_t next; /* advance(): next wanted time, UINT64_MAX if none */
};

/* A read-only region: guest reads return @bytes, writes are dropped. */
struct dev_rom {
	const char *name;
	uint64_t base, len;
	uint8_t *bytes;
};

struct dev_msr_entry {
	const struct dev_msr_desc *d;
	void *dev;
};

struct dev_irq_listener {
	void (*set)(void *opaque, unsigned n, bool level);
	void *opaque;
};

#define DEV_MAX_ROMS	  4
#define DEV_MAX_MSR_DEVS  8
#define DEV_MAX_IRQ_LISTEN 4

/* Unassigned accesses (no RAM, ROM or device): counted, and each written to
 * @log if set (--log unassigned). */
struct dev_unassigned {
	uint64_t port_reads, port_writes; /* reads give all ones */
	uint64_t mem_reads, mem_writes;	  /* reads give 0; writes (and ROM writes) are dropped */
	uint64_t rom_writes;
	FILE *log;
};

struct dev_bus {
	struct dev_entry *dev; /* registered port and MMIO ranges, in order */
	unsigned ndev, cap;
	struct cpu_ram *ram;   /* the RAM the map is built around (NULL: none) */
	struct dev_rom rom[DEV_MAX_ROMS];
	unsigned nrom;
	struct dev_msr_entry msr[DEV_MAX_MSR_DEVS];
	unsigned nmsr;
	struct dev_pic *pic;	/* the 8259 pair */
	struct dev_irq_listener listen[DEV_MAX_IRQ_LISTEN];
	unsigned nlisten;
	/* The interrupt controller the CPU asks (INTR/INTA): the 8259 pair
	 * unless a local APIC took over (dev_intr_set_controller). */
	int (*intr_pending)(void *opaque);
	int (*intr_ack)(void *opaque);
	void *intr_opaque;
	struct dev_fwcfg *fwcfg; /* QEMU's fw_cfg (the boot path fills its kernel items) */
	struct dev_rtc *rtc;	   /* the CMOS RTC (NULL: none) */
	struct dev_lapic *lapic;   /* the CPU's local APIC (NULL: none) */
	struct dev_ioapic *ioapic; /* the I/O APIC (NULL: none) */
	uint64_t now;		/* virtual time of the current access */
	/* A device needs virtual time to advance block by block (the block
	 * hook) from now on: a local APIC (interrupts can become pending
	 * through any MMIO write, and stopping inside an MMIO write makes
	 * Unicorn run its block again), or a guest polling a clock. */
	bool want_blocks;
	uint64_t next_deadline; /* min over devices' advance() results */
	/* A device asked the machine to stop (dev_bus_stop): why, and for
	 * isa-debug-exit the status (value << 1) | 1 (the process exit status
	 * is its low 8 bits, as with QEMU's exit()); ACPI S5 gives 0. */
	bool exit_requested;
	uint8_t stop_kind; /* enum dev_stop */
	int64_t exit_status; /* up to 33 bits: a 4-byte value shifted */
	char stop_msg[160];
	FILE *console;		  /* UART output (stdout by default); NULL drops it */
	struct dev_unassigned un; /* accesses to nothing */
	uint8_t post_code;	  /* last byte written to port 0x80 */
};

void dev_bus_init(struct dev_bus *b, FILE *console);
/* Frees every device (its free callback), the ROMs and the tables. */
void dev_bus_free(struct dev_bus *b);
/* Register @d for @dev: 0, -EEXIST (overlaps a registered range of its
 * space, RAM or a ROM), -EINVAL (empty, past port 0xFFFF or past 2^52) or
 * -ENOMEM. MMIO ranges may be added at any time. */
int dev_bus_add(struct dev_bus *b, const struct dev_desc *d, void *dev);
/* Move the range @d registered for @dev to @base (a relocatable MMIO window
 * such as the local APIC's). 0, -ENOENT, -EEXIST or -EINVAL. */
int dev_bus_move(struct dev_bus *b, void *dev, const struct dev_desc *d, uint64_t base);
/* Port I/O. Unclaimed reads return all ones, as on a PC. */
uint32_t dev_bus_in(struct dev_bus *b, uint16_t port, unsigned size);
void dev_bus_out(struct dev_bus *b, uint16_t port, unsigned size, uint32_t val);
/* Guest-physical access outside RAM (@size 1, 2, 4 or 8): a device, a ROM,
 * or unassigned space (reads 0, writes dropped). */
uint64_t dev_mem_read(struct dev_bus *b, uint64_t gpa, unsigned size);
void dev_mem_write(struct dev_bus *b, uint64_t gpa, unsigned size, uint64_t val);
/* Any guest-physical access: RAM first, else dev_mem_*. */
uint64_t dev_phys_read(struct dev_bus *b, uint64_t gpa, unsigned size);
void dev_phys_write(struct dev_bus *b, uint64_t gpa, unsigned size, uint64_t val);
/* A ROM of @len bytes at @gpa (4 KiB aligned, outside RAM and every other
 * range): *@bytes is its zeroed contents for the caller to fill. 0,
 * -EEXIST, -EINVAL, -ENOSPC or -ENOMEM. */
int dev_mem_add_rom(struct dev_bus *b, const char *name, uint64_t gpa, uint64_t len,
		    uint8_t **bytes);
/* The ROM that holds @gpa, or NULL. */
struct dev_rom *dev_mem_rom(struct dev_bus *b, uint64_t gpa);
/* Its little-endian value of @size bytes at @gpa (0 past its end): no
 * effect on the machine. */
uint64_t dev_rom_peek(const struct dev_rom *r, uint64_t gpa, unsigned size);
/* MSRs: -ENOENT when no device owns @msr, else the device's answer. */
int dev_bus_add_msr(struct dev_bus *b, const struct dev_msr_desc *d, void *dev);
int dev_bus_rdmsr(struct dev_bus *b, uint32_t msr, uint64_t *val);
int dev_bus_wrmsr(struct dev_bus *b, uint32_t msr, uint64_t val);

/* Why a device stops the machine. */
enum dev_stop {
	DEV_STOP_EXIT = 0,    /* isa-debug-exit: exit_status */
	DEV_STOP_POWEROFF,    /* ACPI S5: exit status 0 */
	DEV_STOP_RESET,	      /* a reset line (8042, 0xCF9): report, or reboot */
	DEV_STOP_UNSUPPORTED, /* a guest action the platform does not model: report */
};
/* Ask the machine to stop at the next instruction boundary with a reason
 * (the first request wins). */
void dev_bus_stop(struct dev_bus *b, enum dev_stop kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Run device timers up to @now; cheap when now < next_deadline. */
void dev_bus__advance(struct dev_bus *b, uint64_t now);
static inline void dev_bus_advance(struct dev_bus *b, uint64_t now)
{
	b->now = now;
	if (now >= b->next_deadline)
		dev_bus__advance(b, now);
}

/*
 * Interrupt routing. A device drives line @n (ISA IRQ / GSI) with
 * dev_irq_line(); every listener hears it: the 8259 pair for n < 16, an
 * I/O APIC for its pins (it maps ISA IRQ 0 to GSI 2 itself, as QEMU's pc).
 * The CPU asks one controller: dev_intr_pending() (the vector that would
 * be delivered now, or -1) and dev_intr_ack() (INTA: the vector, marked in
 * service, or -1).
 */
void dev_irq_line(struct dev_bus *b, unsigned n, bool level);
int dev_irq_listen(struct dev_bus *b, void (*set)(void *opaque, unsigned n, bool level),
		   void *opaque);
int dev_intr_pending(const struct dev_bus *b);
int dev_intr_ack(struct dev_bus *b);
void dev_intr_set_controller(struct dev_bus *b, int (*pending)(void *), int (*ack)(void *),
			     void *opaque);

/*
 * The PC's guest-physical layout for @mem_bytes of RAM, as QEMU 7.2's pc
 * machine (pc_piix.c): RAM below 4 GiB up to 3.5 GiB; with more, 3 GiB
 * below the PCI hole and the rest from 4 GiB. The VGA window
 * [0xA0000, 0xC0000) and the BIOS area [0xF0000, 0x100000) are not RAM.
 * Allocates @ram. 0, or -EINVAL / -ENOMEM.
 */
int dev_pc_ram_init(struct cpu_ram *ram, uint64_t mem_bytes);
/* The same layout without the buffer: @ram gets its size and holes, and
 * base NULL (the caller allocates at least ram->size bytes). */
int dev_pc_ram_layout(struct cpu_ram *ram, uint64_t mem_bytes);
#define DEV_PC_VGA_LO	    UINT64_C(0xa0000)
#define DEV_PC_VGA_HI	    UINT64_C(0xc0000)
#define DEV_PC_BIOS_LO	    UINT64_C(0xf0000)
#define DEV_PC_BIOS_HI	    UINT64_C(0x100000)
#define DEV_PC_HIGH_RAM	    (UINT64_C(1) << 32)
#define DEV_PC_LOWMEM_SPLIT UINT64_C(0xe0000000) /* more RAM than this is split ... */
#define DEV_PC_LOWMEM_GB    UINT64_C(0xc0000000) /* ... at 3 GiB (gigabyte_align) */
/* Guest-physical addresses end here (x86-64's architectural maximum
 * MAXPHYADDR): the map covers [0, DEV_PHYS_END). */
#define DEV_PHYS_END (UINT64_C(1) << 52)


/* What the board is built from (machine.c fills it from the run options
 * and the config). */
struct dev_pc_cfg {
	struct cpu_ram *ram; /* the RAM the memory map is built around (NULL: none, tests) */
	/* QEMU's below_4g_mem_size / above_4g_mem_size: where RAM below 4 GiB
	 * ends, and how much there is from 4 GiB. */
	uint64_t ram_below_4g, ram_above_4g;
	unsigned ncpus;
	int64_t rtc_base; /* the RTC's date at virtual time 0, Unix time (UTC) */
	/* The CPU model, as the local APIC sees it. */
	bool x2apic, tsc_deadline; /* CPUID.1:ECX[21], [24] */
	uint64_t tsc_hz;	   /* TSC ticks per second of virtual time */
	uint8_t maxphyaddr;	   /* width of IA32_APIC_BASE's base field */
	/* After a reset: the CMOS as it was (rtc_base is then ignored). */
	const struct dev_cmos *cmos;
};

/* The PC: 16550 UART at 0x3F8 (IRQ 4), isa-debug-exit at 0xF4, the 8259
 * pair (0x20/0xA0, ELCR 0x4D0), the local APIC (0xFEE00000) and I/O APIC
 * (0xFEC00000), the 8254 PIT (0x40-0x43, channel 0 on IRQ 0; 0x61 gate),
 * port 0x80, the CMOS RTC (0x70/0x71, IRQ 8), fw_cfg (0x510), pc-testdev,
 * the 8042 (0x60/0x64), PCI configuration space (0xCF8) with the host
 * bridge, ACPI (PM ports 0x600-0x60B, tables in the BIOS-area ROM). 0 or a
 * negative errno. */
int dev_pc_init(struct dev_bus *b, const struct dev_pc_cfg *cfg);

/* The devices one by one (dev_pc_init calls these). The PIC comes first:
 * the others find it at b->pic. */
int dev_pic_add(struct dev_bus *b);
int dev_uart_add(struct dev_bus *b, uint16_t base, unsigned irq);
int dev_debugexit_add(struct dev_bus *b, uint16_t base);
int dev_pit_add(struct dev_bus *b);
int dev_port80_add(struct dev_bus *b);
/* The RTC is given the date and what NVRAM says about memory and CPUs
 * (or, after a reset, the CMOS it had: cfg->cmos). */
int dev_rtc_add(struct dev_bus *b, const struct dev_pc_cfg *cfg);
/* The CMOS now, for the next boot of a reset machine. */
void dev_rtc_save(const struct dev_rtc *r, struct dev_cmos *out);

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

/* The local APIC (dev_lapic.c): registers its MMIO page, IA32_APIC_BASE,
 * IA32_TSC_DEADLINE and the x2APIC MSRs, and becomes the CPU's interrupt
 * controller (dev_intr_set_controller). */
int dev_lapic_add(struct dev_bus *b, const struct dev_pc_cfg *cfg);
/* Does destination @dest (physical APIC ID, or a logical MDA) name it? */
bool dev_lapic_is_dest(const struct dev_lapic *a, uint32_t dest, bool logical);
/* An interrupt message (from the I/O APIC): 0 accepted or ignored as the
 * SDM says, -ENOTSUP for a delivery mode not modelled (NMI, SMI, INIT,
 * ExtINT). */
int dev_lapic_deliver(struct dev_lapic *a, unsigned mode, uint8_t vec, bool level);
/* The TSC at virtual time @now: tsc_hz ticks per second, exactly. */
uint64_t dev_tsc_at(uint64_t now, uint64_t tsc_hz);

/* The I/O APIC (dev_ioapic.c) at 0xFEC00000, listening to dev_irq_line. */
int dev_ioapic_add(struct dev_bus *b);
/* An EOI of level vector @vec (the local APIC's broadcast). */
void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vec);

/* QEMU's pc-testdev (dev_testdev.c), the 8042 (dev_i8042.c), PCI
 * configuration space with the host bridge (dev_pci.c), and ACPI: the
 * PM1/PM timer ports and the tables in the BIOS ROM (dev_acpi_pm.c). */
int dev_testdev_add(struct dev_bus *b);
int dev_i8042_add(struct dev_bus *b);
int dev_pci_add(struct dev_bus *b);
int dev_acpi_add(struct dev_bus *b);

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
