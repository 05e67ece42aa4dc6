; test_machine's guest: entered in the Multiboot state (32-bit protected
; mode, paging off, flat segments) at 0x100000. It builds 4-level tables,
; enters long mode, and runs the phases test_machine.c checks. Results go
; to RES (physical 0x300000), one qword per slot; the exit is isa-debug-exit.
;
; Layout (physical): code 0x100000; PML4 0x200000, PDPT 0x201000, PD 0x202000
; (2 MiB identity pages for 0..8 MiB, supervisor), PT 0x203000 for the
; non-identity window VA 0x40000000.. -> PA 0x500000.. (4 KiB pages; page 3
; left not present for the #PF phase); stacks 0x80000; IDT 0x204000.
bits 32
org 0x100000

RES     equ 0x300000
PML4    equ 0x200000
PDPT    equ 0x201000
PD      equ 0x202000
PT      equ 0x203000
IDT     equ 0x204000
WIN     equ 0x40000000
WINPA   equ 0x500000

start:
	cld
	; zero tables 0x200000..0x205000
	mov edi, PML4
	xor eax, eax
	mov ecx, 0x5000 / 4
	rep stosd
	mov dword [PML4], PDPT | 3
	mov dword [PDPT], PD | 3
	mov dword [PDPT + 8], PT_PD | 3           ; PDPT[1]: VA 0x40000000..
	mov dword [PD + 0], 0x000000 | 0x83       ; 2 MiB pages, P|RW|PS
	mov dword [PD + 8], 0x200000 | 0x83
	mov dword [PD + 16], 0x400000 | 0x83
	mov dword [PD + 24], 0x600000 | 0x83
	; PD for the window at 0x205000 -> PT
	mov dword [PT_PD], PT | 3
	mov dword [PT + 0], WINPA | 3             ; page 0
	mov dword [PT + 8], (WINPA + 0x1000) | 3
	mov dword [PT + 16], (WINPA + 0x2000) | 3
	; page 3 (VA 0x40003000) not present: the #PF phase maps it
	mov eax, PML4
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                            ; PAE
	mov cr4, eax
	mov ecx, 0xc0000080                       ; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)              ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, 1 << 31
	mov cr0, eax
	lgdt [gdtr]
	jmp 0x08:long64

PT_PD   equ 0x205000

align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff ; 0x08 code64
	dq 0x00cf92000000ffff ; 0x10 data
gdtr:
	dw gdtr - gdt - 1
	dd gdt

