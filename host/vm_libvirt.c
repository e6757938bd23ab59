/* The libvirt backend: each tenant is a transient libvirt domain
 * "bulkhead-<tenant>" (XML: vm_libvirt_xml.c).  The agent channel is a
 * virtio-serial port whose host end libvirt binds at <dir>/agent.sock, as
 * with the qemu backend.
 *
 * libvirt.so.0 pulls in about 30 shared libraries; linking it would slow
 * every bulkhead start (bare-mode `run` included), so it is dlopen()ed on
 * first use and only the functions below are looked up. */
#include "vm_libvirt.h"
#include "tenant.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util/cleanup.h"

#define LV_LIB "libvirt.so.0"
#define LV_URI_DEFAULT "qemu:///system"

static struct {
	void *lib;
	virConnectPtr conn;
	__typeof__(virConnectOpen) *ConnectOpen;
	__typeof__(virDomainCreateXML) *DomainCreateXML;
	__typeof__(virDomainLookupByName) *DomainLookupByName;
	__typeof__(virDomainGetState) *DomainGetState;
	__typeof__(virDomainGetMetadata) *DomainGetMetadata;
	__typeof__(virDomainDestroy) *DomainDestroy;
	__typeof__(virDomainFree) *DomainFree;
	__typeof__(virDomainMemoryStats) *DomainMemoryStats;
	__typeof__(virGetLastErrorMessage) *GetLastErrorMessage;
	__typeof__(virGetLastErrorCode) *GetLastErrorCode;
	__typeof__(virSetErrorFunc) *SetErrorFunc;
} lv;

/* libvirt prints every error to stderr by default; ours carry them. */
static void lv_quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static const char *lv_uri(void)
{
	const char *u = getenv("BULKHEAD_LIBVIRT_URI");
	return u && *u ? u : LV_URI_DEFAULT;
}

