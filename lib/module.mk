# libbulkhead.a: the container engine, the wire protocol and utilities,
# linked by the bulkhead CLI (bare mode) and by the guest agent.
LIB_SRCS   := $(sort $(wildcard lib/util/*.c lib/container/*.c lib/proto/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBS       += $(LIBBH)

$(LIBBH): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
