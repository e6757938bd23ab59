# bulkhead: the CLI (bare mode: a runc-compatible OCI runtime).
HOST_SRCS := $(sort $(wildcard host/*.c))
HOST_OBJS := $(HOST_SRCS:%.c=$(BUILD)/%.o)
BINS      += $(BUILD)/bin/bulkhead
# libarchive (host/vm_upload.c) statically: loading libarchive.so and its
# dependencies at every start would cost bare-mode `run` latency.  The pax
# writer's object names every format writer (xar needs libxml2+ICU):
# --gc-sections drops the unused ones.
HOST_LDLIBS += -Wl,--gc-sections -Wl,-Bstatic -larchive -lacl -lnettle -llzma -lbz2 -lz -Wl,-Bdynamic

$(BUILD)/bin/bulkhead: $(HOST_OBJS) $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $(HOST_OBJS) $(LIBBH) $(LIBBH_LDLIBS) $(HOST_LDLIBS) $(LDFLAGS)
