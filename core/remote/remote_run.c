/* remote_run.c: every host of a target, in parallel batches of threads */
#include "core/remote/remote_int.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/curl_dl.h"
#include "core/lib/ssh_dl.h"

/* SSH sessions at work at once unless told (as pssh). */
#define REMOTE_WORKERS 32

/* Refuse values that quoting alone cannot make safe or sensible. */
static int
check_values(const struct eco_target *t, struct derr *e)
{
	for (size_t i = 0; i < t->env.n; i++)
		if (!remote_env_name_ok(t->env.vars[i].name))
			return derr_set(e, "deploy.%s.env: '%s' is not a "
					"valid variable name", t->name,
					t->env.vars[i].name);
	for (char **d = t->shared_dirs; *d != NULL; d++)
		if (!remote_shared_ok(*d))
			return derr_set(e, "deploy.%s.shared_dirs: '%s' must "
					"be a relative path without '..'",
					t->name, *d);
	for (char **f = t->shared_files; *f != NULL; f++)
		if (!remote_shared_ok(*f))
			return derr_set(e, "deploy.%s.shared_files: '%s' must "
					"be a relative path without '..'",
					t->name, *f);
	/* A leading '-' would make git read the value as an option. */
	if (t->ref[0] == '-')
		return derr_set(e, "deploy.%s.ref: '%s' must not start with "
				"'-'", t->name, t->ref);
	if (t->repo != NULL && t->repo[0] == '-')
		return derr_set(e, "deploy.%s.repo: '%s' must not start with "
				"'-'", t->name, t->repo);
	return 0;
}

/* Check the target's values before anything runs. */
int
remote_check_target(const struct eco_target *t, struct derr *e)
{
	struct ssh_config cfg;

	if (check_values(t, e) < 0 || ssh_config_parse(t->ssh_options, &cfg,
						       e) < 0)
		return -1;
	ssh_config_clear(&cfg);
	return 0;
}

/* True for a loopback address or name. */
static bool
loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
		strcmp(host, "[::1]") == 0 || strcmp(host, "localhost") == 0;
}

/* Warn about apps that listen on loopback only. */
char **
remote_reach_warnings(const struct ecosystem *eco,
		      const struct eco_target *t)
{
	char **w = xcalloc(1, sizeof *w), *host, *msg;
	const char *where;
	int port;

	for (size_t i = 0; i < eco->n_apps; i++) {
		const struct eco_app *a = &eco->apps[i];

		host = NULL;
		where = eco_env_get(&a->env, "HOST");
		if (a->listen != NULL &&
		    eco_split_hostport(a->listen, &host, &port) == 0 &&
		    host != NULL && loopback(host))
			msg = xasprintf("apps[%zu] '%s' listens on %s only: "
					"nginx on another machine (deploy "
					"nginx --target %s) cannot reach it",
					i, a->name, a->listen, t->name);
		else if (where != NULL && loopback(where))
			msg = xasprintf("apps[%zu] '%s' has HOST=%s (loopback "
					"only): nginx on another machine "
					"(deploy nginx --target %s) cannot "
					"reach it", i, a->name, where,
					t->name);
		else
			msg = NULL;
		if (msg != NULL)
			w = strv_push(w, msg);
		free(msg);
		free(host);
	}
	return w;
}

/* "user@machine" for locks and revisions.log; caller frees. */
static char *
who_am_i(void)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256] = "localhost";

	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	return xasprintf("%s@%s", pw ? pw->pw_name : "unknown", host);
}

/* How a host is named in output. */
char *
remote_host_label(const struct eco_host *h)
{
	if (h->port == 22)
		return xstrdup(h->name);
	if (strchr(h->name, ':') != NULL)
		return xasprintf("[%s]:%d", h->name, h->port);
	return xasprintf("%s:%d", h->name, h->port);
}

/* Free what h holds (not the report). */
static void
rhost_clear(struct rhost *h)
{
	free(h->release);
	free(h->previous);
	free(h->rev);
	free(h->lock_info);
	remote_listing_clear(&h->list);
	for (size_t i = 0; i < ARRAY_SIZE(h->partial); i++)
		strbuf_release(&h->partial[i]);
}

