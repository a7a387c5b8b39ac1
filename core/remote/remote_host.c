/* remote_host.c: the steps of a deploy on one host */
#include "core/remote/remote_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The current UTC time as 2024-01-02T03:04:05Z. */
static void
utc_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ssh_log_fn: a session's notes as progress lines. */
static void
on_ssh_note(void *arg, const char *msg)
{
	rhost_say(arg, "%s", msg);
}

/* Connect and authenticate. */
int
rstep_connect(struct rhost *h)
{
	const struct remote_plan *p = h->plan;
	const struct eco_target *t = p->t;
	struct ssh_opts so = {
		.host = h->eh->name,
		.port = h->eh->port == 22 && p->cfg.port ? p->cfg.port :
			h->eh->port,
		.user = t->user ? t->user : p->cfg.user,
		.identity = t->key ? t->key : p->cfg.identity,
		.known_hosts = p->cfg.known_hosts,
		.new_host = p->o->accept_new || p->cfg.strict == 0 ?
			SSH_NEW_ACCEPT : SSH_NEW_REFUSE,
		.connect_timeout_ms = p->cfg.connect_timeout_ms,
		.alive_interval = p->cfg.alive_interval,
		.alive_count = p->cfg.alive_count,
		.log = on_ssh_note,
		.log_arg = h,
		.cancel = rhost_cancelled,
		.cancel_arg = h,
	};

	h->t0 = now_ms();
	h->ssh = ssh_connect(&so, &h->err);
	return h->ssh != NULL ? 0 : -1;
}

/* The environment of a hook: the target's env, then ours. */
static void
hook_env(const struct rhost *h, struct eco_env *env)
{
	const struct eco_target *t = h->plan->t;

	memset(env, 0, sizeof *env);
	for (size_t i = 0; i < t->env.n; i++)
		eco_env_set(env, t->env.vars[i].name, t->env.vars[i].value);
	eco_env_set(env, "DEPLOY_TARGET", t->name);
	eco_env_set(env, "DEPLOY_PATH", t->path);
	if (h->release != NULL)
		eco_env_set(env, "DEPLOY_RELEASE", h->release);
	if (h->rev != NULL)
		eco_env_set(env, "DEPLOY_REV", h->rev);
	if (h->previous != NULL)
		eco_env_set(env, "DEPLOY_PREVIOUS", h->previous);
}

/* Run a hook (or exec's command) in dir (NULL: home), output shown. */
int
rhost_hook(struct rhost *h, const char *what, const char *cmd,
	 const char *dir, int *status)
{
	struct eco_env env;
	char *script, *input;
	int rc;

	if (cmd == NULL || *cmd == '\0')
		return 0;
	if (what != NULL)
		rhost_say(h, "%s: %s", what, cmd);
	hook_env(h, &env);
	script = rscript_hook(&env, dir, cmd, &input);
	rc = rhost_exec_in(h, script, input, NULL, status);
	free(script);
	free(input);
	eco_env_free(&env);
	return rc;
}

/* Run a built script (then freed), its stdout into out (may be NULL). */
int
rhost_script(struct rhost *h, char *script, struct strbuf *out)
{
	struct strbuf ignored = STRBUF_INIT;
	int rc = rhost_exec(h, script, out ? out : &ignored, NULL);

	strbuf_release(&ignored);
	free(script);
	return rc;
}

/* P/releases/name; caller frees. */
static char *
rhost_release_dir(const struct rhost *h, const char *name)
{
	return xasprintf("%s/releases/%s", h->plan->t->path, name);
}

/* The post-deploy hook: the file's, or `deploy up --env T --wait`. */
static char *
post_deploy_cmd(const struct rhost *h)
{
	struct strbuf sb = STRBUF_INIT;

	if (h->plan->t->post_deploy != NULL)
		return xstrdup(h->plan->t->post_deploy);
	strbuf_addstr(&sb, "deploy up --env ");
	remote_quote(&sb, h->plan->t->name);
	strbuf_addstr(&sb, " --wait");
	return strbuf_detach(&sb);
}

/* Take in the list script's output: the releases, and "unlocked INFO"
 * lines of a lock --force-unlock removed. */
