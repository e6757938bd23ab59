/* The KVM machine: VM, in-kernel irqchip and PIT, guest memory, vCPUs with
 * their CPUID, vCPU threads and the detection of how the guest ended. */
#include "vmm/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/seccomp.h"

#define HUGE_2M (2ULL << 20)

static __thread struct kvm_run *tls_run;

uint64_t vmm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- guest memory ---- */
void *vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->low_size)
		return vm->mem + gpa;
	if (gpa >= VMM_MMIO_GAP_END) {
		uint64_t off = gpa - VMM_MMIO_GAP_END;
		uint64_t high = vm->mem_size - vm->low_size;
		if (off + len <= high && off + len >= off)
			return vm->mem + vm->low_size + off;
	}
	return NULL;
}

uint64_t vmm_mem_size(struct vmm *vm) { return vm->mem_size; }

static int mem_create(struct vmm *vm, const struct vmm_machine_opts *o, struct bh_error *err)
{
	uint64_t size = o->memory_mib << 20;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (o->hugepages) {
		/* Reserve the pages now: with MAP_NORESERVE a short pool would
		 * only show up as SIGBUS when the guest touches its memory. */
		size = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
		flags = (flags & ~MAP_NORESERVE) | MAP_HUGETLB;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return bh_error_set(err, errno, "guest memory: mmap %llu MiB%s",
				    (unsigned long long)(size >> 20),
				    o->hugepages ? " of hugetlbfs pages (are enough reserved in "
						   "/proc/sys/vm/nr_hugepages?)" : "");
	vm->mem = p;
	vm->mem_size = size;
	vm->hugetlb = o->hugepages;
	vm->low_size = size < VMM_MMIO_GAP_START ? size : VMM_MMIO_GAP_START;
	if (!o->hugepages) {
		/* THP makes a Linux guest boot 2-4x faster, but the first 2 MiB
		 * (boot structures, tiny guests) stay 4 KiB so a small guest
		 * costs little RSS. */
		madvise(p, size < HUGE_2M ? size : HUGE_2M, MADV_NOHUGEPAGE);
		if (size > HUGE_2M)
			madvise((uint8_t *)p + HUGE_2M, size - HUGE_2M, MADV_HUGEPAGE);
	}
	madvise(p, size, MADV_DONTDUMP);

	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->low_size,
		.userspace_addr = (uint64_t)(uintptr_t)p,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return bh_error_set(err, errno, "KVM_SET_USER_MEMORY_REGION (low RAM)");
	if (size > vm->low_size) {
		r.slot = 1;
		r.guest_phys_addr = VMM_MMIO_GAP_END;
		r.memory_size = size - vm->low_size;
		r.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + vm->low_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return bh_error_set(err, errno, "KVM_SET_USER_MEMORY_REGION (RAM above 4 GiB)");
	}
	return 0;
}

/* ---- CPUID ---- */
static struct kvm_cpuid2 *cpuid_supported(int kvm_fd, struct bh_error *err)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (n + 2) * sizeof(c->entries[0]));
		if (!c) {
			bh_error_set(err, ENOMEM, "CPUID table");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		int e = errno;
		free(c);
		if (e != E2BIG) {
			bh_error_set(err, e, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	bh_error_setx(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: table too large");
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || c->entries[i].index == idx))
			return &c->entries[i];
	return NULL;
}

/* The KVM paravirt leaves make Linux use kvm-clock and the TSC-deadline
 * timer; a kernel that does not report them gets them added. (The table has
 * room for two more entries.) */
static void cpuid_add_kvm_leaves(struct kvm_cpuid2 *c)
{
	if (cpuid_find(c, 0x40000000, 0))
		return;
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000000;
	e->eax = 0x40000001;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000001;
	e->eax = (1u << 3) /* KVM_FEATURE_CLOCKSOURCE2 */ | (1u << 24) /* CLOCKSOURCE_STABLE */;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

static void cpuid_for_vcpu(struct kvm_cpuid2 *c, unsigned id, unsigned n)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0xffff) | (n << 16) | (id << 24);
			e->ecx |= 1u << 31;               /* hypervisor */
			if (n > 1)
				e->edx |= 1u << 28;       /* HTT: the count in ebx is valid */
			break;
		case 4:
			/* One package of n cores, no SMT. */
			e->eax = (e->eax & 0x3ff) | ((n - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;   /* SMT level */
			} else if (e->index == 1) {
				e->eax = bits_for(n);
				e->ebx = n;
				e->ecx = (2u << 8) | 1;   /* core level */
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		default:
			break;
		}
	}
}

