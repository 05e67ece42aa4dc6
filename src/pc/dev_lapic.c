/*
 * The local APIC of the one CPU (Intel SDM Vol. 3A chapter 11, "Advanced
 * Programmable Interrupt Controller"), in xAPIC mode through its 4 KiB
 * MMIO page (IA32_APIC_BASE, default 0xFEE00000) and, when the CPU model
 * has x2APIC (CPUID.1:ECX[21]), in x2APIC mode through MSRs 800H-8FFH
 * (SDM 11.12). It is the CPU's interrupt controller (dev_intr_*): its own
 * IRR first, and the 8259 pair through LINT0 in ExtINT mode (virtual wire).
 *
 * Registers (SDM Table 11-1; x2APIC MSR = 800H + offset / 16, Table 11-6):
 *   020 ID (xAPIC: bits 31:24, writable as in QEMU; x2APIC: read-only),
 *   030 version 0x00050014 (QEMU's: version 14H, 6 LVT entries), 080 TPR,
 *   0A0 PPR (SDM 11.8.3.1), 0B0 EOI, 0D0 LDR, 0E0 DFR (xAPIC only), 0F0 SVR
 *   (bits 8:0 kept, as QEMU), 100-170 ISR, 180-1F0 TMR, 200-270 IRR, 280
 *   ESR, 300/310 ICR, 320-370 LVT timer, thermal, performance, LINT0,
 *   LINT1, error; 380 initial count, 390 current count, 3E0 divide
 *   configuration; x2APIC only: 83FH SELF IPI.
 * The MMIO page takes 32-bit accesses only (others read 0 and write
 * nothing, as QEMU); an address with no register sets ESR bit 7 (illegal
 * register address). In x2APIC mode the page is gone (reads 0) and MSR
 * accesses follow SDM 11.12.1.2: #GP for a read of a write-only register,
 * a write of a read-only one, a nonzero write to EOI or ESR, or an MSR with
 * no register.
 *
 * Where QEMU 7.2 and the SDM differ, the SDM is followed:
 *  - ESR: a write latches the errors found since the last write and
 *    clears them (SDM 11.5.3); QEMU never clears it.
 *  - A software-disabled APIC (SVR bit 8 clear) sets every LVT mask bit,
 *    and writes cannot clear them until it is enabled (SDM 11.4.7.2); QEMU
 *    leaves the LVTs alone, so its LINT0 still passes the 8259's requests.
 *  - A fixed interrupt with a vector below 16 is not accepted: "send" or
 *    "receive illegal vector" in ESR (SDM 11.5.3).
 *
 * The state at start is what QEMU shows a -kernel guest after SeaBIOS:
 * APIC_BASE 0xFEE00900 (enabled, BSP), SVR 0x1FF, LINT0 0x8700 (ExtINT,
 * level), LINT1 0x8400 (NMI, level), the other LVTs masked, DFR all ones.
 *
 * Timer (SDM 11.5.4): its clock is virtual time (1 ns per tick before the
 * divider, as QEMU's 1 GHz APIC timer), divided by 2^(n+1) for divide
 * configuration n (bits 0, 1, 3; 111 = 1). One-shot and periodic count
 * from the initial count; the interrupt comes when the count reaches zero
 * (QEMU's apic_next_timer: initial + 1 ticks after the load, then every
 * initial + 1 ticks). TSC-deadline mode (CPUID.1:ECX[24]) fires when the
 * TSC reaches IA32_TSC_DEADLINE (6E0H), then clears the MSR; the TSC
 * counts tsc_hz per second of virtual time (dev_tsc_at).
 *
 * ICR (SDM 11.6.1): there is one CPU, APIC ID 0. Fixed and lowest-priority
 * IPIs reach it when the destination (shorthand, physical ID 0 or 0xFF,
 * or a logical match of LDR/DFR) includes it; INIT, SIPI, NMI and SMI to
 * other CPUs go nowhere, as on a bus where nobody answers (no send-accept
 * error since the Pentium 4, SDM 11.5.3). INIT or NMI/SMI to itself is not
 * modelled: the run stops with a report (dev_bus_stop).
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "arch/x86.h"

#define APIC_BASE_BSP	 (1u << 8)  /* SDM 11.4.4, Figure 11-5 */
#define APIC_BASE_EXTD	 (1u << 10) /* x2APIC mode (SDM 11.12.1) */
#define APIC_BASE_EN	 (1u << 11)
#define APIC_DEFAULT	 UINT64_C(0xfee00000)
#define APIC_PAGE	 0x1000u

