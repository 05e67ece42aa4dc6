; test_machine's triple-fault guest: Multiboot state (32-bit protected
; mode), an empty IDT, then UD2. #UD finds no gate (#GP), #GP finds none
; (#DF), #DF finds none: shutdown (SDM Vol. 3A 6.15, Table 6-5).
bits 32
org 0x100000
	lidt [idtr]
	ud2
	hlt
idtr:
	dw 0
	dd 0
