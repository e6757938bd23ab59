# bulkhead-agent: a static binary, /init of the guest initramfs (dynamic in
# sanitizer builds, whose runtimes do not link statically; those test it on the host).
AGENT_SRCS := $(sort $(wildcard guest-agent/*.c))
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
AGENT_BIN  := $(BUILD)/bin/bulkhead-agent
BINS       += $(AGENT_BIN)

# libarchive extracts rootfs uploads (guest-agent/upload*.c); statically,
# it needs its compression and ACL libraries spelled out.
AGENT_LDLIBS := -larchive $(if $(SAN),,-lacl -lnettle -llzma -lbz2 -lz)

$(AGENT_BIN): $(AGENT_OBJS) $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $(if $(SAN),,-static) -o $@ $(AGENT_OBJS) $(LIBBH) $(LIBBH_LDLIBS) $(AGENT_LDLIBS) $(LDFLAGS)

# The upload fuzz target includes guest-agent/upload_tar.c; it needs libarchive.
build-fuzz/tests/fuzz/fuzz_agent_upload: LDFLAGS += -larchive

# The tenant VM initramfs (/init = the agent); `bulkhead tenant up` looks for
# it next to the binaries, in $(BUILD)/images/.
AGENT_INITRAMFS := $(BUILD)/images/agent-initramfs.cpio.gz
.PHONY: agent-initramfs
agent-initramfs: $(AGENT_INITRAMFS)
$(AGENT_INITRAMFS): $(AGENT_BIN) images/agent-initramfs.sh images/initramfs.sh
	images/agent-initramfs.sh $@ $(AGENT_BIN)
