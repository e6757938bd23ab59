# testinit: a static /init for the guest-kernel boot tests (60-guest-kernel).
TESTINIT_SRCS := $(sort $(wildcard tests/guest-kernel/*.c))
TESTINIT_OBJS := $(TESTINIT_SRCS:%.c=$(BUILD)/%.o)
TESTINIT      := $(BUILD)/tests/guest-kernel/testinit
TEST_BINS += $(TESTINIT)

# Static and without $(SAN): it runs as PID 1 in an initramfs that holds
# nothing else, and sanitizer runtimes do not link statically.
$(BUILD)/tests/guest-kernel/%.o: tests/guest-kernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out $(SAN),$(BASEFLAGS)) $(CFLAGS) -c -o $@ $<

$(TESTINIT): $(TESTINIT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $(TESTINIT_OBJS)
