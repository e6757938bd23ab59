# Tiny virtio guests: tests/guests/module.mk builds every tests/guests/virtio/*.c
# into $(BUILD)/tests/guests/virtio/<name>.elf; they also depend on the shared
# header-only driver.
VIRTIO_GUEST_ELFS := $(patsubst %.c,$(BUILD)/%.elf,$(wildcard tests/guests/virtio/*.c))
$(VIRTIO_GUEST_ELFS): tests/guests/virtio/vdrv.h
