# The virtqueue walker's cmocka test needs the walker itself, which is not in
# libbulkhead: link its object explicitly (overrides tests/module.mk's rule).
$(BUILD)/tests/unit/test_virtqueue: $(BUILD)/tests/unit/test_virtqueue.o $(BUILD)/vmm/devices/virtqueue.o
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ -lcmocka $(LDFLAGS)
