/* start, kill, delete, update and exec for VM-mode containers: each is
 * one agent call on the tenant recorded in vm.json, plus the host-side
 * bookkeeping (the stand-in, <root>/<id>). */
#include "vm_oci.h"
#include "vm_stdio.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Load the container and its tenant, and connect to the agent. */
static int open_ctr(const char *id, struct vm_ctr *c, struct tenant *t, struct agent_client *ac,
		    struct bh_error *err)
{
	memset(t, 0, sizeof(*t));
	ac->fd = -1;
	if (vm_ctr_load(cli.root, id, c, err) < 0) {
		c->dir[0] = '\0';
		return -err->code;
	}
	if (tenant_load(cli.root, c->tenant, t, err) < 0 ||
	    tenant_connect(t, ac, 10000, err) < 0)
		return bh_error_wrap(err, "container %s", id);
	return 0;
}

static void close_ctr(struct vm_ctr *c, struct tenant *t, struct agent_client *ac)
{
	agent_client_close(ac);
	tenant_free(t);
	vm_ctr_free(c);
}

int vm_oci_start(const char *verb, const char *id)
{
	struct bh_error err = { 0 };
	struct vm_ctr c;
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	int r = open_ctr(id, &c, &t, &ac, &err);
	if (r == 0 && strcmp(c.status, "created"))
		r = bh_error_setx(&err, EINVAL, "container %s is %s, not created", id,
				  vm_ctr_exit_status(&c) >= 0 ? "stopped" : c.status);
	if (r == 0 && !vm_ctr_standin_alive(&c))
		r = bh_error_setx(&err, ESRCH, "container %s: its stand-in process (pid %d) is gone",
				  id, (int)c.standin);
	if (r == 0)
		r = agent_call(&ac, BH_M_START, json_pack("{s:s}", "id", id), 30000, &res, &err);
	if (r == 0) {
		snprintf(c.status, sizeof(c.status), "running");
		r = vm_ctr_save(&c, &err);
	}
	json_decref(res);
	close_ctr(&c, &t, &ac);
	return r < 0 ? cli_fail(verb, &err) : 0;
}

int vm_oci_kill(const char *id, int sig, bool all)
{
	struct bh_error err = { 0 };
	struct vm_ctr c;
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	int r = open_ctr(id, &c, &t, &ac, &err);
	if (r == 0 && (!vm_ctr_standin_alive(&c) || vm_ctr_exit_status(&c) >= 0))
		r = bh_error_setx(&err, ESRCH, "container %s is not running", id);
	if (r == 0)
		r = agent_call(&ac, BH_M_SIGNAL, json_pack("{s:s,s:i,s:b}", "id", id, "signal", sig,
							   "all", all), 10000, &res, &err);
	json_decref(res);
	close_ctr(&c, &t, &ac);
	return r < 0 ? cli_fail("kill", &err) : 0;
}

int vm_oci_delete(const char *id, bool force)
{
	struct bh_error err = { 0 };
	struct vm_ctr c;
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	int r = open_ctr(id, &c, &t, &ac, &err);
	if (r < 0 && !c.dir[0])
		return (force && err.code == ENOENT) ? 0 : cli_fail("delete", &err);
	bool alive = vm_ctr_standin_alive(&c);
	if (alive && vm_ctr_exit_status(&c) < 0 && !strcmp(c.status, "running") && !force) {
		close_ctr(&c, &t, &ac);
		return cli_failx("delete", "container %s is running: stop it first, or delete --force", id);
	}
	/* the stand-in first: it must not report the deletion as a failure */
	if (alive) {
		kill(c.standin, SIGKILL);
		/* our child only when we created it (run); else its parent reaps */
		waitpid(c.standin, NULL, WNOHANG);
	}
	if (r == 0) {
		r = agent_call(&ac, BH_M_DELETE, json_pack("{s:s,s:b}", "id", id, "force", 1),
			       30000, &res, &err);
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		/* a dead VM took the container with it: the host side still goes */
		fprintf(stderr, "bulkhead: delete: container %s: %s; removing the host side\n", id, err.msg);
	vm_ctr_rm_tree(c.dir);
	json_decref(res);
	close_ctr(&c, &t, &ac);
	return 0;
}

int vm_oci_update(const char *id, json_t *resources)
{
	struct bh_error err = { 0 };
	struct vm_ctr c;
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	int r = open_ctr(id, &c, &t, &ac, &err);
	if (r == 0)
		r = agent_call(&ac, BH_M_UPDATE, json_pack("{s:s,s:O}", "id", id, "resources", resources),
			       10000, &res, &err);
	json_decref(res);
	close_ctr(&c, &t, &ac);
	return r < 0 ? cli_fail("update", &err) : 0;
}

json_t *vm_oci_process_template(const char *id, struct bh_error *err)
{
	char p[4200];
	json_error_t je;
	if (snprintf(p, sizeof(p), "%s/%s/config.json", cli.root, id) >= (int)sizeof(p)) {
		bh_error_setx(err, ENAMETOOLONG, "container %s", id);
		return NULL;
	}
	json_t *cfg = json_load_file(p, 0, &je);
	json_t *proc = json_deep_copy(json_object_get(cfg, "process"));
	json_decref(cfg);
	if (!json_is_object(proc)) {
		json_decref(proc);
		bh_error_setx(err, ENOENT, "container %s: no process template in %s", id, p);
		return NULL;
	}
	return proc;
}

int vm_oci_exec(const char *id, json_t *process, bool detach, const char *pid_file)
{
	struct bh_error err = { 0 };
	struct vm_ctr c;
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	int rc = 1;
	int r = open_ctr(id, &c, &t, &ac, &err);
	if (r == 0 && json_is_true(json_object_get(process, "terminal")))
		r = bh_error_setx(&err, EOPNOTSUPP, "process.terminal: VM mode has no TTYs yet");
	if (r == 0)
		r = agent_call(&ac, BH_M_EXEC, json_pack("{s:s,s:O,s:s}", "id", id, "process", process,
							 "stdio", t.streams ? "streams" : "capture"),
			       30000, &res, &err);
	agent_client_close(&ac);
	if (r < 0)
		goto out;
	struct vm_standin_args sa = {
		.t = &t, .id = id,
		.exec_id = (unsigned)json_integer_value(json_object_get(res, "exec_id")),
		.streams = t.streams ? json_object_get(res, "streams") : NULL, .ready_fd = -1,
	};
	if (!detach) {
		if (pid_file && cli_write_pid_file(pid_file, getpid(), &err) < 0)
			goto out;
		vm_standin_main(&sa);
	}
	pid_t pid;
	if (vm_standin_spawn(&sa, &pid, &err) < 0)
		goto out;
	if (pid_file && cli_write_pid_file(pid_file, pid, &err) < 0) {
		kill(pid, SIGKILL);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		cli_fail("exec", &err);
	json_decref(res);
	json_decref(process);
	tenant_free(&t);
	vm_ctr_free(&c);
	return rc;
}
