/* run --record / --guest-cpu (run_record.c). */
#ifndef TDPSIM_CLI_RUN_RECORD_H
#define TDPSIM_CLI_RUN_RECORD_H

#include "cli.h"
#include "boot/loader.h"
#include "cpu/cpu.h"
#include "trace/record.h"

/* Take @model's guest-visible part into @cfg (NULL: nothing). 0 or exit 2. */
int run_guest_cpu(const char *cmd, const char *model, struct tm_config *cfg);
/* Start recording the feed of @c into @path; the header names the input
 * files @kernel, @initrd (NULL: none) and the @nmods Multiboot modules
 * @mods (NULL: none) by base name and sha256 (docs/trace-format.md). 0, or
 * the CLI's exit status. */
int run_record_open(const char *cmd, const char *path, const char *cmdline, const char *kernel,
		    const char *initrd, const struct cpu_module *mods, unsigned nmods,
		    struct cpu *c, struct trc_recorder **out);
/* Finish the trace; 0, or exit status 2 after the error line. */
int run_record_close(const char *cmd, struct trc_recorder *r);

#endif
