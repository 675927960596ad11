# ccompose: one binary, built with pkg-config flags and a strict warning set (-Werror).
#   make deps     install build and test dependencies (Debian, apt-get)
#   make          build ./ccompose
#   make check    all tests, under ASan+UBSan: unit tests, then the system tests (root)
#   make demo     the web+redis demo, end to end
# Each folder may add rules in its own module.mk, so parts grow without
# touching this file.

.DEFAULT_GOAL := all
PKGS := yaml-0.1 libnl-3.0 libnl-route-3.0 libip4tc libip6tc libcjson libcurl libarchive libseccomp libcap libcrypto dbus-1

CC ?= gcc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wformat-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(filter-out libcurl libarchive libcrypto dbus-1,$(PKGS)) 2>/dev/null) -lpthread # lib/dynlib.h: opened on first use
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# BUILD selects the flavour: build/ (plain) or build-san/ (sanitizers).
BUILD ?= build
ifeq ($(BUILD),build-san)
ALL_CFLAGS += $(SAN_FLAGS) -O1
LDFLAGS += $(SAN_FLAGS)
endif

MODULES := lib compose engine runtime network volumes image builder convert cli
SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_SRCS := $(filter-out cli/main.c,$(SRCS))
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
EXTRA_OBJS :=

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test check unit system check-san demo clean format format-check layers-check

# The README's two commands.  Each installs what it needs first, then runs
# a fresh make so that pkg-config sees the libraries just installed.
test: deps
	$(MAKE) check


all: ccompose

DEB_PKGS := build-essential pkg-config libyaml-dev libnl-3-dev libnl-route-3-dev libip4tc-dev libip6tc-dev libiptc-dev \
	libcjson-dev libcurl4-openssl-dev libarchive-dev libzstd-dev libseccomp-dev libcap-dev libssl-dev \
	libcmocka-dev libdbus-1-dev dbus nftables iptables iproute2 busybox-static clang libclang-rt-14-dev valgrind \
	procps psmisc curl ca-certificates python3 python3-yaml hyperfine zsh
-include $(wildcard */module.mk)

ccompose: $(BUILD)/ccompose
	@if [ "$(BUILD)" = build ]; then ln -sf $(BUILD)/ccompose ccompose; fi

$(BUILD)/ccompose: $(OBJS) $(EXTRA_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libccompose.a: $(LIB_OBJS) $(EXTRA_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libccompose.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libccompose.a $(LIBS) -lcmocka

-include $(OBJS:.o=.d)

# docker.io for the Docker coexistence tests, installed so that its
# package scripts start no dockerd on the host (tests/system/dockerd.bash).
deps:
	@if command -v dpkg-query >/dev/null && dpkg-query -W -f='$${Status}\n' $(DEB_PKGS) 2>/dev/null \
	    | grep -c 'install ok installed' | grep -qx "$(words $(DEB_PKGS))"; then \
	  echo "deps: all $(words $(DEB_PKGS)) packages present"; \
	else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS); \
	fi
	@bash -c '. tests/system/dockerd.bash && docker_install docker.io' || \
	  echo "deps: docker.io could not be installed: the Docker coexistence tests will skip"
	@bash -c '. tests/system/firewalld.bash && firewalld_install' || \
	  echo "deps: firewalld could not be installed: its tests will skip"
	@$(MAKE) --no-print-directory deps-local

# What a module installs besides Debian packages (its module.mk adds to
# this double-colon rule), after them.
.PHONY: deps-local
deps-local::

unit:
	$(MAKE) BUILD=build-san build-san/ccompose $(UNIT_BINS:$(BUILD)/%=build-san/%)
	tests/unit/run build-san/tests

# The system tests against the plain binary (what users run).
system: ccompose
	tests/system/run

# The same tests against the ASan+UBSan binary: every CLI path they drive
# is checked for memory errors, leaks and undefined behaviour.
# The tests that drive the firewall run a second time under the other
# backend (tests default to iptc, the legacy tables): both must behave
# alike (issue 17).
FIREWALL_TESTS := network engine-demo engine-ephemeral engine-up
# Two test files at once: they mostly wait (tests/system/run says which
# must run alone).
SYSTEM_JOBS ?= 2
check-san:
	$(MAKE) BUILD=build-san build-san/ccompose
	CCOMPOSE_BIN=$(CURDIR)/build-san/ccompose tests/system/run -j $(SYSTEM_JOBS)
	CCOMPOSE_FIREWALL=nftables CCOMPOSE_BIN=$(CURDIR)/build-san/ccompose tests/system/run -j $(SYSTEM_JOBS) $(FIREWALL_TESTS)

# The whole suite runs once, under the sanitizers (the plain binary is
# built too, and `make system` runs the suite against it).
check: ccompose unit check-san

format:
	clang-format -i $(SRCS) $(wildcard */*.h tests/unit/*.c)

format-check: layers-check
	clang-format --dry-run --Werror $(SRCS) $(wildcard */*.h tests/unit/*.c)

# cli/ reaches the other parts only through the engine, and neither forks
# nor signals nor waits (ARCHITECTURE.md, "Parts" and "Process model").
# Checked with the format, so CI sees it.
layers-check:
	@! grep -nE '^#include "([a-z]+/)?[a-z-]+\.h"' cli/*.c cli/*.h \
	   | grep -vE '"(\.\./)?(cli|engine|lib)/|"(cli|project|table|template)\.h"' \
	   | sed 's/^/layers-check: not allowed in cli\/: /' | grep .
	@! grep -nE '\b(fork|vfork|setsid|kill|killpg|waitpid|wait4|waitid) \(' cli/*.c \
	   | sed 's/^/layers-check: the engine does this, not cli\/: /' | grep .

clean:
	rm -rf build build-san ccompose