#define LAPIC_VERSION	 0x00050014u /* QEMU: version 14H, max LVT entry 5 */
#define LVT_N		 6
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };
#define LVT_MASKED	 (1u << 16)
#define LVT_LEVEL	 (1u << 15)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3) /* 0 one-shot, 1 periodic, 2 TSC deadline */
#define LVT_DM(v)	 (((v) >> 8) & 7)
/* Writable bits per LVT (SDM Figure 11-8): vector, delivery mode where
 * the entry has one, polarity/trigger for LINT0/1, mask, timer mode. */
static const uint32_t lvt_wmask[LVT_N] = {0x000700ff, 0x000107ff, 0x000107ff,
					  0x0001a7ff, 0x0001a7ff, 0x000100ff};

#define DM_FIXED  0
#define DM_LOWEST 1
#define DM_SMI	  2
#define DM_NMI	  4
#define DM_INIT	  5
#define DM_SIPI	  6
#define DM_EXTINT 7

#define SVR_ENABLE   (1u << 8)
#define SVR_WMASK    0x1ffu
#define ICR_WMASK    0x000ccfffu /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_LEVEL    (1u << 14)
#define ICR_TRIGGER  (1u << 15)
#define ESR_SEND_ILLEGAL_VEC (1u << 5)
#define ESR_RECV_ILLEGAL_VEC (1u << 6)
#define ESR_ILLEGAL_REG	     (1u << 7)

struct dev_lapic {
	struct dev_desc desc;
	uint64_t phys_mask; /* the base's bits: 12 to MAXPHYADDR - 1 */
	struct dev_msr_desc msr[3];
	struct dev_bus *bus;
	bool has_x2apic, has_tscdl;
	uint64_t tsc_hz;
	uint64_t base;	/* IA32_APIC_BASE */
	uint32_t id;	/* xAPIC: the 8-bit ID in bits 31:24 */
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t lvt[LVT_N];
	uint32_t initial, divide;
	uint64_t load;	       /* virtual time of the initial-count write */
	uint64_t deadline_tsc; /* IA32_TSC_DEADLINE, 0 = disarmed */
	uint64_t next;	       /* the timer's next interrupt, UINT64_MAX none */
	bool from_pic;	       /* the pending interrupt is the 8259's (ExtINT) */
};

uint64_t dev_tsc_at(uint64_t now, uint64_t tsc_hz)
{
	return (uint64_t)((unsigned __int128)now * tsc_hz / DEV_INSNS_PER_SEC);
}

static bool test_bit(const uint32_t *t, unsigned v)
{
	return t[v >> 5] & (1u << (v & 31));
}

static void set_bit(uint32_t *t, unsigned v, bool on)
{
	if (on)
		t[v >> 5] |= 1u << (v & 31);
	else
		t[v >> 5] &= ~(1u << (v & 31));
}

static int highest(const uint32_t *t)
{
	for (int i = 7; i >= 0; i--)
		if (t[i])
			return i * 32 + 31 - __builtin_clz(t[i]);
	return -1;
}

static bool hw_enabled(const struct dev_lapic *a)
{
	return a->base & APIC_BASE_EN;
}

static bool sw_enabled(const struct dev_lapic *a)
{
	return hw_enabled(a) && (a->svr & SVR_ENABLE);
}