static void
take_listing(struct rhost *h, const char *out)
{
	const char *p = out;

	remote_listing_clear(&h->list);
	remote_listing_parse(out, &h->list);
	free(h->previous);
	h->previous = h->list.current ? xstrdup(h->list.current) : NULL;
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		if (strncmp(p, "unlocked ", 9) == 0)
			rhost_say(h, "removed the lock of %.*s", (int)n - 9,
				  p + 9);
		p += n + (p[n] == '\n');
	}
}

/* Read the releases and where current points, without the lock. */
int
rstep_inspect(struct rhost *h)
{
	struct strbuf out = STRBUF_INIT;
	int rc = rhost_script(h, rscript_list(h->plan->t->path), &out);

	if (rc == 0)
		take_listing(h, out.buf);
	strbuf_release(&out);
	return rc;
}

/*
 * Take the lock, naming who, when and what (after removing a stale one
 * with --force-unlock), then read the releases: one round trip.
 */
int
rstep_lock(struct rhost *h)
{
	const struct remote_plan *p = h->plan;
	struct strbuf out = STRBUF_INIT;
	char now[32], *force, *lock, *list, *script;
	int rc, st;

	utc_now(now, sizeof now);
	h->lock_info = xasprintf("%s pid=%ld since=%s op=%s ref=%s", p->who,
				 (long)getpid(), now,
				 p->o->op == REMOTE_DEPLOY ? "deploy" :
				 "rollback", p->t->ref);
	force = p->o->force_unlock ? rscript_force_unlock(p->t->path) :
		xstrdup("true");
	lock = rscript_lock(p->t->path, h->lock_info);
	list = rscript_list(p->t->path);
	script = xasprintf("%s; %s && { %s; }", force, lock, list);
	rc = rhost_exec(h, script, &out, &st);
	/* 75: held by another; 78: not set up; -1: unknown. */
	h->locked = st >= 0 && st != RSCRIPT_LOCKED && st != RSCRIPT_NOT_SET_UP;
	if (rc == 0)
		take_listing(h, out.buf);
	strbuf_release(&out);
	free(force);
	free(lock);
	free(list);
	free(script);
	return rc;
}

/* Fetch the repository on the host and read the revision of ref. */
static int
fetch_rev(struct rhost *h)
{
	struct strbuf out = STRBUF_INIT;
	const char *p;
	size_t n;

	rhost_say(h, "fetching %s from %s", h->plan->t->ref,
		  h->plan->t->repo);
	if (rhost_script(h, rscript_fetch(h->plan->t), &out) < 0) {
		strbuf_release(&out);
		return -1;
	}
	p = out.buf + strspn(out.buf, " \n");
	n = strspn(p, "0123456789abcdef");
	if (n < 40 || (p[n] != '\n' && p[n] != '\0')) {
		strbuf_release(&out);
		return derr_set(&h->err, "git printed no revision");
	}
	h->rev = xstrndup(p, n);
	strbuf_release(&out);
	return 0;
}

/* Put the code into a new release directory. */
int
rstep_code(struct rhost *h)
{
	const struct remote_plan *p = h->plan;
	const char *path = p->t->path;
	char *dest, *extract, *link;
	int rc;

	if (p->upload_rev != NULL)
		h->rev = xstrdup(p->upload_rev);
	else if (fetch_rev(h) < 0)
		return -1;
	h->release = remote_release_next(&h->list, p->started, h->rev);
	h->made = true;
	if (p->upload_rev != NULL) {
		dest = rscript_upload_path(path, h->release);
		rhost_say(h, "uploading %s", dest);
		rc = ssh_upload(h->ssh, p->upload_file, dest, 0600, &h->err);
		free(dest);
		if (rc < 0)
			return -1;
		extract = rscript_extract_upload(path, h->release);
	} else {
		extract = rscript_extract_git(path, h->release, h->rev);
	}
	/* The shared links in the same round trip. */
	link = rscript_link(p->t, h->release);
	rc = rhost_script(h, xasprintf("%s && %s", extract, link), NULL);
	free(extract);
	free(link);
	return rc;
}

