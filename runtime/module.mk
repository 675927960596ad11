# runtime/: the static init embedded in the binary, and libm for the
# cgroup v2 weight conversion.
# ccompose-init is built without sanitizers in every flavour: it runs
# inside containers, statically linked.
INIT_BIN := $(BUILD)/obj/runtime/ccompose-init
INIT_BLOB := $(BUILD)/obj/runtime/init-blob.o

$(INIT_BIN): runtime/init/ccompose-init.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -static -Os -s -o $@ $<

$(INIT_BLOB): runtime/init/blob.S $(INIT_BIN)
	$(CC) -c -DINIT_PATH='"$(INIT_BIN)"' -o $@ $<

EXTRA_OBJS += $(INIT_BLOB)
LIBS += -lm

# The statically linked test payload (tests/system/payload.c).
$(BUILD)/payload: tests/system/payload.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -static -O2 -o $@ $<
