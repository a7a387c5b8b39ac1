/* format.c: human-readable sizes, durations and table cells */
#include "core/lib/format.h"

#include <stdio.h>
#include <string.h>

/* Bytes with one decimal in the largest unit that keeps it >= 1. */
char *
fmt_bytes(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "kb", "mb", "gb", "tb" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%lldb", bytes < 0 ? 0 : bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, v < 100 ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

/* A duration in its largest whole unit. */
char *
fmt_duration(long long ms, char *buf, size_t size)
{
	long long s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh", s / 3600);
	else
		snprintf(buf, size, "%lldD", s / 86400);
	return buf;
}
