# Nested harness helpers: static binaries that run inside the L1 (kvmcheck,
# vsockpeer) and the L2 (l2init). Built without $(SAN): they are linked
# statically and run in guests that have no sanitizer runtime.
NESTED_BINS := $(addprefix $(BUILD)/tests/nested/,kvmcheck vsockpeer l2init)
TEST_BINS += $(NESTED_BINS)

$(BUILD)/tests/nested/%: tests/nested/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -O2 -static -o $@ $<
