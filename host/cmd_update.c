/* update [options] <id>: new cgroup limits, from flags or -r FILE (the
 * linux.resources JSON object; "-" reads stdin), like runc update. */
#include "cli.h"
#include "vm_oci.h"

#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* "512m", "1g", "1024" -> bytes; "-1" stays -1 (unlimited). */
static int parse_bytes(const char *s, int64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	if (v < 0) {
		if (v != -1 || *end)
			return -1;
		*out = -1;
		return 0;
	}
	double mul = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0': case 'b': mul = 1; break;
	case 'k': mul = 1024.0; break;
	case 'm': mul = 1024.0 * 1024; break;
	case 'g': mul = 1024.0 * 1024 * 1024; break;
	case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
	default: return -1;
	}
	if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]) &&
	    !(tolower((unsigned char)end[1]) == 'i' && tolower((unsigned char)end[2]) == 'b' && !end[3]))
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

static int set_int(json_t *obj, const char *key, const char *val, bool bytes)
{
	int64_t v;
	char *end;
	if (bytes) {
		if (parse_bytes(val, &v) < 0)
			return -1;
	} else {
		v = strtoll(val, &end, 10);
		if (end == val || *end)
			return -1;
	}
	json_object_set_new(obj, key, json_integer(v));
	return 0;
}

int cmd_update(int argc, char **argv)
{
	enum { O_MEM = 256, O_SWAP, O_RES, O_PIDS, O_SHARES, O_QUOTA, O_PERIOD,
	       O_CPUS, O_MEMS, O_KMEM, O_BLKIO, O_IGN };
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, O_SWAP },
		{ "memory-reservation", required_argument, NULL, O_RES },
		{ "pids-limit", required_argument, NULL, O_PIDS },
		{ "cpu-shares", required_argument, NULL, O_SHARES },
		{ "cpu-quota", required_argument, NULL, O_QUOTA },
		{ "cpu-period", required_argument, NULL, O_PERIOD },
		{ "cpuset-cpus", required_argument, NULL, O_CPUS },
		{ "cpuset-mems", required_argument, NULL, O_MEMS },
		{ "kernel-memory", required_argument, NULL, O_KMEM },
		{ "blkio-weight", required_argument, NULL, O_BLKIO },
		{ "resources", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	json_t *res = json_object(), *mem = json_object(), *cpu = json_object(),
	       *pids = json_object(), *blk = json_object();
	const char *file = NULL;
	int c, rc = 1;
	bool bad = false;
	opterr = 0;
	while (!bad && (c = getopt_long_only(argc, argv, "+m:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'm': bad = set_int(mem, "limit", optarg, true) < 0; break;
		case O_SWAP: bad = set_int(mem, "swap", optarg, true) < 0; break;
		case O_RES: bad = set_int(mem, "reservation", optarg, true) < 0; break;
		case O_KMEM: break; /* deprecated in runc too */
		case O_PIDS: bad = set_int(pids, "limit", optarg, false) < 0; break;
		case O_SHARES: bad = set_int(cpu, "shares", optarg, false) < 0; break;
		case O_QUOTA: bad = set_int(cpu, "quota", optarg, false) < 0; break;
		case O_PERIOD: bad = set_int(cpu, "period", optarg, false) < 0; break;
		case O_CPUS: json_object_set_new(cpu, "cpus", json_string(optarg)); break;
		case O_MEMS: json_object_set_new(cpu, "mems", json_string(optarg)); break;
		case O_BLKIO: bad = set_int(blk, "weight", optarg, false) < 0; break;
		case 'r': file = optarg; break;
		default:
			rc = cli_usage("update", "unknown or incomplete option");
			goto out;
		}
		if (bad) {
			rc = cli_failx("update", "invalid value %s for %s", optarg, argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = cli_usage("update", optind >= argc ? "missing container id" : "too many arguments");
		goto out;
	}
	if (file) {
		json_error_t je;
		json_decref(res);
		res = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
		if (!res || !json_is_object(res)) {
			rc = cli_failx("update", "-r %s: %s", file, res ? "not a JSON object" : je.text);
			goto out;
		}
	} else {
		if (json_object_size(mem))
			json_object_set(res, "memory", mem);
		if (json_object_size(cpu))
			json_object_set(res, "cpu", cpu);
		if (json_object_size(pids))
			json_object_set(res, "pids", pids);
		if (json_object_size(blk))
			json_object_set(res, "blockIO", blk);
	}
	/* Reuse the spec parser for validation: wrap into a minimal config. */
	json_t *cfg = json_pack("{s:s, s:{s:s}, s:{s:O}}", "ociVersion", "1.0.2",
				"root", "path", "/", "linux", "resources", res);
	char *text = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	struct bh_spec *spec = NULL;
	if (!text || bh_spec_parse(text, strlen(text), NULL, &spec, &err) < 0) {
		free(text);
		rc = cli_fail("update", &err);
		goto out;
	}
	free(text);
	if (vm_oci_is_vm(cli.root, argv[optind])) {
		rc = vm_oci_update(argv[optind], res);
		bh_spec_free(spec);
		goto out;
	}
	if (bh_container_update(cli.root, argv[optind], &spec->linux.resources, &err) < 0)
		rc = cli_fail("update", &err);
	else
		rc = 0;
	bh_spec_free(spec);
out:
	json_decref(res);
	json_decref(mem);
	json_decref(cpu);
	json_decref(pids);
	json_decref(blk);
	return rc;
}
