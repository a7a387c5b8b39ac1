/* check_remote_script.c: the scripts run on a host, run here for real by
 * /bin/sh in a directory whose name has a space and a quote */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/remote/remote_int.h"

#define REL "20240102030405-abc1234"
#define INFO "me@here pid=1 since=2024-01-02T03:04:05Z op=deploy ref=x"
#define EVIL "$(touch pwned)'; touch pwned #`touch pwned`"

static char top[64];		/* the temporary directory */
static char *path;		/* top/my app's "dir": the target path */

/* Make the temporary directory and the path inside it. */
static void
setup(void)
{
	snprintf(top, sizeof top, "/tmp/check_rscript.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	path = xasprintf("%s/my app's \"dir\"", top);
	ck_assert_int_eq(chdir(top), 0);
}

/* Remove it all. */
static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", top);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(path);
}

/* Run a script (freed) with /bin/sh; stdout+stderr (caller frees), and
 * the exit status in *st. */
static char *
run(char *script, int *st)
{
	struct strbuf out = STRBUF_INIT;
	char *cmd = xasprintf("exec 2>&1; %s", script), buf[4096];
	FILE *p = popen(cmd, "r");
	size_t n;
	int w;

	ck_assert_ptr_nonnull(p);
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		strbuf_add(&out, buf, n);
	w = pclose(p);
	*st = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
	free(cmd);
	free(script);
	return strbuf_detach(&out);
}

/* Run a script that must succeed. */
static void
ok(char *script)
{
	int st;
	char *out = run(script, &st);

	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	free(out);
}

/* path/rel; caller frees. */
static char *
at(const char *rel)
{
	return xasprintf("%s/%s", path, rel);
}

/* path/rel quoted for the shell; caller frees. */
static char *
q(const char *rel)
{
	struct strbuf sb = STRBUF_INIT;
	char *p = at(rel);

	remote_quote(&sb, p);
	free(p);
	return strbuf_detach(&sb);
}

/* Run "before PATH/REL after" (quoted); it must succeed. */
static void
ok_at(const char *before, const char *rel, const char *after)
{
	char *p = q(rel);

	ok(xasprintf("%s%s%s", before, p, after));
	free(p);
}

/* True when path/rel exists. */
static bool
exists(const char *rel)
{
	char *p = at(rel);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* What the link path/rel points to ("" when none); caller frees. */
static char *
link_of(const char *rel)
{
	char *p = at(rel), buf[512];
	ssize_t n = readlink(p, buf, sizeof buf - 1);

	free(p);
	buf[n > 0 ? n : 0] = '\0';
	return xstrdup(buf);
}

/* A target like the file would give, with shared dirs and a file. */
static void
target(struct eco_target *t, char **dirs, char **files)
{
	memset(t, 0, sizeof *t);
	t->name = (char *)"prod";
	t->path = path;
	t->ref = (char *)"origin/main";
	t->repo = (char *)"/nonexistent.git";
	t->shared_dirs = dirs;
	t->shared_files = files;
	t->upload = true;
}

START_TEST(test_not_set_up)
{
	int st;
	char *out = run(rscript_list(path), &st);

	ck_assert_int_eq(st, 78);
	ck_assert_ptr_nonnull(strstr(out, "not set up"));
	free(out);
	out = run(rscript_lock(path, INFO), &st);
	ck_assert_int_eq(st, 78);
	free(out);
}
END_TEST

START_TEST(test_setup_lock)
{
	char *dirs[] = { (char *)"logs", (char *)"public/up loads", NULL };
	char *files[] = { (char *)"config/.env", NULL };
	struct eco_target t;
	char *out;
	int st;

	target(&t, dirs, files);
	ok(rscript_setup(&t));
	ok(rscript_setup(&t));		/* again: nothing changes */
	ck_assert(exists("releases") && exists("shared/logs"));
	ck_assert(exists("shared/public/up loads") && exists("shared/config"));
	ck_assert(!exists("repo"));	/* upload mode */
	ok(rscript_lock(path, INFO));
	out = run(rscript_lock(path, "other"), &st);
	ck_assert_int_eq(st, 75);
	ck_assert_str_eq(out, "locked by: " INFO "\n");
	free(out);
	ok(rscript_unlock(path, "not mine"));
	ck_assert(exists(".deploy-lock"));
	ok(rscript_unlock(path, INFO));
	ck_assert(!exists(".deploy-lock"));
	ok(rscript_lock(path, "stale"));
	out = run(rscript_force_unlock(path), &st);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "unlocked stale\n");
	free(out);
	ck_assert(!exists(".deploy-lock"));
	out = run(rscript_force_unlock(path), &st);	/* none: quiet */
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(test_release_cycle)
{
	char *dirs[] = { (char *)"logs", (char *)"public/up loads", NULL };
	char *files[] = { (char *)"config/.env", NULL };
	char *names[] = { (char *)REL, NULL };
	struct eco_target t;
	struct remote_listing l;
	struct strbuf sb = STRBUF_INIT;
	char *out, *s, *log;
	int st;

	target(&t, dirs, files);
	ok(rscript_setup(&t));
	ok_at("mkdir -p ", "releases/" REL "/logs", "");
	out = run(rscript_link(&t, REL), &st);
	ck_assert_int_eq(st, 1);
	ck_assert_str_eq(out, "missing shared file: config/.env\n");
	free(out);
	ok_at("echo secret > ", "shared/config/.env", "");
	ok(rscript_link(&t, REL));
	s = link_of("releases/" REL "/logs");
	ck_assert_str_eq(s, "../../shared/logs");
	free(s);
	s = link_of("releases/" REL "/public/up loads");
	ck_assert_str_eq(s, "../../../shared/public/up loads");
	free(s);
	ck_assert(exists("releases/" REL "/config/.env"));	/* resolves */

	out = run(rscript_switch(path, REL, "log"), &st);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(out, "not a complete release"));
	free(out);
	ck_assert(!exists("current"));
	ok(rscript_mark(path, REL, "abc1234ffff"));
	ok(rscript_switch(path, REL, "it's " EVIL));
	s = link_of("current");
	ck_assert_str_eq(s, "releases/" REL);
	free(s);
	ck_assert_ptr_nonnull(log = at("revisions.log"));
	ck_assert_int_eq(strbuf_read_file(&sb, log, 4096), 0);
	ck_assert_str_eq(sb.buf, "it's " EVIL "\n");
	strbuf_release(&sb);
	free(log);
	ck_assert(!exists("pwned") && access("pwned", F_OK) != 0);

	out = run(rscript_list(path), &st);
	ck_assert_int_eq(st, 0);
	remote_listing_parse(out, &l);
	ck_assert_str_eq(l.complete[0], REL);
	ck_assert_str_eq(l.current, REL);
	remote_listing_clear(&l);
	free(out);

	ok(rscript_remove(path, names));
	ck_assert(!exists("releases/" REL));
}
END_TEST

