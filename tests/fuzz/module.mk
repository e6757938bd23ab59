# libFuzzer targets.  Every tests/fuzz/fuzz_<name>.c defines
# LLVMFuzzerTestOneInput and becomes build-fuzz/tests/fuzz/fuzz_<name>, built
# with clang against a sanitized libbulkhead (plus $(LIBVMM) for fuzz_vmm_*,
# when vmm/module.mk defines it).  `make fuzz-build` builds them all;
# tests/fuzz/run runs them on tests/fuzz/corpus/<name>/.
FUZZ_BUILD   := build-fuzz
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS += $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/tests/fuzz/%)
FUZZ_SAN_CC  := -fsanitize=fuzzer-no-link,address,undefined \
                -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_SAN_LD  := -fsanitize=fuzzer,address,undefined
CLEAN_EXTRA  += $(FUZZ_BUILD)
# vmm/module.mk is read after this file: decide at second expansion whether
# the fuzz_vmm_* targets can be linked.
FUZZ_BUILDABLE = $(if $(LIBVMM),$(FUZZ_TARGETS),$(filter-out $(FUZZ_BUILD)/tests/fuzz/fuzz_vmm_%,$(FUZZ_TARGETS)))

.PHONY: fuzz-build fuzz-bins
fuzz-build:
	@command -v clang >/dev/null || { echo "fuzz-build: clang is not installed (make deps)" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	  SAN="$(FUZZ_SAN_CC)" fuzz-bins

# Keep the objects (pattern chains would delete them as intermediates).
.PRECIOUS: $(FUZZ_BUILD)/tests/fuzz/%.o

.SECONDEXPANSION:
fuzz-bins: $$(FUZZ_BUILDABLE)
	@test "$(BUILD)" = "$(FUZZ_BUILD)" || { echo "fuzz-bins: use make fuzz-build" >&2; exit 1; }

$(FUZZ_BUILD)/tests/fuzz/fuzz_vmm_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_vmm_%.o $$(LIBVMM) $$(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_SAN_LD) -o $@ $< $(LIBVMM) $(LIBBH) $(LIBVMM_LDLIBS) $(LIBBH_LDLIBS) $(LDFLAGS)

$(FUZZ_BUILD)/tests/fuzz/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $$(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_SAN_LD) -o $@ $< $(LIBBH) $(LIBBH_LDLIBS) $(LDFLAGS)
