/* listeners.c: which process listens on (or holds) a TCP port, from /proc */
#include "core/probe/listeners.h"
#include "core/eco/ecosystem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* "127.0.0.1:3000" or "[::1]:3000" from an address of family af. */
static void
addr_text(int af, const void *addr, int port, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = af == AF_INET6;

	if (inet_ntop(af, addr, ip, sizeof ip) == NULL)
		snprintf(ip, sizeof ip, "?");
	snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", ip, v6 ? "]" : "",
		 port);
}

/* Turn one address of /proc/net/tcp{,6} ("0100007F", 32 hex digits
   for IPv6: 32-bit words in host order) and port into text. */
static void
sock_addr_text(const char *hex, int port, char *buf, size_t size)
{
	uint32_t w[4] = { 0 };
	size_t n = strlen(hex);

	for (size_t i = 0; i < 4 && i * 8 < n; i++) {
		char word[9];

		memcpy(word, hex + i * 8, 8);
		word[8] = '\0';
		w[i] = (uint32_t)strtoul(word, NULL, 16);
	}
	addr_text(n == 32 ? AF_INET6 : AF_INET, w, port, buf, size);
}

/* Parse one line of a socket table; false for the header or junk. */
static bool
sock_parse(const char *line, struct tcp_sock *s)
{
	char local[40], peer[40];
	unsigned lport, pport, st;
	unsigned long ino;

	/* sl local:port rem:port st tx:rx tr:when retrnsmt uid timeout
	   inode */
	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x "
		   "%*x:%*x %*x:%*x %*x %*u %*u %lu", local, &lport, peer,
		   &pport, &st, &ino) != 6)
		return false;
	s->port = (int)lport;
	s->state = (int)st;
	s->ino = ino;
	sock_addr_text(local, (int)lport, s->local, sizeof s->local);
	sock_addr_text(peer, (int)pport, s->peer, sizeof s->peer);
	return true;
}

/* Read the sockets of one table file into *out; -1 if unreadable. */
static int
socks_read_file(const char *path, int port, bool listen_only,
		struct tcp_sock **out, size_t *n, size_t *cap)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		struct tcp_sock s;

		if (!sock_parse(line, &s) || (port > 0 && s.port != port) ||
		    (listen_only && s.state != TCPS_LISTEN))
			continue;
		ARRAY_GROW(*out, *cap, *n + 1);
		(*out)[(*n)++] = s;
	}
	fclose(f);
	return 0;
}

/* Fill s from one sock_diag answer. */
static void
diag_sock(const struct inet_diag_msg *m, struct tcp_sock *s)
{
	s->port = ntohs(m->id.idiag_sport);
	s->state = m->idiag_state;
	s->ino = m->idiag_inode;
	addr_text(m->idiag_family, m->id.idiag_src, s->port, s->local,
		  sizeof s->local);
	addr_text(m->idiag_family, m->id.idiag_dst, ntohs(m->id.idiag_dport),
		  s->peer, sizeof s->peer);
}

/* Read the dump answers on fd into *out; -1 on an error. */
static int
diag_recv(int fd, int port, struct tcp_sock **out, size_t *n, size_t *cap)
{
	long buf[8192 / sizeof(long)];

	for (;;) {
		ssize_t len = recv(fd, buf, sizeof buf, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return -1;
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct tcp_sock s;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			diag_sock(NLMSG_DATA(h), &s);
			if (port > 0 && s.port != port)
				continue;
			ARRAY_GROW(*out, *cap, *n + 1);
			(*out)[(*n)++] = s;
		}
	}
}

/* A sock_diag dump request for one family, its states, and a
   bytecode filter on the local port. */
struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
	struct nlattr attr;
	struct inet_diag_bc_op bc[2];
};

/* Fill a dump request; with port 0, no filter. */
static void
diag_req_init(struct diag_req *q, int af, unsigned states, int port)
{
	memset(q, 0, sizeof *q);
	q->nlh.nlmsg_len = sizeof *q;
	if (port == 0)
		q->nlh.nlmsg_len = offsetof(struct diag_req, attr);
	q->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q->r.sdiag_family = (uint8_t)af;
	q->r.sdiag_protocol = IPPROTO_TCP;
	q->r.idiag_states = states;
	q->attr.nla_len = sizeof q->attr + sizeof q->bc;
	q->attr.nla_type = INET_DIAG_REQ_BYTECODE;
	/* sport == port: on a match jump to the end (keep), else past it
	   (drop); the second op carries the port */
	q->bc[0].code = INET_DIAG_BC_S_EQ;
	q->bc[0].yes = sizeof q->bc;
	q->bc[0].no = sizeof q->bc + 4;
	q->bc[1].no = (unsigned short)port;
}

