/*
 * Guest-physical RAM: one host buffer indexed by guest-physical address,
 * with holes where the board has no RAM; bounds-checked accessors.
 * Little-endian, as x86 memory is. What is in a hole (MMIO, ROM, nothing)
 * is the board's business (pc/dev.h).
 */
#ifndef TDPSIM_CPU_RAM_H
#define TDPSIM_CPU_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GPA ranges inside [0, size) that are not RAM (a PC's VGA window, BIOS
 * area and PCI hole): the buffer has bytes there that nothing may use. */
#define CPU_RAM_MAX_HOLES 4

struct cpu_ram_hole {
	uint64_t lo, hi; /* [lo, hi), 4 KiB aligned */
};

/*
 * Guest-physical RAM: byte GPA a is base[a] for every a in [0, size) that
 * is in no hole (the host buffer is as large as the highest RAM address;
 * a hole's pages are never touched, so they cost address space only).
 * Holes are sorted and disjoint. cpu_ram_init() makes RAM without holes.
 */
struct cpu_ram {
	uint8_t *base;
	uint64_t size;
	unsigned nholes;
	struct cpu_ram_hole hole[CPU_RAM_MAX_HOLES];
	void *map; /* a GMappedFile when base maps an image (cpu_ram_load_image) */
};

/* Zero-filled RAM of @size bytes. 0 or -ENOMEM / -EINVAL. */
int cpu_ram_init(struct cpu_ram *ram, uint64_t size);
void cpu_ram_free(struct cpu_ram *ram);
/* Make [lo, hi) a hole (4 KiB aligned, inside RAM, sorted after the last
 * one). 0 or -EINVAL / -ENOSPC. */
int cpu_ram_add_hole(struct cpu_ram *ram, uint64_t lo, uint64_t hi);
/* Bytes of RAM (size less the holes). */
uint64_t cpu_ram_bytes(const struct cpu_ram *ram);
/* The RAM range that contains @pa, or the next one above it: 0 and
 * [*lo, *hi), or -ENOENT if there is no RAM at or above @pa. */
int cpu_ram_range_from(const struct cpu_ram *ram, uint64_t pa, uint64_t *lo, uint64_t *hi);

/*
 * A raw guest-physical image (byte i of the file at GPA i) as RAM of
 * max(file size, @min_size) bytes, rounded up to 4 KiB (zeros past the
 * end of the file). The file is mapped, not copied
 * (private: writes such as A/D updates stay in this process), unless
 * @min_size is larger than the file; cpu_ram_free() unmaps it. Returns 0,
 * or a negative errno with a one-line reason in @why (caller-provided
 * buffer).
 */
int cpu_ram_load_image(struct cpu_ram *ram, const char *path, uint64_t min_size, char *why,
		       size_t why_len);

/* [pa, pa+len) is all RAM: inside [0, size) and touching no hole. */
static inline bool cpu_ram_contains(const struct cpu_ram *ram, uint64_t pa, uint64_t len)
{
	if (pa >= ram->size || len > ram->size - pa)
		return false;
	for (unsigned i = 0; i < ram->nholes; i++)
		if (pa < ram->hole[i].hi && ram->hole[i].lo < pa + len)
			return false;
	return true;
}

/*
 * Read a whole guest image file (kernel, module, raw RAM image) into a new
 * g_malloc'ed buffer. Only regular files of at most @max bytes: a device
 * such as /dev/zero would otherwise be read forever. 0, or -ENOENT/-EINVAL/
 * -EFBIG/-EIO with "<what> '<path>': <reason>" in @why.
 */
int cpu_read_file(const char *path, const char *what, uint64_t max, char **data, size_t *len,
		  char *why, size_t why_len);

/* 0, or -EFAULT if [pa, pa+len) is not inside RAM. */
int cpu_ram_read(const struct cpu_ram *ram, uint64_t pa, void *buf, size_t len);
int cpu_ram_write(struct cpu_ram *ram, uint64_t pa, const void *buf, size_t len);

/* Little-endian integer of @size (1, 2, 4 or 8) bytes. */
int cpu_ram_read_le(const struct cpu_ram *ram, uint64_t pa, unsigned size, uint64_t *val);
int cpu_ram_write_le(struct cpu_ram *ram, uint64_t pa, unsigned size, uint64_t val);

#endif
