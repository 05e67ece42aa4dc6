/*
 * QEMU's firmware configuration device, fw_cfg (QEMU docs/specs/fw_cfg.rst),
 * through its traditional I/O interface on a PC: a 16-bit write to the
 * selector port 0x510 picks an item and rewinds it; each 8-bit read of the
 * data port 0x511 returns its next byte, and 0 past its end or for a
 * selector that names no item. Writes to the data port are ignored (as in
 * QEMU since 2.4). Accesses QEMU does not accept (a byte write of the
 * selector, a word read of the data port) do nothing and read 0.
 *
 * Items (selector: content): 0x00 "QEMU"; 0x01 the interface ID, bit 0 =
 * traditional interface (the DMA interface at 0x514, bit 1, is not
 * offered); 0x02 the UUID (zeros); 0x03 RAM size (64-bit LE); 0x05 CPUs at
 * boot (16-bit LE); 0x0F the most CPUs (16-bit LE); the kernel, initrd and
 * command-line items 0x07-0x0B, 0x10-0x15 as the boot path sets them
 * (dev_fwcfg_set); 0x19 the file directory; files from 0x20 on.
 *
 * The directory (big-endian): a 32-bit count, then per file a 32-bit size,
 * a 16-bit selector, 16 reserved bits and a 56-byte NUL-padded name. Files
 * are kept sorted by name and numbered from 0x20 in that order, as QEMU
 * numbers them. The board adds "etc/e820": the guest-physical RAM as
 * struct e820 entries (64-bit address, 64-bit length, 32-bit type 1), as
 * QEMU's pc machine does.
 */
#include "dev.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#define FW_CFG_PORT_SEL	 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_ID_TRAD	 0x01 /* traditional interface */
#define FW_CFG_FILE_NAME 56

struct fwcfg_item {
	uint16_t key;
	GBytes *data;
};

struct fwcfg_file {
	char name[FW_CFG_FILE_NAME];
	GBytes *data;
};

struct dev_fwcfg {
	struct dev_desc desc;
	GArray *items; /* struct fwcfg_item, by key */
	GArray *files; /* struct fwcfg_file, sorted by name */
	uint16_t sel;
	const uint8_t *cur; /* the selected item's bytes ... */
	size_t len, off;    /* ... its length and the read offset */
};

static struct fwcfg_item *find_item(struct dev_fwcfg *f, uint16_t key)
{
	for (guint i = 0; i < f->items->len; i++) {
		struct fwcfg_item *it = &g_array_index(f->items, struct fwcfg_item, i);

		if (it->key == key)
			return it;
	}
	return NULL;
}

static GBytes *file_bytes(struct dev_fwcfg *f, uint16_t key)
{
	if (key < DEV_FWCFG_FILE_FIRST || (guint)(key - DEV_FWCFG_FILE_FIRST) >= f->files->len)
		return NULL;
	return g_array_index(f->files, struct fwcfg_file, key - DEV_FWCFG_FILE_FIRST).data;
}

static void fwcfg_select(struct dev_fwcfg *f, uint16_t key)
{
	struct fwcfg_item *it = find_item(f, key);
	GBytes *b = it ? it->data : file_bytes(f, key);
	gsize n = 0;

	f->sel = key;
	f->cur = b ? g_bytes_get_data(b, &n) : NULL;
	f->len = n;
	f->off = 0;
}

static uint64_t fwcfg_in(void *dev, uint64_t port, unsigned size)
{
	struct dev_fwcfg *f = dev;

	if (port != FW_CFG_PORT_DATA || size != 1 || f->off >= f->len)
		return 0;
	return f->cur[f->off++];
}

static void fwcfg_out(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	if (port == FW_CFG_PORT_SEL && size == 2)
		fwcfg_select(dev, (uint16_t)val);
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void set_bytes(struct dev_fwcfg *f, uint16_t key, GBytes *b)
{
	struct fwcfg_item *it = find_item(f, key);

	if (it) {
		g_bytes_unref(it->data);
		it->data = b;
	} else {
		struct fwcfg_item n = {key, b};

		g_array_append_val(f->items, n);
	}
	if (f->sel == key)
		fwcfg_select(f, key);
}

/* The directory, rebuilt after every new file. */
static void build_dir(struct dev_fwcfg *f)
{
	gsize n = 4 + (gsize)f->files->len * 64;
	uint8_t *d = g_malloc0(n);

	put_be(d, f->files->len, 4);
	for (guint i = 0; i < f->files->len; i++) {
		const struct fwcfg_file *e = &g_array_index(f->files, struct fwcfg_file, i);
		uint8_t *p = d + 4 + 64 * i;

		put_be(p, g_bytes_get_size(e->data), 4);
		put_be(p + 4, DEV_FWCFG_FILE_FIRST + i, 2);
		memcpy(p + 8, e->name, FW_CFG_FILE_NAME);
	}
	set_bytes(f, DEV_FWCFG_FILE_DIR, g_bytes_new_take(d, n));
}

int dev_fwcfg_set(struct dev_fwcfg *f, uint16_t key, const void *data, size_t len)
{
	if (key == DEV_FWCFG_FILE_DIR || key >= DEV_FWCFG_FILE_FIRST)
		return -EINVAL;
	set_bytes(f, key, g_bytes_new(data, len));
	return 0;
}

int dev_fwcfg_set_le(struct dev_fwcfg *f, uint16_t key, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return dev_fwcfg_set(f, key, b, n < 8 ? n : 8);
}

static gint file_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(((const struct fwcfg_file *)a)->name, ((const struct fwcfg_file *)b)->name);
}

