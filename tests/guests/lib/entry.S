/* Tiny-guest entry points.
 *  _start:      64-bit, as the Linux x86-64 boot protocol enters a kernel:
 *               paging on (identity map), flat CS/DS, RSI = boot_params.
 *  pvh_start32: 32-bit protected mode, paging off, EBX = hvm_start_info
 *               (Xen PVH note; lets QEMU -kernel boot the same ELF).
 * Both end in guest_main(); its return value is ignored and the guest halts
 * with interrupts off (a power-off, to the VMM). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	lea	guest_stack_top(%rip), %rsp
	mov	%rsi, guest_boot_params(%rip)
	/* bss is not part of the file image: clear it (keeps boot_params). */
	mov	%rsi, %r12
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	mov	%r12, guest_boot_params(%rip)
	call	guest_idt_init
	mov	%r12, %rdi
	call	guest_main
	jmp	guest_halt

	.code32
	.globl pvh_start32
pvh_start32:
	cli
	mov	%ebx, %esi		/* start_info, handed on in rsi (as a tag) */
	/* Identity map 4 GiB with 2 MiB pages: PML4 -> PDPT -> 4 PDs. */
	lea	pvh_pml4, %edi
	lea	pvh_pdpt, %eax
	or	$3, %eax
	mov	%eax, (%edi)
	lea	pvh_pdpt, %edi
	lea	pvh_pd, %eax
	or	$3, %eax
	mov	$4, %ecx
1:	mov	%eax, (%edi)
	add	$0x1000, %eax
	add	$8, %edi
	loop	1b
	lea	pvh_pd, %edi
	mov	$0x83, %eax		/* present, writable, 2 MiB page */
	xor	%edx, %edx
	mov	$2048, %ecx
2:	mov	%eax, (%edi)
	mov	%edx, 4(%edi)
	add	$0x200000, %eax
	adc	$0, %edx
	add	$8, %edi
	loop	2b
	lgdt	pvh_gdt_desc
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	lea	pvh_pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* PG | PE */
	mov	%eax, %cr0
	ljmp	$0x10, $pvh_start64

	.code64
pvh_start64:
	mov	$0x18, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	lea	guest_stack_top(%rip), %rsp
	mov	%rsi, %r13
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	mov	%r13, guest_pvh_start_info(%rip)
	movq	$0, guest_boot_params(%rip)
	call	guest_idt_init
	xor	%edi, %edi
	call	guest_main
	jmp	guest_halt

	.globl guest_halt
guest_halt:
	cli
1:	hlt
	jmp	1b

/* Exception stubs: vector number in a register, then a common C handler
 * that reports the fault over serial and halts. */
	.altmacro
	.macro exc_stub n
exc_stub_\n:
	.if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17)
	pop	%rsi			/* error code */
	.else
	xor	%esi, %esi
	.endif
	mov	$\n, %edi
	mov	(%rsp), %rdx		/* faulting rip */
	and	$-16, %rsp
	call	guest_exception
	jmp	guest_halt
	.endm
	.set i, 0
	.rept 32
	exc_stub %i
	.set i, i+1
	.endr

	.section .rodata
	.globl guest_exc_stubs
	.balign 8
	.macro exc_ptr n
	.quad exc_stub_\n
	.endm
guest_exc_stubs:
	.set i, 0
	.rept 32
	exc_ptr %i
	.set i, i+1
	.endr

	.balign 8
pvh_gdt:
	.quad 0
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x10: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x18: data */
pvh_gdt_desc:
	.word pvh_gdt_desc - pvh_gdt - 1
	.long pvh_gdt

	.section .note.Xen, "a"
	.balign 4
	.long 4				/* namesz */
	.long 8				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start32

	/* Not cleared by the bss loop: the PVH path runs on these tables. */
	.section .noclear, "aw", @nobits
	.balign 4096
pvh_pml4:	.skip 4096
pvh_pdpt:	.skip 4096
pvh_pd:		.skip 4096 * 4
	.balign 16
	.skip 16384
	.globl guest_stack_top
guest_stack_top:

	.section .data
	.globl guest_boot_params, guest_pvh_start_info
	.balign 8
guest_boot_params:	.quad 0
guest_pvh_start_info:	.quad 0

	.section .note.GNU-stack, "", @progbits
