/*
 * The 32-bit entry the platform test kernels (guests/pc/) share: the
 * Multiboot v1 header (Multiboot spec 3.1), a flat GDT of our own (the spec
 * leaves GDTR undefined, 3.2), the stack, and the 256 interrupt stubs that
 * build a struct pc_frame (pc.h) for pc_trap(). The loader leaves us in
 * 32-bit protected mode, paging off, EAX = magic, EBX = info.
 */
#include "mb32_entry.inc"

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff /* 0x10: data */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

	.macro load_gdt
	lgdt gdtr
	ljmp $0x08, $1f
1:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	.endm

	mb32_entry pc_main, load_gdt

#include "isr_stubs.inc"

isr_common:
	pusha
	push %esp
	call pc_trap
	add $4, %esp
	popa
	add $8, %esp
	iret
	.section .note.GNU-stack, "", @progbits
