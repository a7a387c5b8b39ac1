/* ssh_dl.h: libssh2 loaded with dlopen on first use, never linked */
#ifndef DEPLOY_SSH_DL_H
#define DEPLOY_SSH_DL_H

#include <stddef.h>
#include <sys/types.h>
#include <libssh2.h>
#include <libssh2_sftp.h>

#include "core/lib/util.h"

/* The libssh2 functions deploy uses, resolved from the loaded library. */
struct ssh_fns {
	int (*init)(int flags);
	const char *(*version)(int req);
	void (*free)(LIBSSH2_SESSION *s, void *p);
	LIBSSH2_SESSION *(*session_init_ex)(LIBSSH2_ALLOC_FUNC((*a)),
					    LIBSSH2_FREE_FUNC((*f)),
					    LIBSSH2_REALLOC_FUNC((*r)),
					    void *abstract);
	int (*session_free)(LIBSSH2_SESSION *s);
	void (*session_set_blocking)(LIBSSH2_SESSION *s, int blocking);
	int (*session_handshake)(LIBSSH2_SESSION *s, libssh2_socket_t fd);
	int (*session_disconnect_ex)(LIBSSH2_SESSION *s, int reason,
				     const char *desc, const char *lang);
	int (*session_last_error)(LIBSSH2_SESSION *s, char **msg, int *len,
				  int want_buf);
	int (*session_last_errno)(LIBSSH2_SESSION *s);
	int (*session_block_directions)(LIBSSH2_SESSION *s);
	const char *(*session_hostkey)(LIBSSH2_SESSION *s, size_t *len,
				       int *type);
	int (*session_method_pref)(LIBSSH2_SESSION *s, int type,
				   const char *prefs);
	int (*session_supported_algs)(LIBSSH2_SESSION *s, int type,
				      const char ***algs);
	const char *(*hostkey_hash)(LIBSSH2_SESSION *s, int type);
	void (*keepalive_config)(LIBSSH2_SESSION *s, int want_reply,
				 unsigned interval);
	int (*keepalive_send)(LIBSSH2_SESSION *s, int *next);
	char *(*userauth_list)(LIBSSH2_SESSION *s, const char *user,
			       unsigned user_len);
	int (*userauth_authenticated)(LIBSSH2_SESSION *s);
	int (*userauth_publickey_fromfile_ex)(LIBSSH2_SESSION *s,
					      const char *user,
					      unsigned user_len,
					      const char *pub,
					      const char *priv,
					      const char *pass);
	LIBSSH2_AGENT *(*agent_init)(LIBSSH2_SESSION *s);
	int (*agent_connect)(LIBSSH2_AGENT *a);
	int (*agent_list_identities)(LIBSSH2_AGENT *a);
	int (*agent_get_identity)(LIBSSH2_AGENT *a,
				  struct libssh2_agent_publickey **store,
				  struct libssh2_agent_publickey *prev);
	int (*agent_userauth)(LIBSSH2_AGENT *a, const char *user,
			      struct libssh2_agent_publickey *id);
	int (*agent_disconnect)(LIBSSH2_AGENT *a);
	void (*agent_free)(LIBSSH2_AGENT *a);
	LIBSSH2_KNOWNHOSTS *(*knownhost_init)(LIBSSH2_SESSION *s);
	int (*knownhost_readline)(LIBSSH2_KNOWNHOSTS *h, const char *line,
				  size_t len, int type);
	int (*knownhost_check)(LIBSSH2_KNOWNHOSTS *h, const char *host,
			       const char *key, size_t keylen, int typemask,
			       struct libssh2_knownhost **found);
	int (*knownhost_addc)(LIBSSH2_KNOWNHOSTS *h, const char *host,
			      const char *salt, const char *key,
			      size_t keylen, const char *comment,
			      size_t commentlen, int typemask,
			      struct libssh2_knownhost **store);
	int (*knownhost_writeline)(LIBSSH2_KNOWNHOSTS *h,
				   struct libssh2_knownhost *known,
				   char *buf, size_t len, size_t *outlen,
				   int type);
	void (*knownhost_free)(LIBSSH2_KNOWNHOSTS *h);
	LIBSSH2_CHANNEL *(*channel_open_ex)(LIBSSH2_SESSION *s,
					    const char *type,
					    unsigned type_len,
					    unsigned window,
					    unsigned packet,
					    const char *msg,
					    unsigned msg_len);
	int (*channel_process_startup)(LIBSSH2_CHANNEL *c, const char *req,
				       unsigned req_len, const char *msg,
				       unsigned msg_len);
	ssize_t (*channel_read_ex)(LIBSSH2_CHANNEL *c, int stream,
				   char *buf, size_t len);
	ssize_t (*channel_write_ex)(LIBSSH2_CHANNEL *c, int stream,
				    const char *buf, size_t len);
	int (*channel_send_eof)(LIBSSH2_CHANNEL *c);
	int (*channel_eof)(LIBSSH2_CHANNEL *c);
	int (*channel_close)(LIBSSH2_CHANNEL *c);
	int (*channel_wait_closed)(LIBSSH2_CHANNEL *c);
	int (*channel_get_exit_status)(LIBSSH2_CHANNEL *c);
	int (*channel_get_exit_signal)(LIBSSH2_CHANNEL *c, char **sig,
				       size_t *sig_len, char **msg,
				       size_t *msg_len, char **lang,
				       size_t *lang_len);
	int (*channel_free)(LIBSSH2_CHANNEL *c);
	LIBSSH2_SFTP *(*sftp_init)(LIBSSH2_SESSION *s);
	int (*sftp_shutdown)(LIBSSH2_SFTP *sftp);
	unsigned long (*sftp_last_error)(LIBSSH2_SFTP *sftp);
	LIBSSH2_SFTP_HANDLE *(*sftp_open_ex)(LIBSSH2_SFTP *sftp,
					     const char *name,
					     unsigned name_len,
					     unsigned long flags, long mode,
					     int type);
	ssize_t (*sftp_write)(LIBSSH2_SFTP_HANDLE *h, const char *buf,
			      size_t len);
	int (*sftp_close_handle)(LIBSSH2_SFTP_HANDLE *h);
};

/* The soname loaded by ssh_dl. */
#define SSH_DL_SONAME "libssh2.so.1"

/*
 * libssh2, loaded and initialised (libssh2_init) on the first call;
 * safe to call from several threads. NULL with e filled ("cannot load
 * libssh2.so.1: <dlerror>") when it cannot be; later calls give the
 * same answer without trying again. The table is static: do not free.
 */
const struct ssh_fns *ssh_dl(struct derr *e);

/*
 * Load soname and resolve every function into out, without caching or
 * initialising. Returns the dlopen handle (dlclose it when done), or
 * NULL with e filled ("cannot load <soname>: <why>").
 */
void *ssh_dl_open(const char *soname, struct ssh_fns *out, struct derr *e);

#endif
