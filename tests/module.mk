# Unit tests: every tests/unit/test_*.c is one cmocka binary linked with libbulkhead.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
TEST_BINS += $(UNIT_BINS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $< $(LIBBH) $(LIBBH_LDLIBS) -lcmocka $(LDFLAGS)