/* ---- vCPUs ---- */
static int lapic_setup(struct vmm_vcpu *v, struct bh_error *err)
{
	struct kvm_lapic_state l;
	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return bh_error_set(err, errno, "vCPU %u: KVM_GET_LAPIC", v->index);
	/* LINT0 = ExtINT (legacy PIC), LINT1 = NMI, as firmware leaves them. */
	uint32_t *lint0 = (uint32_t *)&l.regs[0x350], *lint1 = (uint32_t *)&l.regs[0x360];
	*lint0 = (*lint0 & ~0x700u) | (7u << 8);
	*lint1 = (*lint1 & ~0x700u) | (4u << 8);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return bh_error_set(err, errno, "vCPU %u: KVM_SET_LAPIC", v->index);
	return 0;
}

static int vcpu_create(struct vmm *vm, unsigned i, const struct kvm_cpuid2 *base, size_t cpuid_bytes,
		       struct bh_error *err)
{
	struct vmm_vcpu *v = &vm->vcpus[i];
	v->vm = vm;
	v->index = i;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
	if (v->fd < 0)
		return bh_error_set(err, errno, "KVM_CREATE_VCPU %u", i);
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return bh_error_set(err, errno, "vCPU %u: mmap kvm_run", i);
	}
	struct kvm_cpuid2 *c = malloc(cpuid_bytes);
	if (!c)
		return bh_error_set(err, ENOMEM, "vCPU %u: CPUID", i);
	memcpy(c, base, cpuid_bytes);
	cpuid_for_vcpu(c, i, vm->nvcpus);
	int r = ioctl(v->fd, KVM_SET_CPUID2, c);
	int e = errno;
	free(c);
	if (r < 0)
		return bh_error_set(err, e, "vCPU %u: KVM_SET_CPUID2", i);
	return lapic_setup(v, err);
}

int vmm_create(struct vmm **out, const struct vmm_machine_opts *o, struct bh_error *err)
{
	int r;
	if (o->vcpus < 1 || o->vcpus > VMM_MAX_VCPUS)
		return bh_error_setx(err, EINVAL, "vcpus: %u is out of range (1..%d)", o->vcpus, VMM_MAX_VCPUS);
	struct vmm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return bh_error_set(err, ENOMEM, "vmm");
	vm->kvm_fd = vm->vm_fd = vm->epfd = vm->exit_efd = -1;
	vm->nvcpus = o->vcpus;
	pthread_mutex_init(&vm->loop_lock, NULL);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		r = bh_error_set(err, errno, "open /dev/kvm");
		goto fail;
	}
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		r = bh_error_setx(err, ENOTSUP, "/dev/kvm: API version %d, need %d", api, KVM_API_VERSION);
		goto fail;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = bh_error_set(err, errno, "KVM_CREATE_VM");
		goto fail;
	}
	int rs = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rs <= 0) {
		r = bh_error_set(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	vm->run_size = (size_t)rs;
	/* Both live in the MMIO gap; some KVM flavours do not need them. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_TSS_ADDR) < 0)
		bh_log_debug("KVM_SET_TSS_ADDR: %s (ignored)", strerror(errno));
	uint64_t idmap = VMM_IDMAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		bh_log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s (ignored)", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		r = bh_error_set(err, errno, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	/* Flags 0: the in-kernel PIT also emulates port 0x61 (channel 2 gate,
	 * refresh toggle), which Linux's PIT calibration reads. */
	struct kvm_pit_config pit = { .flags = 0 };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		r = bh_error_set(err, errno, "KVM_CREATE_PIT2");
		goto fail;
	}
	if ((r = mem_create(vm, o, err)) < 0)
		goto fail;

	struct kvm_cpuid2 *c = cpuid_supported(vm->kvm_fd, err);
	if (!c) {
		r = -err->code;
		goto fail;
	}
	cpuid_add_kvm_leaves(c);
	size_t cbytes = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	vm->vcpus = calloc(o->vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		free(c);
		r = bh_error_set(err, ENOMEM, "vCPUs");
		goto fail;
	}
	for (unsigned i = 0; i < o->vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < o->vcpus; i++) {
		if ((r = vcpu_create(vm, i, c, cbytes, err)) < 0) {
			free(c);
			goto fail;
		}
	}
	free(c);
	if ((r = vmm_loop_init(vm, err)) < 0)
		goto fail;
	*out = vm;
	return 0;
fail:
	vmm_destroy(vm);
	return r;
}

