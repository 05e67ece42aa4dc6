/*
 * pagetest's CPL3 programs and the system-call numbers they use. The
 * programs live in section .utext, mapped user/read-only at USER_CODE in
 * every process; they use no globals, no strings and no library calls, so
 * they run at that address whatever address they were linked at.
 */
#ifndef PAGETEST_USER_H
#define PAGETEST_USER_H

#include <stdint.h>

/* User address-space layout (the same in every mode). */
#define USER_CODE	  0x40000000u /* .utext, user read/execute */
#define USER_STACK	  0x40200000u /* top; two pages below it are mapped */
#define USER_DEMAND	  0x40400000u /* data, mapped on first touch */
#define USER_EXEC	  0x40800000u /* code, mapped on first fetch */
#define USER_STORM	  0x41000000u /* storm window, mapped on first touch */
#define USER_DEMAND_PAGES 64
#define USER_STORM_PAGES  512
#define USER_EXEC_ENTRY	  0x10 /* offset of the stub the #PF handler writes */
#define USER_EXEC_RESULT  42   /* what that stub returns */

/* System calls: number in AX, argument in DX, result in AX. */
enum {
	SYS_EXIT = 0,
	SYS_YIELD,
	SYS_GETPID,
	SYS_GETARG,
	SYS_STORM_UNMAP, /* unmap the storm window, free its frames */
	SYS_TICKS,
};

/* Programs (entry points in .utext). */
void u_demand(void);
void u_private(void);
void u_kread(void);
void u_storm(void);
void u_ticks(void);
void u_syscall(void);
void u_sysenter(void);
void u_noop(void);

extern char __utext_start[], __utext_end[];

#endif
