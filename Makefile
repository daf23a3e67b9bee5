# kage: one static musl binary that is a KVM microVM monitor and an OCI runtime.
#   make          build build/kage (runs `make setup` and builds the libraries when needed)
#   make setup    install the Debian packages the build and the tests need
#   make test     build everything and run the whole test suite
#   make san      unit tests under AddressSanitizer + UndefinedBehaviorSanitizer

ARCH ?= x86_64
BUILD ?= build
CC := musl-gcc
SAN_CC ?= clang

KAGE_VERSION := 0.1.0
KAGE_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.PHONY: all setup test san unit-bins helpers clean distclean

# The package set is installed once per build tree; scripts/setup.sh is idempotent.
$(BUILD)/.setup: scripts/setup.sh
	@mkdir -p $(BUILD)
	scripts/setup.sh
	@touch $@

setup:
	scripts/setup.sh
	@mkdir -p $(BUILD) && touch $(BUILD)/.setup

# DEPS: prefix of json-c, libseccomp, libfdt and BearSSL built with musl (cached outside the
# tree by scripts/build-deps.sh). Rebuilt when the script changes or the cache was emptied.
-include $(BUILD)/deps.mk
ifeq ($(wildcard $(DEPS)/.done),)
DEPS_FORCE := FORCE
endif
FORCE:
$(BUILD)/deps.mk: scripts/build-deps.sh $(DEPS_FORCE) | $(BUILD)/.setup
	@mkdir -p $(BUILD)
	@prefix=$$(scripts/build-deps.sh) && echo "DEPS := $$prefix" >$@

WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wvla -Wno-format-nonliteral
BASE_CFLAGS := -std=gnu11 -g -D_GNU_SOURCE -fno-strict-aliasing $(WARN) -Werror
CFLAGS := $(BASE_CFLAGS) -O2 -ffunction-sections -fdata-sections -fstack-protector-strong
CPPFLAGS := -isystem $(DEPS)/kinc -isystem $(DEPS)/include -MMD -MP \
	-DKAGE_VERSION='"$(KAGE_VERSION)"' -DKAGE_COMMIT='"$(KAGE_COMMIT)"'
LDFLAGS := -static -Wl,--gc-sections -L$(DEPS)/lib
LDLIBS := -lseccomp -ljson-c -lfdt -lbearssl -lpthread

# Generic code, then the architecture's arch__* hooks.
LIB_SRCS := $(wildcard lib/*.c vmm/*.c devices/*.c devices/*/*.c runtime/*.c arch/$(ARCH)/*.c)
LIB_SRCS := $(filter-out runtime/main.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

all: $(BUILD)/kage

$(BUILD)/obj/%.o: %.c | $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/kage: $(BUILD)/obj/runtime/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test helpers that run inside the test host: static too, so they need nothing from its libc.
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(wildcard tests/helpers/*.c))
$(BUILD)/tests/%: tests/helpers/%.c | $(BUILD)/deps.mk
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)
helpers: $(HELPERS)

# Unit tests: built with clang against glibc under ASan+UBSan, linking the units they test.
# (musl has no sanitizer runtime, so these use Debian's shared json-c and libseccomp.)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := $(BASE_CFLAGS) -O1 $(SAN_FLAGS) -Wno-unknown-warning-option -MMD -MP
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))

$(BUILD)/san/%.o: %.c | $(BUILD)/.setup
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) -c $< -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(SAN_LIB_OBJS) | $(BUILD)/.setup
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) -MF $(BUILD)/san/$*.d -I. -o $@ $< $(SAN_LIB_OBJS) $(SAN_FLAGS) \
		-lseccomp -ljson-c -lpthread

unit-bins: $(UNIT_BINS)

san: unit-bins
	tests/run unit

test: all helpers unit-bins
	tests/run

clean:
	rm -rf $(BUILD)

# Also drops the caches kept outside the tree (libraries, test host, guest kernel).
distclean: clean
	rm -rf $${KAGE_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kage}

-include $(shell find $(BUILD)/obj $(BUILD)/san -name '*.d' 2>/dev/null)
