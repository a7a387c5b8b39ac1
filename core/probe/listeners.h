/* listeners.h: which process listens on (or holds) a TCP port, from /proc */
#ifndef DEPLOY_LISTENERS_H
#define DEPLOY_LISTENERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/lib/util.h"

struct eco_app;
struct ecosystem;

#define TCPS_ESTABLISHED	1	/* /proc/net/tcp "st" values */
#define TCPS_TIME_WAIT		6
#define TCPS_LISTEN		10

/* One TCP socket of <root>/net/tcp or tcp6. */
struct tcp_sock {
	int port;			/* local port */
	int state;			/* TCPS_* (the kernel's numbers) */
	unsigned long ino;		/* 0: no open file (TIME-WAIT) */
	char local[56];			/* "127.0.0.1:3000", "[::1]:3000" */
	char peer[56];
};

/*
 * Read the sockets of <root>/net/tcp and <root>/net/tcp6 (the reader's
 * network namespace) whose local port is port (0: any), LISTEN ones
 * only with listen_only. Returns how many, in *out (caller frees; NULL
 * when none), or -1 with e filled when neither file can be read.
 */
int tcp_socks_read(const char *root, int port, bool listen_only,
		   struct tcp_sock **out, struct derr *e);

/*
 * The first of pids[0..n) with an open fd on one of the sockets
 * inos[0..n_inos) (from <root>/PID/fd links "socket:[INO]"), with
 * *which set to that socket's index; 0 when none (vanished pids and
 * unreadable fd dirs are skipped). With pids NULL, every process under
 * root is looked at.
 */
pid_t socks_owner(const char *root, const pid_t *pids, size_t n,
		  const unsigned long *inos, size_t n_inos, size_t *which);

/*
 * The TCP port on which one of pids[0..n) listens: port itself when
 * port > 0 (0 when none of them listens on it), else the first port
 * found. Cheap when nothing listens on port: no fd is looked at then.
 */
int tree_listen_port(const char *root, const pid_t *pids, size_t n,
		     int port);

/* What holds a TCP port. */
struct port_holder {
	pid_t pid;			/* 0: no process seen (another
					   user's, or TIME-WAIT) */
	pid_t sid;			/* its session, 0 if unknown */
	unsigned long ino;		/* its socket, 0: none */
	int state;			/* TCPS_* */
	char cmd[96];			/* command line, spaces for NULs */
	char peer[56];			/* a connection's remote end */
};

/*
 * Who holds TCP port under root: a listener first, else a connection
 * using it as its local port. Processes of session skip_sid (0: none)
 * do not count. 1 found (h filled), 0 nothing else uses the port, -1
 * with e filled when the socket tables cannot be read.
 */
int port_holder_find(const char *root, int port, pid_t skip_sid,
		     struct port_holder *h, struct derr *e);

/*
 * "port 3000 is held by pid 1234 (node server.js)", or "... by a
 * connection of pid 77 (curl x) to 127.0.0.1:80", or "... by a closed
 * connection to 127.0.0.1:80 (TIME-WAIT)".
 */
void port_holder_describe(const struct port_holder *h, int port, char *buf,
			  size_t size);

/*
 * The session of process pid under root (stat field 6), 0 when it
 * cannot be read.
 */
pid_t proc_session(const char *root, pid_t pid);

/*
 * When the ports lo..hi (lo == hi: one) lie inside the kernel's
 * ephemeral range <root>/sys/net/ipv4/ip_local_port_range and are not
 * all in ip_local_reserved_ports, the warning (naming the range and
 * the fix, caller frees); NULL otherwise. what names the ports'
 * owner ("app 'api'").
 */
char *port_ephemeral_warning(const char *root, const char *what, int lo,
			     int hi);

/*
 * The same for an app: its listen port, or port..port+instances-1.
 * NULL when it has no port or it is fine.
 */
char *app_port_warning(const char *root, const struct eco_app *app);

/* The warnings of every app of eco (NULL-terminated, never NULL;
 * caller frees with strv_free). */
char **eco_port_warnings(const char *root, const struct ecosystem *eco);

#endif
