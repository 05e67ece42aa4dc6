/*
 * The fields of each event kind as they are stored (format.h,
 * TRC_TAG_EVENT): a table, so that the recorder and the reader cannot
 * disagree. Each field is stored as a varint of its value.
 */
#include "codec.h"

#include <stddef.h>
#include <string.h>

#define F(m) { offsetof(struct trc_event, m), sizeof(((struct trc_event *)0)->m), false }
#define FB(m) { offsetof(struct trc_event, m), sizeof(((struct trc_event *)0)->m), true }

const struct trc_field trc_event_fields[TRC_EV_COUNT][TRC_FIELDS_MAX] = {
	[TRC_EV_CR0] = { F(reg.value) },
	[TRC_EV_CR3] = { F(cr3.operand) },
	[TRC_EV_CR4] = { F(reg.value) },
	[TRC_EV_EFER] = { F(reg.value) },
	[TRC_EV_PKRU] = { F(reg.value) },
	[TRC_EV_RFLAGS] = { F(reg.value) },
	[TRC_EV_MSR] = { F(msr.index), F(msr.value) },
	[TRC_EV_INVLPG] = { F(invlpg.la) },
	[TRC_EV_INVPCID] = { F(invpcid.type), F(invpcid.pcid), F(invpcid.la) },
	[TRC_EV_INVEPT] = { F(invept.type), F(invept.eptp) },
	[TRC_EV_INVVPID] = { F(invvpid.type), F(invvpid.vpid), F(invvpid.la) },
	[TRC_EV_VMEXIT] = { F(vmexit.reason), F(vmexit.cause), F(vmexit.gpa) },
	[TRC_EV_VMENTRY] = { { 0, 0, false } },
	[TRC_EV_MAPGPA] = { F(mapgpa.gpa), F(mapgpa.bytes), FB(mapgpa.shared), FB(mapgpa.ok) },
	[TRC_EV_DELIVER] = { F(deliver.vector), F(deliver.type), FB(deliver.has_error),
			     F(deliver.error), F(deliver.rip), F(deliver.cr2) },
	[TRC_EV_MMU] = { F(mmu.regs.cr0), F(mmu.regs.cr3), F(mmu.regs.cr4), F(mmu.regs.efer),
			 F(mmu.regs.rflags), F(mmu.regs.pkru), F(mmu.regs.pkrs) },
	[TRC_EV_XLATE] = { F(xlate.la), F(xlate.access), F(xlate.cpl), F(xlate.vector),
			   FB(xlate.implicit), FB(xlate.ac) },
	[TRC_EV_MARKER] = { F(marker.id) }, /* then the text: varint length, bytes */
	[TRC_EV_MMIO] = { F(mmio.gpa), F(mmio.size), FB(mmio.write) },
};

const char *const trc_event_names[TRC_EV_COUNT] = {
	[TRC_EV_CR0] = "cr0", [TRC_EV_CR3] = "cr3", [TRC_EV_CR4] = "cr4",
	[TRC_EV_EFER] = "efer", [TRC_EV_PKRU] = "pkru", [TRC_EV_RFLAGS] = "rflags",
	[TRC_EV_MSR] = "msr", [TRC_EV_INVLPG] = "invlpg", [TRC_EV_INVPCID] = "invpcid",
	[TRC_EV_INVEPT] = "invept", [TRC_EV_INVVPID] = "invvpid", [TRC_EV_VMEXIT] = "vmexit",
	[TRC_EV_VMENTRY] = "vmentry", [TRC_EV_MAPGPA] = "mapgpa", [TRC_EV_DELIVER] = "deliver",
	[TRC_EV_MMU] = "mmu", [TRC_EV_XLATE] = "xlate", [TRC_EV_MARKER] = "marker",
	[TRC_EV_MMIO] = "mmio",
};

uint64_t trc_field_get(const struct trc_event *ev, const struct trc_field *f)
{
	const uint8_t *p = (const uint8_t *)ev + f->off;
	uint64_t v = 0;

	memcpy(&v, p, f->size); /* little-endian host (x86-64, the only target) */
	return v;
}

void trc_field_set(struct trc_event *ev, const struct trc_field *f, uint64_t v)
{
	memcpy((uint8_t *)ev + f->off, &v, f->size);
}
