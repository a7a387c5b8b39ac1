/*
 * http_load: a bounded HTTP request loop for the tests.
 *   http_load PORT SECONDS [STOPFILE]
 * Sends GET / to 127.0.0.1:PORT one after another (new connection each)
 * until SECONDS pass or STOPFILE exists, then prints
 *   ok=N failed=M
 * A request fails when the connection is refused or reset, or the answer
 * is not "HTTP/1.1 200" within 5 s. Exit 0 when nothing failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Seconds on CLOCK_MONOTONIC. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One GET; 1 when it got a 200 answer. */
static int
one_request(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n"
		"Connection: close\r\n\r\n";
	char buf[512];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;

	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= 12 || got == sizeof buf - 1)
			break;
	}
	buf[got] = '\0';
	ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
out:
	close(fd);
	return ok;
}

int
main(int argc, char **argv)
{
	long ok = 0, failed = 0;
	double end;
	int port;

	if (argc < 3) {
		fprintf(stderr, "usage: http_load PORT SECONDS [STOPFILE]\n");
		return 2;
	}
	port = atoi(argv[1]);
	end = now_s() + atof(argv[2]);
	while (now_s() < end) {
		if (argc > 3 && access(argv[3], F_OK) == 0)
			break;
		if (one_request(port))
			ok++;
		else
			failed++;
	}
	printf("ok=%ld failed=%ld\n", ok, failed);
	return failed != 0;
}