int vmm_on_destroy(struct vmm *vm, void (*fn)(void *arg), void *arg, struct bh_error *err)
{
	struct vmm_destroy_hook *h = realloc(vm->hooks, (vm->nhooks + 1) * sizeof(*h));
	if (!h)
		return bh_error_set(err, ENOMEM, "teardown hook");
	h[vm->nhooks++] = (struct vmm_destroy_hook){ fn, arg };
	vm->hooks = h;
	return 0;
}

void vmm_destroy(struct vmm *vm)
{
	if (!vm)
		return;
	while (vm->nhooks--)
		vm->hooks[vm->nhooks].fn(vm->hooks[vm->nhooks].arg);
	free(vm->hooks);
	for (unsigned i = 0; vm->vcpus && i < vm->nvcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vmm_loop_free(vm);
	vmm_io_free(vm);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->loop_lock);
	free(vm);
}

/* ---- boot registers ---- */
static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

int vmm_boot_regs(struct vmm *vm, uint64_t entry, uint64_t boot_params,
		  uint64_t stack, uint64_t pml4, uint64_t gdt, struct bh_error *err)
{
	struct vmm_vcpu *v = &vm->vcpus[0];
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return bh_error_set(err, errno, "KVM_GET_SREGS");
	seg_flat(&s.cs, 0x10, 0xb, true);
	seg_flat(&s.ds, 0x18, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = 0x20, .type = 0xb,
				     .present = 1, .s = 0 };
	s.gdt.base = gdt;
	s.gdt.limit = 5 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80000031;     /* PG | NE | ET | PE */
	s.cr3 = pml4;
	s.cr4 = 0x20;           /* PAE */
	s.efer = 0x500;         /* LMA | LME */
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return bh_error_set(err, errno, "KVM_SET_SREGS");
	struct kvm_regs r = { .rip = entry, .rsi = boot_params, .rsp = stack, .rbp = stack, .rflags = 2 };
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return bh_error_set(err, errno, "KVM_SET_REGS");
	return 0;
}

int vmm_boot_regs_pvh(struct vmm *vm, uint64_t entry, uint64_t start_info, uint64_t gdt,
		      struct bh_error *err)
{
	struct vmm_vcpu *v = &vm->vcpus[0];
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return bh_error_set(err, errno, "KVM_GET_SREGS");
	seg_flat(&s.cs, 0x08, 0xb, true);
	s.cs.l = 0;
	s.cs.db = 1;
	seg_flat(&s.ds, 0x18, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = 0x20, .type = 0xb,
				     .present = 1, .s = 0 };
	s.gdt.base = gdt;
	s.gdt.limit = 5 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x11;           /* PE | ET, paging off */
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return bh_error_set(err, errno, "KVM_SET_SREGS");
	struct kvm_regs r = { .rip = entry, .rbx = start_info, .rflags = 2 };
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return bh_error_set(err, errno, "KVM_SET_REGS");
	return 0;
}

/* ---- interrupts ---- */
int vmm_irq_line(struct vmm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int vmm_irq_pulse(struct vmm *vm, unsigned gsi)
{
	int r = vmm_irq_line(vm, gsi, 1);
	return r < 0 ? r : vmm_irq_line(vm, gsi, 0);
}

int vmm_irqfd(struct vmm *vm, int efd, unsigned gsi, struct bh_error *err)
{
	struct kvm_irqfd f = { .fd = (uint32_t)efd, .gsi = gsi };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0)
		return bh_error_set(err, errno, "KVM_IRQFD gsi %u", gsi);
	return 0;
}

int vmm_ioeventfd(struct vmm *vm, int efd, uint64_t addr, bool match,
		  uint64_t datamatch, struct bh_error *err)
{
	struct kvm_ioeventfd f = {
		.datamatch = datamatch, .addr = addr, .len = 4, .fd = efd,
		.flags = match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &f) < 0)
		return bh_error_set(err, errno, "KVM_IOEVENTFD at 0x%llx", (unsigned long long)addr);
	return 0;
}