static bool x2apic(const struct dev_lapic *a)
{
	return (a->base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

/* The APIC ID (the same 8 bits in both modes: one CPU, ID 0 at reset). */
static uint32_t apic_id(const struct dev_lapic *a)
{
	return a->id >> 24;
}

/* PPR (SDM 11.8.3.1): TPR if its class is not below the highest in-service
 * class, else that class with subclass 0. */
static uint32_t ppr(const struct dev_lapic *a)
{
	int isrv = highest(a->isr);
	uint32_t cls = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (a->tpr & 0xf0) >= cls ? a->tpr & 0xff : cls;
}

static void error(struct dev_lapic *a, uint32_t bits);

/* Accept a fixed interrupt into IRR (SDM 11.5.1, 11.8.4); TMR records the
 * trigger mode. */
static void accept(struct dev_lapic *a, unsigned vec, bool level)
{
	if (vec < 16) {
		error(a, ESR_RECV_ILLEGAL_VEC);
		return;
	}
	set_bit(a->irr, vec, true);
	set_bit(a->tmr, vec, level);
}

/* A local interrupt through LVT entry @n (SDM 11.5.1). */
static void local_deliver(struct dev_lapic *a, unsigned n)
{
	uint32_t v = a->lvt[n];

	if ((v & LVT_MASKED) || !hw_enabled(a))
		return;
	if (LVT_DM(v) == DM_FIXED)
		accept(a, v & 0xff, n >= LVT_LINT0 && n <= LVT_LINT1 && (v & LVT_LEVEL));
}

static void error(struct dev_lapic *a, uint32_t bits)
{
	bool fresh = (a->esr_pending | bits) != a->esr_pending;

	a->esr_pending |= bits;
	if (fresh)
		local_deliver(a, LVT_ERROR);
}

/* ---- timer ---- */

static unsigned divide_shift(uint32_t dcr)
{
	unsigned v = (dcr & 3) | ((dcr >> 1) & 4);

	return (v + 1) & 7;
}

static uint64_t deadline_time(const struct dev_lapic *a, uint64_t tsc)
{
	/* The first virtual time whose TSC is at least @tsc. */
	unsigned __int128 t = ((unsigned __int128)tsc * DEV_INSNS_PER_SEC + a->tsc_hz - 1) / a->tsc_hz;

	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* The timer's next expiry at or after @now, or UINT64_MAX. */
static uint64_t timer_next(const struct dev_lapic *a, uint64_t now)
{
	uint32_t mode = LVT_TIMER_MODE(a->lvt[LVT_TIMER]);
	unsigned sh = divide_shift(a->divide);
	uint64_t period = ((uint64_t)a->initial + 1) << sh, d;

	if (mode == 2)
		return a->has_tscdl && a->deadline_tsc ? deadline_time(a, a->deadline_tsc) : UINT64_MAX;
	if (!a->initial)
		return UINT64_MAX;
	d = now - a->load;
	if (mode == 1)
		return a->load + (d / period + 1) * period;
	return d < period ? a->load + period : UINT64_MAX;
}

static uint32_t current_count(const struct dev_lapic *a)
{
	uint64_t d = (a->bus->now - a->load) >> divide_shift(a->divide);
	uint32_t mode = LVT_TIMER_MODE(a->lvt[LVT_TIMER]);

	if (mode == 2 || !a->initial)
		return 0;
	if (mode == 1)
		return (uint32_t)(a->initial - d % ((uint64_t)a->initial + 1));
	return d >= a->initial ? 0 : (uint32_t)(a->initial - d);
}

static uint64_t lapic_advance(void *dev, uint64_t now)
{
	struct dev_lapic *a = dev;

	if (a->next <= now) {
		/* Expiries missed since the last call coalesce into the one IRR
		 * bit they would set. */
		local_deliver(a, LVT_TIMER);
		if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == 2) {
			a->deadline_tsc = 0; /* disarmed (SDM 11.5.4.1) */
			a->next = UINT64_MAX;
		} else {
			a->next = timer_next(a, now);
		}
	}
	return a->next;
}

static void timer_rearm(struct dev_lapic *a)
{
	a->next = timer_next(a, a->bus->now);
}

/* ---- interrupt acceptance: the CPU's INTR/INTA ---- */

static bool pic_through_lint0(const struct dev_lapic *a)
{
	uint32_t l = a->lvt[LVT_LINT0];

	if (!hw_enabled(a))
		return true; /* the APIC is off: the 8259 drives INTR directly */
	return !(l & LVT_MASKED) && LVT_DM(l) == DM_EXTINT;
}

static int lapic_pending(void *opaque)
{
	struct dev_lapic *a = opaque;
	int v;

	/* ExtINT ignores the priorities (QEMU asks the 8259 first too). */
	if (a->bus->pic && pic_through_lint0(a) && dev_pic_pending(a->bus->pic) >= 0) {
		a->from_pic = true;
		return dev_pic_pending(a->bus->pic);
	}
	a->from_pic = false;
	if (!sw_enabled(a))
		return -1;
	v = highest(a->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return v;
}

static int lapic_ack(void *opaque)
{
	struct dev_lapic *a = opaque;
	int v = lapic_pending(a);

	if (v < 0)
		return a->svr & 0xff; /* spurious (SDM 11.9) */
	if (a->from_pic)
		return dev_pic_ack(a->bus->pic);
	set_bit(a->irr, (unsigned)v, false);
	set_bit(a->isr, (unsigned)v, true);
	return v;
}

static void eoi(struct dev_lapic *a)
{
	int v = highest(a->isr);

	if (v < 0)
		return;
	set_bit(a->isr, (unsigned)v, false);
	if (test_bit(a->tmr, (unsigned)v) && a->bus->ioapic)
		dev_ioapic_eoi(a->bus->ioapic, (uint8_t)v);
}

/* ---- destinations and IPIs ---- */

/* Does a logical destination @dest name this APIC (SDM 11.6.2.2)? */
static bool logical_match(const struct dev_lapic *a, uint32_t dest)
{
	uint32_t ldr = x2apic(a) ? a->ldr : a->ldr >> 24;

	if (x2apic(a)) /* cluster (31:16) and a bit of the 16 in it */
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	if ((a->dfr >> 28) == 0xf) /* flat */
		return (dest & 0xff & ldr) != 0;
	return ((dest & 0xf0) == (ldr & 0xf0)) && (dest & ldr & 0x0f); /* cluster */
}

bool dev_lapic_is_dest(const struct dev_lapic *a, uint32_t dest, bool logical)
{
	uint32_t bcast = x2apic(a) ? UINT32_MAX : 0xff;

	if (!hw_enabled(a))
		return false;
	if (logical)
		return dest == bcast || logical_match(a, dest);
	return dest == bcast || dest == apic_id(a);
}

int dev_lapic_deliver(struct dev_lapic *a, unsigned mode, uint8_t vec, bool level)
{
	switch (mode) {
	case DM_FIXED:
	case DM_LOWEST:
		if (!sw_enabled(a))
			return 0; /* a disabled APIC accepts none (SDM 11.4.7.2) */
		accept(a, vec, level);
		return 0;
	default:
		return -ENOTSUP;
	}
}

static void send_ipi(struct dev_lapic *a)
{
	unsigned mode = LVT_DM(a->icr_lo), sh = (a->icr_lo >> 18) & 3;
	uint32_t dest = x2apic(a) ? a->icr_hi : a->icr_hi >> 24;
	bool self;

	/* INIT level de-assert: a bus synchronisation, no target. */
	if (mode == DM_INIT && !(a->icr_lo & ICR_LEVEL) && (a->icr_lo & ICR_TRIGGER))
		return;
	if ((mode == DM_FIXED || mode == DM_LOWEST) && (a->icr_lo & 0xff) < 16) {
		error(a, ESR_SEND_ILLEGAL_VEC);
		return;
	}
	switch (sh) {
	case 1: /* self */
	case 2: /* all including self */
		self = true;
		break;
	case 3: /* all excluding self: only absent CPUs */
		self = false;
		break;
	default:
		self = dev_lapic_is_dest(a, dest, a->icr_lo & (1u << 11));
		break;
	}
	if (!self)
		return; /* CPUs that do not exist: nobody answers */
	if (dev_lapic_deliver(a, mode, a->icr_lo & 0xff, a->icr_lo & ICR_TRIGGER) == 0)
		return;
	if (mode == DM_SIPI)
		return; /* a SIPI to a CPU not waiting for one is ignored (SDM 9.4.4) */
	dev_bus_stop(a->bus, DEV_STOP_UNSUPPORTED,
		     "local APIC: an IPI with delivery mode %u (INIT, NMI or SMI) to the running "
		     "CPU is not modelled", mode);
}

/* ---- registers ---- */

static void set_svr(struct dev_lapic *a, uint32_t v)
{
	a->svr = v & SVR_WMASK;
	if (!(a->svr & SVR_ENABLE))
		for (unsigned i = 0; i < LVT_N; i++)
			a->lvt[i] |= LVT_MASKED;
}

static void set_lvt(struct dev_lapic *a, unsigned n, uint32_t v)
{
	uint32_t m = lvt_wmask[n];

	if (n == LVT_TIMER && !a->has_tscdl)
		m &= ~(1u << 18); /* TSC-deadline mode bit reserved without it */
	a->lvt[n] = (a->lvt[n] & ~m) | (v & m);
	if (!(a->svr & SVR_ENABLE))
		a->lvt[n] |= LVT_MASKED;
	if (n == LVT_TIMER)
		timer_rearm(a);
}

/* Register index (offset / 16) -> value; false: no such readable register. */
static bool reg_read(struct dev_lapic *a, unsigned idx, uint64_t *out)
{
	uint32_t v;

	switch (idx) {
	case 0x02: v = x2apic(a) ? a->id >> 24 : a->id; break;
	case 0x03: v = LAPIC_VERSION; break;
	case 0x08: v = a->tpr; break;
	case 0x0a: v = ppr(a); break;
	case 0x0d: v = a->ldr; break;
	case 0x0e:
		if (x2apic(a))
			return false;
		v = a->dfr;
		break;
	case 0x0f: v = a->svr; break;
	case 0x10 ... 0x17: v = a->isr[idx - 0x10]; break;
	case 0x18 ... 0x1f: v = a->tmr[idx - 0x18]; break;
	case 0x20 ... 0x27: v = a->irr[idx - 0x20]; break;
	case 0x28: v = a->esr; break;
	case 0x30:
		if (x2apic(a)) {
			*out = (uint64_t)a->icr_hi << 32 | a->icr_lo;
			return true;
		}
		v = a->icr_lo;
		break;
	case 0x31:
		if (x2apic(a))
			return false;
		v = a->icr_hi;
		break;
	case 0x32 ... 0x37: v = a->lvt[idx - 0x32]; break;
	case 0x38: v = a->initial; break;
	case 0x39: v = current_count(a); break;
	case 0x3e: v = a->divide; break;
	case 0x0b: /* EOI: write-only */
		if (x2apic(a))
			return false;
		v = 0;
		break;
	default:
		return false;
	}
	*out = v;
	return true;
}

/* false: no such writable register (or a bad x2APIC value: #GP). */
static bool reg_write(struct dev_lapic *a, unsigned idx, uint64_t val)
{
	uint32_t v = (uint32_t)val;

	switch (idx) {
	case 0x02:
		if (x2apic(a))
			return false;
		a->id = v & 0xff000000u;
		break;
	case 0x08: a->tpr = v & 0xff; break;
	case 0x0b:
		if (x2apic(a) && val)
			return false;
		eoi(a);
		break;
	case 0x0d:
		if (x2apic(a))
			return false;
		a->ldr = v & 0xff000000u;
		break;
	case 0x0e:
		if (x2apic(a))
			return false;
		a->dfr = v | 0x0fffffffu;
		break;
	case 0x0f: set_svr(a, v); break;
	case 0x28:
		if (x2apic(a) && val)
			return false;
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case 0x30:
		a->icr_lo = v & ICR_WMASK;
		if (x2apic(a))
			a->icr_hi = (uint32_t)(val >> 32);
		send_ipi(a);
		break;
	case 0x31:
		if (x2apic(a))
			return false;
		a->icr_hi = v & 0xff000000u;
		break;
	case 0x32 ... 0x37: set_lvt(a, idx - 0x32, v); break;
	case 0x38:
		if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == 2)
			break; /* ignored in TSC-deadline mode (SDM 11.5.4.1) */
		a->initial = v;
		a->load = a->bus->now;
		timer_rearm(a);
		break;
	case 0x3e:
		a->divide = v & 0xb;
		timer_rearm(a);
		break;
	case 0x3f: /* SELF IPI, x2APIC only (SDM 11.12.11) */
		if (!x2apic(a))
			return false;
		if ((v & 0xff) < 16)
			error(a, ESR_SEND_ILLEGAL_VEC);
		else if (sw_enabled(a))
			accept(a, v & 0xff, false);
		break;
	case 0x03: case 0x0a: case 0x10 ... 0x27: case 0x39:
		/* read-only: xAPIC ignores the write, x2APIC raises #GP */
		return !x2apic(a);
	default:
		return false;
	}
	return true;
}

static uint64_t lapic_read(void *dev, uint64_t addr, unsigned size)
{
	struct dev_lapic *a = dev;
	uint64_t v = 0;

	if (size != 4 || (addr & 0xf) || !hw_enabled(a) || x2apic(a))
		return 0;
	if (!reg_read(a, (addr & 0xfff) >> 4, &v))
		error(a, ESR_ILLEGAL_REG);
	return (uint32_t)v;
}

static void lapic_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct dev_lapic *a = dev;

	if (size != 4 || (addr & 0xf) || !hw_enabled(a) || x2apic(a))
		return;
	if (!reg_write(a, (addr & 0xfff) >> 4, (uint32_t)val))
		error(a, ESR_ILLEGAL_REG);
}

/* The power-up and INIT state (SDM 11.4.7.1; QEMU's apic_init_reset):
 * ID and APIC_BASE kept. */
static void lapic_power_up(struct dev_lapic *a)
{
	a->tpr = a->ldr = a->esr = a->esr_pending = a->icr_lo = a->icr_hi = 0;
	a->dfr = UINT32_MAX;
	a->svr = 0xff;
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	memset(a->irr, 0, sizeof(a->irr));
	for (unsigned i = 0; i < LVT_N; i++)
		a->lvt[i] = LVT_MASKED;
	a->initial = a->divide = 0;
	a->load = a->bus->now;
	a->deadline_tsc = 0;
	a->next = UINT64_MAX;
}

/* ---- MSRs ---- */

static int base_rdmsr(void *dev, uint32_t msr, uint64_t *val)
{
	struct dev_lapic *a = dev;

	*val = a->base;
	return 0;
}

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.5): base (bits 12..MAXPHYADDR-1), EN,
 * EXTD; BSP is read-only. Legal state changes: off <-> xAPIC, xAPIC ->
 * x2APIC, x2APIC -> off; the others raise #GP, as does EXTD without x2APIC. */
