# bulkhead-vmm: the KVM microVM monitor. LIBVMM holds every VMM object but
# main.o, for the fuzz targets (tests/fuzz/fuzz_vmm_*.c).
VMM_SRCS := $(sort $(wildcard vmm/*.c vmm/boot/*.c vmm/devices/*.c))
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)
VMM_LIB_OBJS := $(filter-out $(BUILD)/vmm/main.o,$(VMM_OBJS))
LIBVMM   := $(BUILD)/vmm/libvmm.a
LIBVMM_LDLIBS := -lpthread
VMM_BIN  := $(BUILD)/bin/bulkhead-vmm
LIBS     += $(LIBVMM)
BINS     += $(VMM_BIN)

$(LIBVMM): $(VMM_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# --as-needed: the VMM uses jansson but not libseccomp/libcap; fewer
# mapped libraries, less RSS and faster start.
$(VMM_BIN): $(BUILD)/vmm/main.o $(LIBVMM) $(LIBBH)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $(BUILD)/vmm/main.o $(LIBVMM) $(LIBBH) -Wl,--as-needed $(LIBBH_LDLIBS) -lpthread $(LDFLAGS)
