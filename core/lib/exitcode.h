/* exitcode.h: the one exit-code table of the daemon and the CLI */
#ifndef DEPLOY_EXITCODE_H
#define DEPLOY_EXITCODE_H

/*
 * The exit codes of every command, and the "code" of every error reply:
 * one table for the daemon and the CLI (man/deploy.1, EXIT STATUS).
 */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_CONFIG = 3,	/* ecosystem file missing or invalid */
	EXIT_DAEMON = 4,	/* daemon unreachable or of another version */
	EXIT_NOT_READY = 5,	/* an instance did not become ready in time */
	EXIT_NGINX = 6,		/* nginx rejected the config or the reload */
	EXIT_REMOTE = 7,	/* a remote host failed */
	EXIT_INTERNAL = 70,	/* out of memory, broken invariant */
	EXIT_INTERRUPTED = 130,	/* Ctrl-C while waiting; the daemon goes on */
};

#endif
