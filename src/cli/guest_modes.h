/*
 * The --guest paging modes of the CLI (`tdpsim walk`, `tdpsim synth`): the
 * register bits that select each mode, the mode-defining bits that would
 * contradict it, and a linear address with nonzero indices at every level.
 */
#ifndef TDPSIM_CLI_GUEST_MODES_H
#define TDPSIM_CLI_GUEST_MODES_H

#include <stdint.h>

#include "paging/format.h"

/* A --guest mode (SDM Vol. 3A 4.1.1 and Table 4-1). */
struct guest_mode {
	const char *name;
	uint64_t cr0, cr4, efer;		      /* the bits that select it */
	uint64_t forbid_cr0, forbid_cr4, forbid_efer; /* bits that contradict it */
	uint64_t default_va;			      /* nonzero indices at every level */
};

/* The mode called @name, or NULL. */
const struct guest_mode *guest_mode_find(const char *name);
/* "nopaging, 2level, 2level-pse, pae, 4level or 5level", for messages. */
extern const char guest_mode_list[];
/* The paging format the mode's own bits select. */
const struct pg_format *guest_mode_format(const struct guest_mode *gm);

#endif
