/*
 * pagetest's 64-bit kernel image, linked at 0x400000 and carried inside
 * the 32-bit Multiboot kernel as a flat blob. Its first bytes are 32-bit
 * code: entered from entry32.S with paging off, EAX = Multiboot info,
 * EDX = 4 or 5 (paging levels), it identity-maps the first 1 GiB with
 * 2 MiB pages, enables PAE (and LA57 for 5 levels), EFER.LME and paging
 * (SDM Vol. 3A 10.8.5), then enters 64-bit code and calls main64.
 * Also: the 256 interrupt stubs, the SYSCALL entry and the return paths.
 */
#define EFER 0xC0000080

	.section .text.entry, "ax"
	.code32
	.globl blob_start
blob_start:
	mov %eax, boot_mbi
	/* pd[i] = i * 2 MiB | PS | W | P */
	mov $boot_pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	movl $boot_pd + 3, boot_pdpt
	movl $boot_pdpt + 3, boot_pml4
	movl $boot_pml4 + 3, boot_pml5
	mov $0x20, %eax            /* CR4.PAE */
	mov $boot_pml4, %ebx
	cmp $5, %edx
	jne 2f
	or $0x1000, %eax           /* CR4.LA57 */
	mov $boot_pml5, %ebx
2:	mov %eax, %cr4
	mov %ebx, %cr3
	mov $EFER, %ecx
	rdmsr
	or $0x100, %eax            /* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax       /* CR0.PG */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x08, $long_entry

	.code64
long_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	cld
	mov $__bss_start, %rdi
	mov $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %rsp
	mov boot_mbi, %edi
	call main64
3:	cli
	hlt
	jmp 3b

	.section .data
	.align 4096
boot_pml5:	.space 4096
boot_pml4:	.space 4096
boot_pdpt:	.space 4096
boot_pd:	.space 4096
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF
	.quad 0x00CF92000000FFFF
boot_gdtr:
	.word 23
	.long boot_gdt
boot_mbi:	.long 0

	.section .bss
	.align 16
boot_stack:
	.space 16384
boot_stack_top:

	.text
#include "../common/isr_stubs.inc"

	.macro save_regs
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	.endm

isr_common:
	save_regs
	mov %rsp, %rdi
	call trap
	.globl trap_ret
trap_ret:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	cmpq $0x81, (%rsp)         /* frame built by syscall_entry: SYSRET */
	je 4f
	add $16, %rsp
	iretq
4:	add $16, %rsp
	pop %rcx                   /* RIP */
	add $8, %rsp               /* CS */
	pop %r11                   /* RFLAGS */
	pop %rsp                   /* user RSP */
	sysretq

/* SYSCALL (SDM Vol. 2B): RCX = RIP, R11 = RFLAGS, no stack switch. Build
 * the frame an interrupt from CPL3 would, on the kernel stack. */
	.globl syscall_entry
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	mov kstack_top(%rip), %rsp
	pushq $0x23
	pushq syscall_user_rsp(%rip)
	push %r11
	pushq $0x2b
	push %rcx
	pushq $0
	pushq $0x81
	save_regs
	mov %rsp, %rdi
	call trap
	jmp trap_ret

/* No SYSENTER in the 64-bit kernel (AMD CPUs refuse it in long mode). */
	.globl sysenter_entry
sysenter_entry:
	ud2

/* frame_enter(struct frame *f): return through f (start a process). */
	.globl frame_enter
frame_enter:
	mov %rdi, %rsp
	jmp trap_ret

	.section .bss
syscall_user_rsp:	.quad 0

	.section .note.GNU-stack, "", @progbits
