/* format.h: human-readable sizes, durations and table cells */
#ifndef DEPLOY_FORMAT_H
#define DEPLOY_FORMAT_H

#include <stddef.h>

/* "0b", "512b", "1.5kb", "23.4mb", "1.2gb" (PM2's style) into buf. */
char *fmt_bytes(long long bytes, char *buf, size_t size);
/* "0s", "45s", "12m", "3h", "2D" (PM2's style) from milliseconds. */
char *fmt_duration(long long ms, char *buf, size_t size);

#endif
