# bulkhead-agent: a static binary, /init of the guest initramfs.
AGENT_SRCS := $(sort $(wildcard guest-agent/*.c))
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
AGENT_BIN  := $(BUILD)/bin/bulkhead-agent
BINS       += $(AGENT_BIN)

$(AGENT_BIN): $(AGENT_OBJS) $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -static -o $@ $(AGENT_OBJS) $(LIBBH) $(LIBBH_LDLIBS) $(LDFLAGS)
