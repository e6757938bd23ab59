/* Malformed config.json: every case must fail with -EINVAL, leave no
 * spec behind, and name the JSON path and the problem in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/spec.h"
#include "util/log.h"

#define HEAD "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"}"
#define PROC "\"args\":[\"sh\"],\"cwd\":\"/\""
/* A config whose process object has fields p and whose top level has extra. */
#define CFG(p, extra) "{" HEAD ",\"process\":{" p "}" extra "}"
#define LNX(l) CFG(PROC, ",\"linux\":{" l "}")
#define SECCOMP(s) LNX("\"seccomp\":{" s "}")

static const struct {
	const char *json;
	const char *want;      /* substring of the error message */
} cases[] = {
	{ "{", "config.json: invalid JSON" },
	{ "", "config.json: invalid JSON" },
	{ "[]", "expected a JSON object" },
	{ "{\"ociVersion\":\"1.0.2\",\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"}}",
	  "duplicate object key" },
	{ "{\"root\":{\"path\":\"/r\"}}", "config.json: ociVersion: required field is missing" },
	{ "{\"ociVersion\":1,\"root\":{\"path\":\"/r\"}}", "config.json: ociVersion: expected a string" },
	{ "{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"/r\"}}", "ociVersion: unsupported version" },
	{ "{\"ociVersion\":\"1.0.2\"}", "config.json: root: required field is missing" },
	{ "{\"ociVersion\":\"1.0.2\",\"root\":[]}", "config.json: root: expected an object" },
	{ "{\"ociVersion\":\"1.0.2\",\"root\":{}}", "config.json: root.path: required field is missing" },
	{ "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}", "root.path: relative path" },
	{ "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\",\"readonly\":1}}",
	  "root.readonly: expected a boolean" },
	{ "{" HEAD ",\"process\":[]}", "config.json: process: expected an object" },
	{ CFG("\"args\":[1],\"cwd\":\"/\"", ""), "config.json: process.args[0]: expected a string" },
	{ CFG("\"args\":\"sh\",\"cwd\":\"/\"", ""), "config.json: process.args: expected an array" },
	{ CFG("\"args\":[],\"cwd\":\"/\"", ""), "process.args: must contain at least one element" },
	{ CFG("\"args\":[\"\"],\"cwd\":\"/\"", ""), "process.args[0]: must not be empty" },
	{ CFG("\"cwd\":\"/\"", ""), "process.args: required field is missing" },
	{ CFG("\"args\":[\"sh\"]", ""), "process.cwd: required field is missing" },
	{ CFG("\"args\":[\"sh\"],\"cwd\":\"tmp\"", ""), "process.cwd: must be an absolute path" },
	{ CFG(PROC ",\"terminal\":\"yes\"", ""), "process.terminal: expected a boolean" },
	{ CFG(PROC ",\"env\":[\"NOEQUALS\"]", ""), "process.env[0]: expected KEY=VALUE" },
	{ CFG(PROC ",\"env\":[\"=x\"]", ""), "process.env[0]: expected KEY=VALUE" },
	{ CFG(PROC ",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_FOO\"]}", ""),
	  "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"" },
	{ CFG(PROC ",\"capabilities\":{\"effective\":[\"cap_chown\"]}", ""),
	  "process.capabilities.effective[0]: unknown capability" },
	{ CFG(PROC ",\"capabilities\":{\"permitted\":[\"CAP_CHOWN,CAP_KILL\"]}", ""),
	  "process.capabilities.permitted[0]: unknown capability" },
	{ CFG(PROC ",\"capabilities\":{\"ambient\":[\"12\"]}", ""),
	  "process.capabilities.ambient[0]: unknown capability" },
	{ CFG(PROC ",\"capabilities\":{\"inheritable\":[5]}", ""),
	  "process.capabilities.inheritable[0]: expected a string" },
	{ CFG(PROC ",\"user\":{\"uid\":-1,\"gid\":0}", ""), "process.user.uid: -1 is out of range" },
	{ CFG(PROC ",\"user\":{\"uid\":4294967296,\"gid\":0}", ""), "process.user.uid: 4294967296 is out of range" },
	{ CFG(PROC ",\"user\":{\"uid\":\"0\",\"gid\":0}", ""), "process.user.uid: expected an integer" },
	{ CFG(PROC ",\"user\":{\"uid\":0}", ""), "process.user.gid: required field is missing" },
	{ CFG(PROC ",\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}", ""), "process.user.umask: 512 is out of range" },
	{ CFG(PROC ",\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,-5]}", ""),
	  "process.user.additionalGids[1]: -5 is out of range" },
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]", ""),
	  "process.rlimits[0]: unknown rlimit type \"RLIMIT_FOO\"" },
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]", ""),
	  "process.rlimits[0]: soft limit 2 is above hard limit 1" },
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
	      "{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1}]", ""),
	  "process.rlimits[1]: duplicate rlimit type" },
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,\"hard\":1}]", ""),
	  "process.rlimits[0].soft: -1 is out of range" },
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1}]", ""),
	  "process.rlimits[0].soft: required field is missing" },
	{ CFG(PROC ",\"oomScoreAdj\":1001", ""), "process.oomScoreAdj: 1001 is out of range" },
	{ CFG(PROC ",\"consoleSize\":{\"height\":1}", ""), "process.consoleSize.width: required" },
	{ CFG(PROC, ",\"hostname\":5"), "config.json: hostname: expected a string" },
	{ CFG(PROC, ",\"annotations\":{\"a\":1}"), "config.json: annotations.a: expected a string" },
	{ CFG(PROC, ",\"annotations\":[]"), "config.json: annotations: expected an object" },
	{ CFG(PROC, ",\"mounts\":{}"), "config.json: mounts: expected an array" },
	{ CFG(PROC, ",\"mounts\":[5]"), "config.json: mounts[0]: expected an object" },
	{ CFG(PROC, ",\"mounts\":[{\"type\":\"tmpfs\"}]"), "mounts[0].destination: required field is missing" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"tmp\"}]"), "mounts[0].destination: must be an absolute path" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a/../../etc\"}]"), "mounts[0].destination: must not contain \"..\"" },
	{ LNX("\"devices\":[{\"type\":\"p\",\"path\":\"/dev/..\"}]"), "linux.devices[0].path: must not contain \"..\"" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"options\":\"ro\"}]"),
	  "mounts[1].options: expected an array" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",7]}]"),
	  "mounts[0].options[1]: expected a string" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"idmap\"]}]"),
	  "mounts[0].options[0]: \"idmap\" (idmapped mounts) is not supported" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"rro\"]}]"),
	  "mounts[0].options[0]: recursive mount attribute" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"a,b\"]}]"),
	  "mounts[0].options[0]: invalid mount option" },
	{ CFG(PROC, ",\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[]}]"),
	  "mounts[0]: idmapped mounts" },
	{ CFG(PROC, ",\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}"), "hooks.prestart[0].path: must be an absolute path" },
	{ CFG(PROC, ",\"hooks\":{\"poststop\":[{\"args\":[]}]}"), "hooks.poststop[0].path: required field is missing" },
	{ CFG(PROC, ",\"hooks\":{\"poststart\":[{\"path\":\"/h\",\"timeout\":0}]}"), "hooks.poststart[0].timeout: 0 is out of range" },
	{ CFG(PROC, ",\"linux\":[]"), "config.json: linux: expected an object" },
	{ LNX("\"namespaces\":[{\"type\":\"pidd\"}]"), "linux.namespaces[0].type: unknown namespace type \"pidd\"" },
	{ LNX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]"), "linux.namespaces[1].type: duplicate namespace" },
	{ LNX("\"namespaces\":[{}]"), "linux.namespaces[0].type: required field is missing" },
	{ LNX("\"namespaces\":[{\"type\":\"net\"}]"), "linux.namespaces[0].type: unknown namespace type" },
	{ LNX("\"namespaces\":[{\"type\":\"network\",\"path\":\"ns\"}]"), "linux.namespaces[0].path: must be an absolute path" },
	{ LNX("\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":0}]"), "linux.uidMappings[0].size: 0 is out of range" },
	{ LNX("\"gidMappings\":[{\"containerID\":0,\"size\":1}]"), "linux.gidMappings[0].hostID: required field is missing" },
	{ LNX("\"uidMappings\":[{\"containerID\":0,\"hostID\":4294967000,\"size\":1000}]"), "linux.uidMappings[0]: range overflows" },
	{ LNX("\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]"), "linux.devices[0].type: expected one of" },
	{ LNX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"minor\":1}]"), "linux.devices[0].major: required field is missing" },
	{ LNX("\"devices\":[{\"type\":\"c\",\"path\":\"dev/x\",\"major\":1,\"minor\":1}]"), "linux.devices[0].path: must be an absolute path" },
	{ LNX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,\"minor\":1,\"fileMode\":65536}]"),
	  "linux.devices[0].fileMode: 65536 is out of range" },
	{ LNX("\"resources\":{\"memory\":{\"limit\":\"1G\"}}"), "config.json: linux.resources.memory.limit: expected an integer" },
	{ LNX("\"resources\":{\"memory\":{\"limit\":1.5}}"), "linux.resources.memory.limit: expected an integer" },
	{ LNX("\"resources\":{\"memory\":{\"limit\":-2}}"), "linux.resources.memory.limit: -2 is out of range" },
	{ LNX("\"resources\":{\"memory\":{\"swappiness\":101}}"), "linux.resources.memory.swappiness: 101 is out of range" },
	{ LNX("\"resources\":{\"cpu\":{\"shares\":true}}"), "linux.resources.cpu.shares: expected an integer" },
	{ LNX("\"resources\":{\"cpu\":{\"period\":2000000}}"), "linux.resources.cpu.period: 2000000 is out of range" },
	{ LNX("\"resources\":{\"cpu\":{\"cpus\":1}}"), "linux.resources.cpu.cpus: expected a string" },
	{ LNX("\"resources\":{\"pids\":{}}"), "linux.resources.pids.limit: required field is missing" },
	{ LNX("\"resources\":{\"blockIO\":{\"weight\":5}}"), "linux.resources.blockIO.weight: 5 is out of range" },
	{ LNX("\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}"), "linux.resources.devices[0].allow: required field is missing" },
	{ LNX("\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}"), "linux.resources.devices[0].access: expected a combination" },
	{ LNX("\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rrw\"}]}"), "linux.resources.devices[0].access: expected a combination" },
	{ LNX("\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"u\"}]}"), "linux.resources.devices[0].type: expected one of" },
	{ LNX("\"resources\":{\"devices\":[{\"allow\":true,\"major\":-2}]}"), "linux.resources.devices[0].major: -2 is out of range" },
	{ LNX("\"resources\":{\"hugepageLimits\":[{\"limit\":1}]}"), "linux.resources.hugepageLimits[0].pageSize: required" },
	{ LNX("\"resources\":{\"unified\":{\"memory.high\":5}}"), "linux.resources.unified.memory.high: expected a string" },
	{ LNX("\"sysctl\":{\"a\":[]}"), "linux.sysctl.a: expected a string" },
	{ LNX("\"maskedPaths\":[\"proc/kcore\"]"), "linux.maskedPaths[0]: must be an absolute path" },
	{ LNX("\"readonlyPaths\":[1]"), "linux.readonlyPaths[0]: expected a string" },
	{ LNX("\"rootfsPropagation\":\"bogus\""), "linux.rootfsPropagation: unknown propagation \"bogus\"" },
	{ LNX("\"seccomp\":[]"), "linux.seccomp: expected an object" },
	{ SECCOMP("\"syscalls\":[]"), "linux.seccomp.defaultAction: required field is missing" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_NOPE\""), "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1"), "linux.seccomp.defaultErrnoRet: -1 is out of range" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]"),
	  "linux.seccomp.architectures[0]: unknown architecture" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]"),
	  "linux.seccomp.flags[0]: unknown seccomp flag" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]"),
	  "linux.seccomp.syscalls[0].names: must contain at least one syscall name" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]"),
	  "linux.seccomp.syscalls[0].action: required field is missing" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]"),
	  "linux.seccomp.syscalls[0].args[0].index: 6 is out of range" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LIKE\"}]}]"),
	  "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]"),
	  "linux.seccomp.syscalls[0].args[0].value: required field is missing" },
	{ SECCOMP("\"defaultAction\":\"SCMP_ACT_NOTIFY\""), "linux.seccomp: SCMP_ACT_NOTIFY is not supported" },
	/* jansson cannot hold integers above INT64_MAX. */
	{ CFG(PROC ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":18446744073709551615,\"hard\":1}]", ""),
	  "config.json: invalid JSON" },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_spec *s = (struct bh_spec *)0x1;
		struct bh_error err = { 0 };
		int r = bh_spec_parse(cases[i].json, strlen(cases[i].json), NULL, &s, &err);
		if (r != -EINVAL || s != NULL || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: r=%d msg=\"%s\", want \"%s\"\n  input: %s",
				 i, r, err.msg, cases[i].want, cases[i].json);
	}
}

/* Bounds: hostile sizes are refused without building the structures. */
static void test_limits(void **state)
{
	(void)state;
	struct bh_spec *s = NULL;
	struct bh_error err = { 0 };
	size_t big = (4u << 20) + 1;
	char *buf = malloc(big);
	assert_non_null(buf);
	memset(buf, ' ', big);
	assert_int_equal(bh_spec_parse(buf, big, NULL, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too large"));

	/* 5000 mounts: over the 4096 limit. */
	size_t n = 0;
	n += (size_t)sprintf(buf + n, "{" HEAD ",\"mounts\":[");
	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(buf + n, "%s{\"destination\":\"/m\"}", i ? "," : "");
	n += (size_t)sprintf(buf + n, "]}");
	assert_int_equal(bh_spec_parse(buf, n, NULL, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "mounts: too many elements"));

	/* Deep nesting is stopped by the JSON parser, not by the stack. */
	n = 0;
	n += (size_t)sprintf(buf + n, "{" HEAD ",\"x\":");
	for (int i = 0; i < 100000; i++)
		buf[n++] = '[';
	assert_int_equal(bh_spec_parse(buf, n, NULL, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};
	bh_log_open("/dev/null", 0, BH_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
