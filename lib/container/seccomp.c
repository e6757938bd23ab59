/* OCI linux.seccomp -> libseccomp filter. */
#include "container/seccomp.h"

#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

struct name_val {
	const char *name;
	uint32_t val;
};

static const struct name_val arch_table[] = {
	{ "SCMP_ARCH_NATIVE", SCMP_ARCH_NATIVE },
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
};

const char *const bh_seccomp_arch_names[] = {
	"SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
	"SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
	"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
	"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
	"SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", NULL,
};

static const struct name_val flag_table[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
};

const char *const bh_seccomp_flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL,
};

static const struct { const char *name; enum bh_seccomp_action a; } action_table[] = {
	{ "SCMP_ACT_KILL", BH_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_THREAD", BH_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", BH_SCMP_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", BH_SCMP_TRAP },
	{ "SCMP_ACT_ERRNO", BH_SCMP_ERRNO },
	{ "SCMP_ACT_TRACE", BH_SCMP_TRACE },
	{ "SCMP_ACT_ALLOW", BH_SCMP_ALLOW },
	{ "SCMP_ACT_LOG", BH_SCMP_LOG },
	{ "SCMP_ACT_NOTIFY", BH_SCMP_NOTIFY },
};

static const char *const op_names[] = {
	[BH_SCMP_OP_NE] = "SCMP_CMP_NE", [BH_SCMP_OP_LT] = "SCMP_CMP_LT",
	[BH_SCMP_OP_LE] = "SCMP_CMP_LE", [BH_SCMP_OP_EQ] = "SCMP_CMP_EQ",
	[BH_SCMP_OP_GE] = "SCMP_CMP_GE", [BH_SCMP_OP_GT] = "SCMP_CMP_GT",
	[BH_SCMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

int bh_seccomp_action_from_name(const char *name, enum bh_seccomp_action *out,
				struct bh_error *err)
{
	for (size_t i = 0; name && i < sizeof(action_table) / sizeof(action_table[0]); i++) {
		if (strcmp(name, action_table[i].name) == 0) {
			*out = action_table[i].a;
			return 0;
		}
	}
	return bh_error_setx(err, EINVAL, "seccomp: unknown action %s", name ? name : "(null)");
}

const char *bh_seccomp_action_name(enum bh_seccomp_action a)
{
	/* Skip the SCMP_ACT_KILL alias so KILL_THREAD prints its own name. */
	for (size_t i = 1; i < sizeof(action_table) / sizeof(action_table[0]); i++)
		if (action_table[i].a == a)
			return action_table[i].name;
	return "SCMP_ACT_?";
}

int bh_seccomp_op_from_name(const char *name, enum bh_seccomp_op *out,
			    struct bh_error *err)
{
	for (size_t i = 0; name && i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (op_names[i] && strcmp(name, op_names[i]) == 0) {
			*out = (enum bh_seccomp_op)i;
			return 0;
		}
	}
	return bh_error_setx(err, EINVAL, "seccomp: unknown operator %s", name ? name : "(null)");
}

const char *bh_seccomp_op_name(enum bh_seccomp_op op)
{
	if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
		return op_names[op];
	return "SCMP_CMP_?";
}

/* errno_ret: BH_UNSET means EPERM for ERRNO and 0 for TRACE (runc's choice). */
static int seccomp_action_value(enum bh_seccomp_action a, int64_t errno_ret,
				uint32_t *out, const char *where, struct bh_error *err)
{
	switch (a) {
	case BH_SCMP_KILL_THREAD: *out = SCMP_ACT_KILL_THREAD; return 0;
	case BH_SCMP_KILL_PROCESS: *out = SCMP_ACT_KILL_PROCESS; return 0;
	case BH_SCMP_TRAP: *out = SCMP_ACT_TRAP; return 0;
	case BH_SCMP_ALLOW: *out = SCMP_ACT_ALLOW; return 0;
	case BH_SCMP_LOG: *out = SCMP_ACT_LOG; return 0;
	case BH_SCMP_ERRNO:
	case BH_SCMP_TRACE: {
		int64_t v = errno_ret != BH_UNSET ? errno_ret : (a == BH_SCMP_ERRNO ? EPERM : 0);
		if (v < 0 || v > 0xffff)
			return bh_error_setx(err, EINVAL, "seccomp: %s: errnoRet %lld out of range",
					     where, (long long)v);
		*out = a == BH_SCMP_ERRNO ? SCMP_ACT_ERRNO((uint32_t)v) : SCMP_ACT_TRACE((uint32_t)v);
		return 0;
	}
	case BH_SCMP_NOTIFY:
		return bh_error_setx(err, ENOTSUP,
				     "seccomp: %s: action SCMP_ACT_NOTIFY: unsupported (no notify listener)",
				     where);
	}
	return bh_error_setx(err, EINVAL, "seccomp: %s: unknown action %d", where, (int)a);
}

static int seccomp_arch_token(const char *name, uint32_t *out, struct bh_error *err)
{
	for (size_t i = 0; name && i < sizeof(arch_table) / sizeof(arch_table[0]); i++) {
		if (strcmp(name, arch_table[i].name) == 0) {
			*out = arch_table[i].val;
			return 0;
		}
	}
	return bh_error_setx(err, EINVAL, "seccomp: unknown architecture %s",
			     name ? name : "(null)");
}

static enum scmp_compare seccomp_cmp(enum bh_seccomp_op op)
{
	switch (op) {
	case BH_SCMP_OP_NE: return SCMP_CMP_NE;
	case BH_SCMP_OP_LT: return SCMP_CMP_LT;
	case BH_SCMP_OP_LE: return SCMP_CMP_LE;
	case BH_SCMP_OP_EQ: return SCMP_CMP_EQ;
	case BH_SCMP_OP_GE: return SCMP_CMP_GE;
	case BH_SCMP_OP_GT: return SCMP_CMP_GT;
	case BH_SCMP_OP_MASKED_EQ: return SCMP_CMP_MASKED_EQ;
	}
	return _SCMP_CMP_MIN;
}

static int seccomp_add_rule(scmp_filter_ctx ctx, uint32_t defact,
			    const struct bh_spec_seccomp_rule *r, size_t ri,
			    struct bh_error *err)
{
	char where[48];
	uint32_t act;
	struct scmp_arg_cmp cmps[6];

	snprintf(where, sizeof(where), "syscalls[%zu]", ri);
	int ret = seccomp_action_value(r->action, r->errno_ret, &act, where, err);
	if (ret)
		return ret;
	if (r->n_args > 6)
		return bh_error_setx(err, EINVAL, "seccomp: %s: %zu args, at most 6", where, r->n_args);
	bool dup_index = false;
	for (size_t i = 0; i < r->n_args; i++) {
		const struct bh_spec_seccomp_arg *a = &r->args[i];
		if (a->index > 5)
			return bh_error_setx(err, EINVAL, "seccomp: %s: args[%zu]: index %u out of range",
					     where, i, a->index);
		enum scmp_compare c = seccomp_cmp(a->op);
		if (c == _SCMP_CMP_MIN)
			return bh_error_setx(err, EINVAL, "seccomp: %s: args[%zu]: unknown operator %d",
					     where, i, (int)a->op);
		cmps[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = c,
						 .datum_a = a->value, .datum_b = a->value_two };
		for (size_t j = 0; j < i; j++)
			if (r->args[j].index == a->index)
				dup_index = true;
	}
	if (act == defact) {
		/* libseccomp refuses rules equal to the default; they are no-ops. */
		bh_log_debug("seccomp: %s: action equals the default, skipped", where);
		return 0;
	}
	for (size_t n = 0; n < r->n_names; n++) {
		const char *name = r->names[n];
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			bh_log_debug("seccomp: syscall %s unknown on this architecture, skipped", name);
			continue;
		}
		/* Conditions on one arg index are OR'ed (one rule each), on
		 * different indexes AND'ed (one rule), as runc does. */
		if (dup_index) {
			for (size_t i = 0; i < r->n_args; i++) {
				ret = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[i]);
				if (ret < 0)
					return bh_error_set(err, -ret, "seccomp: %s: add rule for %s (args[%zu])",
							    where, name, i);
			}
		} else {
			ret = seccomp_rule_add_array(ctx, act, nr, (unsigned)r->n_args,
						     r->n_args ? cmps : NULL);
			if (ret < 0)
				return bh_error_set(err, -ret, "seccomp: %s: add rule for %s", where, name);
		}
	}
	return 0;
}

static int seccomp_build(const struct bh_spec_seccomp *sc, scmp_filter_ctx *out,
			 struct bh_error *err)
{
	uint32_t defact;
	int ret = seccomp_action_value(sc->default_action, sc->default_errno, &defact,
				       "defaultAction", err);
	if (ret)
		return ret;
	scmp_filter_ctx ctx = seccomp_init(defact);
	if (!ctx)
		return bh_error_setx(err, ENOMEM, "seccomp: seccomp_init failed");
	/* The runtime sets no_new_privs itself, as the spec says. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (ret < 0) {
		ret = bh_error_set(err, -ret, "seccomp: clear CTL_NNP");
		goto fail;
	}
	for (size_t i = 0; i < sc->n_architectures; i++) {
		uint32_t tok = 0;
		ret = seccomp_arch_token(sc->architectures[i], &tok, err);
		if (ret)
			goto fail;
		if (tok == SCMP_ARCH_NATIVE)
			continue;
		ret = seccomp_arch_add(ctx, tok);
		if (ret < 0 && ret != -EEXIST) {
			ret = bh_error_set(err, -ret, "seccomp: add architecture %s",
					   sc->architectures[i]);
			goto fail;
		}
		ret = 0;
	}
	for (size_t i = 0; i < sc->n_flags; i++) {
		size_t k;
		for (k = 0; k < sizeof(flag_table) / sizeof(flag_table[0]); k++)
			if (sc->flags[i] && strcmp(sc->flags[i], flag_table[k].name) == 0)
				break;
		if (k == sizeof(flag_table) / sizeof(flag_table[0])) {
			ret = bh_error_setx(err, EINVAL, "seccomp: unknown flag %s",
					    sc->flags[i] ? sc->flags[i] : "(null)");
			goto fail;
		}
		ret = seccomp_attr_set(ctx, (enum scmp_filter_attr)flag_table[k].val, 1);
		if (ret < 0) {
			ret = bh_error_set(err, -ret, "seccomp: flag %s", sc->flags[i]);
			goto fail;
		}
	}
	for (size_t i = 0; i < sc->n_rules; i++) {
		ret = seccomp_add_rule(ctx, defact, &sc->rules[i], i, err);
		if (ret)
			goto fail;
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return ret;
}

int bh_seccomp_load(const struct bh_spec_seccomp *sc, struct bh_error *err)
{
	scmp_filter_ctx ctx;
	int ret = seccomp_build(sc, &ctx, err);
	if (ret)
		return ret;
	ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret < 0)
		return bh_error_set(err, -ret, "seccomp: load filter");
	return 0;
}

int bh_seccomp_export(const struct bh_spec_seccomp *sc, int fd, struct bh_error *err)
{
	scmp_filter_ctx ctx;
	int ret = seccomp_build(sc, &ctx, err);
	if (ret)
		return ret;
	ret = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (ret < 0)
		return bh_error_set(err, -ret, "seccomp: export filter");
	return 0;
}
