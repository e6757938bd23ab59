# bulkhead: the CLI (bare mode: a runc-compatible OCI runtime).
HOST_SRCS := $(sort $(wildcard host/*.c))
HOST_OBJS := $(HOST_SRCS:%.c=$(BUILD)/%.o)
BINS      += $(BUILD)/bin/bulkhead

$(BUILD)/bin/bulkhead: $(HOST_OBJS) $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $(HOST_OBJS) $(LIBBH) $(LIBBH_LDLIBS) $(LDFLAGS)
