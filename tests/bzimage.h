/*
 * A synthetic bzImage for the loader's tests (bzimage.c): a setup header
 * written field by field from the kernel's Documentation/arch/x86/boot.rst
 * (offsets, flags, the 32- and 64-bit entry rules) followed by a marked
 * protected-mode part, so that what a test expects comes from the
 * protocol, not from the loader. Compile bzimage.c into the test through
 * its tdpsim_test(... SOURCES).
 */
#ifndef TDPSIM_TESTS_BZIMAGE_H
#define TDPSIM_TESTS_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BZ_SETUP  4      /* setup_sects */
#define BZ_PM_LEN 0x3000 /* the protected-mode part */

struct bz {
	uint8_t b[(BZ_SETUP + 1) * 512 + BZ_PM_LEN];
};

/* Store @v in the @n bytes at @off, little-endian. */
void bz_put(uint8_t *p, size_t off, uint64_t v, unsigned n);

/* A bzImage as Debian's 6.1 kernels have it: protocol 2.15, relocatable,
 * kernel_alignment 2 MiB, pref_address 16 MiB, init_size @init, a 64-bit
 * entry if @k64; marker words at the start and end of the protected-mode
 * part. */
void bz_make(struct bz *z, bool k64, uint32_t init);

#endif
