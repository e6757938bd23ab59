# Guest and container images, built by `make images` into $(BUILD)/images/:
#   rootfs/            busybox-static rootfs directory (images/busybox-rootfs.sh)
#   rootfs.ext4        the same as an ext4 image     (images/rootfs-image.sh)
#   rootfs.squashfs    the same as a squashfs image
#   initramfs.cpio.gz  guest initramfs, /init = bulkhead-agent
#   testinit.cpio.gz   guest initramfs, /init = the guest-kernel testinit
# All of them are reproducible: same inputs, same bytes. Not in `all`
# (they need busybox-static, e2fsprogs, squashfs-tools, faketime: deps/kernel.list).
IMG := $(BUILD)/images
IMAGES := $(IMG)/rootfs.ext4 $(IMG)/rootfs.squashfs $(IMG)/initramfs.cpio.gz $(IMG)/testinit.cpio.gz

images: $(IMAGES)

$(IMG)/rootfs.stamp: images/busybox-rootfs.sh
	@mkdir -p $(IMG)
	images/busybox-rootfs.sh $(IMG)/rootfs
	@touch $@

$(IMG)/rootfs.ext4: $(IMG)/rootfs.stamp images/rootfs-image.sh
	images/rootfs-image.sh $(IMG)/rootfs $@ ext4

$(IMG)/rootfs.squashfs: $(IMG)/rootfs.stamp images/rootfs-image.sh
	images/rootfs-image.sh $(IMG)/rootfs $@ squashfs

$(IMG)/initramfs.cpio.gz: $(AGENT_BIN) images/initramfs.sh
	images/initramfs.sh $@ --init $(AGENT_BIN)

# (spelled out: tests/guest-kernel/module.mk is read after this file)
$(IMG)/testinit.cpio.gz: $(BUILD)/tests/guest-kernel/testinit images/initramfs.sh
	images/initramfs.sh $@ --init $(BUILD)/tests/guest-kernel/testinit
