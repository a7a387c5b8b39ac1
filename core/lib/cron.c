/* cron.c: parse cron_restart schedules and find their next time */
#include "core/lib/cron.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The fields in order, with their ranges. */
static const struct {
	const char *name;
	int lo, hi;
} fields[] = {
	{ "second", 0, 59 }, { "minute", 0, 59 }, { "hour", 0, 23 },
	{ "day of month", 1, 31 }, { "month", 1, 12 },
	{ "day of week", 0, 7 },
};

/* Read a number at *p within [lo, hi]; -1 when there is none. */
static int
number(const char **p, int lo, int hi)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)**p))
		return -1;
	n = strtol(*p, &end, 10);
	*p = end;
	return n < lo || n > hi ? -1 : (int)n;
}

/* Parse one field (len bytes at s) into the bit mask *mask. */
static int
field(const char *s, size_t len, int f, uint64_t *mask, bool *any,
      struct derr *e)
{
	char *text = xstrndup(s, len), *save = NULL, *part;
	int lo = fields[f].lo, hi = fields[f].hi, a, b, step;
	const char *p;
	int rc = 0;

	*mask = 0;
	*any = strcmp(text, "*") == 0;
	for (part = strtok_r(text, ",", &save); part != NULL && rc == 0;
	     part = strtok_r(NULL, ",", &save)) {
		p = part;
		step = 1;
		if (*p == '*') {
			a = lo;
			b = hi;
			p++;
		} else if ((a = number(&p, lo, hi)) < 0) {
			rc = -1;
			break;
		} else if (*p == '-') {
			p++;
			if ((b = number(&p, a, hi)) < 0) {
				rc = -1;
				break;
			}
		} else {
			b = a;
		}
		if (*p == '/') {
			p++;
			if ((step = number(&p, 1, hi)) < 0)
				rc = -1;
		}
		if (*p != '\0')
			rc = -1;
		for (int n = a; rc == 0 && n <= b; n += step)
			*mask |= 1ULL << n;
	}
	if (rc < 0 || *mask == 0)
		rc = derr_set(e, "bad %s '%s' (%d-%d, *, lists, ranges, "
			      "/step)", fields[f].name, text, lo, hi);
	free(text);
	return rc;
}

/* Parse a 5- or 6-field schedule. */
int
cron_parse(const char *spec, struct cron *out, struct derr *e)
{
	const char *words[6], *p = spec;
	size_t lens[6], n = 0;
	uint64_t m[6];
	bool any[6];
	int first;

	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (n == 6)
			return derr_set(e, "expected 5 or 6 fields");
		words[n] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		lens[n] = (size_t)(p - words[n]);
		n++;
	}
	if (n != 5 && n != 6)
		return derr_set(e, "expected 5 fields (minute hour day month "
				"weekday) or 6 (with seconds first)");
	first = n == 5 ? 1 : 0;
	m[0] = 1;	/* second 0 */
	for (size_t i = 0; i < n; i++)
		if (field(words[i], lens[i], first + (int)i, &m[first + i],
			  &any[first + i], e) < 0)
			return -1;
	memset(out, 0, sizeof *out);
	out->sec = m[0];
	out->min = m[1];
	out->hour = (uint32_t)m[2];
	out->dom = (uint32_t)m[3];
	out->mon = (uint16_t)m[4];
	out->dow = (uint8_t)((m[5] | (m[5] >> 7)) & 0x7f);	/* 7 is 0 */
	out->dom_any = any[3];
	out->dow_any = any[5];
	return 0;
}

/* Whether the day of tm matches (cron's rule: either day field, when
 * both are restricted). */
static bool
day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = c->dom >> tm->tm_mday & 1, dow = c->dow >> tm->tm_wday & 1;

	if (!(c->mon >> (tm->tm_mon + 1) & 1))
		return false;
	if (c->dom_any || c->dow_any)
		return dom && dow;
	return dom || dow;
}

/* The next matching time strictly after after_ms; -1 when none. */
long long
cron_next(const struct cron *c, long long after_ms)
{
	time_t t = (time_t)(after_ms / 1000) + 1;
	struct tm tm;

	for (long i = 0; i < 4L * 366 * 24 * 60; i++) {
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		if (!day_matches(c, &tm)) {	/* to the next midnight */
			t += (23 - tm.tm_hour) * 3600 + (59 - tm.tm_min) * 60 +
			     60 - tm.tm_sec;
			continue;
		}
		if (!(c->hour >> tm.tm_hour & 1)) {	/* the next hour */
			t += (59 - tm.tm_min) * 60 + 60 - tm.tm_sec;
			continue;
		}
		if (c->min >> tm.tm_min & 1)
			for (int s = tm.tm_sec; s < 60; s++)
				if (c->sec >> s & 1)
					return ((long long)t - tm.tm_sec + s) *
					       1000;
		t += 60 - tm.tm_sec;
	}
	return -1;
}
