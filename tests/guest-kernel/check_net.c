/* Networking a container needs: vsock to reach the host, veth pairs and a
 * bridge (rtnetlink), an nftables table (nfnetlink). */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"

#ifndef VMADDR_CID_LOCAL
#define VMADDR_CID_LOCAL 1
#endif

void check_vsock(void)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_port = 4321, .svm_cid = VMADDR_CID_ANY };
	int l, c = -1, s = -1, ok = 0;
	char buf[8] = "";

	l = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	tap(l >= 0, "socket(AF_VSOCK, SOCK_STREAM)%s%s", l < 0 ? ": " : "", l < 0 ? strerror(errno) : "");
	if (l < 0)
		return;
	/* Loopback transport: a connection to CID 1 carries data in the guest. */
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0) {
		c = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		a.svm_cid = VMADDR_CID_LOCAL;
		if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    (s = accept(l, NULL, NULL)) >= 0 && write(c, "ping", 4) == 4 &&
		    read(s, buf, sizeof(buf)) == 4)
			ok = memcmp(buf, "ping", 4) == 0;
	}
	tap(ok, "vsock loopback connect and transfer%s%s", ok ? "" : ": ", ok ? "" : strerror(errno));
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	close(l);
}

/* --- minimal netlink message builder ------------------------------------- */
struct nlbuf {
	char b[1024];
	struct nlmsghdr *h;
};

