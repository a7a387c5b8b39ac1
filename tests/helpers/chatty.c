/*
 * chatty: a worker that writes without pause, for the output tests.
 * Writes "pid=<pid> out <n>" lines to stdout and "pid=<pid> err <n>" to
 * stderr, alternately, with blocking writes: when nobody reads a pipe,
 * it blocks there and writes nothing more. CHATTY_US=N sleeps N
 * microseconds between pairs (default 0: as fast as it can). Dies of
 * the default action of SIGINT and SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Write all of buf to fd; exit when the reader has gone. */
static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			exit(1);
		buf += n;
		len -= (size_t)n;
	}
}

int
main(void)
{
	const char *us = getenv("CHATTY_US");
	long pause_us = us != NULL ? atol(us) : 0;
	struct timespec ts = { pause_us / 1000000, pause_us % 1000000 * 1000 };
	char line[64];
	int len;

	for (unsigned long n = 0;; n++) {
		len = snprintf(line, sizeof line, "pid=%d out %lu\n",
			       (int)getpid(), n);
		write_all(1, line, (size_t)len);
		len = snprintf(line, sizeof line, "pid=%d err %lu\n",
			       (int)getpid(), n);
		write_all(2, line, (size_t)len);
		if (pause_us > 0)
			nanosleep(&ts, NULL);
	}
}
