/* dlog.h: the daemon's log, one timestamped line at a time */
#ifndef DEPLOY_DLOG_H
#define DEPLOY_DLOG_H

/*
 * Write "YYYY-MM-DD HH:MM:SS <message>\n" to stderr (the daemon's
 * log file) in one write, so lines of concurrent writers do not mix.
 * Only the daemon and the supervisor log; commands report through
 * struct derr.
 */
void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
