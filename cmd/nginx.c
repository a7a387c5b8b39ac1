/* nginx.c: deploy nginx: render the nginx config, check it, apply it */
#include "cmd/cmd.h"
#include "core/remote/remote.h"
#include "core/probe/listeners.h"
#include "core/nginx/nginx.h"
#include "core/lib/strbuf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* What the command line asked for. */
struct nginx_req {
	const char *output;	/* -o FILE */
	const char *target;	/* --target T */
	const char *tmpl;	/* --template FILE */
	const char *pid_file;	/* --pid FILE */
	bool check, reload;
};

/* Days left under which a certificate is warned about. */
#define CERT_WARN_DAYS 14

/* Say when each certificate of ctx expires (to f when not NULL), and
 * warn about those that expire within CERT_WARN_DAYS. */
static void
report_certs(json_t *ctx, FILE *f)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(ctx, "certificates"), i, c) {
		const char *path = json_string_value(json_object_get(c,
							"certificate"));
		const char *day = json_string_value(json_object_get(c,
							"expires"));
		long long days = json_integer_value(json_object_get(c,
							"days"));

		if (f != NULL)
			fprintf(f, "certificate '%s' expires on %s (in %lld "
				"day%s)\n", path, day, days,
				days == 1 ? "" : "s");
		if (days < CERT_WARN_DAYS)
			warning("certificate '%s' expires in %lld day%s "
				"(%s); renew it (see Renewal in "
				"deploy-ecosystem(5))", path, days,
				days == 1 ? "" : "s", day);
	}
}

/* Render eco's config into out; an exit code (the error printed).
 * report: where to say when certificates expire, or NULL. */
static int
render(const struct ecosystem *eco, const struct nginx_settings *s,
       const char *target, const char *tmpl, struct strbuf *out,
       FILE *report)
{
	struct derr e;
	json_t *ctx = nginx_context(eco, target, &e);
	char *path;
	int rc = EXIT_OK;

	if (ctx == NULL)
		return error_code(EXIT_CONFIG, "%s", e.msg);
	path = nginx_template_path(s, tmpl, &e);
	if (path == NULL || nginx_render(ctx, path, out, &e) < 0)
		rc = error("%s", e.msg);
	if (rc == EXIT_OK)
		report_certs(ctx, report);
	free(path);
	json_decref(ctx);
	return rc;
}

/* Report a failed apply: nginx's own message, and what was undone. */
static int
report_failure(const struct nginx_apply *a, const struct nginx_outcome *o,
	       const char *prefix, const struct derr *e)
{
	const char *undo = !o->restored ? "" : o->backup ?
		"; the previous file was put back" :
		"; the new file was removed";

	switch (o->failed) {
	case NGINX_STEP_CHECK:
		return error_code(EXIT_NGINX, "%s%s%s%s", prefix, e->msg, undo,
				  a->output && !o->written ?
				  "; nothing was written" : "");
	case NGINX_STEP_RELOAD:
		return error_code(EXIT_NGINX, "%scannot reload nginx: %s%s",
				  prefix, e->msg, undo);
	default:
		return error("%s%s", prefix, e->msg);
	}
}

/* Say what was done to f. */
static void
report_success(FILE *f, const char *prefix, const struct nginx_apply *a,
	       const struct nginx_outcome *o)
{
	if (o->unchanged)
		fprintf(f, "%s%s unchanged", prefix, a->output);
	else if (o->backup)
		fprintf(f, "%swrote %s (previous kept as %s.bak)", prefix,
			a->output, a->output);
	else
		fprintf(f, "%swrote %s", prefix, a->output);
	if (a->check && !a->reload)
		fputs("; nginx -t passed", f);
	if (o->reloaded > 0)
		fprintf(f, "; reloaded nginx (pid %d)", (int)o->reloaded);
	fputc('\n', f);
}

/* Warn about the target's apps that nginx on another machine cannot
   reach (a listen address or HOST on loopback). */
static void
warn_unreachable(const struct ecosystem *eco, const char *target)
{
	const struct eco_target *t = ecosystem_target(eco, target);
	char **w = t != NULL ? remote_reach_warnings(eco, t) : NULL;

	for (char **p = w; p != NULL && *p != NULL; p++)
		warning("%s", *p);
	strv_free(w);
}

/* Parse the options into r; an exit code. */
static int
parse_args(struct cmd_ctx *ctx, struct nginx_req *r)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "target", required_argument, NULL, 't' },
		{ "template", required_argument, NULL, 'T' },
		{ "pid", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'k' },
		{ "reload", no_argument, NULL, 'r' },
		{ 0 }
	};
	int c;

	while ((c = cmd_getopt(ctx, "o:t:", opts)) != -1) {
		switch (c) {
		case 'o': r->output = optarg; break;
		case 't': r->target = optarg; break;
		case 'T': r->tmpl = optarg; break;
		case 'p': r->pid_file = optarg; break;
		case 'k': r->check = true; break;
		case 'r': r->reload = true; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_nginx, "unexpected argument '%s'",
				   ctx->argv[optind]);
	return EXIT_OK;
}

