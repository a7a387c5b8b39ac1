/* ssh_known.c: host keys checked against (and added to) known_hosts */
#include "core/remote/ssh_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/fileio.h"
#include "core/lib/strbuf.h"

/* One host key type: libssh2's two codes and the SSH algorithms. */
static const struct key_type {
	int hostkey;		/* LIBSSH2_HOSTKEY_TYPE_* */
	int known;		/* LIBSSH2_KNOWNHOST_KEY_* */
	const char *name;
	const char *algorithms;	/* to offer in the handshake */
} key_types[] = {
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519,
	  "ssh-ed25519", "ssh-ed25519" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
	  "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
	  "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
	  "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521" },
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA,
	  "ssh-rsa", "rsa-sha2-512,rsa-sha2-256,ssh-rsa" },
};

/* Serialises appends to known_hosts between sessions of one process. */
static pthread_mutex_t append_lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry of key_types for a libssh2 host key type, or NULL. */
static const struct key_type *
key_type(int hostkey)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++)
		if (key_types[i].hostkey == hostkey)
			return &key_types[i];
	return NULL;
}

/* The SSH name of a libssh2 host key type. */
const char *
ssh_key_type_name(int keytype)
{
	const struct key_type *k = key_type(keytype);

	return k != NULL ? k->name : NULL;
}

/* "host" on port 22, else "[host]:port"; caller frees. */
char *
ssh_known_name(const char *host, int port)
{
	if (port == 0 || port == 22)
		return xstrdup(host);
	return xasprintf("[%s]:%d", host, port);
}

/* A collection of known hosts with the session that owns it. */
struct known {
	const struct ssh_fns *f;
	LIBSSH2_SESSION *sess;
	LIBSSH2_KNOWNHOSTS *kh;
};

/* Free what k holds. */
static void
known_close(struct known *k)
{
	if (k->kh != NULL)
		k->f->knownhost_free(k->kh);
	if (k->sess != NULL)
		k->f->session_free(k->sess);
}

/* True for lines libssh2 should not see: markers, comments, blanks. */
static bool
skip_line(const char *line)
{
	line += strspn(line, " \t");
	return *line == '@' || *line == '#' || *line == '\n' || *line == '\0';
}

/* Load file (missing: empty) into a new collection, line by line. */
static int
known_open(struct known *k, const char *file, struct derr *e)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;

	memset(k, 0, sizeof *k);
	k->f = ssh_dl(e);
	if (k->f == NULL)
		return -1;
	/* A session that never connects: knownhost wants one for memory
	 * and errors. */
	k->sess = k->f->session_init_ex(NULL, NULL, NULL, NULL);
	if (k->sess != NULL)
		k->kh = k->f->knownhost_init(k->sess);
	if (k->kh == NULL) {
		known_close(k);
		return derr_set(e, "cannot set up known hosts: out of memory");
	}
	fp = fopen(file, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		known_close(k);
		return derr_errno(e, "cannot read '%s'", file);
	}
	/* One bad line must not hide the rest, so no readfile. */
	while (getline(&line, &cap, fp) > 0)
		if (!skip_line(line))
			k->f->knownhost_readline(k->kh, line, strlen(line),
					LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	free(line);
	fclose(fp);
	return 0;
}

/* The fingerprint of a recorded entry's base64 key, or "?". */
static char *
entry_fingerprint(const struct libssh2_knownhost *entry)
{
	unsigned char *blob;
	size_t n;
	char *fp;

	if (entry == NULL || entry->key == NULL ||
	    ssh_base64_decode(entry->key, &blob, &n) < 0)
		return xstrdup("?");
	fp = ssh_fingerprint(blob, n);
	free(blob);
	return fp;
}

/* Look the key up. */
int
ssh_known_check(const char *file, const char *host, int port,
		const unsigned char *key, size_t keylen, int keytype,
		enum ssh_known *out, char **known_fp, struct derr *e)
{
	const struct key_type *t = key_type(keytype);
	struct libssh2_knownhost *entry = NULL;
	struct known k;
	char *name;
	int rc;

