; test_memmap's guest: 32-bit protected mode, paging off (the Multiboot
; state). Touches each kind of guest-physical space and stores what it
; read at RES (0x300000), then exits through isa-debug-exit with 0x10.
;   res[0] VGA window 0xA0000: read before and after a write (0, 0)
;   res[1] BIOS ROM 0xF0000: read, write, read again (the test's bytes)
;   res[2] shadow RAM 0xC0000: written and read back
;   res[3] PCI hole 0xD0000000 (16 MiB of RAM: unassigned): read -> 0
;   res[4] above RAM 0x2000000: read -> 0
;   res[5] the test's MMIO device at 0xFEB00000: a 4-byte read
;   res[6] the same device: an 8-byte read (two 4-byte pieces)
bits 32
org 0x100000
RES equ 0x300000
	mov eax, [0xa0000]
	mov dword [0xa0000], 0x12345678
	mov ebx, [0xa0000]
	mov [RES + 0], eax
	mov [RES + 4], ebx
	mov eax, [0xf0000]
	mov dword [0xf0000], 0x11111111
	mov ebx, [0xf0000]
	mov [RES + 8], eax
	mov [RES + 12], ebx
	mov dword [0xc0000], 0xc0c0c0c0
	mov eax, [0xc0000]
	mov [RES + 16], eax
	mov eax, [0xd0000000]
	mov [RES + 24], eax
	mov eax, [0x2000000]
	mov [RES + 32], eax
	mov dword [0xfeb00004], 0xabcd1234
	mov eax, [0xfeb00004]
	mov [RES + 40], eax
	fild qword [0xfeb00008]		; x87: an 8-byte load, exact for integers
	fistp qword [RES + 48]
	mov dx, 0xf4
	mov eax, 0x10
	out dx, eax
	jmp $
