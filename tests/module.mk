# tests/: the static escape payload run inside containers by
# tests/system/test-escape.sh (no sanitizers: it runs in a bare rootfs).
$(BUILD)/escape-payload: tests/system/escape-payload.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -static -O2 -o $@ $<
