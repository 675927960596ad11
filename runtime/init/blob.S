/* The static ccompose-init, embedded as read-only data.  */
	.section .rodata
	.balign 16
	.global cc_init_blob_start
cc_init_blob_start:
	.incbin INIT_PATH
	.global cc_init_blob_end
cc_init_blob_end:
	.section .note.GNU-stack,"",@progbits
