/* ssh_dl.c: libssh2 loaded with dlopen on first use, never linked */
#include "core/lib/ssh_dl.h"
#include "core/lib/dlsyms.h"

#include <pthread.h>

/* Where each symbol's address goes in struct ssh_fns. */
static const struct dl_sym ssh_syms[] = {
#define SYM(field) { "libssh2_" #field, offsetof(struct ssh_fns, field) }
	SYM(init),
	SYM(version),
	SYM(free),
	SYM(session_init_ex),
	SYM(session_free),
	SYM(session_set_blocking),
	SYM(session_handshake),
	SYM(session_disconnect_ex),
	SYM(session_last_error),
	SYM(session_last_errno),
	SYM(session_block_directions),
	SYM(session_hostkey),
	SYM(session_method_pref),
	SYM(session_supported_algs),
	SYM(hostkey_hash),
	SYM(keepalive_config),
	SYM(keepalive_send),
	SYM(userauth_list),
	SYM(userauth_authenticated),
	SYM(userauth_publickey_fromfile_ex),
	SYM(agent_init),
	SYM(agent_connect),
	SYM(agent_list_identities),
	SYM(agent_get_identity),
	SYM(agent_userauth),
	SYM(agent_disconnect),
	SYM(agent_free),
	SYM(knownhost_init),
	SYM(knownhost_readline),
	SYM(knownhost_check),
	SYM(knownhost_addc),
	SYM(knownhost_writeline),
	SYM(knownhost_free),
	SYM(channel_open_ex),
	SYM(channel_process_startup),
	SYM(channel_read_ex),
	SYM(channel_write_ex),
	SYM(channel_send_eof),
	SYM(channel_eof),
	SYM(channel_close),
	SYM(channel_wait_closed),
	SYM(channel_get_exit_status),
	SYM(channel_get_exit_signal),
	SYM(channel_free),
	SYM(sftp_init),
	SYM(sftp_shutdown),
	SYM(sftp_last_error),
	SYM(sftp_open_ex),
	SYM(sftp_write),
	SYM(sftp_close_handle),
#undef SYM
};

/* Load soname and fill out, uncached. */
void *
ssh_dl_open(const char *soname, struct ssh_fns *out, struct derr *e)
{
	return dl_load((const char *const[]){ soname, NULL }, ssh_syms,
		       ARRAY_SIZE(ssh_syms), out, e);
}

/* libssh2_init, once. */
static int
ssh_init(const void *table, struct derr *e)
{
	const struct ssh_fns *f = table;
	int rc = f->init(0);

	if (rc != 0)
		return derr_set(e, "cannot initialise %s: error %d",
				SSH_DL_SONAME, rc);
	return 0;
}

static struct ssh_fns ssh_fns;
static struct dl_lib ssh_lib = {
	SSH_DL_SONAME, ssh_syms, ARRAY_SIZE(ssh_syms), &ssh_fns, ssh_init,
	false, { "" },
};

/* pthread_once's function. */
static void
ssh_load(void)
{
	dl_lib_load(&ssh_lib);
}

/* The process-wide libssh2, loaded once. */
const struct ssh_fns *
ssh_dl(struct derr *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, ssh_load);
	return dl_lib_table(&ssh_lib, e);
}