static int base_wrmsr(void *dev, uint32_t msr, uint64_t val)
{
	struct dev_lapic *a = dev;
	uint64_t rsvd = ~(a->phys_mask | APIC_BASE_BSP | APIC_BASE_EN | APIC_BASE_EXTD);
	unsigned from = (a->base & APIC_BASE_EN ? 1 : 0) | (a->base & APIC_BASE_EXTD ? 2 : 0);
	unsigned to = (val & APIC_BASE_EN ? 1 : 0) | (val & APIC_BASE_EXTD ? 2 : 0);

	if ((val & rsvd) || (!a->has_x2apic && (val & APIC_BASE_EXTD)) || to == 2 ||
	    (from == 3 && to == 1) || (from == 0 && to == 3))
		return -EINVAL;
	if ((val & a->phys_mask) != (a->base & a->phys_mask) &&
	    dev_bus_move(a->bus, a, &a->desc, val & a->phys_mask))
		return -EINVAL;
	a->base = (val & ~(uint64_t)APIC_BASE_BSP) | (a->base & APIC_BASE_BSP);
	if (to == 0 && from != 0)
		lapic_power_up(a); /* and disabled; SDM 11.4.3 */
	if (to == 3 && from == 1)
		a->ldr = (apic_id(a) >> 4) << 16 | 1u << (apic_id(a) & 0xf); /* SDM 11.12.10.2 */
	return 0;
}

