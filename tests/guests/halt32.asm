; test_machine's halt guest: prints "hi" on the UART, then CLI; HLT.
; Nothing can wake it: the run must stop (QEMU would wait forever).
bits 32
org 0x100000
	mov dx, 0x3f8
	mov al, 'h'
	out dx, al
	mov al, 'i'
	out dx, al
	cli
	hlt
	jmp $
