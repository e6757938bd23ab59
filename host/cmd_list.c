/* list [--format table|json] [-q]: like runc list. */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	bool quiet = false, json = false;
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f')
			return cli_failx("list", "invalid format option %s", optarg);
		else
			return cli_usage("list", "unknown option");
	}
	if (optind != argc)
		return cli_usage("list", "too many arguments");
	char **ids;
	size_t n;
	if (bh_container_list(cli.root, &ids, &n, &err) < 0)
		return cli_fail("list", &err);
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			puts(ids[i]);
		bh_strv_free(ids);
		return 0;
	}
	json_t *arr = json_array();
	if (!json)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS",
		       "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct bh_state *st;
		if ((vm_oci_is_vm(cli.root, ids[i]) ? vm_oci_state(cli.root, ids[i], &st, NULL)
		     : bh_container_state(cli.root, ids[i], &st, NULL)) < 0)
			continue;
		int pid = st->status == BH_STATUS_STOPPED ? 0 : st->pid;
		if (json) {
			json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s}",
				"ociVersion", st->oci_version ? st->oci_version : "",
				"id", st->id, "pid", pid, "status", bh_status_name(st->status),
				"bundle", st->bundle ? st->bundle : "",
				"rootfs", st->rootfs ? st->rootfs : "",
				"created", st->created ? st->created : "",
				"owner", st->owner ? st->owner : ""));
		} else {
			printf("%-12s %-8d %-10s %-40s %-30s %s\n", st->id, pid,
			       bh_status_name(st->status), st->bundle ? st->bundle : "",
			       st->created ? st->created : "", st->owner ? st->owner : "");
		}
		bh_state_free(st);
	}
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(json_array_size(arr) ? s : "null");
		free(s);
	}
	json_decref(arr);
	bh_strv_free(ids);
	return 0;
}