static int x2_rdmsr(void *dev, uint32_t msr, uint64_t *val)
{
	struct dev_lapic *a = dev;

	if (!x2apic(a) || !reg_read(a, msr - MSR_IA32_X2APIC_FIRST, val))
		return -EINVAL;
	return 0;
}

static int x2_wrmsr(void *dev, uint32_t msr, uint64_t val)
{
	struct dev_lapic *a = dev;
	unsigned idx = msr - MSR_IA32_X2APIC_FIRST;

	if (!x2apic(a) || (idx != 0x30 && (val >> 32)) || !reg_write(a, idx, val))
		return -EINVAL;
	return 0;
}

static int dl_rdmsr(void *dev, uint32_t msr, uint64_t *val)
{
	struct dev_lapic *a = dev;

	if (!a->has_tscdl)
		return -EINVAL;
	*val = a->deadline_tsc;
	return 0;
}

static int dl_wrmsr(void *dev, uint32_t msr, uint64_t val)
{
	struct dev_lapic *a = dev;

	if (!a->has_tscdl)
		return -EINVAL;
	/* Writes outside TSC-deadline mode are ignored (SDM 11.5.4.1). */
	if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) != 2)
		return 0;
	a->deadline_tsc = val;
	timer_rearm(a);
	return 0;
}