/* Load the libraries and do the local work before any host. */
static int
prepare(struct remote_plan *p, struct derr *e)
{
	const struct remote_opts *o = p->o;
	const struct eco_target *t = o->target;
	bool gate = o->op == REMOTE_DEPLOY || o->op == REMOTE_ROLLBACK;

	if (check_values(t, e) < 0 ||
	    ssh_config_parse(t->ssh_options, &p->cfg, e) < 0)
		return -1;
	/* Both loaded here, before any thread: their global set-up is
	 * not thread-safe. */
	if (ssh_dl(e) == NULL || (gate && t->health &&
				  !t->health_from_host && curl_dl(e) == NULL))
		return -1;
	p->started = time(NULL);
	p->who = who_am_i();
	p->workers = o->workers > 0 ? (size_t)o->workers : REMOTE_WORKERS;
	if (o->timeout_ms > 0)
		p->deadline_ms = now_ms() + o->timeout_ms;
	if (o->op != REMOTE_DEPLOY)
		return 0;
	if (t->pre_deploy_local != NULL && *t->pre_deploy_local != '\0' &&
	    remote_local_hook(p, t->pre_deploy_local, o->dir, e) < 0)
		return -1;
	if (t->upload && remote_local_archive(o->dir, t->ref, &p->upload_rev,
					      &p->upload_file, e) < 0)
		return -1;
	return 0;
}

/* Free what the plan holds. */
static void
plan_clear(struct remote_plan *p)
{
	ssh_config_clear(&p->cfg);
	free(p->who);
	free(p->upload_rev);
	if (p->upload_file != NULL)
		unlink(p->upload_file);
	free(p->upload_file);
	pthread_mutex_destroy(&p->out_lock);
}

/* Run op on every host. */
int
remote_run(const struct remote_opts *o, struct remote_report *rep,
	   struct derr *e)
{
	const struct eco_target *t = o->target;
	struct remote_plan plan = { .o = o, .t = t };
	struct remote_interrupt_saved saved;
	struct rhost *hosts;
	size_t n = t->n_hosts;

	memset(rep, 0, sizeof *rep);
	rep->warnings = xcalloc(1, sizeof *rep->warnings);
	pthread_mutex_init(&plan.out_lock, NULL);
	if (prepare(&plan, e) < 0) {
		plan_clear(&plan);
		return -1;
	}
	for (char **w = plan.cfg.warnings; *w != NULL; w++)
		rep->warnings = strv_push(rep->warnings, *w);
	rep->hosts = xcalloc(n, sizeof *rep->hosts);
	rep->n_hosts = n;
	hosts = xcalloc(n, sizeof *hosts);
	for (size_t i = 0; i < n; i++) {
		hosts[i] = (struct rhost){ .plan = &plan, .eh = &t->hosts[i],
					   .rep = &rep->hosts[i] };
		for (size_t k = 0; k < ARRAY_SIZE(hosts[i].partial); k++)
			strbuf_init(&hosts[i].partial[k], 0);
		rep->hosts[i].host = remote_host_label(&t->hosts[i]);
		rep->hosts[i].status = REMOTE_OK;
		rep->hosts[i].exit_status = -1;
	}
	remote_interrupt_catch(&saved);
	remote_fleet(&plan, hosts, n);
	remote_interrupt_say();
	remote_interrupt_restore(&saved);
	for (size_t i = 0; i < n; i++)
		rhost_clear(&hosts[i]);
	free(hosts);
	plan_clear(&plan);
	return 0;
}

/* Free a report. */
void
remote_report_free(struct remote_report *rep)
{
	for (size_t i = 0; i < rep->n_hosts; i++) {
		struct remote_host_report *h = &rep->hosts[i];

		free(h->host);
		free(h->release);
		free(h->previous);
		free(h->current);
		free(h->rev);
		free(h->step);
		free(h->error);
		strv_free(h->releases);
		strv_free(h->rolled_back);
	}
	free(rep->hosts);
	strv_free(rep->warnings);
	memset(rep, 0, sizeof *rep);
}

/* True when every host succeeded. */
bool
remote_report_ok(const struct remote_report *rep)
{
	for (size_t i = 0; i < rep->n_hosts; i++)
		if (rep->hosts[i].status != REMOTE_OK)
			return false;
	return true;
}

const char *
remote_status_name(enum remote_status s)
{
	static const char *const names[] = {
		[REMOTE_OK] = "ok",
		[REMOTE_FAILED] = "failed",
		[REMOTE_ROLLED_BACK] = "rolled back",
		[REMOTE_SKIPPED] = "skipped",
		[REMOTE_UNREACHABLE] = "unreachable",
	};

	return names[s];
}
