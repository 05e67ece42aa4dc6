/*
 * pagetest's 32-bit entry: the Multiboot v1 header (Multiboot spec 3.1),
 * the start-up code (the loader leaves us in 32-bit protected mode, paging
 * off, EAX = magic, EBX = info), the 256 interrupt stubs that build a
 * struct frame (arch.h), the 64-bit kernel image (incbin) and the jump into
 * it for the 4- and 5-level modes.
 */
#include "../common/mb32_entry.inc"
	mb32_entry main32

#include "../common/isr_stubs.inc"

isr_common:
	pusha
	push %esp
	call trap
	add $4, %esp
	.globl trap_ret
trap_ret:
	popa
	cmpl $0x82, (%esp)         /* frame built by sysenter_entry: SYSEXIT */
	je 1f
	add $8, %esp
	iret
1:	add $8, %esp
	pop %edx                   /* EIP */
	add $8, %esp               /* CS, EFLAGS */
	pop %ecx                   /* ESP */
	add $4, %esp               /* SS */
	sti                        /* the user runs with IF=1; STI's shadow covers SYSEXIT */
	sysexit

/* SYSENTER (SDM Vol. 2B): CS = IA32_SYSENTER_CS, SS = CS + 8, ESP and EIP
 * from their MSRs, IF cleared. The user left its return EIP in EDX and its
 * ESP in ECX. Build the frame an interrupt from CPL3 would. */
	.globl sysenter_entry
sysenter_entry:
	pushl $0x23
	pushl %ecx
	pushfl
	pushl $0x1b
	pushl %edx
	pushl $0
	pushl $0x82
	pusha
	push %esp
	call trap
	add $4, %esp
	jmp trap_ret

/* frame_enter(struct frame *f): return through f (start a process). */
	.globl frame_enter
frame_enter:
	mov 4(%esp), %esp
	jmp trap_ret

/* No SYSCALL in 32-bit mode; the symbol keeps arch.c one source. */
	.globl syscall_entry
syscall_entry:
	ud2

/* blob_enter(mbi, levels): jump to the 64-bit image's 32-bit entry. */
	.globl blob_enter
blob_enter:
	mov 4(%esp), %eax
	mov 8(%esp), %edx
	jmp blob64

	.section .blob64, "ax"
	.globl blob64
blob64:
	.incbin "pagetest64.bin"

	.section .note.GNU-stack, "", @progbits
