/*
 * http_worker: a tiny HTTP worker for the supervisor tests.
 * Listens on 127.0.0.1:$PORT, or on fd 3 when LISTEN_FDS=1 (listen
 * mode). Answers every request with one line:
 *   instance=<NODE_APP_INSTANCE> pid=<pid> msg=<$MSG> path=<its path>
 * On SIGINT or SIGTERM it stops accepting, finishes the request in
 * hand and exits 0. Behaviour switches (environment):
 *   IGNORE_STOP=1     ignore SIGINT and SIGTERM (tests SIGKILL)
 *   FORK_CHILD=1      leave a grandchild sleeping in the group
 *   NOTIFY=1          send READY=1 to $NOTIFY_SOCKET once listening
 *   START_DELAY_MS=N  wait N ms before listening
 *   EXIT_CODE=N       exit with N at once (crash loops, stop codes)
 *   LINES=N           print N numbered lines to stdout first
 *   ALLOC_MB=N        allocate and touch N MiB (memory limit tests)
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

/* Remember that a stop signal came. */
static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The integer value of an environment variable, or def. */
static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? strtol(v, NULL, 10) : def;
}

/* Bind 127.0.0.1:port and listen. */
static int
listen_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 128) < 0) {
		fprintf(stderr, "http_worker: port %d: %s\n", port,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* Send READY=1 to $NOTIFY_SOCKET. */
static void
notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (path == NULL)
		return;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
}

/* Read a request head and answer it. */
static void
serve(int c)
{
	char buf[4096], body[256], head[512];
	const char *path;
	size_t got = 0, plen;
	ssize_t n;
	int blen, hlen;

	buf[0] = '\0';
	while (got < sizeof buf - 1 &&
	       (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	path = strchr(buf, ' ');
	path = path ? path + 1 : "";
	plen = strcspn(path, " \r\n");
	blen = snprintf(body, sizeof body, "instance=%s pid=%d msg=%s "
			"path=%.*s\n", getenv("NODE_APP_INSTANCE") ?: "-",
			(int)getpid(), getenv("MSG") ?: "",
			(int)(plen < 100 ? plen : 100), path);
	hlen = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n"
			"Content-Type: text/plain\r\nContent-Length: %d\r\n"
			"Connection: close\r\n\r\n", blen);
	if (write(c, head, (size_t)hlen) < 0 ||
	    write(c, body, (size_t)blen) < 0)
		return;
}

int
main(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	long lines = env_long("LINES", 0), delay = env_long("START_DELAY_MS",
							     0);
	int fd;

	if (getenv("EXIT_CODE") != NULL)
		return (int)env_long("EXIT_CODE", 1);
	if (env_long("ALLOC_MB", 0) > 0) {
		size_t n = (size_t)env_long("ALLOC_MB", 0) << 20;
		char *p = malloc(n);

		if (p != NULL)
			memset(p, 1, n);
	}
	for (long i = 1; i <= lines; i++)
		printf("line %ld\n", i);
	fflush(stdout);
	if (getenv("IGNORE_STOP") != NULL)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a probe may hang up at once */
	if (getenv("FORK_CHILD") != NULL && fork() == 0) {
		execlp("sleep", "sleep", "300", (char *)NULL);
		_exit(127);
	}
	if (delay > 0) {
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	fd = env_long("LISTEN_FDS", 0) == 1 ? 3 :
		listen_port((int)env_long("PORT", 0));
	if (getenv("NOTIFY") != NULL)
		notify_ready();
	printf("listening pid=%d\n", (int)getpid());
	fflush(stdout);
	while (!stopping) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
	printf("stopping pid=%d\n", (int)getpid());
	return 0;
}
