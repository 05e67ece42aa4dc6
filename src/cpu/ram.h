/*
 * Guest-physical memory: one host buffer, bounds-checked accessors.
 * Little-endian, as x86 memory is.
 */
#ifndef TDPSIM_CPU_RAM_H
#define TDPSIM_CPU_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu_ram {
	uint8_t *base;
	uint64_t size;
};

/* Zero-filled RAM of @size bytes. 0 or -ENOMEM / -EINVAL. */
int cpu_ram_init(struct cpu_ram *ram, uint64_t size);
void cpu_ram_free(struct cpu_ram *ram);

/*
 * Load a raw guest-physical image (byte i of the file at GPA i) into new RAM
 * of max(file size, @min_size) bytes, rounded up to 4 KiB. Returns 0, or a
 * negative errno with a one-line reason in @why (caller-provided buffer).
 */
int cpu_ram_load_image(struct cpu_ram *ram, const char *path, uint64_t min_size, char *why,
		       size_t why_len);

static inline bool cpu_ram_contains(const struct cpu_ram *ram, uint64_t pa, uint64_t len)
{
	return pa < ram->size && len <= ram->size - pa;
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
