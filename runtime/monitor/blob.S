/* The ccompose-monitor program, embedded as read-only data, and the
   start of its sha256, which names its installed copy.  */
	.section .rodata
	.global cc_monitor_id
cc_monitor_id:
	.asciz MONITOR_ID
	.balign 16
	.global cc_monitor_blob_start
cc_monitor_blob_start:
	.incbin MONITOR_PATH
	.global cc_monitor_blob_end
cc_monitor_blob_end:
	.section .note.GNU-stack,"",@progbits