/* Run a hook script with its input on stdin (through a file). */
static char *
run_hook(char *script, const char *input, int *st)
{
	char *file = at(".hook-input"), *quoted = q(".hook-input"), *out;
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	fputs(input, f);
	fclose(f);
	out = run(xasprintf("exec <%s; %s", quoted, script), st);
	unlink(file);
	free(file);
	free(quoted);
	free(script);
	return out;
}

START_TEST(test_hook_env)
{
	struct eco_env env = { 0 };
	char *out, *dir, *script, *input;
	int st;

	setenv("HOME", top, 1);
	eco_env_set(&env, "EVIL", EVIL);
	eco_env_set(&env, "SECRET", "hunter2");
	eco_env_set(&env, "bad name", "x");	/* never emitted */
	ok_at("mkdir -p ", "rel", "");
	dir = at("rel");
	script = rscript_hook(&env, dir, "printf '[%s]' \"$EVIL\"; pwd -P",
			      &input);
	/* Values go on stdin, never on the command line (ps). */
	ck_assert_ptr_null(strstr(script, "hunter2"));
	ck_assert_ptr_nonnull(strstr(input, "hunter2"));
	out = run_hook(script, input, &st);
	free(input);
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "[" EVIL "]") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "/my app's \"dir\"/rel\n"));
	ck_assert(access("pwned", F_OK) != 0);
	free(out);
	script = rscript_hook(&env, dir, "echo oops >&2; exit 7", &input);
	out = run_hook(script, input, &st);
	free(input);
	ck_assert_int_eq(st, 7);
	free(out);
	free(dir);
	eco_env_free(&env);
}
END_TEST

START_TEST(test_git_fetch)
{
	struct eco_target t;
	char *dirs[] = { NULL }, *out, *src, *rev;
	int st;

	src = xasprintf("%s/src", top);
	ok(xasprintf("git init -q -b main '%s' && cd '%s' && echo hi > f && "
		     "git add f && git -c user.name=t -c user.email=t@t "
		     "commit -q -m one && git rev-parse HEAD", src, src));
	out = run(xasprintf("git -C '%s' rev-parse HEAD", src), &st);
	rev = xstrndup(out, 40);
	free(out);
	target(&t, dirs, dirs);
	t.upload = false;
	t.repo = src;
	ok(rscript_setup(&t));
	ck_assert(exists("repo/HEAD"));
	out = run(rscript_fetch(&t), &st);
	ck_assert_msg(st == 0, "%s", out);
	/* origin/main resolved; the revision and a newline */
	ck_assert_int_eq(strncmp(out, rev, 40), 0);
	ck_assert_str_eq(out + 40, "\n");
	free(out);
	t.ref = (char *)"main";		/* no origin/ prefix: also found */
	out = run(rscript_fetch(&t), &st);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(strncmp(out, rev, 40), 0);
	free(out);
	t.ref = (char *)"nosuch";
	out = run(rscript_fetch(&t), &st);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(out, "no such ref: nosuch"));
	free(out);
	ok(rscript_extract_git(path, REL, rev));
	ck_assert(exists("releases/" REL "/f"));
	ck_assert(!exists("releases/." REL ".tar"));
	out = run(rscript_extract_git(path, REL, rev), &st);
	ck_assert_int_ne(st, 0);	/* never over an existing one */
	free(out);
	free(rev);
	free(src);
}
END_TEST

START_TEST(test_upload_path)
{
	char *p = rscript_upload_path("~/app", REL);

	ck_assert_str_eq(p, "app/releases/." REL ".tar.gz");
	free(p);
	p = rscript_upload_path("/srv/app", REL);
	ck_assert_str_eq(p, "/srv/app/releases/." REL ".tar.gz");
	free(p);
}
END_TEST

/* The remote script suite. */
static Suite *
script_suite(void)
{
	Suite *s = suite_create("remote_script");
	TCase *tc = tcase_create("remote_script");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_not_set_up);
	tcase_add_test(tc, test_setup_lock);
	tcase_add_test(tc, test_release_cycle);
	tcase_add_test(tc, test_hook_env);
	tcase_add_test(tc, test_git_fetch);
	tcase_add_test(tc, test_upload_path);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(script_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
