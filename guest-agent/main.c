/* bulkhead-agent entry point: PID 1 setup, then serve until shutdown. */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

const char *agent_state_root = "/run/bulkhead";
char agent_bundles[512] = "/run/bulkhead-agent/bundles";

static void usage(void)
{
	fprintf(stderr, "usage: bulkhead-agent [--debug] [--root DIR] [--unix PATH] [--upload-max BYTES]\n"
		"  PID 1 of a bulkhead microVM; serves vsock port %d and the\n"
		"  virtio-serial port %s. --unix also serves a Unix socket (tests).\n",
		AGENT_VSOCK_PORT, AGENT_SERIAL_NAME);
}

int main(int argc, char **argv)
{
	struct bh_error err = { 0 };
	bool debug = false;
	const char *unix_path = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--debug") == 0) {
			debug = true;
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			agent_state_root = argv[++i];
		} else if (strcmp(argv[i], "--upload-max") == 0 && i + 1 < argc) {
			agent_upload_max = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc) {
			unix_path = argv[++i];
		} else if (pid1_is_init()) {
			/* PID 1 must not exit: that panics the guest.  The kernel
			 * hands unknown command-line words to init. */
			fprintf(stderr, "bulkhead-agent: ignoring argument %s\n", argv[i]);
		} else {
			usage();
			return 2;
		}
	}
	int n = snprintf(agent_bundles, sizeof(agent_bundles), "%s-agent/bundles", agent_state_root);
	if (n < 0 || (size_t)n >= sizeof(agent_bundles)) {
		fprintf(stderr, "bulkhead-agent: --root: path too long\n");
		return 2;
	}
	bh_log_open(NULL, 0, debug ? BH_LOG_DEBUG : BH_LOG_INFO);
	if (pid1_is_init())
		pid1_switch_root(argv);
	if (pid1_is_init() && pid1_setup(&err) < 0)
		bh_log_error("init: %s", err.msg);
	if (pid1_is_init() && pid1_cmdline_has("bulkhead.debug"))
		bh_log_open(NULL, 0, BH_LOG_DEBUG);
	if (!pid1_is_init()) {
		/* Outside a VM: make the dirs PID 1 would have made. */
		char d[600];
		snprintf(d, sizeof(d), "%s-agent", agent_state_root);
		mkdir(d, 0700);
		mkdir(agent_bundles, 0700);
	}
	int r = server_run(unix_path);
	if (r < 0)
		bh_log_error("agent: %s", strerror(-r));
	handlers_cleanup_all();
	if (pid1_is_init())
		pid1_poweroff();
	return r < 0 ? 1 : 0;
}
