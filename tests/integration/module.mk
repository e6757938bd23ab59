# Integration tests: the static attack helper copied into test containers, and
# the busybox test rootfs (built on demand by the bare suite, or `make rootfs`).
ATTACK_BIN := $(BUILD)/tests/attack
ASSETS     += $(ATTACK_BIN)

$(ATTACK_BIN): tests/integration/attack.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -O2 -static -o $@ $<

.PHONY: rootfs
rootfs: $(BUILD)/rootfs.stamp
# A stamp, because every file in the rootfs has mtime 0 on purpose.
$(BUILD)/rootfs.stamp: images/busybox-rootfs.sh
	images/busybox-rootfs.sh $(BUILD)/rootfs
	touch $@