	if (t == NULL)
		return derr_set(e, "unsupported host key type %d", keytype);
	if (known_open(&k, file, e) < 0)
		return -1;
	name = ssh_known_name(host, port);
	rc = k.f->knownhost_check(k.kh, name, (const char *)key, keylen,
				  LIBSSH2_KNOWNHOST_TYPE_PLAIN |
				  LIBSSH2_KNOWNHOST_KEYENC_RAW | t->known,
				  &entry);
	free(name);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		*out = SSH_KNOWN_MATCH;
	else if (rc == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND)
		*out = SSH_KNOWN_NEW;
	else if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		*out = SSH_KNOWN_CHANGED;
		if (known_fp != NULL)
			*known_fp = entry_fingerprint(entry);
	} else {
		known_close(&k);
		return derr_set(e, "cannot check '%s' for %s", file, host);
	}
	known_close(&k);
	return 0;
}

/* Make the directory of file (0700) when it is missing. */
static int
ensure_dir(const char *file, struct derr *e)
{
	char *dir = path_dirname(file);
	int rc = 0;

	if (!path_exists(dir))
		rc = mkdir_p(dir, 0700, e);
	free(dir);
	return rc;
}

/* Append text to file, after a newline if its last line lacks one. */
static int
append_line(const char *file, const char *text, struct derr *e)
{
	int fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	struct strbuf sb = STRBUF_INIT;
	char last = '\n';
	int rc = 0;

	if (fd < 0)
		return derr_errno(e, "cannot open '%s'", file);
	if (lseek(fd, -1, SEEK_END) >= 0 && read(fd, &last, 1) != 1)
		last = '\n';
	if (last != '\n')
		strbuf_addch(&sb, '\n');
	strbuf_addstr(&sb, text);
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len)
		rc = derr_errno(e, "cannot write '%s'", file);
	if (close(fd) < 0 && rc == 0)
		rc = derr_errno(e, "cannot write '%s'", file);
	strbuf_release(&sb);
	return rc;
}

/* Record the key for host:port. */
int
ssh_known_add(const char *file, const char *host, int port,
	      const unsigned char *key, size_t keylen, int keytype,
	      struct derr *e)
{
	const struct key_type *t = key_type(keytype);
	struct libssh2_knownhost *entry = NULL;
	char line[16384];
	size_t len = 0;
	struct known k;
	char *name;
	int rc;

	if (t == NULL)
		return derr_set(e, "unsupported host key type %d", keytype);
	if (known_open(&k, "/dev/null", e) < 0)
		return -1;
	name = ssh_known_name(host, port);
	rc = k.f->knownhost_addc(k.kh, name, NULL, (const char *)key, keylen,
				 NULL, 0, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
				 LIBSSH2_KNOWNHOST_KEYENC_RAW | t->known,
				 &entry);
	free(name);
	if (rc == 0)
		rc = k.f->knownhost_writeline(k.kh, entry, line, sizeof line,
					      &len,
					      LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	known_close(&k);
	if (rc != 0)
		return derr_set(e, "cannot make a known_hosts line for %s",
				host);
	pthread_mutex_lock(&append_lock);
	rc = ensure_dir(file, e);
	if (rc == 0)
		rc = append_line(file, line, e);
	pthread_mutex_unlock(&append_lock);
	return rc;
}

/* The algorithms to offer, recorded key types first. */
char *
ssh_known_algorithms(const char *file, const char *host, int port,
		     int *known_types)
{
	struct strbuf known = STRBUF_INIT, rest = STRBUF_INIT;
	struct known k;
	char *name;

	if (known_types != NULL)
		*known_types = 0;
	if (known_open(&k, file, NULL) < 0)
		k.kh = NULL;
	name = ssh_known_name(host, port);
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		/* A key that is never recorded: a hit means "changed",
		 * i.e. a key of this type is on file. */
		int rc = k.kh == NULL ? LIBSSH2_KNOWNHOST_CHECK_NOTFOUND :
			k.f->knownhost_check(k.kh, name, "AAAA", 4,
					     LIBSSH2_KNOWNHOST_TYPE_PLAIN |
					     LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
					     key_types[i].known, NULL);
		struct strbuf *sb = rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ?
			&known : &rest;

		strbuf_addf(sb, "%s%s", sb->len ? "," : "",
			    key_types[i].algorithms);
		if (known_types != NULL && sb == &known)
			(*known_types)++;
	}
	free(name);
	if (k.kh != NULL)
		known_close(&k);
	if (known.len > 0 && rest.len > 0)
		strbuf_addch(&known, ',');
	strbuf_addstr(&known, rest.buf);
	strbuf_release(&rest);
	return strbuf_detach(&known);
}
