/* dlog.c: the daemon's log, one timestamped line at a time */
#include "core/lib/dlog.h"
#include "core/lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Write one timestamped line to stderr. */
void
dlog(const char *fmt, ...)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	char *msg, *line;

	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S",
		 localtime_r(&t, &tm));
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("%s %s\n", stamp, msg);
	fputs(line, stderr);
	fflush(stderr);
	free(line);
	free(msg);
}