/*
 * The TCP sockets of this network namespace through sock_diag netlink,
 * as ss(8) reads them: the kernel filters by state and port, where
 * /proc/net/tcp lists every connection as text (tens of ms on a busy
 * host). -1 when netlink cannot be used.
 */
static int
diag_socks(int port, bool listen_only, struct tcp_sock **out, size_t *n,
	   size_t *cap)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned states = listen_only ? 1U << TCPS_LISTEN : 0xfffU;
	struct timeval wait = { .tv_sec = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	int rc = 0;

	if (fd < 0)
		return -1;
	/* the kernel answers at once; never wait long on it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		struct diag_req q;

		diag_req_init(&q, families[i], states, port);
		if (send(fd, &q, q.nlh.nlmsg_len, 0) !=
		    (ssize_t)q.nlh.nlmsg_len ||
		    diag_recv(fd, port, out, n, cap) < 0)
			rc = -1;
	}
	close(fd);
	return rc;
}

/* Read the TCP socket tables. */
int
tcp_socks_read(const char *root, int port, bool listen_only,
	       struct tcp_sock **out, struct derr *e)
{
	static const char *const files[] = { "net/tcp", "net/tcp6" };
	size_t n = 0, cap = 0;
	int ok = 0;

	*out = NULL;
	if (strcmp(root, "/proc") == 0 &&
	    diag_socks(port, listen_only, out, &n, &cap) == 0)
		return (int)n;
	n = 0;
	for (size_t i = 0; i < 2; i++) {
		char path[4096];

		snprintf(path, sizeof path, "%s/%s", root, files[i]);
		if (socks_read_file(path, port, listen_only, out, &n,
				    &cap) == 0)
			ok++;
	}
	if (ok == 0)
		return derr_errno(e, "cannot read '%s/net/tcp'", root);
	return (int)n;
}

/* The index in inos of the socket behind fd link text, or -1. */
static int
link_socket(const char *link, const unsigned long *inos, size_t n_inos)
{
	unsigned long ino;
	char end;

	if (sscanf(link, "socket:[%lu%c", &ino, &end) != 2 || end != ']')
		return -1;
	for (size_t i = 0; i < n_inos; i++)
		if (inos[i] == ino)
			return (int)i;
	return -1;
}

/* The index of the first of inos that pid has open, or -1. */
static int
pid_has_socket(const char *root, pid_t pid, const unsigned long *inos,
	       size_t n_inos)
{
	char path[4096], link[64];
	struct dirent *de;
	int found = -1;
	DIR *d;

	snprintf(path, sizeof path, "%s/%d/fd", root, (int)pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while (found < 0 && (de = readdir(d)) != NULL) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		found = link_socket(link, inos, n_inos);
	}
	closedir(d);
	return found;
}

/* Look at every process under root; see socks_owner. */
static pid_t
socks_owner_any(const char *root, const unsigned long *inos, size_t n_inos,
		size_t *which)
{
	struct dirent *de;
	pid_t found = 0;
	DIR *d = opendir(root);

	if (d == NULL)
		return 0;
	while (found == 0 && (de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int i;

		if (*end != '\0' || pid <= 0 || !isdigit(de->d_name[0]))
			continue;
		i = pid_has_socket(root, (pid_t)pid, inos, n_inos);
		if (i >= 0) {
			*which = (size_t)i;
			found = (pid_t)pid;
		}
	}
	closedir(d);
	return found;
}

/* The first of pids holding one of inos. */
pid_t
socks_owner(const char *root, const pid_t *pids, size_t n,
	    const unsigned long *inos, size_t n_inos, size_t *which)
{
	if (n_inos == 0)
		return 0;
	if (pids == NULL)
		return socks_owner_any(root, inos, n_inos, which);
	for (size_t i = 0; i < n; i++) {
		int k = pid_has_socket(root, pids[i], inos, n_inos);

		if (k >= 0) {
			*which = (size_t)k;
			return pids[i];
		}
	}
	return 0;
}

/* The inodes of socks (those with one); caller frees. */
static unsigned long *
socks_inodes(const struct tcp_sock *socks, size_t n, size_t *n_inos)
{
	unsigned long *inos = xcalloc(n + 1, sizeof *inos);

	*n_inos = 0;
	for (size_t i = 0; i < n; i++)
		inos[(*n_inos)++] = socks[i].ino;
	return inos;
}

/* The port one of pids listens on. */
int
tree_listen_port(const char *root, const pid_t *pids, size_t n, int port)
{
	struct tcp_sock *socks;
	unsigned long *inos;
	size_t n_inos, which = 0;
	struct derr e;
	int n_socks = tcp_socks_read(root, port, true, &socks, &e);
	int found = 0;

	if (n_socks <= 0)
		return 0;
	inos = socks_inodes(socks, (size_t)n_socks, &n_inos);
	if (n > 0 && socks_owner(root, pids, n, inos, n_inos, &which) > 0)
		found = socks[which].port;
	free(inos);
	free(socks);
	return found;
}

/* The session of pid: stat field (6), after the last ')'. */
pid_t
proc_session(const char *root, pid_t pid)
{
	char path[4096], buf[512], *p;
	int fd, sid = 0;
	ssize_t len;

	snprintf(path, sizeof path, "%s/%d/stat", root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strrchr(buf, ')');
	/* (3) state (4) ppid (5) pgrp (6) session */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %d", &sid) != 1)
		return 0;
	return (pid_t)sid;
}

/* pid's command line, NULs as spaces, or its comm in parentheses. */
static void
proc_cmd(const char *root, pid_t pid, char *buf, size_t size)
{
	char path[4096];
	ssize_t len = -1;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof path, "%s/%d/cmdline", root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, size - 1);
		close(fd);
	}
	if (len < 0)
		len = 0;
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	buf[len] = '\0';
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0' || buf[i] == '\n')
			buf[i] = ' ';
	if (len == 0) {
		snprintf(path, sizeof path, "%s/%d/comm", root, (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			len = read(fd, buf, size - 1);
			close(fd);
			buf[len > 0 ? len : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
		}
	}
}

/* Fill h from sock s, whose process is pid (0: none seen). */
static void
holder_fill(const char *root, const struct tcp_sock *s, pid_t pid,
	    struct port_holder *h)
{
	memset(h, 0, sizeof *h);
	h->pid = pid;
	h->ino = s->ino;
	h->state = s->state;
	snprintf(h->peer, sizeof h->peer, "%s", s->peer);
	if (pid > 0) {
		h->sid = proc_session(root, pid);
		proc_cmd(root, pid, h->cmd, sizeof h->cmd);
	}
}

/* How much a socket tells of who holds its port: a process seen (2),
 * a process not seen (another user's, 1), none (TIME-WAIT, 0). */
static int
owner_rank(const struct tcp_sock *s, pid_t pid)
{
	return pid > 0 ? 2 : s->ino != 0;
}

/*
 * Of socks whose owner is not of session skip_sid, the first of those
 * that tell most of their owner (a live connection, not a TIME-WAIT
 * one of the same port); its owner in *pid (0: none seen). Sockets
 * are tried one at a time so that a skipped owner does not hide
 * another. -1 when none.
 */
static int
first_foreign(const char *root, const struct tcp_sock *socks, size_t n,
	      pid_t skip_sid, pid_t *pid)
{
	int best = -1;
	pid_t best_pid = 0;

	for (size_t i = 0; i < n; i++) {
		size_t which = 0;
		pid_t p = socks[i].ino == 0 ? 0 :
			socks_owner(root, NULL, 0, &socks[i].ino, 1, &which);

		if (p > 0 && skip_sid > 0 && proc_session(root, p) == skip_sid)
			continue;
		if (best < 0 || owner_rank(&socks[i], p) >
		    owner_rank(&socks[best], best_pid)) {
			best = (int)i;
			best_pid = p;
		}
	}
	*pid = best_pid;
	return best;
}

/* Find what holds port. */
int
port_holder_find(const char *root, int port, pid_t skip_sid,
		 struct port_holder *h, struct derr *e)
{
	struct tcp_sock *socks, *lis, *conn;
	size_t n_lis = 0, n_conn = 0;
	int n = tcp_socks_read(root, port, false, &socks, e), i;
	pid_t pid = 0;

	if (n < 0)
		return -1;
	lis = xcalloc((size_t)n + 1, sizeof *lis);
	conn = xcalloc((size_t)n + 1, sizeof *conn);
	for (int k = 0; k < n; k++) {
		if (socks[k].state == TCPS_LISTEN)
			lis[n_lis++] = socks[k];
		else
			conn[n_conn++] = socks[k];
	}
	i = first_foreign(root, lis, n_lis, skip_sid, &pid);
	if (i >= 0)
		holder_fill(root, &lis[i], pid, h);
	else if ((i = first_foreign(root, conn, n_conn, skip_sid, &pid)) >= 0)
		holder_fill(root, &conn[i], pid, h);
	free(lis);
	free(conn);
	free(socks);
	return i >= 0;
}

/* Describe what holds port. */
void
port_holder_describe(const struct port_holder *h, int port, char *buf,
		     size_t size)
{
	char who[160];

	if (h->pid > 0)
		snprintf(who, sizeof who, "pid %d (%s)", (int)h->pid,
			 h->cmd);
	else
		snprintf(who, sizeof who, "%s", h->ino != 0 ?
			 "a process of another user" : "no process");
	if (h->state == TCPS_LISTEN)
		snprintf(buf, size, "port %d is held by %s", port, who);
	else if (h->pid > 0 || h->ino != 0)
		snprintf(buf, size, "port %d is held by a connection of %s "
			 "to %s", port, who, h->peer);
	else
		snprintf(buf, size, "port %d is held by a closed connection "
			 "to %s (TIME-WAIT)", port, h->peer);
}

/* Read up to size - 1 bytes of root/rel into buf; -1 if unreadable. */
static int
read_small(const char *root, const char *rel, char *buf, size_t size)
{
	char path[4096];
	ssize_t len;
	int fd;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

/* True when every port of lo..hi is in the list "1,2-5,9". */
static bool
ports_reserved(const char *list, int lo, int hi)
{
	for (int p = lo; p <= hi; p++) {
		const char *s = list;
		bool in = false;

		while (!in && *s != '\0') {
			char *end;
			long a = strtol(s, &end, 10), b = a;

			if (end == s)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			in = p >= a && p <= b;
			s = end + strspn(end, ", \t\n");
		}
		if (!in)
			return false;
	}
	return true;
}

/* The warning for ports in the ephemeral range. */
char *
port_ephemeral_warning(const char *root, const char *what, int lo, int hi)
{
	char buf[4096], ports[32];
	int min, max;

	if (lo <= 0 || hi < lo ||
	    read_small(root, "sys/net/ipv4/ip_local_port_range", buf,
		       sizeof buf) < 0 ||
	    sscanf(buf, "%d %d", &min, &max) != 2 || hi < min || lo > max)
		return NULL;
	if (read_small(root, "sys/net/ipv4/ip_local_reserved_ports", buf,
		       sizeof buf) == 0 && ports_reserved(buf, lo, hi))
		return NULL;
	if (lo == hi)
		snprintf(ports, sizeof ports, "port %d", lo);
	else
		snprintf(ports, sizeof ports, "ports %d-%d", lo, hi);
	return xasprintf("%s: %s %s inside the kernel's ephemeral port "
			 "range %d-%d (net.ipv4.ip_local_port_range), so an "
			 "outgoing connection may take %s; use a port below "
			 "%d, or reserve %s with sysctl -w "
			 "net.ipv4.ip_local_reserved_ports=%s", what, ports,
			 lo == hi ? "is" : "are", min, max,
			 lo == hi ? "it" : "them", min,
			 lo == hi ? "it" : "them", ports + (lo == hi ? 5 : 6));
}

/* The warning for an app's port(s). */
char *
app_port_warning(const char *root, const struct eco_app *app)
{
	char *what, *w;
	int lo = app->port, hi = app->port + app->instances - 1;

	if (app->listen != NULL) {
		char *host = NULL;
		int port = 0;

		if (eco_split_hostport(app->listen, &host, &port) < 0)
			port = 0;
		free(host);
		lo = hi = port;
	}
	if (lo <= 0)
		return NULL;
	what = xasprintf("app '%s'", app->name);
	w = port_ephemeral_warning(root, what, lo, hi);
	free(what);
	return w;
}

/* The warnings of every app. */
char **
eco_port_warnings(const char *root, const struct ecosystem *eco)
{
	char **out = xcalloc(1, sizeof *out);

	for (size_t i = 0; i < eco->n_apps; i++) {
		char *w = app_port_warning(root, &eco->apps[i]);

		if (w != NULL)
			out = strv_push(out, w);
		free(w);
	}
	return out;
}
