/* Capabilities: the bounding set is dropped before setuid, the other sets
 * are set after it (PR_SET_KEEPCAPS keeps permitted across the uid change). */
#include "container/caps.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util/log.h"

#define CAPBIT(c) (UINT64_C(1) << (c))

const uint64_t bh_caps_default_set =
	CAPBIT(0) /* CHOWN */ | CAPBIT(1) /* DAC_OVERRIDE */ |
	CAPBIT(3) /* FOWNER */ | CAPBIT(4) /* FSETID */ | CAPBIT(5) /* KILL */ |
	CAPBIT(6) /* SETGID */ | CAPBIT(7) /* SETUID */ | CAPBIT(8) /* SETPCAP */ |
	CAPBIT(10) /* NET_BIND_SERVICE */ | CAPBIT(18) /* SYS_CHROOT */ |
	CAPBIT(31) /* SETFCAP */;

/* Indexed by number; our own table so names do not depend on libcap's age. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int bh_caps_from_name(const char *name, int *cap, struct bh_error *err)
{
	if (!name)
		return bh_error_setx(err, EINVAL, "capability: missing name");
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (int i = 0; i < N_CAP_NAMES; i++) {
		if (strcasecmp(bare, cap_names[i] + 4) == 0) {
			*cap = i;
			return 0;
		}
	}
	return bh_error_setx(err, EINVAL, "capability %s: unknown", name);
}

const char *bh_caps_to_name(int cap)
{
	return cap >= 0 && cap < N_CAP_NAMES ? cap_names[cap] : NULL;
}

int bh_caps_last_cap(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	int last = -1;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = -1;
		fclose(f);
	}
	if (last < 0) {
		/* No /proc (early in a container): probe the bounding set. */
		last = 0;
		while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
			last++;
	}
	if (last > 63)
		last = 63;
	cached = last;
	return last;
}

int bh_caps_drop_bounding(uint64_t keep, struct bh_error *err)
{
	int last = bh_caps_last_cap();
	for (int c = 0; c <= last; c++) {
		if (keep & CAPBIT(c))
			continue;
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0) {
			if (errno == EINVAL)
				continue;       /* unknown to this kernel */
			return bh_error_set(err, errno, "capability %s: read bounding set",
					    bh_caps_to_name(c) ? bh_caps_to_name(c) : "?");
		}
		if (in == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return bh_error_set(err, errno, "capability %s: drop from bounding set",
					    bh_caps_to_name(c) ? bh_caps_to_name(c) : "?");
	}
	return 0;
}

uint64_t bh_caps_unavailable(uint64_t want)
{
	int last = bh_caps_last_cap();
	uint64_t known = last >= 63 ? UINT64_MAX : (CAPBIT(last + 1) - 1);
	uint64_t have = 0;
	cap_t cur = cap_get_proc();
	if (cur) {
		for (int c = 0; c <= last; c++) {
			cap_flag_value_t v = CAP_CLEAR;
			if (cap_get_flag(cur, (cap_value_t)c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
				have |= CAPBIT(c);
		}
		cap_free(cur);
	}
	return want & ~(have & known);
}

static void caps_warn_missing(uint64_t missing)
{
	int last = bh_caps_last_cap();
	for (int c = 0; c < 64; c++) {
		if (!(missing & CAPBIT(c)))
			continue;
		const char *n = bh_caps_to_name(c);
		char num[16];
		if (!n) {
			snprintf(num, sizeof(num), "%d", c);
			n = num;
		}
		if (c > last)
			bh_log_warn("capability %s: unknown to the kernel, skipped", n);
		else if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0)
			bh_log_warn("capability %s: not in the runtime's bounding set, skipped", n);
		else
			bh_log_warn("capability %s: not in the runtime's permitted set, skipped", n);
	}
}

static int caps_fill(cap_t c, cap_flag_t flag, uint64_t set, struct bh_error *err)
{
	for (int i = 0; i < 64; i++) {
		if (!(set & CAPBIT(i)))
			continue;
		cap_value_t v = (cap_value_t)i;
		if (cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
			return bh_error_set(err, errno, "capability %s: cap_set_flag",
					    bh_caps_to_name(i) ? bh_caps_to_name(i) : "?");
	}
	return 0;
}

int bh_caps_apply(const struct bh_spec_caps *caps, struct bh_error *err)
{
	uint64_t all = caps->effective | caps->permitted | caps->inheritable | caps->ambient;
	uint64_t missing = bh_caps_unavailable(all);
	if (missing)
		caps_warn_missing(missing);
	uint64_t ok = ~missing;
	/* The kernel wants effective and ambient within permitted; keep the
	 * sets consistent instead of failing late with a bare EPERM. */
	uint64_t prm = caps->permitted & ok;
	uint64_t eff = caps->effective & prm;
	uint64_t inh = caps->inheritable & ok;
	uint64_t amb = caps->ambient & prm & inh;
	if ((caps->effective & ok) & ~prm)
		bh_log_warn("capabilities: effective caps outside permitted dropped");
	if ((caps->ambient & ok) & ~(prm & inh))
		bh_log_warn("capabilities: ambient caps outside permitted+inheritable dropped");

	cap_t c = cap_init();
	if (!c)
		return bh_error_set(err, errno, "capabilities: cap_init");
	int r = caps_fill(c, CAP_EFFECTIVE, eff, err);
	if (!r)
		r = caps_fill(c, CAP_PERMITTED, prm, err);
	if (!r)
		r = caps_fill(c, CAP_INHERITABLE, inh, err);
	if (!r && cap_set_proc(c) < 0)
		r = bh_error_set(err, errno, "capabilities: set effective=%#llx permitted=%#llx inheritable=%#llx",
				 (unsigned long long)eff, (unsigned long long)prm,
				 (unsigned long long)inh);
	cap_free(c);
	if (r)
		return r;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return bh_error_set(err, errno, "capabilities: clear ambient set");
	for (int i = 0; i < 64; i++) {
		if (!(amb & CAPBIT(i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return bh_error_set(err, errno, "capability %s: raise ambient",
					    bh_caps_to_name(i) ? bh_caps_to_name(i) : "?");
	}
	return 0;
}