static struct nlattr *nl_put(struct nlbuf *m, int type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m->h + NLMSG_ALIGN(m->h->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->h->nlmsg_len = NLMSG_ALIGN(m->h->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void nl_put_str(struct nlbuf *m, int type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

static void nl_end(struct nlbuf *m, struct nlattr *nest)
{
	nest->nla_len = (char *)m->h + m->h->nlmsg_len - (char *)nest;
}

static void *nl_start(struct nlbuf *m, char *at, int type, int flags, size_t hdrlen)
{
	m->h = (struct nlmsghdr *)at;
	memset(at, 0, NLMSG_SPACE(hdrlen));
	m->h->nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->h->nlmsg_type = type;
	m->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(m->h);
}

/* Sends len bytes; returns 0 if every ack is zero, else -errno of the first. */
static int nl_talk(int proto, const void *msg, size_t len, int acks)
{
	char rb[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto), err = 0;

	if (fd < 0)
		return -errno;
	if (send(fd, msg, len, 0) < 0) {
		err = -errno;
		goto out;
	}
	while (acks > 0) {
		ssize_t n = recv(fd, rb, sizeof(rb), 0);
		if (n < 0) {
			err = -errno;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (e && !err)
				err = e;
			acks--;
		}
	}
out:
	close(fd);
	return err;
}

static int link_add(const char *name, const char *kind, const char *peer)
{
	struct nlbuf m;
	struct ifinfomsg *ifi = nl_start(&m, m.b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));

	nl_put_str(&m, IFLA_IFNAME, name);
	struct nlattr *li = nl_put(&m, IFLA_LINKINFO, NULL, 0);
	nl_put_str(&m, IFLA_INFO_KIND, kind);
	if (peer) {
		struct nlattr *data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
		struct nlattr *p = nl_put(&m, VETH_INFO_PEER, NULL, 0);
		/* The peer attribute starts with its own ifinfomsg. */
		memset((char *)m.h + m.h->nlmsg_len, 0, sizeof(*ifi));
		m.h->nlmsg_len += NLMSG_ALIGN(sizeof(*ifi));
		nl_put_str(&m, IFLA_IFNAME, peer);
		nl_end(&m, p);
		nl_end(&m, data);
	}
	nl_end(&m, li);
	(void)ifi;
	return nl_talk(NETLINK_ROUTE, m.h, m.h->nlmsg_len, 1);
}

static int link_set(const char *name, const char *master)
{
	struct nlbuf m;
	struct ifinfomsg *ifi = nl_start(&m, m.b, RTM_NEWLINK, 0, sizeof(*ifi));
	unsigned idx = if_nametoindex(name);

	if (!idx)
		return -ENODEV;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (master) {
		unsigned midx = if_nametoindex(master);
		if (!midx)
			return -ENODEV;
		nl_put(&m, IFLA_MASTER, &midx, sizeof(midx));
	}
	return nl_talk(NETLINK_ROUTE, m.h, m.h->nlmsg_len, 1);
}

static int nft_add_nat_table(void)
{
	char batch[1024] = { 0 };
	struct nlbuf m;
	size_t off = 0;
	struct nfgenmsg *g;

	/* nf_tables wants a batch: BEGIN, NEWTABLE, NEWCHAIN (nat postrouting), END. */
	g = nl_start(&m, batch + off, NFNL_MSG_BATCH_BEGIN, 0, sizeof(*g));
	m.h->nlmsg_flags = NLM_F_REQUEST;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
	off += NLMSG_ALIGN(m.h->nlmsg_len);

	g = nl_start(&m, batch + off, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, NLM_F_CREATE,
		     sizeof(*g));
	g->nfgen_family = NFPROTO_IPV4;
	nl_put_str(&m, NFTA_TABLE_NAME, "bhnat");
	off += NLMSG_ALIGN(m.h->nlmsg_len);

	g = nl_start(&m, batch + off, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN, NLM_F_CREATE,
		     sizeof(*g));
	g->nfgen_family = NFPROTO_IPV4;
	nl_put_str(&m, NFTA_CHAIN_TABLE, "bhnat");
	nl_put_str(&m, NFTA_CHAIN_NAME, "post");
	nl_put_str(&m, NFTA_CHAIN_TYPE, "nat");
	struct nlattr *hook = nl_put(&m, NFTA_CHAIN_HOOK, NULL, 0);
	unsigned num = htonl(NF_INET_POST_ROUTING), prio = htonl(100);
	nl_put(&m, NFTA_HOOK_HOOKNUM, &num, sizeof(num));
	nl_put(&m, NFTA_HOOK_PRIORITY, &prio, sizeof(prio));
	nl_end(&m, hook);
	off += NLMSG_ALIGN(m.h->nlmsg_len);

	g = nl_start(&m, batch + off, NFNL_MSG_BATCH_END, 0, sizeof(*g));
	m.h->nlmsg_flags = NLM_F_REQUEST;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
	off += NLMSG_ALIGN(m.h->nlmsg_len);
	return nl_talk(NETLINK_NETFILTER, batch, off, 2);
}

void check_net(void)
{
	char buf[64];
	int e;

	e = link_add("veth0", "veth", "veth1");
	tap(e == 0, "create a veth pair over rtnetlink%s%s", e ? ": " : "", e ? strerror(-e) : "");
	e = link_add("br0", "bridge", NULL);
	tap(e == 0, "create a bridge over rtnetlink%s%s", e ? ": " : "", e ? strerror(-e) : "");
	e = link_set("br0", NULL);
	if (!e)
		e = link_set("veth0", "br0");
	if (!e)
		e = link_set("veth1", NULL);
	ssize_t n = readlink("/sys/class/net/veth0/master", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	tap(e == 0 && strstr(buf, "br0") != NULL, "enslave veth0 to br0 and bring links up%s%s",
	    e ? ": " : "", e ? strerror(-e) : "");
	e = nft_add_nat_table();
	tap(e == 0, "create an nftables nat table and postrouting chain%s%s", e ? ": " : "",
	    e ? strerror(-e) : "");
}

void check_devices(void)
{
	char buf[64] = "";

	read_file("/sys/class/misc/hw_random/rng_current", buf, sizeof(buf));
	tap(strncmp(buf, "virtio_rng", 10) == 0, "virtio-rng is the hwrng (rng_current \"%s\")", buf);
	tap(access("/dev/hvc0", F_OK) == 0, "virtio-console /dev/hvc0 exists");
}
