/* ssh.h: SSH sessions: connect, host keys, auth, exec, SFTP uploads;
 * over libssh2, or OpenSSH's client where libssh2 cannot check the host */
#ifndef DEPLOY_SSH_H
#define DEPLOY_SSH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/lib/util.h"

/*
 * Every function here loads libssh2 on first use (ssh_dl.h) and fails
 * with "cannot load libssh2.so.1: ..." when it cannot. One struct ssh
 * belongs to one thread at a time; different sessions may be used by
 * different threads at once.
 */

/* What to do with a host whose key is not in known_hosts. */
enum ssh_new_host {
	SSH_NEW_REFUSE,		/* StrictHostKeyChecking=yes (default) */
	SSH_NEW_ACCEPT,		/* --accept-new: record it and go on */
};

/* Settings from a target's "ssh_options" (OpenSSH option names). */
struct ssh_config {
	char *known_hosts;	/* UserKnownHostsFile, ~ expanded; or NULL */
	char *identity;		/* IdentityFile, ~ expanded; or NULL */
	char *user;		/* User, or NULL */
	int port;		/* Port, 0 when not given */
	int strict;		/* StrictHostKeyChecking: -1 unset,
				 * 1 yes/ask, 0 accept-new/no/off */
	long connect_timeout_ms;	/* ConnectTimeout; 0: unset */
	int alive_interval;	/* ServerAliveInterval (s); 0: unset */
	int alive_count;	/* ServerAliveCountMax; 0: unset */
	char **warnings;	/* NULL-terminated, never NULL */
};

/*
 * Read options written "Key=Value", "Key Value" or "-o Key=Value" (keys
 * case-insensitive) into c. Options deploy does not act on become
 * warnings ("ssh_options: 'Compression' is not used by deploy,
 * ignored"); a bad value of a known one is an error. Free with
 * ssh_config_clear.
 */
int ssh_config_parse(char *const *opts, struct ssh_config *c,
		     struct derr *e);
void ssh_config_clear(struct ssh_config *c);

/* Progress notes from a session (host key recorded, auth used). */
typedef void ssh_log_fn(void *arg, const char *msg);

struct ssh_opts {
	const char *host;
	int port;			/* 22 when 0 */
	const char *user;		/* NULL: the local user's name */
	const char *identity;		/* tried after the agent, or NULL */
	const char *known_hosts;	/* NULL: ~/.ssh/known_hosts */
	enum ssh_new_host new_host;
	long connect_timeout_ms;	/* <= 0: 10000 */
	long io_timeout_ms;		/* handshake, auth, SFTP; <= 0: 30 s */
	int alive_interval;		/* keepalive seconds; <= 0: 15 */
	int alive_count;		/* <= 0: 3 */
	ssh_log_fn *log;		/* may be NULL */
	void *log_arg;
	/* Polled while the session waits (at least every 100 ms): true
	 * ends the wait with "cancelled" (the call fails; closing a
	 * channel or the session still waits). May be NULL. */
	bool (*cancel)(void *arg);
	void *cancel_arg;
};

struct ssh;

/*
 * Connect (TCP, then the SSH handshake, within connect_timeout_ms when
 * it is set), handshake, check the host key against
 * known_hosts, authenticate (ssh-agent, then identity, then
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa). NULL with e filled on any
 * failure: a refused unknown or changed key names the fingerprints.
 * Caller frees with ssh_free.
 */
struct ssh *ssh_connect(const struct ssh_opts *o, struct derr *e);
/* Disconnect and free; NULL is a no-op. */
void ssh_free(struct ssh *s);

/* How a remote command ended. */
struct ssh_exit {
	int status;		/* exit status; -1 when killed by a signal */
	char signal[32];	/* "TERM" when killed by SIGTERM, else "" */
};

/* Output of a remote command as it arrives; stream 1 or 2. */
typedef void ssh_out_fn(void *arg, int stream, const char *data,
			size_t n);

/*
 * Run command on the host (through the user's shell), input (may be
 * NULL: nothing) on its stdin, then EOF, passing its output to out (may
 * be NULL) as it comes. 0 when the command ended (see x: a non-zero
 * status is not an error here), -1 with e filled when the connection
 * failed first. What goes on stdin is not on the host's command lines
 * (ps): the place for secrets.
 */
int ssh_exec(struct ssh *s, const char *command, const char *input,
	     ssh_out_fn *out, void *arg, struct ssh_exit *x, struct derr *e);

/* Copy the local file to remote_path (created or truncated, mode). */
int ssh_upload(struct ssh *s, const char *local, const char *remote_path,
	       long mode, struct derr *e);

/* Known hosts ------------------------------------------------------- */

enum ssh_known {
	SSH_KNOWN_MATCH,	/* the key is recorded for this host */
	SSH_KNOWN_NEW,		/* no key of this type for this host */
	SSH_KNOWN_CHANGED,	/* another key of this type is recorded */
};

/* The known_hosts name of host: "host" on port 22, else "[host]:port". */
char *ssh_known_name(const char *host, int port);

/*
 * Look up the key blob (of libssh2 host key type keytype) for host:port
 * in file (a missing file is empty). Plain, comma-separated and hashed
 * (|1|salt|hash) names are read; lines libssh2 cannot read and marker
 * lines (@cert-authority, @revoked) are skipped. On CHANGED, *known_fp
 * (if not NULL) gets the recorded key's fingerprint (caller frees).
 */
int ssh_known_check(const char *file, const char *host, int port,
		    const unsigned char *key, size_t keylen, int keytype,
		    enum ssh_known *out, char **known_fp, struct derr *e);

/* Append "name keytype base64" for host:port to file (made 0600, its
 * directory 0700 when missing). */
int ssh_known_add(const char *file, const char *host, int port,
		  const unsigned char *key, size_t keylen, int keytype,
		  struct derr *e);

/*
 * The host key algorithms to offer host:port, those with a key in file
 * first (as OpenSSH orders them), comma-separated; *known (may be NULL)
 * gets how many key types file has for it. Caller frees.
 */
char *ssh_known_algorithms(const char *file, const char *host, int port,
			   int *known);

/* The SSH name of a libssh2 host key type ("ssh-ed25519"), or NULL. */
const char *ssh_key_type_name(int keytype);

/* Helpers ----------------------------------------------------------- */

/* SHA-256 of n bytes at data into out. */
void ssh_sha256(const void *data, size_t n, unsigned char out[32]);
/* Base64 of n bytes; pad false leaves out the '='. Caller frees. */
char *ssh_base64_encode(const unsigned char *p, size_t n, bool pad);
/* Decode base64 (padding optional); -1 on a bad character. Caller
 * frees *out. */
int ssh_base64_decode(const char *s, unsigned char **out, size_t *n);
/* "SHA256:..." as OpenSSH prints a key blob's fingerprint. Caller
 * frees. */
char *ssh_fingerprint(const unsigned char *blob, size_t n);
/* path with a leading "~/" replaced by $HOME. Caller frees. */
char *ssh_expand_home(const char *path);

#endif
