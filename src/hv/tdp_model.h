/*
 * The hypervisor's TDP MMU (EPT or NPT) as a feed consumer, beside the
 * shadow MMU (shadow.h): the same calls, driven by hv/feed.h from a live
 * run, a replay or synth.
 *
 * The guest's own tables map GVA to GPA; the host dimension of hv/host.h
 * maps GPA to HPA with roots keyed by role (hv/role.h) and shared by every
 * address space: a guest CR3 write does not exit and changes no root. A
 * guest write of CR0/CR4/EFER that changes the root role (CR0.WP or
 * EFER.NXE when roles are not normalised, seed 003) loads the root of that
 * role, a live one or a new, empty one; KVM flushes at every new root load
 * (kvm_mmu_load -> flush_tlb_current). EPT violations (#NPF) populate the
 * current root; each is a VM exit with cycles from the CPU model.
 *
 * The model never changes what the guest computes: the translation of an
 * access is the guest's walk, its host-physical address GPA + 0 (one
 * memslot at 0); the audit checks each functional fill against the
 * engine's one-dimensional walk of the same guest tables.
 *
 * Host-physical memory: the guest's RAM at 0, then the model's own table
 * region (hv_tables, room for two full 4 KiB mappings of guest RAM).
 */
#ifndef TDPSIM_HV_TDP_MODEL_H
#define TDPSIM_HV_TDP_MODEL_H

#include "hv/host.h"
#include "hv/shadow.h"

struct hv_tdp_params {
	const struct hv_host_mode *mode; /* npt2..npt5, ept4, ept5 */
	bool normalise;                  /* TDP roles fix CR0.WP and EFER.NXE */
	bool audit;
	bool set_ad;                     /* the model's walks set the guest's A/D */
	struct pg_cpu cpu;
	struct cpu_ram *gram;            /* guest-physical memory */
	const struct tm_config *cfg;
};

struct hv_tdp;

/* A model for the guest's registers @regs. 0, or -errno with @why. */
int hv_tdp_new(const struct hv_tdp_params *p, const struct pg_regs *regs, struct hv_tdp **out,
	       char *why, unsigned len);
void hv_tdp_free(struct hv_tdp *t);

void hv_tdp_access(struct hv_tdp *t, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl);
void hv_tdp_insns(struct hv_tdp *t, uint64_t n);
/* An access the hypervisor emulates at @gpa (TRC_EV_MMIO): under the
 * current root's MMIO SPTE an EPT misconfiguration / #NPF with RSVD
 * (exits.mmio), else an EPT violation / #NPF that leaves one (exits.npf,
 * hv/host.h hv_host_mmio()); each with the emulation's cost. */
void hv_tdp_mmio(struct hv_tdp *t, uint64_t gpa);
void hv_tdp_event(struct hv_tdp *t, const struct tm_event *ev);
/* The guest's own translation raised @vector (0: none): under audit, the
 * TDP walk must raise it too. A guest #PF does not exit under TDP. */
void hv_tdp_xlate(struct hv_tdp *t, uint64_t va, uint8_t kind, uint8_t cpl, uint8_t vector);

/* Counters in the shadow model's terms (docs/cli-compare.md, --hv tdp):
 * root_switches = role changes, prev_root_hits = roots of the new role
 * still live, roots allocated/freed, sp_* = TDP tables, exits.npf. */
void hv_tdp_stats(const struct hv_tdp *t, struct hv_stats *st);
const struct tm_model *hv_tdp_tm(const struct hv_tdp *t);
/* Table memory now and at the peak, in bytes. */
uint64_t hv_tdp_table_bytes(const struct hv_tdp *t, bool peak);
/* The current root as text ("ept4 root: <role>"). */
void hv_tdp_root_str(const struct hv_tdp *t, char *buf, unsigned len);
const char *hv_tdp_audit_first(const struct hv_tdp *t);
/* The host dimension (tests reach its tables through it). */
struct hv_host *hv_tdp_host(struct hv_tdp *t);

#endif
