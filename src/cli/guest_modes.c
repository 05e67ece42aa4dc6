/*
 * The --guest paging modes (see guest_modes.h). Each row names the
 * CR0/CR4/EFER bits that select the mode (SDM Vol. 3A 4.1.1, Table 4-1):
 * CR0.PG off is no paging; CR4.PAE off is 32-bit paging (CR4.PSE adds 4 MiB
 * pages); CR4.PAE on with EFER.LME/LMA off is PAE; EFER.LMA on is 4-level,
 * and CR4.LA57 on top of it 5-level. The forbid columns are the
 * mode-defining bits that, set, would select another mode.
 */
#include "guest_modes.h"

#include <string.h>

#include <glib.h>

#include "paging/bits.h"
#include "paging/mmu.h"

static const struct guest_mode guest_modes[] = {
    {"nopaging", CR0_PE, 0, 0, CR0_PG, 0, EFER_LMA, 0xc0403abc},
    {"2level", CR0_PE | CR0_PG, 0, 0, 0, CR4_PAE | CR4_PSE | CR4_LA57, EFER_LME | EFER_LMA,
     0xc0403abc},
    {"2level-pse", CR0_PE | CR0_PG, CR4_PSE, 0, 0, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA,
     0xc0403abc},
    {"pae", CR0_PE | CR0_PG, CR4_PAE, 0, 0, CR4_LA57, EFER_LME | EFER_LMA, 0xc0403abc},
    {"4level", CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA, 0, CR4_LA57, 0,
     UINT64_C(0x00007f1234567abc)},
    {"5level", CR0_PE | CR0_PG, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA, 0, 0, 0,
     UINT64_C(0x00ab7f1234567abc)},
};

const char guest_mode_list[] = "nopaging, 2level, 2level-pse, pae, 4level or 5level";

const struct guest_mode *guest_mode_find(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(guest_modes); i++)
		if (strcmp(guest_modes[i].name, name) == 0)
			return &guest_modes[i];
	return NULL;
}

const struct pg_format *guest_mode_format(const struct guest_mode *gm)
{
	const struct pg_regs r = {.cr0 = gm->cr0, .cr4 = gm->cr4, .efer = gm->efer};

	return pg_format_of(pg_mode_of(&r));
}
