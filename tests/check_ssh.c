/* check_ssh.c: SHA-256, base64, fingerprints, ssh_options, known_hosts */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/remote/ssh.h"
#include "core/lib/ssh_dl.h"
#include "core/remote/ssh_int.h"

/* Two real ed25519 public keys and their `ssh-keygen -l` fingerprints. */
#define KEY_K "AAAAC3NzaC1lZDI1NTE5AAAAIOR93+rqkDPR2ZaSDciGotpYjgDZWt0cnHJ/" \
	"TBWKe7gM"
#define FP_K "SHA256:wab0WSVbC8OR8Gm+kIEPYNlH/SomSGqsoY/mqzaB66o"
#define KEY_Y "AAAAC3NzaC1lZDI1NTE5AAAAIEnZ8Bfx5r3N1HSReQLSggGI8d0mf2T7orql" \
	"75EtDstS"
#define FP_Y "SHA256:COVi5PwDv9Ju80EQiaIzdZ8fmsCPfQv4MBr8Hw2cxl8"
#define ED25519 LIBSSH2_HOSTKEY_TYPE_ED25519

/* SHA-256 test vectors (FIPS 180-2 examples and edge lengths). */
static const struct sha_row {
	const char *in, *hex;
} sha_rows[] = {
	{ "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	/* 55, 56 and 64 bytes: the padding edges */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
};

START_TEST(test_sha256)
{
	const struct sha_row *r = &sha_rows[_i];
	unsigned char md[32];
	char hex[65];

	ssh_sha256(r->in, strlen(r->in), md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(hex, r->hex);
}
END_TEST

START_TEST(test_sha256_million)
{
	size_t n = 1000000;
	char *a = malloc(n);
	unsigned char md[32];
	char hex[65];

	memset(a, 'a', n);
	ssh_sha256(a, n, md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			 "f1809a48a497200e046d39ccc7112cd0");
	free(a);
}
END_TEST

/* base64 with and without padding (RFC 4648 vectors). */
static const struct b64_row {
	const char *in, *padded, *bare;
} b64_rows[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

START_TEST(test_base64)
{
	const struct b64_row *r = &b64_rows[_i];
	const unsigned char *in = (const unsigned char *)r->in;
	char *p = ssh_base64_encode(in, strlen(r->in), true);
	char *b = ssh_base64_encode(in, strlen(r->in), false);
	unsigned char *dec;
	size_t n;

	ck_assert_str_eq(p, r->padded);
	ck_assert_str_eq(b, r->bare);
	ck_assert_int_eq(ssh_base64_decode(p, &dec, &n), 0);
	ck_assert_uint_eq(n, strlen(r->in));
	ck_assert(memcmp(dec, r->in, n) == 0);
	free(dec);
	ck_assert_int_eq(ssh_base64_decode(b, &dec, &n), 0);
	ck_assert_uint_eq(n, strlen(r->in));
	free(dec);
	free(p);
	free(b);
}
END_TEST

START_TEST(test_base64_bad)
{
	unsigned char *dec;
	size_t n;

	ck_assert_int_eq(ssh_base64_decode("Zm9v!", &dec, &n), -1);
	ck_assert_int_eq(ssh_base64_decode("Zm 9v", &dec, &n), -1);
}
END_TEST

/* The fingerprints ssh-keygen -l prints for the two keys. */
static const struct fp_row {
	const char *key, *fp;
} fp_rows[] = {
	{ KEY_K, FP_K },
	{ KEY_Y, FP_Y },
};

START_TEST(test_fingerprint)
{
	unsigned char *blob;
	size_t n;
	char *fp;

	ck_assert_int_eq(ssh_base64_decode(fp_rows[_i].key, &blob, &n), 0);
	fp = ssh_fingerprint(blob, n);
	ck_assert_str_eq(fp, fp_rows[_i].fp);
	free(fp);
	free(blob);
}
END_TEST

/* ssh_options: what each form sets, or the error it gives. */
static const struct opt_row {
	const char *opt;
	const char *known, *identity, *user;
	int port, strict;
	long connect_ms;
	int alive, count;
	const char *warning;	/* substring of the only warning */
	const char *error;	/* substring of the error */
} opt_rows[] = {
	{ "StrictHostKeyChecking=no", .strict = 0 },
	{ "StrictHostKeyChecking yes", .strict = 1 },
	{ "-o StrictHostKeyChecking=accept-new", .strict = 0 },
	{ "-ostricthostkeychecking=ask", .strict = 1 },
	{ "StrictHostKeyChecking=maybe", .strict = -1,
	  .error = "expected yes, no or accept-new" },
	{ "UserKnownHostsFile=/k/h /other", .known = "/k/h", .strict = -1 },
	{ "UserKnownHostsFile = ~/kh", .known = "/home/t/kh", .strict = -1 },
	{ "UserKnownHostsFile=\"/a b/kh\" /other", .known = "/a b/kh",
	  .strict = -1 },
	{ "IdentityFile '~/my keys/k'", .identity = "/home/t/my keys/k",
	  .strict = -1 },
	{ "IdentityFile=~/.ssh/deploy", .identity = "/home/t/.ssh/deploy",
	  .strict = -1 },
	{ "Port=2222", .port = 2222, .strict = -1 },
	{ "Port=0", .strict = -1, .error = "Port: expected 1-65535" },
	{ "Port=22x", .strict = -1, .error = "Port: expected" },
	{ "User deployer", .user = "deployer", .strict = -1 },
	{ "ConnectTimeout=7", .connect_ms = 7000, .strict = -1 },
	{ "ServerAliveInterval=5", .alive = 5, .strict = -1 },
	{ "ServerAliveCountMax=2", .count = 2, .strict = -1 },
	{ "ServerAliveCountMax=-2", .strict = -1, .error = "a number from" },
	{ "Compression=yes", .strict = -1,
	  .warning = "'Compression' is not used by deploy, ignored" },
	{ "=yes", .strict = -1, .error = "expected \"Key=Value\"" },
	{ "Lonely", .strict = -1, .error = "expected \"Key=Value\"" },
};

/* "" for NULL, for comparisons. */
static const char *
nz(const char *s)
{
	return s ? s : "";
}

START_TEST(test_ssh_options)
{
	const struct opt_row *r = &opt_rows[_i];
	char *opts[] = { (char *)r->opt, NULL };
	struct ssh_config c;
	struct derr e = { "" };
	int rc;

	setenv("HOME", "/home/t", 1);
	rc = ssh_config_parse(opts, &c, &e);
	if (r->error != NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(e.msg, r->error) != NULL, "%s", e.msg);
		return;
	}
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_str_eq(nz(c.known_hosts), nz(r->known));
	ck_assert_str_eq(nz(c.identity), nz(r->identity));
	ck_assert_str_eq(nz(c.user), nz(r->user));
	ck_assert_int_eq(c.port, r->port);
	ck_assert_int_eq(c.strict, r->strict);
	ck_assert_int_eq(c.connect_timeout_ms, r->connect_ms);
	ck_assert_int_eq(c.alive_interval, r->alive);
	ck_assert_int_eq(c.alive_count, r->count);
	if (r->warning != NULL) {
		ck_assert_ptr_nonnull(c.warnings[0]);
		ck_assert_ptr_nonnull(strstr(c.warnings[0], r->warning));
	} else {
		ck_assert_ptr_null(c.warnings[0]);
	}
	ssh_config_clear(&c);
}
END_TEST

/* known_hosts names: OpenSSH writes "[host]:port" off port 22. */
static const struct name_row {
	const char *host;
	int port;
	const char *name;
} name_rows[] = {
	{ "example.org", 22, "example.org" },
	{ "example.org", 0, "example.org" },
	{ "example.org", 2222, "[example.org]:2222" },
	{ "::1", 2200, "[::1]:2200" },
};

START_TEST(test_known_name)
{
	char *n = ssh_known_name(name_rows[_i].host, name_rows[_i].port);

	ck_assert_str_eq(n, name_rows[_i].name);
	free(n);
}
END_TEST

/*
 * A known_hosts file: comments, markers and bad lines around hashed
 * entries (ssh-keygen -H of "[example.org]:2222" and "plain.example",
 * both key K), a [host]:port line and a comma list.
 */
static const char known_text[] =
	"# a comment\n"
	"@cert-authority *.example.com ssh-ed25519 " KEY_Y "\n"
	"x y\n"
	"|1|SXm7n/Ap/84GVgwHUJ/rgfZN2Nk=|Vy5jycZVzGxp/aOq1lhkUol97Xw= "
	"ssh-ed25519 " KEY_K "\n"
	"|1|bbXAPYl0Eo7M2MSZgRANyAyFS5k=|ExSzxMLBq8AlpjLVMggr/668lv0= "
	"ssh-ed25519 " KEY_K "\n"
	"[plain2.example]:2200 ssh-ed25519 " KEY_K "\n"
	"plain3.example,other.example ssh-ed25519 " KEY_K " comment\n"
	"rsa.example ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7xyz\n";

static const struct known_row {
	const char *host;
	int port;
	const char *key;
	enum ssh_known want;
} known_rows[] = {
	{ "example.org", 2222, KEY_K, SSH_KNOWN_MATCH },	/* hashed */
	{ "example.org", 2222, KEY_Y, SSH_KNOWN_CHANGED },
	{ "example.org", 22, KEY_K, SSH_KNOWN_NEW },	/* port matters */
	{ "plain.example", 22, KEY_K, SSH_KNOWN_MATCH },
	{ "plain.example", 2222, KEY_K, SSH_KNOWN_NEW },
	{ "plain2.example", 2200, KEY_K, SSH_KNOWN_MATCH },
	{ "plain2.example", 2200, KEY_Y, SSH_KNOWN_CHANGED },
	{ "other.example", 22, KEY_Y, SSH_KNOWN_CHANGED },
	{ "plain3.example", 22, KEY_K, SSH_KNOWN_MATCH },
	{ "foo.example.com", 22, KEY_Y, SSH_KNOWN_NEW },	/* marker */
	{ "rsa.example", 22, KEY_K, SSH_KNOWN_NEW },	/* other type */
	{ "unknown.example", 22, KEY_K, SSH_KNOWN_NEW },
};

/* Write text to a new temporary file; its path (caller frees). */
static char *
temp_with(const char *text)
{
	char *path = strdup("/tmp/check_ssh.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

/* Check host:port with a base64 key against file. */
static enum ssh_known
check_b64(const char *file, const char *host, int port, const char *key,
	  char **fp)
{
	unsigned char *blob;
	enum ssh_known res = SSH_KNOWN_NEW;
	struct derr e = { "" };
	size_t n;
	int rc;

	ck_assert_int_eq(ssh_base64_decode(key, &blob, &n), 0);
	rc = ssh_known_check(file, host, port, blob, n, ED25519, &res, fp,
			     &e);
	ck_assert_msg(rc == 0, "%s", e.msg);
	free(blob);
	return res;
}

START_TEST(test_known_check)
{
	const struct known_row *r = &known_rows[_i];
	char *file = temp_with(known_text), *fp = NULL;

	ck_assert_int_eq(check_b64(file, r->host, r->port, r->key, &fp),
			 r->want);
	if (r->want == SSH_KNOWN_CHANGED)
		ck_assert_str_eq(fp, FP_K);	/* the one on file */
	else
		ck_assert_ptr_null(fp);
	free(fp);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(test_known_missing_file)
{
	ck_assert_int_eq(check_b64("/nonexistent/known_hosts", "a.example",
				   22, KEY_K, NULL), SSH_KNOWN_NEW);
}
END_TEST

START_TEST(test_known_add)
{
	/* No newline at the end: the new line must not join it. */
	char *file = temp_with("plain2.example ssh-ed25519 " KEY_Y);
	unsigned char *blob;
	struct derr e = { "" };
	char buf[1024];
	size_t n;
	FILE *f;

	ck_assert_int_eq(ssh_base64_decode(KEY_K, &blob, &n), 0);
	ck_assert_int_eq(ssh_known_add(file, "new.example", 2022, blob, n,
				       ED25519, &e), 0);
	ck_assert_int_eq(check_b64(file, "new.example", 2022, KEY_K, NULL),
			 SSH_KNOWN_MATCH);
	ck_assert_int_eq(check_b64(file, "plain2.example", 22, KEY_Y, NULL),
			 SSH_KNOWN_MATCH);
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	ck_assert_str_eq(buf, "[new.example]:2022 ssh-ed25519 " KEY_K "\n");
	fclose(f);
	free(blob);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(test_known_add_creates)
{
	char dir[] = "/tmp/check_ssh_dir.XXXXXX";
	unsigned char *blob;
	struct derr e = { "" };
	char *file;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	file = malloc(strlen(dir) + 32);
	sprintf(file, "%s/sub/known_hosts", dir);
	ck_assert_int_eq(ssh_base64_decode(KEY_K, &blob, &n), 0);
	ck_assert_int_eq(ssh_known_add(file, "hhh", 22, blob, n, ED25519,
				       &e), 0);
	ck_assert_int_eq(check_b64(file, "hhh", 22, KEY_K, NULL),
			 SSH_KNOWN_MATCH);
	ck_assert_int_eq(access(file, R_OK), 0);
	unlink(file);
	sprintf(file, "%s/sub", dir);
	rmdir(file);
	rmdir(dir);
	free(file);
	free(blob);
}
END_TEST

/* The algorithms offered: key types on file for the host first. */
static const struct alg_row {
	const char *host;
	int port;
	const char *prefix;
	int known;		/* key types on file for it */
} alg_rows[] = {
	{ "example.org", 2222, "ssh-ed25519,ecdsa-sha2-nistp256,", 1 },
	{ "rsa.example", 22,
	  "rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-ed25519,", 1 },
	{ "unknown.example", 22, "ssh-ed25519,ecdsa-sha2-nistp256,", 0 },
};

START_TEST(test_known_algorithms)
{
	char *file = temp_with(known_text);
	int known = -1;
	char *a = ssh_known_algorithms(file, alg_rows[_i].host,
				       alg_rows[_i].port, &known);

	ck_assert_msg(strncmp(a, alg_rows[_i].prefix,
			      strlen(alg_rows[_i].prefix)) == 0, "%s", a);
	ck_assert_int_eq(known, alg_rows[_i].known);
	/* every algorithm once */
	ck_assert_ptr_nonnull(strstr(a, "ssh-rsa"));
	ck_assert_ptr_null(strstr(strstr(a, "ssh-ed25519") + 1,
				  "ssh-ed25519"));
	free(a);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(test_dl_missing)
{
	struct ssh_fns f;
	struct derr e = { "" };

	ck_assert_ptr_null(ssh_dl_open("libnosuch-deploy.so.1", &f, &e));
	ck_assert_ptr_nonnull(strstr(e.msg,
				     "cannot load libnosuch-deploy.so.1: "));
	ck_assert_ptr_nonnull(ssh_dl(&e));
}
END_TEST

START_TEST(test_connect_refused)
{
	struct ssh_opts o = { .host = "127.0.0.1", .port = 1,
			      .known_hosts = "/dev/null",
			      .connect_timeout_ms = 2000 };
	struct derr e = { "" };

	ck_assert_ptr_null(ssh_connect(&o, &e));
	ck_assert_msg(strstr(e.msg, "cannot connect to 127.0.0.1 port 1: "
			     "Connection refused") != NULL, "%s", e.msg);
}
END_TEST

/* A listener that never answers: connect works, the banner never
 * comes. Its fd; *port gets its port. */
static int
silent_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

START_TEST(test_handshake_timeout)
{
	struct ssh_opts o = { .host = "127.0.0.1", .known_hosts = "/dev/null",
			      .io_timeout_ms = 300 };
	struct derr e = { "" };
	int fd = silent_listener(&o.port);

	ck_assert_ptr_null(ssh_connect(&o, &e));
	ck_assert_msg(strstr(e.msg, "timed out") != NULL, "%s", e.msg);
	close(fd);
}
END_TEST

START_TEST(test_handshake_connect_timeout)
{
	/* ConnectTimeout bounds the handshake too, not only TCP (the I/O
	 * timeout is the default 30 s here). */
	struct ssh_opts o = { .host = "127.0.0.1", .known_hosts = "/dev/null",
			      .connect_timeout_ms = 300 };
	struct derr e = { "" };
	int fd = silent_listener(&o.port);
	long long t0 = now_ms();

	ck_assert_ptr_null(ssh_connect(&o, &e));
	ck_assert_msg(strstr(e.msg, "timed out") != NULL, "%s", e.msg);
	ck_assert_int_lt(now_ms() - t0, 2000);
	close(fd);
}
END_TEST

/* ssh_opts.cancel that always says stop. */
static bool
always(void *arg)
{
	(void)arg;
	return true;
}

START_TEST(test_cancel)
{
	struct ssh_opts o = { .host = "127.0.0.1", .known_hosts = "/dev/null",
			      .cancel = always };
	struct derr e = { "" };
	int fd = silent_listener(&o.port);
	long long t0 = now_ms();

	ck_assert_ptr_null(ssh_connect(&o, &e));
	ck_assert_str_eq(e.msg, "cancelled");
	ck_assert_int_lt(now_ms() - t0, 1000);
	close(fd);
}
END_TEST

/* The ssh suite. */
static Suite *
ssh_suite(void)
{
	Suite *s = suite_create("ssh");
	TCase *tc = tcase_create("ssh");

	tcase_add_loop_test(tc, test_sha256, 0, ARRAY_SIZE(sha_rows));
	tcase_add_test(tc, test_sha256_million);
	tcase_add_loop_test(tc, test_base64, 0, ARRAY_SIZE(b64_rows));
	tcase_add_test(tc, test_base64_bad);
	tcase_add_loop_test(tc, test_fingerprint, 0, ARRAY_SIZE(fp_rows));
	tcase_add_loop_test(tc, test_ssh_options, 0, ARRAY_SIZE(opt_rows));
	tcase_add_loop_test(tc, test_known_name, 0, ARRAY_SIZE(name_rows));
	tcase_add_loop_test(tc, test_known_check, 0, ARRAY_SIZE(known_rows));
	tcase_add_test(tc, test_known_missing_file);
	tcase_add_test(tc, test_known_add);
	tcase_add_test(tc, test_known_add_creates);
	tcase_add_loop_test(tc, test_known_algorithms, 0,
			    ARRAY_SIZE(alg_rows));
	tcase_add_test(tc, test_dl_missing);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_handshake_connect_timeout);
	tcase_add_test(tc, test_cancel);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(ssh_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