static void lapic_free(void *dev)
{
	g_free(dev);
}

int dev_lapic_add(struct dev_bus *b, const struct dev_pc_cfg *cfg)
{
	struct dev_lapic *a = g_new0(struct dev_lapic, 1);
	int rc;

	a->bus = b;
	a->has_x2apic = cfg->x2apic;
	a->has_tscdl = cfg->tsc_deadline && cfg->tsc_hz;
	a->tsc_hz = cfg->tsc_hz;
	a->phys_mask = ((UINT64_C(1) << (cfg->maxphyaddr ? cfg->maxphyaddr : 36)) - 1) &
		       ~(uint64_t)(APIC_PAGE - 1);
	a->base = APIC_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP;
	lapic_power_up(a);
	/* What SeaBIOS leaves (seen under QEMU 7.2): enabled, virtual wire. */
	a->svr = 0x1ff;
	a->lvt[LVT_LINT0] = LVT_LEVEL | DM_EXTINT << 8;
	a->lvt[LVT_LINT1] = LVT_LEVEL | DM_NMI << 8;
	a->desc = (struct dev_desc){.name = "lapic",
				    .space = DEV_MMIO,
				    .width = 4,
				    .base = APIC_DEFAULT,
				    .len = APIC_PAGE,
				    .read = lapic_read,
				    .write = lapic_write,
				    .advance = lapic_advance,
				    .free = lapic_free};
	a->msr[0] = (struct dev_msr_desc){MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, base_rdmsr,
					  base_wrmsr};
	a->msr[1] = (struct dev_msr_desc){MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, dl_rdmsr,
					  dl_wrmsr};
	a->msr[2] = (struct dev_msr_desc){MSR_IA32_X2APIC_FIRST, MSR_IA32_X2APIC_LAST, x2_rdmsr,
					  x2_wrmsr};
	rc = dev_bus_add(b, &a->desc, a);
	if (rc) {
		g_free(a);
		return rc;
	}
	for (unsigned i = 0; i < 3; i++)
		if ((rc = dev_bus_add_msr(b, &a->msr[i], a)))
			return rc; /* the bus frees @a */
	b->lapic = a;
	b->want_blocks = true;
	dev_intr_set_controller(b, lapic_pending, lapic_ack, a);
	return 0;
}