static int lv_load(struct bh_error *err)
{
	if (lv.lib)
		return 0;
	void *h = dlopen(LV_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return bh_error_setx(err, ENOENT, "libvirt backend: cannot load %s (%s); "
				     "install the libvirt0 package", LV_LIB, dlerror());
	const char *missing = NULL;
#define LV_SYM(f) \
	if (!missing && !(lv.f = (__typeof__(lv.f))dlsym(h, "vir" #f))) \
		missing = "vir" #f;
	LV_SYM(ConnectOpen)
	LV_SYM(DomainCreateXML)
	LV_SYM(DomainLookupByName)
	LV_SYM(DomainGetState)
	LV_SYM(DomainGetMetadata)
	LV_SYM(DomainDestroy)
	LV_SYM(DomainFree)
	LV_SYM(DomainMemoryStats)
	LV_SYM(GetLastErrorMessage)
	LV_SYM(GetLastErrorCode)
	LV_SYM(SetErrorFunc)
#undef LV_SYM
	if (missing) {
		dlclose(h);
		return bh_error_setx(err, ENOSYS, "libvirt backend: %s has no %s (libvirt too old?)",
				     LV_LIB, missing);
	}
	lv.SetErrorFunc(NULL, lv_quiet);
	lv.lib = h;
	return 0;
}

/* One connection per bulkhead process, opened on first use (it lives
 * until exit: `tenant down` polls the domain state many times). */
static int lv_open(struct bh_error *err)
{
	if (lv.conn)
		return 0;
	int r = lv_load(err);
	if (r < 0)
		return r;
	lv.conn = lv.ConnectOpen(lv_uri());
	if (!lv.conn)
		return bh_error_setx(err, ECONNREFUSED, "libvirt backend: connecting to %s: %s "
				     "(is libvirtd running? $BULKHEAD_LIBVIRT_URI sets the URI)",
				     lv_uri(), lv.GetLastErrorMessage());
	return 0;
}

/* t's domain, or NULL (*dom) when there is none.  A domain of that name
 * whose <description> is not t's dir belongs to another bulkhead root (or
 * to someone else) and is never touched. */
static int lv_lookup(const struct tenant *t, virDomainPtr *dom, struct bh_error *err)
{
	char name[sizeof(VM_LIBVIRT_PREFIX) + TENANT_NAME_MAX];
	*dom = NULL;
	int r = lv_open(err);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), VM_LIBVIRT_PREFIX "%s", t->name);
	virDomainPtr d = lv.DomainLookupByName(lv.conn, name);
	if (!d) {
		if (lv.GetLastErrorCode() == VIR_ERR_NO_DOMAIN)
			return 0;
		return bh_error_setx(err, EIO, "libvirt backend: looking up domain %s: %s",
				     name, lv.GetLastErrorMessage());
	}
	char *desc = lv.DomainGetMetadata(d, VIR_DOMAIN_METADATA_DESCRIPTION, NULL, 0);
	if (desc && !strcmp(desc, t->dir))
		*dom = d;
	else
		lv.DomainFree(d);
	free(desc);
	return 0;
}

static int lv_start(const struct vm_spec *s, pid_t *pid, struct bh_error *err)
{
	*pid = 0;   /* libvirt's API does not give the QEMU pid */
	int r = lv_open(err);
	if (r < 0)
		return r;
	_cleanup_free_ char *xml = vm_libvirt_domain_xml(s, vm_host_has_hw_virt());
	if (!xml)
		return bh_error_set(err, ENOMEM, "libvirt backend: domain XML");
	virDomainPtr d = lv.DomainCreateXML(lv.conn, xml, 0);
	if (!d)
		return bh_error_setx(err, EIO, "libvirt backend: starting domain " VM_LIBVIRT_PREFIX "%s on %s: %s",
				     s->name, lv_uri(), lv.GetLastErrorMessage());
	lv.DomainFree(d);
	return 0;
}

static int lv_stop(const struct tenant *t, struct bh_error *err)
{
	virDomainPtr d;
	int r = lv_lookup(t, &d, err);
	if (r < 0 || !d)
		return r;
	if (lv.DomainDestroy(d) < 0) {
		int code = lv.GetLastErrorCode();
		/* gone by itself meanwhile: that is what we wanted */
		if (code != VIR_ERR_NO_DOMAIN && code != VIR_ERR_OPERATION_INVALID)
			r = bh_error_setx(err, EIO, "libvirt backend: destroying domain " VM_LIBVIRT_PREFIX "%s: %s",
					  t->name, lv.GetLastErrorMessage());
	}
	lv.DomainFree(d);
	return r;
}

static int lv_alive(const struct tenant *t)
{
	virDomainPtr d;
	int r = lv_lookup(t, &d, NULL);
	if (r < 0 || !d)
		return r < 0 ? r : 0;
	int state = VIR_DOMAIN_NOSTATE, reason = 0;
	r = lv.DomainGetState(d, &state, &reason, 0);
	lv.DomainFree(d);
	if (r < 0)
		return lv.GetLastErrorCode() == VIR_ERR_NO_DOMAIN ? 0 : -EIO;
	return state != VIR_DOMAIN_SHUTOFF;
}

static long lv_rss_kib(const struct tenant *t)
{
	virDomainPtr d;
	if (lv_lookup(t, &d, NULL) < 0 || !d)
		return -1;
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	long kib = -1;
	int n = lv.DomainMemoryStats(d, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	for (int i = 0; i < n; i++)
		if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS)
			kib = (long)st[i].val;
	lv.DomainFree(d);
	return kib;
}

const struct vm_backend vm_backend_libvirt = {
	.name = "libvirt",
	.transport = AGENT_T_UNIX,
	.streams = false,
	.sock_name = "agent.sock",
	.start = lv_start,
	.stop = lv_stop,
	.alive = lv_alive,
	.rss_kib = lv_rss_kib,
};
