# Bulkhead top-level build. Each area adds itself through its own module.mk,
# so that adding a component never means editing this file.
CC        ?= gcc
BUILD     ?= build
PREFIX    ?= /usr/local
SAN       ?=
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
WARN      := -Wall -Wextra -Werror
BASEFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -I$(CURDIR) -I$(CURDIR)/lib -MMD -MP $(SAN)
LDFLAGS   ?=
export BULKHEAD_CACHE ?= /var/cache/bulkhead

# Libraries shared between areas are named here, before the module.mk files
# are read, because make expands prerequisites as it reads them.
LIBBH        := $(BUILD)/lib/libbulkhead.a
LIBBH_LDLIBS := -lseccomp -lcap -ljansson
LIBVMM       := $(BUILD)/vmm/libvmm.a

# Filled by module.mk files.
BINS          :=
LIBS          :=
TEST_BINS     :=
FUZZ_TARGETS  :=
ASSETS        :=
CLEAN_EXTRA   :=

.PHONY: all deps test asan bench demo install clean fuzz kernel images cppcheck check-deps
all:

include $(sort $(wildcard */module.mk */*/module.mk */*/*/module.mk))

all: $(LIBS) $(BINS) $(TEST_BINS) $(ASSETS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

# One idempotent install step; everything that needs packages depends on it.
deps:
	@mk/deps.sh

# The guest kernel is built before the suites so that every VM-mode suite can
# use it (cold: ~10 min on 2 idle cores; cached afterwards). A failed kernel
# build does not stop the run: the suites that need it report why.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory kernel || echo "test: make kernel failed; suites needing the guest kernel will report it"
	@tests/run

# ASan/UBSan build of the tests, in its own build dir.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all
	@BULKHEAD_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1 tests/run --asan

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run

demo: deps
	@$(MAKE) --no-print-directory all
	@mk/demo.sh

fuzz: deps
	@$(MAKE) --no-print-directory all
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem --std=c11 -D_GNU_SOURCE \
	  -I. -Ilib host lib vmm guest-agent

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-asan $(CLEAN_EXTRA)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
