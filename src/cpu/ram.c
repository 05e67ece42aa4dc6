/*
 * Guest-physical memory (see ram.h).
 */
#include "ram.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#define RAM_MAX (UINT64_C(1) << 40) /* 1 TiB: beyond any host we run on */

/* Ask for transparent huge pages over the whole 2 MiB pages of [base,
 * base + size), as QEMU does for guest RAM: page walks (the engine's and
 * the timing model's) read table entries at random over the whole of it,
 * and with 4 KiB host pages each read of a cold table line is also a host
 * TLB miss. Only a hint: without THP (or where refused) nothing changes. */
static void huge_pages(void *base, uint64_t size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = UINT64_C(1) << 21;
	uintptr_t lo = ((uintptr_t)base + huge - 1) & ~(huge - 1);
	uintptr_t hi = ((uintptr_t)base + size) & ~(huge - 1);

	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)base;
	(void)size;
#endif
}

int cpu_ram_init(struct cpu_ram *ram, uint64_t size)
{
	*ram = (struct cpu_ram){0};
	if (size == 0 || size > RAM_MAX)
		return -EINVAL;
	ram->base = g_try_malloc0(size);
	if (!ram->base)
		return -ENOMEM;
	ram->size = size;
	huge_pages(ram->base, size);
	return 0;
}

void cpu_ram_free(struct cpu_ram *ram)
{
	if (ram->map)
		g_mapped_file_unref(ram->map);
	else
		g_free(ram->base);
	*ram = (struct cpu_ram){0};
}

int cpu_ram_add_hole(struct cpu_ram *ram, uint64_t lo, uint64_t hi)
{
	if (lo >= hi || ((lo | hi) & 0xfff) || hi > ram->size ||
	    (ram->nholes && lo < ram->hole[ram->nholes - 1].hi))
		return -EINVAL;
	if (ram->nholes == CPU_RAM_MAX_HOLES)
		return -ENOSPC;
	ram->hole[ram->nholes++] = (struct cpu_ram_hole){lo, hi};
	return 0;
}

uint64_t cpu_ram_bytes(const struct cpu_ram *ram)
{
	uint64_t n = ram->size;

	for (unsigned i = 0; i < ram->nholes; i++)
		n -= ram->hole[i].hi - ram->hole[i].lo;
	return n;
}

int cpu_ram_range_from(const struct cpu_ram *ram, uint64_t pa, uint64_t *lo, uint64_t *hi)
{
	for (unsigned i = 0; i < ram->nholes; i++) {
		if (pa >= ram->hole[i].hi)
			continue;
		if (pa >= ram->hole[i].lo)
			pa = ram->hole[i].hi; /* inside: the range after it */
		else {
			*lo = pa;
			*hi = ram->hole[i].lo;
			return 0;
		}
	}
	if (pa >= ram->size)
		return -ENOENT;
	*lo = pa;
	*hi = ram->size;
	return 0;
}

/* The checks cpu_read_file() makes, for a file that is mapped instead. */
static int check_file(const char *path, const char *what, uint64_t max, uint64_t *size,
		      char *why, size_t why_len)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		int e = errno;

		snprintf(why, why_len, "%s '%s': %s", what, path, g_strerror(e));
		return e == ENOENT ? -ENOENT : -EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s '%s': not a regular file", what, path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(why, why_len, "%s '%s': %llu bytes, more than the %llu it can be", what,
			 path, (unsigned long long)st.st_size, (unsigned long long)max);
		return -EFBIG;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

int cpu_ram_load_image(struct cpu_ram *ram, const char *path, uint64_t min_size, char *why,
		       size_t why_len)
{
	GMappedFile *map;
	GError *err = NULL;
	uint64_t len;
	int rc;

	memset(ram, 0, sizeof(*ram));
	rc = check_file(path, "image", RAM_MAX, &len, why, why_len);
	if (rc)
		return rc;
	if (len == 0) {
		snprintf(why, why_len, "image '%s' is empty", path);
		return -EINVAL;
	}
	map = g_mapped_file_new(path, TRUE, &err);
	if (!map) {
		snprintf(why, why_len, "image '%s': %s", path, err->message);
		g_clear_error(&err);
		return -EIO;
	}
	if (min_size <= len) {
		ram->map = map;
		ram->base = (uint8_t *)g_mapped_file_get_contents(map);
		/* Zero-padded to 4 KiB as before: mmap fills the rest of the
		 * last page with zeros (POSIX mmap), and x86 hosts have 4 KiB
		 * pages. */
		ram->size = (len + 4095) & ~UINT64_C(4095);
		return 0;
	}
	/* RAM larger than the file: the file's bytes at its start. */
	rc = cpu_ram_init(ram, (min_size + 4095) & ~UINT64_C(4095));
	if (rc)
		snprintf(why, why_len, "cannot allocate %llu bytes for image '%s'",
			 (unsigned long long)min_size, path);
	else
		memcpy(ram->base, g_mapped_file_get_contents(map), g_mapped_file_get_length(map));
	g_mapped_file_unref(map);
	return rc;
}

int cpu_ram_read(const struct cpu_ram *ram, uint64_t pa, void *buf, size_t len)
{
	if (!cpu_ram_contains(ram, pa, len))
		return -EFAULT;
	memcpy(buf, ram->base + pa, len);
	return 0;
}

int cpu_ram_write(struct cpu_ram *ram, uint64_t pa, const void *buf, size_t len)
{
	if (!cpu_ram_contains(ram, pa, len))
		return -EFAULT;
	memcpy(ram->base + pa, buf, len);
	return 0;
}

int cpu_ram_read_le(const struct cpu_ram *ram, uint64_t pa, unsigned size, uint64_t *val)
{
	uint64_t v = 0;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!cpu_ram_contains(ram, pa, size))
		return -EFAULT;
	memcpy(&v, ram->base + pa, size);
	*val = GUINT64_FROM_LE(v);
	return 0;
}

int cpu_ram_write_le(struct cpu_ram *ram, uint64_t pa, unsigned size, uint64_t val)
{
	uint64_t v = GUINT64_TO_LE(val);

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!cpu_ram_contains(ram, pa, size))
		return -EFAULT;
	memcpy(ram->base + pa, &v, size);
	return 0;
}

int cpu_read_file(const char *path, const char *what, uint64_t max, char **data, size_t *len,
		  char *why, size_t why_len)
{
	GError *err = NULL;
	uint64_t size;
	gsize n = 0;
	int rc = check_file(path, what, max, &size, why, why_len);

	if (rc)
		return rc;
	if (!g_file_get_contents(path, data, &n, &err)) {
		snprintf(why, why_len, "%s '%s': %s", what, path, err->message);
		g_error_free(err);
		return -EIO;
	}
	*len = n;
	return 0;
}