/* ---- guest end ---- */
void vmm_request_exit(struct vmm *vm, enum vmm_exit_reason why)
{
	int none = VMM_EXIT_NONE;
	atomic_compare_exchange_strong(&vm->exit_reason, &none, (int)why);
	uint64_t one = 1;
	ssize_t r = write(vm->exit_efd, &one, sizeof(one));
	(void)r;
}

int vmm_exit_status(enum vmm_exit_reason why)
{
	switch (why) {
	case VMM_EXIT_HALT: return 0;
	case VMM_EXIT_SHUTDOWN: return 2;
	case VMM_EXIT_I8042_RESET: return 3;
	case VMM_EXIT_REQUESTED: return 4;
	default: return 1;
	}
}

const char *vmm_exit_name(enum vmm_exit_reason why)
{
	static const char *const names[] = {
		[VMM_EXIT_NONE] = "none", [VMM_EXIT_SHUTDOWN] = "shutdown (triple fault)",
		[VMM_EXIT_I8042_RESET] = "reset (i8042)", [VMM_EXIT_HALT] = "halt (power-off)",
		[VMM_EXIT_REQUESTED] = "stopped by the host", [VMM_EXIT_ERROR] = "error",
	};
	return (unsigned)why < sizeof(names) / sizeof(names[0]) ? names[why] : "?";
}

/* ---- halt detection ----
 * With the in-kernel irqchip, HLT never reaches userspace.  The loop thread
 * bumps a generation and kicks every vCPU with a signal; each vCPU, out of
 * KVM_RUN with EINTR, records whether it is halted with IF=0 (or, for an AP,
 * still waiting for INIT/SIPI) for that generation.  When every vCPU reports
 * halted for the same generation, nothing can wake the guest any more. */
static void vcpu_note_halt(struct vmm_vcpu *v, uint64_t gen)
{
	struct kvm_mp_state mp;
	bool halted = false;
	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0) {
		if (mp.mp_state == KVM_MP_STATE_HALTED) {
			struct kvm_regs r;
			halted = ioctl(v->fd, KVM_GET_REGS, &r) == 0 && !(r.rflags & 0x200);
		} else if (v->index > 0 && (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
					    mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)) {
			halted = true;
		}
	}
	atomic_store(&v->halt_state, gen << 1 | (halted ? 1 : 0));
	if (!halted)
		return;
	struct vmm *vm = v->vm;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (atomic_load(&vm->vcpus[i].halt_state) != (gen << 1 | 1))
			return;
	vmm_request_exit(vm, VMM_EXIT_HALT);
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
	if (tls_run)
		tls_run->immediate_exit = 1;
}

static void vcpu_error(struct vmm_vcpu *v, const char *what)
{
	struct kvm_regs r;
	unsigned long long rip = ioctl(v->fd, KVM_GET_REGS, &r) == 0 ? r.rip : 0;
	bh_log_error("vCPU %u: %s (guest rip 0x%llx)", v->index, what, rip);
	vmm_request_exit(v->vm, VMM_EXIT_ERROR);
}

static bool vcpu_exit(struct vmm_vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[96];

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *d = (uint8_t *)run + run->io.data_offset;
		for (uint32_t i = 0; i < run->io.count; i++, d += run->io.size)
			vmm_io_pio(v->vm, run->io.port, d, run->io.size,
				   run->io.direction == KVM_EXIT_IO_OUT);
		return true;
	}
	case KVM_EXIT_MMIO:
		vmm_io_mmio(v->vm, run->mmio.phys_addr, run->mmio.data,
			    run->mmio.len > 8 ? 8 : run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; treat like a poll. */
		vcpu_note_halt(v, atomic_load(&v->vm->halt_gen));
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vmm_request_exit(v->vm, VMM_EXIT_SHUTDOWN);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN: vmm_request_exit(v->vm, VMM_EXIT_HALT); break;
		case KVM_SYSTEM_EVENT_RESET: vmm_request_exit(v->vm, VMM_EXIT_SHUTDOWN); break;
		default: vcpu_error(v, "system event crash"); break;
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM internal error, suberror %u", run->internal.suberror);
		vcpu_error(v, why);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_error(v, why);
		return false;
	default:
		snprintf(why, sizeof(why), "unhandled KVM exit %u", run->exit_reason);
		vcpu_error(v, why);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *v = arg;
	struct vmm *vm = v->vm;
	sigset_t set;

	tls_run = v->run;
	int sr = v->index > 0 ? vmm_seccomp_install(vm->seccomp, VMM_THREAD_VCPU, v->index) : 0;
	if (sr < 0) {
		bh_log_error("vCPU %u: seccomp filter: %s", v->index, strerror(-sr));
		vmm_request_exit(vm, VMM_EXIT_ERROR);
		return NULL;
	}
	if (v->index == 0)
		atomic_store(&vm->first_run_ns, vmm_now_ns());
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (atomic_load(&vm->exit_reason) == VMM_EXIT_NONE) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				if (atomic_load(&vm->exit_reason) == VMM_EXIT_NONE)
					vcpu_note_halt(v, atomic_load(&vm->halt_gen));
				continue;
			}
			char why[64];
			snprintf(why, sizeof(why), "KVM_RUN: %s", strerror(errno));
			vcpu_error(v, why);
			break;
		}
		if (!vcpu_exit(v))
			break;
	}
	return NULL;
}