/* Render, then print, or check, write and reload as asked. */
static int
nginx_run(struct cmd_ctx *ctx)
{
	struct nginx_req r = { 0 };
	struct nginx_settings s;
	struct nginx_outcome o;
	struct nginx_apply a = { 0 };
	struct strbuf text = STRBUF_INIT;
	struct derr e;
	int rc = parse_args(ctx, &r);
	char **pw;

	if (rc != EXIT_OK)
		return rc;
	if (nginx_settings_read(ctx->eco, &s, &e) < 0) {
		nginx_settings_clear(&s);
		return error_code(EXIT_CONFIG, "%s", e.msg);
	}
	pw = eco_port_warnings("/proc", ctx->eco);
	for (char **w = pw; *w != NULL; w++)
		warning("%s", *w);
	strv_free(pw);
	a.output = r.output ? r.output : r.reload ? s.output : NULL;
	if (r.reload && a.output == NULL) {
		nginx_settings_clear(&s);
		return usage_error(&cmd_nginx, "--reload needs -o FILE or "
				   "\"nginx\": {\"output\": FILE} in the "
				   "file");
	}
	rc = render(ctx->eco, &s, r.target, r.tmpl, &text, !r.check &&
		    !r.reload ? NULL : a.output ? stdout : stderr);
	if (rc == EXIT_OK && r.target != NULL)
		warn_unreachable(ctx->eco, r.target);
	if (rc == EXIT_OK) {
		a.text = text.buf;
		a.len = text.len;
		a.binary = s.binary;
		a.main_config = s.main_config;
		a.pid_file = r.pid_file ? r.pid_file : s.pid_file;
		a.check = r.check;
		a.reload = r.reload;
		if (nginx_apply(&a, &o, &e) < 0)
			rc = report_failure(&a, &o, "", &e);
		else if (a.output == NULL)
			fwrite(text.buf, 1, text.len, stdout);
		else
			report_success(stdout, "", &a, &o);
	}
	strbuf_release(&text);
	nginx_settings_clear(&s);
	return rc;
}

/* After deploy up: with "nginx": {"auto": true}, write nginx.output and
 * reload nginx when the config changed. Messages go to stderr. */
int
nginx_auto_apply(const struct ecosystem *eco)
{
	struct nginx_settings s;
	struct nginx_outcome o;
	struct nginx_apply a = { 0 };
	struct strbuf text = STRBUF_INIT;
	struct derr e;
	json_t *on = json_object_get(eco->nginx, "auto");
	int rc;

	if (on == NULL || json_is_false(on) || json_is_null(on))
		return EXIT_OK;	/* else checked below ("auto": "yes") */
	if (nginx_settings_read(eco, &s, &e) < 0) {
		nginx_settings_clear(&s);
		return error_code(EXIT_CONFIG, "nginx: %s", e.msg);
	}
	if (s.output == NULL) {
		nginx_settings_clear(&s);
		return error_code(EXIT_CONFIG, "%s: nginx.auto needs "
				  "nginx.output, the file to write",
				  eco->path);
	}
	rc = render(eco, &s, NULL, NULL, &text, NULL);
	if (rc == EXIT_OK) {
		a = (struct nginx_apply){ .text = text.buf, .len = text.len,
			.output = s.output, .binary = s.binary,
			.main_config = s.main_config, .pid_file = s.pid_file,
			.check = true, .reload = true, .skip_same = true };
		if (nginx_apply(&a, &o, &e) < 0)
			rc = report_failure(&a, &o, "nginx: ", &e);
		else if (!o.unchanged)
			report_success(stderr, "nginx: ", &a, &o);
	}
	strbuf_release(&text);
	nginx_settings_clear(&s);
	return rc;
}

const struct command cmd_nginx = {
	.name = "nginx",
	.usage = "nginx [-o FILE] [--target T] [--check] [--reload] "
		 "[--template FILE] [--pid FILE]",
	.summary = "render the nginx config for the apps; check and apply it",
	.help = "  -o, --output F   write F atomically (the previous one kept "
		"as F.bak);\n"
		"                   without it the config goes to stdout\n"
		"  -t, --target T   servers on every host of deploy target T\n"
		"                   (default: 127.0.0.1)\n"
		"      --check      run nginx -t on it first (no root "
		"needed)\n"
		"      --reload     check, write, then reload the running "
		"nginx; on a\n"
		"                   failure the previous file is put back\n"
		"      --template F render F instead of nginx.conf.tmpl\n"
		"      --pid F      the running nginx's pid file (default:\n"
		"                   nginx.pid_file, else "
		NGINX_PID_FILE ")\n",
	.flags = CMD_CONFIG,
	.run = nginx_run,
};
