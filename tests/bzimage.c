/* A synthetic bzImage (bzimage.h). */
#include "bzimage.h"

#include <string.h>

void bz_put(uint8_t *p, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

void bz_make(struct bz *z, bool k64, uint32_t init)
{
	memset(z, 0, sizeof(*z));
	bz_put(z->b, 0x1f1, BZ_SETUP, 1);
	bz_put(z->b, 0x1fe, 0xaa55, 2);
	bz_put(z->b, 0x200, 0x66eb, 2); /* jmp: the header ends at 0x202 + 0x66 */
	bz_put(z->b, 0x202, 0x53726448, 4);
	bz_put(z->b, 0x206, 0x020f, 2);
	bz_put(z->b, 0x211, 0x01 | 0x80, 1); /* LOADED_HIGH | CAN_USE_HEAP */
	bz_put(z->b, 0x214, 0x100000, 4);
	bz_put(z->b, 0x224, 0xfe00, 2);
	bz_put(z->b, 0x22c, 0x7fffffff, 4);
	bz_put(z->b, 0x230, 0x200000, 4);
	bz_put(z->b, 0x234, 1, 1);
	bz_put(z->b, 0x236, k64 ? 0x7f : 0x04, 2);
	bz_put(z->b, 0x238, 2047, 4);
	bz_put(z->b, 0x258, 0x1000000, 8);
	bz_put(z->b, 0x260, init, 4);
	/* The protected-mode part: a marker at its start and end. */
	bz_put(z->b, (BZ_SETUP + 1) * 512, 0x11223344, 4);
	bz_put(z->b, sizeof(z->b) - 4, 0x55667788, 4);
}
