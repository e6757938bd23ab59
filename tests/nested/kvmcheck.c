/* kvmcheck: proves that /dev/kvm inside the nested harness's L1 is a working
 * hardware-style KVM (kvm-amd on nested SVM), independent of bulkhead-vmm.
 * Static binary; prints TAP lines (numbers are renumbered by the harness).
 *   kvmcheck [/dev/kvm]
 * Checks: API version 12, KVM_CREATE_VM, KVM_CAP_IRQCHIP, and a real-mode
 * guest that writes 'K' to port 0x3f8 and halts (so VMRUN really runs). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int n;

static void tap(int ok, const char *what, const char *detail)
{
	printf("%s %d - kvm: %s%s%s\n", ok ? "ok" : "not ok", ++n, what,
	       detail[0] ? ": " : "", detail);
	fflush(stdout);
}

/* Runs mov al,'K'; out 0x3f8,al; hlt in real mode. Returns 0 when the guest
 * produced exactly that sequence of exits. */
static int run_tiny_guest(int vm, char *why, size_t whylen)
{
	static const uint8_t code[] = { 0xb0, 'K', 0xba, 0xf8, 0x03, 0xee, 0xf4 };
	size_t memsz = 0x10000;
	uint8_t *mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(mem + 0x1000, code, sizeof(code));
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = memsz,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		snprintf(why, whylen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int sz = kvm >= 0 ? ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0) : -1;
	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (kvm < 0 || sz <= 0 || cpu < 0) {
		snprintf(why, whylen, "vcpu setup: %s", strerror(errno));
		return -1;
	}
	struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED) {
		snprintf(why, whylen, "mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	struct kvm_sregs s;
	struct kvm_regs g = { .rip = 0x1000, .rflags = 2 };
	if (ioctl(cpu, KVM_GET_SREGS, &s) < 0) {
		snprintf(why, whylen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &g) < 0) {
		snprintf(why, whylen, "KVM_SET_*REGS: %s", strerror(errno));
		return -1;
	}
	int saw_out = 0;
	for (int i = 0; i < 16; i++) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			snprintf(why, whylen, "KVM_RUN: %s", strerror(errno));
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x3f8 &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			saw_out = ((char *)run)[run->io.data_offset] == 'K';
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			if (saw_out)
				return 0;
			snprintf(why, whylen, "halted without writing 'K' to 0x3f8");
			return -1;
		}
		snprintf(why, whylen, "unexpected exit reason %u", run->exit_reason);
		return -1;
	}
	snprintf(why, whylen, "no halt after 16 exits");
	return -1;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	char d[256] = "";
	int kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(d, sizeof(d), "open %s: %s", dev, strerror(errno));
		tap(0, "open /dev/kvm", d);
		return 1;
	}
	tap(1, "open /dev/kvm", "");
	int v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	snprintf(d, sizeof(d), "version %d", v);
	tap(v == KVM_API_VERSION, "KVM_GET_API_VERSION is 12", d);
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	snprintf(d, sizeof(d), "%s", vm < 0 ? strerror(errno) : "");
	tap(vm >= 0, "KVM_CREATE_VM", d);
	int irq = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	snprintf(d, sizeof(d), "returned %d", irq);
	tap(irq > 0, "KVM_CAP_IRQCHIP", d);
	int rc = (v == KVM_API_VERSION && vm >= 0 && irq > 0) ? 0 : 1;
	if (vm >= 0) {
		d[0] = 0;
		int g = run_tiny_guest(vm, d, sizeof(d));
		tap(g == 0, "real-mode guest runs (out 0x3f8, hlt)", d);
		if (g)
			rc = 1;
	}
	return rc;
}