/* The pre-deploy hook, in the new release. */
int
rstep_pre_deploy(struct rhost *h)
{
	char *dir = rhost_release_dir(h, h->release);
	int rc = rhost_hook(h, "pre-deploy", h->plan->t->pre_deploy, dir,
			    NULL);

	free(dir);
	return rc;
}

/* Point current at name (from release from), logging what; with mark,
 * mark name complete first (in the same round trip). */
int
rhost_switch(struct rhost *h, const char *name, const char *from,
	     const char *what, bool mark)
{
	const char *path = h->plan->t->path;
	char now[32], *line, *sw, *mk;
	int rc;

	utc_now(now, sizeof now);
	line = xasprintf("%s %s %s from=%s by=%s", now, what, name,
			 from ? from : "-", h->plan->who);
	sw = rscript_switch(path, name, line);
	mk = mark ? rscript_mark(path, name, h->rev) : xstrdup("true");
	rc = rhost_script(h, xasprintf("%s && %s", mk, sw), NULL);
	free(line);
	free(sw);
	free(mk);
	if (rc == 0)
		rhost_say(h, "current -> %s", name);
	return rc;
}

/* Switch current to the release; a new one is marked complete first. */
int
rstep_switch(struct rhost *h)
{
	bool deploy = h->plan->o->op == REMOTE_DEPLOY;

	if (deploy)
		rhost_say(h, "release %s ready (%.12s)", h->release, h->rev);
	if (rhost_switch(h, h->release, h->previous,
			 deploy ? "deploy" : "rollback", deploy) < 0)
		return -1;
	h->switched = true;
	return 0;
}

/* The post-deploy hook in the release current now points at. */
int
rhost_post_deploy(struct rhost *h, const char *name)
{
	char *dir = rhost_release_dir(h, name), *cmd = post_deploy_cmd(h);
	int rc = rhost_hook(h, "post-deploy", cmd, dir, NULL);

	free(dir);
	free(cmd);
	return rc;
}

/* The post-deploy hook in the new release. */
int
rstep_post_deploy(struct rhost *h)
{
	return rhost_post_deploy(h, h->release);
}

/* The health gate: the host's URL must answer 2xx in time. */
int
rstep_health(struct rhost *h)
{
	const struct eco_target *t = h->plan->t;
	long long left = h->plan->deadline_ms - now_ms();
	long timeout = t->health_timeout;
	char *url;
	int rc;

	if (t->health == NULL)
		return 0;
	/* Not past --timeout. */
	if (h->plan->deadline_ms > 0 && left < timeout)
		timeout = left > 0 ? (long)left : 1;
	url = remote_health_url(t->health, h->eh->name);
	rhost_say(h, "health check %s%s", url,
		  t->health_from_host ? " (on the host)" : "");
	if (t->health_from_host)
		rc = rhost_script(h, rscript_health(url, timeout), NULL);
	else
		rc = remote_health_wait(url, timeout, &h->err);
	if (rc == 0)
		rhost_say(h, "healthy");
	free(url);
	return rc;
}

/*
 * Remove releases beyond keep_releases and leftovers, and unlock, in
 * one round trip. The listing read under the lock still holds (plus
 * the new release, now the newest). Never fatal.
 */
int
rstep_prune(struct rhost *h)
{
	const char *path = h->plan->t->path;
	struct remote_listing l = h->list;
	char **plan, *rm, *unlock;
	size_t n;

	l.complete = strv_push(strv_dup(h->list.complete), h->release);
	l.current = h->release;
	plan = remote_prune_plan(&l, h->plan->t->keep_releases, NULL);
	strv_free(l.complete);
	n = strv_len(plan);
	rm = n ? rscript_remove(path, plan) : xstrdup("true");
	unlock = rscript_unlock(path, h->lock_info);
	if (rhost_script(h, xasprintf("%s; %s", rm, unlock), NULL) < 0) {
		rhost_say(h, "warning: cannot prune: %s", h->err.msg);
	} else {
		h->locked = false;
		if (n > 0)
			rhost_say(h, "removed %zu old release%s", n,
				  n == 1 ? "" : "s");
	}
	free(rm);
	free(unlock);
	strv_free(plan);
	return 0;
}
