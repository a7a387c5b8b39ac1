/* ssh_auth.c: trust in both directions: the host key, then our keys */
#include "core/remote/ssh_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/strbuf.h"

/* The key files tried after the agent, in order, after "key". */
static const char *const default_keys[] = {
	"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa",
};

/* Record a new host key, or refuse it. */
static int
new_host(struct ssh *s, const struct ssh_opts *o, const char *file,
	 const char *key, size_t len, int type, const char *fp,
	 struct derr *e)
{
	char *name = ssh_known_name(o->host, o->port);
	int rc = 0;

	if (o->new_host != SSH_NEW_ACCEPT)
		rc = derr_set(e, "unknown host key for %s (%s %s); check it, "
			      "then rerun with --accept-new", name,
			      ssh_key_type_name(type), fp);
	else if (ssh_known_add(file, o->host, o->port,
			       (const unsigned char *)key, len, type, e) == 0)
		ssh_note(s, "added %s (%s %s) to %s", name,
			 ssh_key_type_name(type), fp, file);
	else
		rc = -1;
	free(name);
	return rc;
}

/* Check the session's host key against known_hosts. */
int
ssh_check_host_key(struct ssh *s, const struct ssh_opts *o,
		   const char *file, struct derr *e)
{
	enum ssh_known res;
	char *fp, *known_fp = NULL, *name;
	const char *key;
	size_t len = 0;
	int type = 0, rc = 0;

	key = s->f->session_hostkey(s->sess, &len, &type);
	if (key == NULL)
		return ssh_fail(s, e, "no host key");
	if (ssh_key_type_name(type) == NULL)
		return derr_set(e, "%s: unsupported host key type %d",
				s->where, type);
	if (ssh_known_check(file, o->host, o->port,
			    (const unsigned char *)key, len, type, &res,
			    &known_fp, e) < 0)
		return -1;
	fp = ssh_fingerprint((const unsigned char *)key, len);
	switch (res) {
	case SSH_KNOWN_MATCH:
		break;
	case SSH_KNOWN_NEW:
		rc = new_host(s, o, file, key, len, type, fp, e);
		break;
	case SSH_KNOWN_CHANGED:
		name = ssh_known_name(o->host, o->port);
		rc = derr_set(e, "host key for %s has CHANGED: known %s, "
			      "offered %s; refused (if expected: "
			      "ssh-keygen -R '%s')", name, known_fp, fp,
			      name);
		free(name);
		break;
	}
	free(fp);
	free(known_fp);
	return rc;
}

/* Try every identity of a running ssh-agent; 0 when one worked. */
static int
try_agent(struct ssh *s, const char *user, struct strbuf *tried)
{
	struct libssh2_agent_publickey *id = NULL;
	LIBSSH2_AGENT *agent;
	int rc = -1, n = 0;

	if (getenv("SSH_AUTH_SOCK") == NULL)
		return -1;
	agent = s->f->agent_init(s->sess);
	if (agent == NULL)
		return -1;
	if (s->f->agent_connect(agent) != 0 ||
	    s->f->agent_list_identities(agent) != 0)
		goto out;
	while (rc != 0 && s->f->agent_get_identity(agent, &id, id) == 0) {
		long long deadline = ssh_io_deadline(s);

		n++;
		while ((rc = s->f->agent_userauth(agent, user, id)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (ssh_wait(s, deadline, NULL) < 0)
				break;
		if (rc == 0)
			ssh_note(s, "authenticated with the agent's key "
				 "'%s'", id->comment ? id->comment : "");
	}
	strbuf_addf(tried, "%sssh-agent (%d key%s)", tried->len ? ", " : "",
		    n, n == 1 ? "" : "s");
	s->f->agent_disconnect(agent);
out:
	s->f->agent_free(agent);
	return rc == 0 ? 0 : -1;
}

/* Try one private key file; 0 when it worked. */
static int
try_file(struct ssh *s, const char *user, const char *path,
	 struct strbuf *tried, struct derr *why)
{
	long long deadline = ssh_io_deadline(s);
	int rc;

	strbuf_addf(tried, "%s%s", tried->len ? ", " : "", path);
	while ((rc = s->f->userauth_publickey_fromfile_ex(s->sess, user,
				(unsigned)strlen(user), NULL, path, NULL)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, why) < 0)
			return -1;
	if (rc == 0)
		return 0;
	ssh_fail(s, why, path);
	return -1;
}

/* The authentication methods the server offers, or NULL when the
 * "none" method already let us in. */
static int
auth_list(struct ssh *s, const char *user, char **list, struct derr *e)
{
	long long deadline = ssh_io_deadline(s);

	while ((*list = s->f->userauth_list(s->sess, user,
					    (unsigned)strlen(user))) == NULL) {
		if (s->f->userauth_authenticated(s->sess))
			return 0;
		if (!ssh_again(s))
			return ssh_fail(s, e, "cannot list auth methods");
		if (ssh_wait(s, deadline, e) < 0)
			return -1;
	}
	return 0;
}

/* Authenticate: agent, then key files. */
int
ssh_authenticate(struct ssh *s, const struct ssh_opts *o, const char *user,
		 struct derr *e)
{
	struct strbuf tried = STRBUF_INIT;
	struct derr why = { "" };
	char *list;

	if (auth_list(s, user, &list, e) < 0)
		return -1;
	if (list == NULL)
		return 0;
	if (strstr(list, "publickey") == NULL)
		return derr_set(e, "%s: the server does not take public "
				"keys (only %s)", s->where, list);
	if (try_agent(s, user, &tried) == 0)
		goto ok;
	if (o->identity != NULL) {
		char *path = ssh_expand_home(o->identity);
		int rc = access(path, R_OK) == 0 ?
			try_file(s, user, path, &tried, &why) :
			derr_errno(&why, "key '%s'", path);

		free(path);
		if (rc == 0)
			goto ok;
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_keys); i++) {
		char *path = ssh_expand_home(default_keys[i]);
		int rc = access(path, R_OK) == 0 ?
			try_file(s, user, path, &tried, &why) : -1;

		free(path);
		if (rc == 0)
			goto ok;
	}
	if (tried.len == 0)
		derr_set(e, "%s: no key to log in with (no ssh-agent, no "
			 "\"key\", no ~/.ssh/id_ed25519, id_ecdsa or id_rsa)",
			 s->where);
	else
		derr_set(e, "%s: permission denied (tried %s)%s%s", s->where,
			 tried.buf, why.msg[0] ? "; " : "", why.msg);
	strbuf_release(&tried);
	return -1;
ok:
	strbuf_release(&tried);
	return 0;
}
