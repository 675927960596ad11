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

# The static DNS client the DNS tests and bench/dns run in containers.
$(BUILD)/dnsq: tests/system/dnsq.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -static -O2 -o $@ $<

# ccompose-monitor, the per-container monitor (runtime/monitor/main.c
# says why it is not ccompose itself): runtime/ and lib/ objects only,
# built in each flavour (with sanitizers in build-san), embedded like the
# init together with the start of its sha256.
MONITOR_BIN := $(BUILD)/obj/runtime/ccompose-monitor
MONITOR_BLOB := $(BUILD)/obj/runtime/monitor-blob.o
# The embedded DNS's responder is a mode of it (issue 16): its three
# files need lib/ and cJSON only.
DNS_RESPONDER_OBJS := $(BUILD)/obj/network/dns-msg.o $(BUILD)/obj/network/dns-records.o $(BUILD)/obj/network/dns-server.o
MONITOR_OBJS := $(BUILD)/obj/runtime/monitor/main.o $(filter $(BUILD)/obj/runtime/%.o $(BUILD)/obj/lib/%.o,$(OBJS)) \
	$(DNS_RESPONDER_OBJS) $(INIT_BLOB)
MONITOR_LIBS := $(shell pkg-config --libs libcjson libseccomp libcap 2>/dev/null) -lm

$(MONITOR_BIN): $(MONITOR_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(MONITOR_LIBS)

$(MONITOR_BLOB): runtime/monitor/blob.S $(MONITOR_BIN)
	$(CC) -c -DMONITOR_PATH='"$(MONITOR_BIN)"' -DMONITOR_ID="\"$$(sha256sum $(MONITOR_BIN) | cut -c1-16)\"" -o $@ $<

EXTRA_OBJS += $(MONITOR_BLOB)
-include $(BUILD)/obj/runtime/monitor/main.d
