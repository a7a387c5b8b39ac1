/* cron.h: cron_restart schedules (5 fields, or PM2's 6 with seconds) */
#ifndef DEPLOY_CRON_H
#define DEPLOY_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/lib/util.h"

struct cron {
	uint64_t sec, min;	/* bit n: second / minute n matches */
	uint32_t hour, dom;	/* hour 0-23, day of month 1-31 */
	uint16_t mon;		/* month 1-12 */
	uint8_t dow;		/* day of week 0-6, Sunday 0 */
	bool dom_any, dow_any;	/* "*": the other day field decides */
};

/*
 * Parse "MIN HOUR DOM MON DOW" or "SEC MIN HOUR DOM MON DOW": each field
 * "*", N, A-B, a list of those with ",", and "/STEP" after "*" or A-B;
 * day of week 0-7 (0 and 7 are Sunday). 0, or -1 with e filled.
 */
int cron_parse(const char *spec, struct cron *out, struct derr *e);
/* The first time strictly after after_ms (ms since the epoch, local
 * time) that matches, in ms since the epoch; -1 when none in 4 years. */
long long cron_next(const struct cron *c, long long after_ms);

#endif
