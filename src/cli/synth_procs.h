/*
 * `tdpsim synth` with address spaces (synth_procs.c).
 */
#ifndef TDPSIM_CLI_SYNTH_PROCS_H
#define TDPSIM_CLI_SYNTH_PROCS_H

#include "hv_work.h"
#include "timing/config.h"
#include "timing/model.h"

/* Build the workload @wo into @w and run it through a new timing model
 * *@m. 0 (the caller frees both), or -errno with a one-line @why. */
int synth_procs_run(const struct hvw_opts *wo, const struct tm_config *cfg, struct hvw *w,
		    struct tm_model **m, char *why, unsigned len);

#endif
