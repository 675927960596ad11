# fuzz/: libFuzzer targets (clang, ASan+UBSan) and their replay in `make check`.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=2] [FUZZ_TARGETS="compose layer"]
#       build each target in build-fuzz/ and fuzz it for FUZZ_SECONDS,
#       starting from its committed seed corpus (fuzz/corpus/<target>/);
#       new inputs go to build-fuzz/corpus/<target>/, crashes to
#       build-fuzz/crashes/.  A crash found is copied into
#       fuzz/regressions/<target>/ and fixed.
#   make fuzz-replay
#       every committed corpus and regression input through the targets
#       linked with a plain main (no libFuzzer) in the sanitizer build;
#       part of `make check`.
FUZZ_TARGETS ?= compose interpolate envfile units image-json layer relay dockerfile dockerignore dns
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := build-fuzz
# clang counts a variable whose only use is its cleanup attribute as
# unused (gcc does not): the project relies on that idiom.
FUZZ_NOWARN := -Wno-unused-variable
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 $(WARN) $(FUZZ_NOWARN) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -D_GNU_SOURCE -I. \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Only the parts the targets reach (the runtime's init needs an embedded
# blob no parser uses).
FUZZ_LIB_SRCS := $(filter-out $(BUILDER_EXEC_SRCS),$(wildcard lib/*.c compose/*.c image/*.c network/*.c builder/*.c)) \
	engine/util.c engine/plan.c engine/state.c engine/labels.c engine/ports.c \
	runtime/spec.c runtime/relay.c runtime/dev.c
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=build-san/fuzz/replay-%)

.PHONY: fuzz fuzz-build fuzz-replay

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libccompose-fuzz.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz-%: fuzz/fuzz-%.c fuzz/fuzz.h $(FUZZ_DIR)/libccompose-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libccompose-fuzz.a $(LIBS)

fuzz-build: $(FUZZ_BINS)

# FUZZ_JOBS targets at a time (each is one process; CI has 2 cores), each
# for its whole FUZZ_SECONDS even when another crashed; the run fails at
# the end naming each crash file.
FUZZ_JOBS ?= 2
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/crashes $(FUZZ_DIR)/tmp; n=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; rm -f $(FUZZ_DIR)/$$t.failed; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  ( TMPDIR=$(CURDIR)/$(FUZZ_DIR)/tmp $(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- $(FUZZ_DIR)/corpus/$$t fuzz/corpus/$$t \
	    $$(ls -d fuzz/regressions/$$t 2>/dev/null) 2>$(FUZZ_DIR)/$$t.log || touch $(FUZZ_DIR)/$$t.failed ) & \
	  n=$$((n + 1)); if [ $$((n % $(FUZZ_JOBS))) -eq 0 ]; then wait; fi; \
	done; wait; \
	failed=""; for t in $(FUZZ_TARGETS); do \
	  if [ -e $(FUZZ_DIR)/$$t.failed ]; then \
	    echo "fuzz: $$t crashed:"; \
	    grep -E 'runtime error|ERROR: |SUMMARY|Test unit written' $(FUZZ_DIR)/$$t.log | head -n 8; \
	    failed="$$failed $$t"; \
	  else \
	    echo "fuzz: $$t"; grep -E '^stat::(number_of_executed_units|peak_rss_mb)' $(FUZZ_DIR)/$$t.log || true; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (inputs in $(FUZZ_DIR)/crashes/)"; exit 1; fi

FUZZ_REPLAY_OBJS := $(FUZZ_LIB_SRCS:%.c=build-san/obj/%.o)

build-san/fuzz/replay-%: fuzz/fuzz-%.c fuzz/replay.c fuzz/fuzz.h $(FUZZ_REPLAY_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< fuzz/replay.c $(FUZZ_REPLAY_OBJS) $(LIBS)

fuzz-replay:
	$(MAKE) BUILD=build-san $(FUZZ_REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    build-san/fuzz/replay-$$t fuzz/corpus/$$t $$(ls -d fuzz/regressions/$$t 2>/dev/null); \
	done

check: fuzz-replay

# gcc's -fsanitize=undefined leaves out float-cast-overflow (clang's
# includes it): without it the sanitizer build, and so fuzz-replay, would
# replay the out-of-range regressions in fuzz/regressions/ without
# noticing the undefined cast they are there to catch.
ifeq ($(BUILD),build-san)
ALL_CFLAGS += -fsanitize=float-cast-overflow
LDFLAGS += -fsanitize=float-cast-overflow
endif

-include $(FUZZ_LIB_OBJS:.o=.d)

# Crashes found in code this folder does not own wait in fuzz/pending/
# until their owner fixes them; then they move to fuzz/regressions/.
.PHONY: fuzz-pending fuzz-clean
# (run by the clang build: gcc's -fsanitize=undefined lacks
# float-cast-overflow, which clang's includes)
fuzz-pending: fuzz-build
	@for d in fuzz/pending/*/; do [ -d "$$d" ] || continue; t=$$(basename $$d); $(FUZZ_DIR)/fuzz-$$t $$d/*; done

fuzz-clean:
	rm -rf $(FUZZ_DIR)

clean: fuzz-clean