int dev_fwcfg_add_file(struct dev_fwcfg *f, const char *name, const void *data, size_t len)
{
	struct fwcfg_file e = {.data = NULL};

	if (strlen(name) >= FW_CFG_FILE_NAME || len > UINT32_MAX)
		return -EINVAL;
	if (f->files->len >= DEV_FWCFG_KEY_MAX - DEV_FWCFG_FILE_FIRST)
		return -ENOSPC;
	for (guint i = 0; i < f->files->len; i++)
		if (strcmp(g_array_index(f->files, struct fwcfg_file, i).name, name) == 0)
			return -EEXIST;
	g_strlcpy(e.name, name, sizeof(e.name));
	e.data = g_bytes_new(data, len);
	g_array_append_val(f->files, e);
	g_array_sort(f->files, file_cmp);
	build_dir(f);
	if (f->sel >= DEV_FWCFG_FILE_FIRST)
		fwcfg_select(f, f->sel);
	return 0;
}

static void fwcfg_free(void *dev)
{
	struct dev_fwcfg *f = dev;

	for (guint i = 0; i < f->items->len; i++)
		g_bytes_unref(g_array_index(f->items, struct fwcfg_item, i).data);
	for (guint i = 0; i < f->files->len; i++)
		g_bytes_unref(g_array_index(f->files, struct fwcfg_file, i).data);
	g_array_free(f->items, TRUE);
	g_array_free(f->files, TRUE);
	g_free(f);
}

/* "etc/e820": RAM below 4 GiB from 0, RAM above 4 GiB from 4 GiB. */
static int add_e820(struct dev_fwcfg *f, const struct dev_pc_cfg *c)
{
	uint8_t e[2][20];
	unsigned n = 0;
	uint64_t ranges[2][2] = {{0, c->ram_below_4g}, {UINT64_C(1) << 32, c->ram_above_4g}};

	for (unsigned i = 0; i < 2; i++) {
		if (!ranges[i][1])
			continue;
		for (unsigned j = 0; j < 8; j++) {
			e[n][j] = (uint8_t)(ranges[i][0] >> (8 * j));
			e[n][8 + j] = (uint8_t)(ranges[i][1] >> (8 * j));
		}
		memcpy(&e[n][16], (uint8_t[4]){1, 0, 0, 0}, 4); /* E820_RAM */
		n++;
	}
	return dev_fwcfg_add_file(f, "etc/e820", e, 20 * n);
}

int dev_fwcfg_add(struct dev_bus *b, const struct dev_pc_cfg *c)
{
	struct dev_fwcfg *f = g_new0(struct dev_fwcfg, 1);
	static const uint8_t uuid[16];
	int rc;

	f->items = g_array_new(FALSE, FALSE, sizeof(struct fwcfg_item));
	f->files = g_array_new(FALSE, FALSE, sizeof(struct fwcfg_file));
	f->desc = (struct dev_desc){.name = "fw_cfg",
				    .base = FW_CFG_PORT_SEL,
				    .len = 2,
				    .width = 2,
				    .read = fwcfg_in,
				    .write = fwcfg_out,
				    .free = fwcfg_free};
	dev_fwcfg_set(f, DEV_FWCFG_SIGNATURE, "QEMU", 4);
	dev_fwcfg_set_le(f, DEV_FWCFG_ID, FW_CFG_ID_TRAD, 4);
	dev_fwcfg_set(f, DEV_FWCFG_UUID, uuid, sizeof(uuid));
	dev_fwcfg_set_le(f, DEV_FWCFG_RAM_SIZE, c->ram_below_4g + c->ram_above_4g, 8);
	dev_fwcfg_set_le(f, DEV_FWCFG_NB_CPUS, c->ncpus, 2);
	dev_fwcfg_set_le(f, DEV_FWCFG_MAX_CPUS, c->ncpus, 2);
	build_dir(f);
	rc = add_e820(f, c);
	if (!rc)
		rc = dev_bus_add(b, &f->desc, f);
	if (rc) {
		fwcfg_free(f);
		return rc;
	}
	b->fwcfg = f;
	return 0;
}