static void vmm_halt_tick(struct vmm *vm)
{
	atomic_fetch_add(&vm->halt_gen, 1);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			pthread_kill(vm->vcpus[i].thread, SIGRTMIN);
}

static void *loop_thread(void *arg)
{
	struct vmm *vm = arg;
	vmm_loop_run(vm, vmm_halt_tick);
	/* An exit was requested: get vCPU 0 (the main thread) out of KVM_RUN;
	 * it may be running guest code that never exits by itself. */
	while (!atomic_load(&vm->vcpu0_done)) {
		pthread_kill(vm->vcpus[0].thread, SIGRTMIN);
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void vcpu_stop(struct vmm_vcpu *v)
{
	/* The exit flag is set; the kick makes KVM_RUN return (immediate_exit
	 * closes the race with a vCPU about to enter). */
	for (;;) {
		pthread_kill(v->thread, SIGRTMIN);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 2000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
			break;
	}
	v->started = false;
}

/* vCPU 0 runs on the calling thread, so the guest starts without waiting
 * for a new thread to be scheduled; the event loop and the other vCPUs get
 * threads of their own. */
enum vmm_exit_reason vmm_run(struct vmm *vm, struct bh_error *err)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) < 0) {
		bh_error_set(err, errno, "sigaction");
		return VMM_EXIT_ERROR;
	}
	/* Only vCPU threads take the kick signal (they unblock it). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	vm->running = true;
	pthread_t loop;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	int r = pthread_create(&loop, &attr, loop_thread, vm);
	if (r) {
		bh_error_set(err, r, "event loop: pthread_create");
		pthread_attr_destroy(&attr);
		vm->running = false;
		return VMM_EXIT_ERROR;
	}
	vm->vcpus[0].thread = pthread_self();
	vm->vcpus[0].started = true;
	for (unsigned i = 1; i < vm->nvcpus; i++) {
		r = pthread_create(&vm->vcpus[i].thread, &attr, vcpu_thread, &vm->vcpus[i]);
		if (r) {
			bh_error_set(err, r, "vCPU %u: pthread_create", i);
			vmm_request_exit(vm, VMM_EXIT_ERROR);
			break;
		}
		vm->vcpus[i].started = true;
	}
	pthread_attr_destroy(&attr);

	/* Every other thread exists (they do not inherit this filter). */
	int sr = vmm_seccomp_install(vm->seccomp, VMM_THREAD_MAIN, 0);
	if (sr < 0) {
		bh_error_set(err, -sr, "main thread: seccomp filter");
		vmm_request_exit(vm, VMM_EXIT_ERROR);
	}
	vcpu_thread(&vm->vcpus[0]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (atomic_load(&vm->exit_reason) == VMM_EXIT_REQUESTED) {
		/* Where a guest stopped from outside was: a hung boot's clue. */
		struct kvm_regs kr;
		if (ioctl(vm->vcpus[0].fd, KVM_GET_REGS, &kr) == 0)
			bh_log_info("vCPU 0 stopped at rip 0x%llx", (unsigned long long)kr.rip);
	}
	atomic_store(&vm->vcpu0_done, true);
	tls_run = NULL;
	/* vCPU 0 only leaves its loop once an exit was requested, which also
	 * wakes the event loop. */
	pthread_join(loop, NULL);
	vm->vcpus[0].started = false;
	for (unsigned i = 1; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			vcpu_stop(&vm->vcpus[i]);
	vm->running = false;
	return (enum vmm_exit_reason)atomic_load(&vm->exit_reason);
}