bits 64
long64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, 0x80000
	; IDT: #GP (13) and #PF (14), 64-bit interrupt gates to CS 0x08
	mov rdi, 13
	mov rsi, gp_handler
	call set_gate
	mov rdi, 14
	mov rsi, pf_handler
	call set_gate
	lidt [idtr]

	; phase 1: a write through the non-identity window lands at WINPA
	mov rax, 0x1111222233334444
	mov [WIN + 0x10], rax
	mov rbx, [WINPA + 0x10]
	mov [RES + 0x00], rbx

	; phase 2: #PF on the non-present page, handled, write retried
	mov qword [WIN + 0x3008], 0x5a5a
	mov rbx, [WINPA + 0x3008]
	mov [RES + 0x08], rbx

	; phase 3: CPUID
	xor eax, eax
	cpuid
	mov [RES + 0x40], ebx
	mov [RES + 0x44], edx
	mov [RES + 0x48], ecx
	mov [RES + 0x4c], eax
	mov eax, 1
	cpuid
	mov [RES + 0x50], eax
	mov [RES + 0x54], ecx
	mov [RES + 0x58], edx
	mov eax, 7
	xor ecx, ecx
	cpuid
	mov [RES + 0x60], ebx
	mov [RES + 0x64], ecx
	mov eax, 0x80000008
	cpuid
	mov [RES + 0x68], eax
	mov eax, 0x80000001
	cpuid
	mov [RES + 0x6c], edx

	; phase 4: CR4.PCIDE, then MOV to CR3 with bit 63 (no flush) and PCID 1
	mov rax, cr4
	or rax, 1 << 17
	mov cr4, rax
	mov rax, PML4 | 1
	bts rax, 63
	mov cr3, rax
	; phase 5: INVLPG with a base+displacement operand
	mov rbx, WIN
	invlpg [rbx + 0x10]
	; phase 6: INVPCID type 0 (pcid 1, WIN), then type 5 (#GP)
	mov qword [desc], 1
	mov qword [desc + 8], WIN
	mov rdi, desc
	xor eax, eax
	db 0x66, 0x0f, 0x38, 0x82, 0x07 ; invpcid rax, [rdi]: 5 bytes
	mov qword [RES + 0x78], 0x600d ; marker: came back
	mov eax, 5
	db 0x66, 0x0f, 0x38, 0x82, 0x07 ; #GP(0): handler skips 5 bytes
	; phase 7: the virtual TSC and IA32_PKRS (QEMU 5 drops unknown MSRs)
	rdtsc
	mov [RES + 0x80], eax
	mov [RES + 0x84], edx
	mov ecx, 0x6e1
	mov eax, 0x55
	xor edx, edx
	wrmsr
	xor eax, eax
	rdmsr
	mov [RES + 0x88], eax
	mov ecx, 0x100
.spin:	loop .spin
	rdtsc
	mov [RES + 0x90], eax
	mov [RES + 0x94], edx
	; phase 8: CR4.PKE and WRPKRU (Capstone 4 does not know it)
	mov rax, cr4
	bts rax, 22
	mov cr4, rax
	mov eax, 0x0c
	xor ecx, ecx
	xor edx, edx
	db 0x0f, 0x01, 0xef         ; wrpkru
	; phase 9: 16 passes over 1024 pages (4 MiB at 0x400000, identity
	; 2 MiB pages: one TLB-fill per 4 KiB page touched), one read each
	mov r8d, 16
.p9pass:
	mov rsi, 0x400000
	mov ecx, 1024
.p9page:
	mov al, [rsi]
	add rsi, 0x1000
	dec ecx
	jnz .p9page
	dec r8d
	jnz .p9pass
	mov qword [RES + 0x98], 0x9999
	; done
	mov dx, 0xf4
	mov eax, 0x10
	out dx, eax
	hlt

; rdi = vector, rsi = handler
set_gate:
	shl rdi, 4
	add rdi, IDT
	mov rax, rsi
	mov [rdi], ax               ; offset 15:0
	mov word [rdi + 2], 0x08    ; selector
	mov word [rdi + 4], 0x8e00  ; P, DPL0, 64-bit interrupt gate
	shr rax, 16
	mov [rdi + 6], ax           ; offset 31:16
	shr rax, 16
	mov [rdi + 8], eax          ; offset 63:32
	mov dword [rdi + 12], 0
	ret

pf_handler:
	push rax
	push rbx
	mov rax, cr2
	mov [RES + 0x10], rax
	mov rax, [rsp + 16]         ; error code
	mov [RES + 0x18], rax
	mov rax, [rsp + 24]         ; RIP
	mov [RES + 0x20], rax
	inc qword [RES + 0x28]      ; #PF count
	mov qword [PT + 24], (WINPA + 0x3000) | 3
	mov rbx, cr2
	invlpg [rbx]
	pop rbx
	pop rax
	add rsp, 8
	iretq

gp_handler:
	push rax
	mov rax, [rsp + 8]          ; error code
	mov [RES + 0x30], rax
	mov rax, [rsp + 16]         ; RIP
	mov [RES + 0x38], rax
	inc qword [RES + 0x70]      ; #GP count
	add qword [rsp + 16], 5     ; skip the INVPCID
	pop rax
	add rsp, 8
	iretq

align 16
idtr:
	dw 0xfff
	dq IDT
align 16
desc:
	dq 0, 0
