# Tiny KVM test guests: freestanding x86-64 ELFs linked at 1 MiB on top of the
# runtime in tests/guests/lib (entry, serial, TAP-ish reporting).
# Every tests/guests/*.c and tests/guests/<dir>/*.c (except lib/) is one
# guest: $(BUILD)/tests/guests/<dir>/<name>.elf.  Guests include "lib/guest.h"
# (the -I below makes that work from subfolders too).
GUEST_CC     := gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
  -nostdlib -static -fno-pic -no-pie -mno-red-zone -mgeneral-regs-only \
  -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
  -Itests/guests
GUEST_LDFLAGS := -Wl,-T,tests/guests/lib/guest.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
  -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
GUEST_LIB_SRCS := tests/guests/lib/entry.S tests/guests/lib/guest.c
GUEST_LIB_OBJS := $(GUEST_LIB_SRCS:%=$(BUILD)/%.gobj)
GUEST_LIB      := $(BUILD)/tests/guests/lib/libguest.a
GUEST_SRCS := $(filter-out tests/guests/lib/% tests/guests/tools/%,$(sort $(wildcard tests/guests/*.c tests/guests/*/*.c)))
GUEST_ELFS := $(GUEST_SRCS:%.c=$(BUILD)/%.elf)
# Variants for the VMM tests: the bzImage path, and a kernel whose segment
# lies beyond a small guest's memory (linked at 256 MiB).
GUEST_EXTRA := $(BUILD)/tests/guests/bzimage.bzImage $(BUILD)/tests/guests/hello-high.elf
MKBZIMAGE  := $(BUILD)/tests/guests/tools/mkbzimage
ASSETS += $(GUEST_ELFS) $(GUEST_EXTRA) $(MKBZIMAGE)

$(BUILD)/tests/guests/%.gobj: tests/guests/% tests/guests/lib/guest.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# entry.S must come first so _start's section leads .text.
$(BUILD)/tests/guests/%.elf: tests/guests/%.c $(GUEST_LIB) tests/guests/lib/guest.ld tests/guests/lib/guest.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $< -Wl,--whole-archive $(GUEST_LIB) -Wl,--no-whole-archive

$(MKBZIMAGE): tests/guests/tools/mkbzimage.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/tests/guests/%-bz.elf: tests/guests/%.c $(GUEST_LIB) tests/guests/lib/guest.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -Wl,--defsym=GUEST_BASE=0x100200 $(GUEST_LDFLAGS) -o $@ $< \
	  -Wl,--whole-archive $(GUEST_LIB) -Wl,--no-whole-archive

$(BUILD)/tests/guests/%.bzImage: $(BUILD)/tests/guests/%-bz.elf $(MKBZIMAGE)
	$(MKBZIMAGE) $< $@

$(BUILD)/tests/guests/hello-high.elf: tests/guests/hello.c $(GUEST_LIB) tests/guests/lib/guest.ld
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -Wl,--defsym=GUEST_BASE=0x10000000 $(GUEST_LDFLAGS) -o $@ $< \
	  -Wl,--whole-archive $(GUEST_LIB) -Wl,--no-whole-archive
.PRECIOUS: $(BUILD)/tests/guests/%-bz.elf
